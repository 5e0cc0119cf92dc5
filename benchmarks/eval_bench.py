"""Evaluation speed: trainer against the ideal N·L/C, and side by side with promptfoo.

Usage: python benchmarks/eval_bench.py [--cases 900] [--latency-ms 50]
                                       [--concurrency 8 16 32 64] [--fast-concurrency 16]
                                       [--side-by-side 8 16 32 64] [--repeats 3]
                                       [--no-promptfoo | --promptfoo PATH]

Both tools evaluate the same N cases (a question each; three deterministic checks each:
icontains, a regex, a word count — a JavaScript assertion for promptfoo) against the same
endpoint: `eval_stub_server.py`, an OpenAI-compatible stub in its own process that
answers after a fixed latency L. It prints:

- trainer in-process: the whole evaluation (cases, answers, grading, scores with the
  bootstrap) at L for each C, against the ideal N·L/C, and at L = 0;
- side by side: the wall time of `trainer eval` and of `promptfoo eval` as commands
  (process start to exit, each writing a JSON report, caches off), and the evaluation
  time each reports (trainer in-process, promptfoo's own `durationMs`);
- adaptive concurrency: trainer asking for C = 64 of a stub that allows 16 requests in
  flight (a 429 with Retry-After beyond that);
- `trainer eval --help` start-up, the requests of a warm-cache re-run (should be 0), and
  the peak RSS of this process.

Every figure is warm (after one untimed run of each tool) and the median of `--repeats`
runs; the first start-up is printed apart. promptfoo is run as `promptfoo@0.121.20`
(newer versions need Node 22), installed once with npm into ~/.cache/trainer-bench/, with
PROMPTFOO_DISABLE_TELEMETRY=1 PROMPTFOO_DISABLE_UPDATE=1 (and its debug and error log
files off: with them, 0.121.20 crashes on exit on Node 20). Without node and npm (or with
--no-promptfoo), the trainer figures are printed alone.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml

from trainer.harness.cache import ResponseCache
from trainer.harness.evaluate import Evaluation, EvaluationRequest, evaluate
from trainer.harness.loading import LoadedSuite
from trainer.harness.runner import RunSettings
from trainer.harness.samples import SelectedTest
from trainer.harness.suites import Suite
from trainer.providers.openai_async import http_library
from trainer.providers.openai_provider import OpenAIProvider

HERE = Path(__file__).resolve().parent
TRAINER = str(Path(sys.executable).with_name("trainer"))
STUB = HERE / "eval_stub_server.py"
MODEL = "gpt-4o-mini-2024-07-18"
PROMPTFOO_VERSION = "0.121.20"
PROMPTFOO_ENV = {
    "PROMPTFOO_DISABLE_TELEMETRY": "1",
    "PROMPTFOO_DISABLE_UPDATE": "1",
    "PROMPTFOO_DISABLE_DEBUG_LOG": "1",
    "PROMPTFOO_DISABLE_ERROR_LOG": "1",
    "PROMPTFOO_DISABLE_SHARING": "1",
}
WORD_LIMIT = 80


# --- the cases, for both tools ----------------------------------------------------------


def question(i: int) -> str:
    return f"What is {i} + {i + 1}?"


def suite_body(cases: int) -> dict[str, Any]:
    return {
        "suite": "bench",
        "category": "pedagogy",
        "tests": {
            "bench": {
                "cases": [
                    {
                        "id": f"case-{i}",
                        "messages": [{"role": "user", "content": question(i)}],
                        "checks": [
                            {"type": "icontains", "value": str(i)},
                            {"type": "regex", "pattern": r"\?\s*$"},
                            {"type": "word_count", "max": WORD_LIMIT},
                        ],
                    }
                    for i in range(cases)
                ]
            }
        },
    }


def promptfoo_config(cases: int, base_url: str) -> dict[str, Any]:
    return {
        "description": "trainer eval_bench",
        "prompts": ["{{question}}"],
        "providers": [
            {
                "id": f"openai:chat:{MODEL}",
                "config": {"apiBaseUrl": base_url, "apiKey": "bench", "temperature": 0},
            }
        ],
        "tests": [
            {
                "vars": {"question": question(i)},
                "assert": [
                    {"type": "icontains", "value": str(i)},
                    {"type": "regex", "value": r"\?\s*$"},
                    {
                        "type": "javascript",
                        "value": f"output.trim().split(/\\s+/).length <= {WORD_LIMIT}",
                    },
                ],
            }
            for i in range(cases)
        ],
    }


def selected(cases: int) -> SelectedTest:
    loaded = LoadedSuite(Suite.model_validate(suite_body(cases)), "bench.yaml", "0" * 40)
    return SelectedTest(loaded, "bench", loaded.suite.tests["bench"])


# --- the endpoint -----------------------------------------------------------------------


@dataclass
class Stub:
    process: subprocess.Popen[str]
    base: str

    @property
    def url(self) -> str:
        return f"{self.base}/v1"

    def requests(self) -> int:
        return int(httpx.get(f"{self.base}/stats").json()["requests"])

    def stats(self) -> dict[str, int]:
        stats: dict[str, int] = httpx.get(f"{self.base}/stats").json()
        return stats

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def stub(latency_ms: float, max_in_flight: int | None = None) -> Stub:
    args = [sys.executable, str(STUB), "--port", "0", "--latency-ms", str(latency_ms)]
    if max_in_flight:
        args += ["--max-in-flight", str(max_in_flight), "--retry-after-ms", "100"]
    process = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line.startswith("listening on "):
        process.kill()
        raise RuntimeError(f"the stub server did not start: {line!r}")
    return Stub(process, f"http://127.0.0.1:{int(line.split()[-1])}")


# --- trainer ----------------------------------------------------------------------------


def in_process(endpoint: Stub, test: SelectedTest, concurrency: int) -> tuple[float, Evaluation]:
    provider = OpenAIProvider(api_key="bench", base_url=endpoint.url)
    request = EvaluationRequest(
        model=MODEL, tests=[test], settings=RunSettings(concurrency=concurrency)
    )
    gc.freeze()  # as `trainer eval` does
    try:
        start = time.perf_counter()
        result = evaluate(provider, ResponseCache(None), request)
        return time.perf_counter() - start, result
    finally:
        gc.unfreeze()


def bare_clients(endpoint: Stub, cases: int, concurrency: int) -> tuple[float, float]:
    """(raw aiohttp, the openai SDK alone): the wall time of the same N requests, C at a
    time, with neither grading nor anything else of trainer; what any client reaches
    against this endpoint, and what the SDK costs on top."""
    import aiohttp
    import openai

    bodies = [
        {"model": MODEL, "messages": [{"role": "user", "content": question(i)}], "temperature": 0}
        for i in range(cases)
    ]

    async def run(send: Any) -> float:
        gate = asyncio.Semaphore(concurrency)

        async def one(body: dict[str, Any]) -> None:
            async with gate:
                await send(body)

        start = time.perf_counter()
        await asyncio.gather(*(one(b) for b in bodies))
        return time.perf_counter() - start

    async def both() -> tuple[float, float]:
        connector = aiohttp.TCPConnector(limit=concurrency)
        async with aiohttp.ClientSession(connector=connector) as session:

            async def raw(body: dict[str, Any]) -> None:
                async with session.post(f"{endpoint.url}/chat/completions", json=body) as reply:
                    json.loads(await reply.read())

            await run(raw)  # warm: connections
            raw_wall = await run(raw)
        pool = http_library().Limits(
            max_connections=concurrency, max_keepalive_connections=concurrency
        )
        http = openai.DefaultAioHttpClient(limits=pool)  # the SDK's own aiohttp client
        async with openai.AsyncOpenAI(
            api_key="bench", base_url=endpoint.url, http_client=http
        ) as sdk:

            async def typed(body: dict[str, Any]) -> None:
                await sdk.chat.completions.create(**body)

            await run(typed)
            sdk_wall = await run(typed)
        return raw_wall, sdk_wall

    return asyncio.run(both())


def trainer_cli(endpoint: Stub, repo: Path, concurrency: int, cache: bool = False) -> float:
    args = [TRAINER, "--repo", str(repo), "eval", "--model", MODEL, "--format", "json"]
    args += ["--concurrency", str(concurrency), "--out", str(repo / "report.json")]
    if not cache:
        args.append("--no-cache")
    env = {**os.environ, "OPENAI_BASE_URL": endpoint.url, "OPENAI_API_KEY": "bench"}
    start = time.perf_counter()
    done = subprocess.run(args, env=env, cwd=repo, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    if done.returncode not in (0, 1):
        raise RuntimeError(f"trainer eval failed ({done.returncode}): {done.stderr[-2000:]}")
    return wall


def startup() -> tuple[float, float]:
    """(the first `trainer eval --help`, the median of the next five)."""
    times = []
    for _ in range(6):
        start = time.perf_counter()
        subprocess.run([TRAINER, "eval", "--help"], capture_output=True, check=True)
        times.append(time.perf_counter() - start)
    return times[0], statistics.median(times[1:])


# --- promptfoo --------------------------------------------------------------------------


def find_promptfoo(given: str | None, skip: bool) -> tuple[str | None, str]:
    """(the promptfoo command, or None and why not)."""
    if skip:
        return None, "--no-promptfoo"
    if given:
        return given, given
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    home = cache / "trainer-bench" / f"promptfoo-{PROMPTFOO_VERSION}"
    command = home / "node_modules" / ".bin" / "promptfoo"
    if not command.exists():
        if not shutil.which("node") or not shutil.which("npm"):
            return None, "node and npm are not installed"
        print(f"installing promptfoo@{PROMPTFOO_VERSION} into {home} (once)", flush=True)
        home.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(
            [
                *("npm", "install", "--no-audit", "--no-fund", "--loglevel=error"),
                *("--prefix", str(home), f"promptfoo@{PROMPTFOO_VERSION}"),
            ],
            capture_output=True,
            text=True,
            check=False,
            timeout=900,
        )
        if done.returncode or not command.exists():
            return None, f"npm install failed: {done.stderr.strip()[-300:]}"
    version = subprocess.run(
        [str(command), "--version"],
        env={**os.environ, **PROMPTFOO_ENV},
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    if version != PROMPTFOO_VERSION:
        return None, f"{command} is version {version!r}, not {PROMPTFOO_VERSION}"
    return str(command), str(command)


def promptfoo_cli(command: str, config: Path, concurrency: int) -> tuple[float, float]:
    """(the command's wall time, the evaluation duration it reports), in seconds."""
    out = config.with_name("promptfoo-results.json")
    args = [command, "eval", "-c", str(config), "--no-cache", "--no-write"]
    args += ["-j", str(concurrency), "--no-table", "--no-progress-bar", "-o", str(out)]
    env = {**os.environ, **PROMPTFOO_ENV, "PROMPTFOO_CONFIG_DIR": str(config.parent / ".pf")}
    start = time.perf_counter()
    done = subprocess.run(
        args, env=env, cwd=config.parent, capture_output=True, text=True, check=False
    )
    wall = time.perf_counter() - start
    if done.returncode not in (0, 100):  # 100: some assertions failed
        raise RuntimeError(f"promptfoo failed ({done.returncode}): {done.stderr[-2000:]}")
    stats = json.loads(out.read_text())["results"]["stats"]
    return wall, stats["durationMs"] / 1000


# --- the run ----------------------------------------------------------------------------


@dataclass
class Row:
    latency_ms: float
    concurrency: int
    evaluation: list[float] = field(default_factory=list)
    answers: list[float] = field(default_factory=list)
    trainer_cli: list[float] = field(default_factory=list)
    promptfoo_cli: list[float] = field(default_factory=list)
    promptfoo_eval: list[float] = field(default_factory=list)
    requests: list[int] = field(default_factory=list)
    raw: list[float] = field(default_factory=list)
    sdk: list[float] = field(default_factory=list)


def median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def fmt(value: float | None, unit: str = " s", digits: int = 2) -> str:
    return "–" if value is None else f"{value:.{digits}f}{unit}"


def ratio(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None or not b else a / b


def measure(
    rows: list[Row],
    endpoints: dict[float, Stub],
    cases: int,
    repeats: int,
    repo: Path,
    configs: dict[float, Path],
    promptfoo: str | None,
    side_by_side: set[tuple[float, int]],
) -> None:
    test = selected(cases)
    for endpoint in endpoints.values():  # warm: imports, connections, the stubs, node's cache
        in_process(endpoint, selected(64), 16)
    for row in rows:
        endpoint = endpoints[row.latency_ms]
        both = (row.latency_ms, row.concurrency) in side_by_side
        if both:
            trainer_cli(endpoint, repo, row.concurrency)
            if promptfoo:
                promptfoo_cli(promptfoo, configs[row.latency_ms], row.concurrency)
        for _ in range(repeats):
            before = endpoint.requests()
            wall, result = in_process(endpoint, test, row.concurrency)
            row.requests.append(endpoint.requests() - before)
            row.evaluation.append(wall)
            row.answers.append(result.run.answer_seconds)
            if both:
                row.trainer_cli.append(trainer_cli(endpoint, repo, row.concurrency))
                if promptfoo:
                    before = endpoint.requests()
                    pf_wall, pf_eval = promptfoo_cli(
                        promptfoo, configs[row.latency_ms], row.concurrency
                    )
                    row.requests.append(endpoint.requests() - before)
                    row.promptfoo_cli.append(pf_wall)
                    row.promptfoo_eval.append(pf_eval)
        if row.latency_ms:
            for _ in range(repeats):
                raw, sdk = bare_clients(endpoint, cases, row.concurrency)
                row.raw.append(raw)
                row.sdk.append(sdk)
        print(
            f"  L={row.latency_ms:g}ms C={row.concurrency}: evaluation "
            + ", ".join(f"{v:.2f}" for v in row.evaluation)
            + " (answers "
            + ", ".join(f"{v:.2f}" for v in row.answers)
            + ")"
            + (" | trainer CLI " + ", ".join(f"{v:.2f}" for v in row.trainer_cli))
            * bool(row.trainer_cli)
            + (" | promptfoo CLI " + ", ".join(f"{v:.2f}" for v in row.promptfoo_cli))
            * bool(row.promptfoo_cli),
            flush=True,
        )


def table(rows: list[Row], cases: int, promptfoo: bool) -> list[str]:
    lines = [
        "| latency L | C | ideal N·L/C | trainer evaluation | × ideal | trainer `eval` "
        "command | promptfoo `eval` command | promptfoo evaluation | trainer faster: "
        "commands | evaluations | evaluation vs command |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in rows:
        ideal = cases * row.latency_ms / 1000 / row.concurrency if row.latency_ms else None
        evaluation = median(row.evaluation)
        t_cli, p_cli, p_eval = (
            median(row.trainer_cli),
            median(row.promptfoo_cli),
            median(row.promptfoo_eval),
        )
        lines.append(
            f"| {row.latency_ms:g} ms | {row.concurrency} | {fmt(ideal)} | {fmt(evaluation)} | "
            f"{fmt(ratio(evaluation, ideal), '×')} | {fmt(t_cli)} | "
            f"{fmt(p_cli) if promptfoo else 'skipped'} | {fmt(p_eval)} | "
            f"{fmt(ratio(p_cli, t_cli), '×', 1)} | {fmt(ratio(p_eval, evaluation), '×', 1)} | "
            f"{fmt(ratio(p_cli, evaluation), '×', 1)} |"
        )
    return lines


def floors(rows: list[Row], cases: int) -> list[str]:
    """What a bare client reaches against the same endpoint: where the time goes."""
    lines = [
        "| C | ideal N·L/C | raw aiohttp, no SDK | × ideal | the openai SDK alone | × ideal "
        "| trainer evaluation | × ideal |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in rows:
        if not row.latency_ms or not row.raw:
            continue
        ideal = cases * row.latency_ms / 1000 / row.concurrency
        walls = [median(row.raw), median(row.sdk), median(row.evaluation)]
        lines.append(
            f"| {row.concurrency} | {fmt(ideal)} | "
            + " | ".join(f"{fmt(w)} | {fmt(ratio(w, ideal), '×')}" for w in walls)
            + " |"
        )
    return lines


def targets(rows: list[Row], cases: int, fast_c: int, promptfoo: bool) -> list[str]:
    out = []

    def verdict(ok: bool | None) -> str:
        return "n/a" if ok is None else ("met" if ok else "MISSED")

    for row in rows:
        if row.latency_ms:
            ideal = cases * row.latency_ms / 1000 / row.concurrency
            r = ratio(median(row.evaluation), ideal)
            out.append(
                f"L={row.latency_ms:g} ms, C={row.concurrency}: {fmt(r, '×')} of ideal "
                f"(target <= 1.15×): {verdict(None if r is None else r <= 1.15)}"
            )
    for row in rows:
        if row.concurrency != fast_c or not promptfoo or not row.promptfoo_cli:
            continue
        need = 2.5 if row.latency_ms else 3.0
        evaluation, t_cli = median(row.evaluation), median(row.trainer_cli)
        p_cli, p_eval = median(row.promptfoo_cli), median(row.promptfoo_eval)
        found = {
            "commands": ratio(p_cli, t_cli),
            "evaluations": ratio(p_eval, evaluation),
            "trainer evaluation vs promptfoo command": ratio(p_cli, evaluation),
        }
        out.append(
            f"L={row.latency_ms:g} ms, C={row.concurrency}, trainer faster than promptfoo "
            f"(target >= {need:g}×): "
            + "; ".join(
                f"{name} {fmt(value, '×', 1)} {verdict(value is not None and value >= need)}"
                for name, value in found.items()
            )
        )
        if row.latency_ms and p_eval:
            ideal = cases * row.latency_ms / 1000 / row.concurrency
            out.append(
                f"  (promptfoo's evaluation is {p_eval / ideal:.2f}× the ideal: no evaluation "
                f"can be more than that much faster than it)"
            )
    return out


def rate_limited(cases: int, latency_ms: float, allowed: int, asked: int) -> str:
    endpoint = stub(latency_ms, max_in_flight=allowed)
    try:
        wall, result = in_process(endpoint, selected(cases), asked)
        stats = endpoint.stats()
    finally:
        endpoint.stop()
    limits = result.limits
    assert limits is not None
    ideal = cases * latency_ms / 1000 / allowed
    return (
        f"adaptive concurrency: --concurrency {asked} against a stub allowing {allowed} in "
        f"flight (429, Retry-After 100 ms, beyond): {wall:.2f} s = {wall / ideal:.2f}× the "
        f"ideal at {allowed} ({ideal:.2f} s); {limits.rate_limited} answers of 429, "
        f"{limits.decreases} decreases, lowest {limits.lowest}, {limits.limit} at the end; "
        f"peak {stats['peak_in_flight']} in flight; "
        f"{result.scores.cases - result.scores.unanswered}/{cases} answered"
    )


def warm_cache(endpoint: Stub, repo: Path) -> str:
    shutil.rmtree(repo / ".trainer", ignore_errors=True)
    cold = trainer_cli(endpoint, repo, 16, cache=True)
    before = endpoint.requests()
    warm = trainer_cli(endpoint, repo, 16, cache=True)
    seen = endpoint.requests() - before
    return (
        f"warm-cache re-run: {seen} requests seen by the endpoint (target 0); `trainer eval` "
        f"with the cache: {cold:.2f} s filling it, {warm:.2f} s from it"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=900)
    parser.add_argument("--latency-ms", type=float, default=50)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[8, 16, 32, 64])
    parser.add_argument("--fast-concurrency", type=int, default=16, help="C at L = 0")
    parser.add_argument(
        "--side-by-side",
        type=int,
        nargs="*",
        default=None,
        help="C values run side by side with promptfoo (default: all)",
    )
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--promptfoo", help="a promptfoo command to use")
    parser.add_argument("--no-promptfoo", action="store_true")
    args = parser.parse_args()

    first, warm = startup()
    promptfoo, why = find_promptfoo(args.promptfoo, args.no_promptfoo)
    print(f"promptfoo: {promptfoo or f'skipped ({why})'}", flush=True)
    chosen = set(args.concurrency if args.side_by_side is None else args.side_by_side)
    side_by_side = {(args.latency_ms, c) for c in chosen} | {(0.0, args.fast_concurrency)}
    rows = [Row(0.0, args.fast_concurrency)] + [Row(args.latency_ms, c) for c in args.concurrency]
    endpoints = {0.0: stub(0), args.latency_ms: stub(args.latency_ms)}
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp)
        (repo / "harness").mkdir()
        (repo / "harness" / "bench.yaml").write_text(yaml.safe_dump(suite_body(args.cases)))
        configs = {}
        for latency, endpoint in endpoints.items():
            configs[latency] = repo / f"promptfoo-{latency:g}ms.json"
            configs[latency].write_text(json.dumps(promptfoo_config(args.cases, endpoint.url)))
        try:
            measure(
                rows, endpoints, args.cases, args.repeats, repo, configs, promptfoo, side_by_side
            )
            cache_line = warm_cache(endpoints[0.0], repo)
        finally:
            for endpoint in endpoints.values():
                endpoint.stop()
    limits_line = rate_limited(args.cases, args.latency_ms, 16, 64)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    print()
    print(
        f"N = {args.cases} cases (3 deterministic checks each), one stub endpoint, caches "
        f"off, warm, median of {args.repeats}; 'evaluation' = trainer's evaluate() in "
        "process (cases, answers, grading, scores and bootstrap) and promptfoo's own "
        "durationMs; 'command' = the CLI from process start to exit, JSON report written; "
        "'evaluation vs command' = trainer's evaluation against promptfoo's command (how "
        "the issue measured)."
    )
    print()
    for line in table(rows, args.cases, promptfoo is not None):
        print(line)
    print()
    print()
    print(
        f"Floors at L = {args.latency_ms:g} ms: the same {args.cases} requests from a bare "
        "client (raw aiohttp; the openai SDK's chat.completions.create over its aiohttp "
        "client), C at a time, nothing graded:"
    )
    print()
    for line in floors(rows, args.cases):
        print(line)
    print()
    for line in targets(rows, args.cases, args.fast_concurrency, promptfoo is not None):
        print(line)
    fast = rows[0]
    evaluation = median(fast.evaluation)
    if evaluation:
        print(
            f"N={args.cases} L=0 C={args.fast_concurrency}: "
            f"{args.cases / evaluation:.0f} evals/s in process"
        )
    print(limits_line)
    print(f"start-up (trainer eval --help): first {first:.2f} s, then median {warm:.2f} s")
    print(cache_line)
    print(f"peak RSS of the evaluating process: {peak:.0f} MB")


if __name__ == "__main__":
    main()
