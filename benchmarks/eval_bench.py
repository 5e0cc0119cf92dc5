"""Evaluation runner throughput against the emulator, versus the ideal N·L/C.

Usage: python benchmarks/eval_bench.py [--cases 400] [--latency-ms 50] [--concurrency 32]

Starts `trainer emulator` in its own process with an added latency L on chat
completions, evaluates a model on N generated cases (deterministic checks) with
concurrency C, and prints evals/s, the wall time against the ideal N·L/C, the same at
L = 0 (raw runner overhead), the CLI start-up time, the peak RSS of this process, and
the requests a warm-cache re-run makes (should be 0).
"""

from __future__ import annotations

import argparse
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from trainer.harness.cache import ResponseCache
from trainer.harness.evaluate import EvaluationRequest, evaluate
from trainer.harness.loading import LoadedSuite
from trainer.harness.runner import RunSettings
from trainer.harness.samples import SelectedTest
from trainer.harness.suites import Suite
from trainer.providers.openai_provider import OpenAIProvider

TRAINER = str(Path(sys.executable).with_name("trainer"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def suite(cases: int) -> SelectedTest:
    body = {
        "suite": "bench",
        "category": "pedagogy",
        "tests": {
            "bench": {
                "cases": [
                    {
                        "id": f"case-{i}",
                        "messages": [{"role": "user", "content": f"What is {i} + {i + 1}?"}],
                        "checks": [
                            {"type": "answer_leak", "answer": [str(2 * i + 1)]},
                            {"type": "question_asked"},
                            {"type": "word_count", "max": 80},
                        ],
                    }
                    for i in range(cases)
                ]
            }
        },
    }
    loaded = LoadedSuite(Suite.model_validate(body), "bench.yaml", "0" * 40)
    return SelectedTest(loaded, "bench", loaded.suite.tests["bench"])


def emulator(latency_ms: float) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    args = [TRAINER, "emulator", "--port", str(port)]
    if latency_ms:
        args += ["--fault", f"POST /v1/chat/completions=latency:{latency_ms}ms"]
    process = subprocess.Popen(args, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    for _ in range(400):
        try:
            httpx.get(f"{base}/healthz", timeout=1)
            break
        except httpx.TransportError:
            time.sleep(0.025)
    return process, base


def run(
    base: str, test: SelectedTest, concurrency: int, cache: ResponseCache
) -> tuple[float, int, float]:
    provider = OpenAIProvider(api_key="bench", base_url=f"{base}/v1")
    request = EvaluationRequest(
        model="gpt-4o-mini-2024-07-18", tests=[test], settings=RunSettings(concurrency=concurrency)
    )
    start = time.perf_counter()
    result = evaluate(provider, cache, request)
    return time.perf_counter() - start, result.run.requests, result.run.answer_seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=400)
    parser.add_argument("--latency-ms", type=float, default=50)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[8, 16, 32])
    parser.add_argument("--fast-cases", type=int, default=2000)
    args = parser.parse_args()

    startups = []
    for _ in range(5):
        start = time.perf_counter()
        subprocess.run([TRAINER, "eval", "--help"], capture_output=True, check=True)
        startups.append(time.perf_counter() - start)

    process, base = emulator(args.latency_ms)
    try:
        test = suite(args.cases)
        run(base, suite(64), 32, ResponseCache(None))  # warm up imports and the emulator
        walls = {c: run(base, test, c, ResponseCache(None)) for c in args.concurrency}
        with tempfile.TemporaryDirectory() as tmp:
            cache = ResponseCache(Path(tmp))
            run(base, test, 8, cache)
            before = sum(httpx.get(f"{base}/_emulator/stats").json()["requests"].values())
            _, warm_requests, _ = run(base, test, 8, ResponseCache(Path(tmp)))
            after = sum(httpx.get(f"{base}/_emulator/stats").json()["requests"].values())
    finally:
        process.terminate()
        process.wait(timeout=10)

    process, base = emulator(0)
    try:
        fast = suite(args.fast_cases)
        run(base, suite(50), 32, ResponseCache(None))  # warm connections and imports
        fast_wall, _, _ = run(base, fast, 32, ResponseCache(None))
    finally:
        process.terminate()
        process.wait(timeout=10)

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    for c, (wall, requests, answering) in walls.items():
        ideal = args.cases * args.latency_ms / 1000 / c
        print(
            f"N={args.cases} L={args.latency_ms:g}ms C={c}: {requests / wall:.0f} evals/s; "
            f"answers in {answering:.2f} s vs ideal {ideal:.2f} s = {answering / ideal:.2f}x "
            f"(target <= 1.1x); whole evaluation with grading and bootstrap {wall:.2f} s = {wall / ideal:.2f}x"
        )
    print(
        f"N={args.fast_cases} L=0 C=32: {args.fast_cases / fast_wall:.0f} evals/s (deterministic checks; target >= 500)"
    )
    print(
        f"start-up (trainer eval --help): median {statistics.median(startups):.2f} s (target < 0.5 s)"
    )
    print(
        f"warm-cache re-run: {warm_requests} requests by the runner, {after - before} seen by the emulator (target 0)"
    )
    print(f"peak RSS of the evaluating process: {peak:.0f} MB")


if __name__ == "__main__":
    main()
