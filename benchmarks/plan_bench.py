"""Time `trainer plan` on 1,000 specs that share datasets (issue: target < 2 s wall).

Usage: python benchmarks/plan_bench.py [--specs N] [--runs R] [--dataset-mb M]

Builds a committed git repository in a temporary directory: N job specs over five
shared datasets of M MB each, then runs the real `trainer plan` command R times as a
new process (interpreter start-up included) and prints the median and worst wall time.
Unchanged datasets are never read again: their blob ids come from git's index, and
their validation reports from `.trainer/cache/datasets/`. The first, cold run (which
validates each dataset once) is printed too.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

TRAINER = Path(sys.executable).with_name("trainer")
LINE = json.dumps(
    {
        "messages": [
            {"role": "system", "content": "You are a Socratic maths tutor."},
            {"role": "user", "content": "How do I add 2/3 and 1/6?"},
            {"role": "assistant", "content": "What denominator do 3 and 6 share?"},
        ]
    }
)


def build(root: Path, specs: int, dataset_mb: float) -> None:
    datasets = root / "specs/datasets"
    datasets.mkdir(parents=True)
    lines = max(1, int(dataset_mb * 1024 * 1024 / (len(LINE) + 1)))
    for d in range(5):
        with (datasets / f"shared-{d}.jsonl").open("w") as handle:
            for i in range(lines):
                handle.write(LINE.replace("2/3", f"{d}/{i + 3}") + "\n")
    shutil.copytree(Path(__file__).resolve().parents[1] / "harness", root / "harness")
    jobs = root / "specs/jobs"
    jobs.mkdir(parents=True)
    for n in range(specs):
        name = f"job-{n:04d}"
        body = {
            "name": name,
            "provider": "openai",
            "baseModel": "gpt-4o-mini-2024-07-18",
            "datasetUri": f"specs/datasets/shared-{n % 5}.jsonl",
            "config": {"n_epochs": 1 + n % 4},
            "suffix": f"bench-{n}",
            "policy": {"scope": f"tenant_{n % 10}", "thresholds": {"overall_score": 0.8}},
            "datasheet": {"source": "bench", "license": "proprietary", "redaction": "synthetic"},
            "evaluation": {"judge": {"model": "gpt-4.1-2025-04-14"}},
            "promotion": {"model": f"model-{n:04d}", "alias": "production"},
        }
        (jobs / f"{name}.yaml").write_text(yaml.safe_dump(body, sort_keys=False))
    git = ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.com"]
    subprocess.run([*git, "init", "-q", "-b", "main"], cwd=root, check=True)
    subprocess.run([*git, "add", "-A"], cwd=root, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "bench specs"], cwd=root, check=True)


def time_plan(root: Path) -> float:
    start = time.perf_counter()
    done = subprocess.run(
        [str(TRAINER), "--repo", str(root), "plan", "--format", "json"],
        capture_output=True,
        check=False,
    )
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"trainer plan failed:\n{done.stderr.decode()}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--specs", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--dataset-mb", type=float, default=20.0)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="trainer-plan-bench-"))
    try:
        build(root, args.specs, args.dataset_mb)
        cold = time_plan(root)  # validates every dataset once, filling .trainer/cache
        times = [time_plan(root) for _ in range(args.runs)]
    finally:
        shutil.rmtree(root, ignore_errors=True)
    median, worst = statistics.median(times), max(times)
    print(
        f"plan: {args.specs} specs over 5 shared datasets of {args.dataset_mb:g} MB, "
        f"{args.runs} runs: median {median:.2f} s, worst {worst:.2f} s "
        f"(target < 2 s) -> {'OK' if worst < 2 else 'SLOW'}; "
        f"first run with a cold dataset cache: {cold:.2f} s"
    )


if __name__ == "__main__":
    main()
