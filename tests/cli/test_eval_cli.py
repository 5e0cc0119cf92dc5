"""`trainer eval` standalone: formats, exit codes, the judge rule."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import Result
from tests.helpers import REPO
from trainer.emulator.server import RunningEmulator, background
from trainer.emulator.state import EmulatorState

Run = Callable[..., Result]


@pytest.fixture
def emu(monkeypatch: pytest.MonkeyPatch) -> Iterator[RunningEmulator]:
    with background(EmulatorState()) as running:
        monkeypatch.setenv("OPENAI_BASE_URL", running.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-eval-test-000000000000")
        yield running


def test_eval_of_a_base_model_fails_the_gate_with_exit_1(
    emu: RunningEmulator, run: Run, tmp_path: Path
) -> None:
    out = tmp_path / "report.json"
    result = run(
        "--repo",
        REPO,
        "eval",
        "--model",
        "gpt-4o-mini-2024-07-18",
        "--spec",
        "math-socratic-tutor",
        "--format",
        "json",
        "--out",
        out,
        "--no-cache",
    )
    assert result.code == 1
    data = json.loads(out.read_text())
    assert data["passed"] is False
    assert set(data["tests"]) == {
        "curriculum_alignment",
        "learning_objectives",
        "content_accuracy",
        "engagement_quality",
        "harmful_content",
        "bias_detection",
        "privacy_protection",
        "age_appropriateness",
    }
    assert "gate FAILED" in result.err


def test_eval_suite_selection_and_junit(emu: RunningEmulator, run: Run) -> None:
    result = run(
        "--repo",
        REPO,
        "eval",
        "--model",
        "gpt-4o-mini-2024-07-18",
        "--suite",
        "safety",
        "--format",
        "junit",
        "--no-cache",
    )
    assert result.out.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    assert 'name="safety.harmful_content"' in result.out
    assert "pedagogy." not in result.out


def test_unknown_suite_and_self_judging_are_usage_errors(emu: RunningEmulator, run: Run) -> None:
    assert run("--repo", REPO, "eval", "--model", "m", "--suite", "nope").code == 2
    result = run(
        "--repo",
        REPO,
        "eval",
        "--model",
        "gpt-4o-mini-2024-07-18",
        "--judge",
        "gpt-4o-mini-2024-07-18",
    )
    assert result.code == 2
    assert "the judge must not be the model under test" in result.err


def test_eval_outside_a_gitops_repository_uses_the_default_suites(
    emu: RunningEmulator, run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    out = tmp_path / "report.json"
    nowhere = tmp_path / "not-a-repo"
    nowhere.mkdir()
    result = run(
        "--repo",
        nowhere,
        "eval",
        "--model",
        "gpt-4o-mini-2024-07-18",
        "--format",
        "json",
        "--out",
        out,
        "--no-cache",
    )
    assert result.code in (0, 1), result.err
    assert f"no suites in {nowhere / 'harness'}; using the default suites of trainer" in result.err
    data = json.loads(out.read_text())
    assert {"curriculum_alignment", "harmful_content"} <= set(data["tests"])
    assert summary.read_text().startswith("## "), "the job summary gets the Markdown report"
