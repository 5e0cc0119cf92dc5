"""Reconcile evaluates what it trained: the example specs, end to end on the emulator."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Result
from tests.helpers import REPO, commit_all, git
from trainer.emulator.server import RunningEmulator
from trainer.emulator.state import Timings

Run = Callable[..., Result]


@pytest.fixture
def example(tmp_path: Path, env: RunningEmulator) -> Path:
    """A copy of this repository's example specs, datasets, registry and suites."""
    root = tmp_path / "example"
    for name in ("specs", "harness"):
        shutil.copytree(REPO / name, root / name)
    git(root, "init", "-q", "-b", "main")
    commit_all(root, "example")
    env.state.timings = Timings(0, 0, 0)
    env.state.imported.add("ft:gpt-4o-mini-2024-07-18:trainer-demo:math-tutor:v1base")
    return root


def record(root: Path, name: str) -> dict[str, Any]:
    spec = json.loads((root / ".trainer/state.json").read_text())["specs"][name]
    value: dict[str, Any] = spec["revisions"][spec["current"]]
    return value


def test_trained_models_are_evaluated_against_their_baselines(
    example: Path, env: RunningEmulator, run: Run
) -> None:
    result = run("--repo", example, "reconcile", "--wait", "--interval", "0")
    assert result.code == 1, "the reading model learned nothing the suites ask for"
    math = record(example, "math-socratic-tutor")["evaluation"]
    assert math["passed"] is True
    assert math["baseline"] == "ft:gpt-4o-mini-2024-07-18:trainer-demo:math-tutor:v1base"
    assert math["scores"]["pedagogy_score"] > math["baseline_scores"]["pedagogy_score"], (
        "fine-tuning on Socratic data beats the production model on pedagogy"
    )
    reading = record(example, "reading-comprehension-coach")["evaluation"]
    assert reading["baseline"] == "gpt-4.1-nano-2025-04-14", "no reading-coach in the registry yet"
    assert reading["passed"] is False
    assert any(f.startswith("pedagogy_score") for f in reading["failures"])
    report = (example / math["report"]).read_text()
    assert report.startswith("## ✅ PASS: `ft:gpt-4o-mini-2024-07-18:trainer-emulator:math-tutor:")
    rows = {
        r["name"]: r for r in json.loads(run("--repo", example, "status", "--format", "json").out)
    }
    assert rows["math-socratic-tutor"]["passed"] is True
    assert rows["reading-comprehension-coach"]["passed"] is False


def test_changed_thresholds_reevaluate_from_the_cache_without_retraining(
    example: Path, env: RunningEmulator, run: Run
) -> None:
    run("--repo", example, "reconcile", "--wait", "--interval", "0")
    jobs = len(env.state.jobs)
    spec = example / "specs/jobs/math-socratic-tutor.yaml"
    spec.write_text(spec.read_text().replace("pedagogy_score: 0.65", "pedagogy_score: 0.99"))
    plan = run("--repo", example, "plan").out
    assert "re-evaluate math-socratic-tutor" in plan
    env.state.requests.clear()
    result = run("--repo", example, "reconcile")
    assert result.code == 1
    assert "FAILED   math-socratic-tutor: evaluation FAILED: pedagogy_score" in result.out
    assert env.state.requests["POST /v1/chat/completions"] == 0, "every answer came from the cache"
    assert len(env.state.jobs) == jobs
    math = record(example, "math-socratic-tutor")
    assert math["phase"] == "eval_failed"
    assert math["history"][-1]["reason"].startswith("below thresholds: pedagogy_score")
