"""Every benchmark still runs (at a toy size): figures in the README must stay reproducible."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.mark.parametrize(
    ("script", "args", "expect"),
    [
        (
            "plan_bench.py",
            ["--specs", "20", "--runs", "1", "--dataset-mb", "0.2"],
            "plan: 20 specs",
        ),
        ("dataset_bench.py", ["--mb", "1"], "-> "),
        (
            "reconcile_bench.py",
            ["--specs", "8", "--in-flight", "3", "--passes", "1"],
            "provider calls per pass [3]",
        ),
        (
            "eval_bench.py",
            [
                *("--cases", "16", "--concurrency", "4", "--fast-concurrency", "4"),
                *("--repeats", "1", "--no-promptfoo"),
            ],
            "warm-cache re-run: 0 requests",
        ),
    ],
)
def test_benchmark_runs(script: str, args: list[str], expect: str) -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH / script), *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert expect in done.stdout
