"""The repository itself is a working GitOps example: a new user's first commands work."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Result

ROOT = Path(__file__).resolve().parents[2]


def test_example_repository_validates(run: Callable[..., Result]) -> None:
    result = run("--repo", ROOT, "validate")
    assert result.out == ""
    assert result.err.splitlines()[-1] == "OK: 2 job specs, 1 registry model, 4 datasets valid"
    assert result.code == 0
    table = result.err.splitlines()[1:5]
    assert [row.split()[:2] for row in table] == [
        ["specs/datasets/math-socratic.jsonl", "72"],
        ["specs/datasets/math-socratic-val.jsonl", "16"],
        ["specs/datasets/reading-comprehension.jsonl", "70"],
        ["specs/datasets/reading-comprehension-val.jsonl", "15"],
    ]


def test_example_plan_shows_costs_and_total(tmp_path: Path, run: Callable[..., Result]) -> None:
    result = run("--repo", ROOT, "--state", f"file:{tmp_path / 'state.json'}", "plan")
    assert result.code == 0
    costs = [line.strip() for line in result.out.splitlines() if line.strip().startswith("cost:")]
    assert len(costs) == 2
    assert all("billed" in c and "$" in c for c in costs)
    assert "~" in costs[0], "gpt-4o-mini tokens are estimates and must say so"
    assert result.out.splitlines()[-1].startswith("Estimated training cost of this plan: ~$")


def test_example_plan_creates_both_specs(tmp_path: Path, run: Callable[..., Result]) -> None:
    result = run(
        "--repo", ROOT, "--state", f"file:{tmp_path / 'state.json'}", "plan", "--format", "json"
    )
    assert result.code == 0
    body = json.loads(result.out)
    assert [(a["name"], a["action"]) for a in body["actions"]] == [
        ("math-socratic-tutor", "create"),
        ("reading-comprehension-coach", "create"),
    ]
    assert not (tmp_path / "state.json").exists(), "plan must not write state"


def test_console_script_reports_usage_errors_with_exit_2(tmp_path: Path) -> None:
    exe = Path(sys.executable).with_name("trainer")
    done = subprocess.run(
        [str(exe), "--repo", str(ROOT), "plan", "--format", "yaml"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert "Invalid value for '--format'" in done.stderr
    assert "Traceback" not in done.stderr


def test_secrets_never_reach_error_messages(
    run: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    planted = "sk-test-planted-secret-0123456789abcdef"
    monkeypatch.setenv("OPENAI_API_KEY", planted)
    result = run("--repo", ROOT, "--state", f"vault:{planted}", "plan")
    assert result.code == 2
    assert planted not in result.out + result.err
    assert "[OPENAI_API_KEY redacted]" in result.err


def test_demo_runs_the_whole_loop_without_an_api_key(tmp_path: Path) -> None:
    exe = Path(sys.executable).with_name("trainer")
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    done = subprocess.run(
        [
            str(exe),
            "--repo",
            str(ROOT),
            "demo",
            "--dir",
            str(tmp_path / "demo"),
            "--job-seconds",
            "0.3",
        ],
        capture_output=True,
        text=True,
        check=False,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "emulator: http://127.0.0.1:" in done.stderr
    assert "Plan: 2 to create" in done.stdout
    rows = [
        line.split() for line in done.stdout.splitlines() if line.startswith(("math-", "reading-"))
    ]
    assert [(r[0], r[1]) for r in rows] == [
        ("math-socratic-tutor", "awaiting_review"),
        ("reading-comprehension-coach", "eval_failed"),
        ("math-socratic-tutor", "promoted"),
        ("reading-comprehension-coach", "eval_failed"),
    ]
    assert "+  production: 2" in done.stdout, "the registry diff of the merged promotion"
    registry = (tmp_path / "demo/specs/registry/math-tutor.yaml").read_text()
    assert "reason: math-socratic-tutor revision" in registry
    assert "pr: 1" in registry
