"""Reconcile cost with many specs: 200 specs, 50 jobs in flight, against the emulator.

Usage: python benchmarks/reconcile_bench.py [--specs 200] [--in-flight 50] [--passes 5]

Starts `trainer emulator` as its own process, builds a repository of N specs, runs a
first pass (starting N jobs), finishes all but M of them through the emulator's
control route, then times R further passes of `trainer reconcile` (a new process each,
as Actions runs it) and counts the provider calls each pass made (the emulator's own
request counter). Expected: exactly M calls per pass, one status call per job in flight.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import yaml

TRAINER = str(Path(sys.executable).with_name("trainer"))
ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def build(root: Path, specs: int) -> None:
    (root / "specs/jobs").mkdir(parents=True)
    shutil.copytree(ROOT / "specs/datasets", root / "specs/datasets")
    (root / "harness").mkdir()
    (root / "harness/bench.yaml").write_text(  # one small case: the bench measures reconcile
        "suite: bench\ncategory: pedagogy\ntests:\n  bench:\n    cases:\n      - id: one\n"
        "        messages: [{role: user, content: 'What is 2 + 3?'}]\n"
        "        checks: [{type: question_asked}]\n"
    )
    for n in range(specs):
        body = {
            "name": f"job-{n:03d}",
            "provider": "openai",
            "baseModel": "gpt-4o-mini-2024-07-18",
            "datasetUri": "specs/datasets/math-socratic.jsonl",
            "config": {"n_epochs": 1 + n % 3},
            "suffix": f"bench-{n}",
            "policy": {"scope": f"tenant_{n % 7}"},
            "datasheet": {"source": "bench", "license": "proprietary", "redaction": "synthetic"},
            "evaluation": {"harness_config": {"pedagogy_tests": ["bench"], "safety_tests": []}},
        }
        (root / f"specs/jobs/job-{n:03d}.yaml").write_text(yaml.safe_dump(body, sort_keys=False))
    git = ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.com"]
    subprocess.run([*git, "init", "-q", "-b", "main"], cwd=root, check=True)
    subprocess.run([*git, "add", "-A"], cwd=root, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "bench"], cwd=root, check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--specs", type=int, default=200)
    parser.add_argument("--in-flight", type=int, default=50)
    parser.add_argument("--passes", type=int, default=5)
    args = parser.parse_args()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    emulator = subprocess.Popen(
        [TRAINER, "emulator", "--port", str(port), "--job-seconds", "100000"],
        stderr=subprocess.DEVNULL,
    )
    root = Path(tempfile.mkdtemp(prefix="trainer-reconcile-bench-"))
    env = {**os.environ, "OPENAI_BASE_URL": f"{base}/v1", "OPENAI_API_KEY": "bench-key"}
    try:
        for _ in range(200):
            try:
                httpx.get(f"{base}/healthz", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.05)
        build(root, args.specs)
        start = time.perf_counter()
        first = subprocess.run(
            [TRAINER, "--repo", str(root), "reconcile"], env=env, capture_output=True, text=True
        )
        first_wall = time.perf_counter() - start
        if first.returncode != 0:
            sys.exit(first.stderr)
        ids: list[str] = []
        after = None
        while True:
            query = f"limit=100&after={after}" if after else "limit=100"
            page = httpx.get(
                f"{base}/v1/fine_tuning/jobs?{query}", headers={"authorization": "Bearer x"}
            ).json()
            ids += [j["id"] for j in page["data"]]
            if not page["has_more"]:
                break
            after = page["last_id"]
        httpx.post(f"{base}/_emulator/finish", json={"job_ids": ids[args.in_flight :]})
        subprocess.run(
            [TRAINER, "--repo", str(root), "reconcile"], env=env, capture_output=True, check=True
        )
        walls, calls = [], []
        for _ in range(args.passes):
            before = sum(httpx.get(f"{base}/_emulator/stats").json()["requests"].values())
            start = time.perf_counter()
            subprocess.run(
                [TRAINER, "--repo", str(root), "reconcile"],
                env=env,
                capture_output=True,
                check=True,
            )
            walls.append(time.perf_counter() - start)
            calls.append(
                sum(httpx.get(f"{base}/_emulator/stats").json()["requests"].values()) - before
            )
    finally:
        emulator.terminate()
        emulator.wait(timeout=10)
        shutil.rmtree(root, ignore_errors=True)
    print(f"first pass: {args.specs} specs -> {args.specs} jobs started in {first_wall:.2f} s")
    print(
        f"steady passes with {args.in_flight} in flight: provider calls per pass {sorted(set(calls))} "
        f"(expected [{args.in_flight}]); wall per pass median {statistics.median(walls):.2f} s, "
        f"worst {max(walls):.2f} s (new process each, {args.specs} specs validated from cache)"
    )


if __name__ == "__main__":
    main()
