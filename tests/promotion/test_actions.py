"""GitHub Actions: workflows lint clean, plan comments are sticky, summaries, logs, metrics."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from tests.conftest import Result
from tests.helpers import REPO
from tests.promotion.conftest import World
from tests.promotion.github_server import TOKEN

Run = Callable[..., Result]
WORKFLOWS = sorted((REPO / ".github/workflows").glob("*.yml"))
BIN = Path(sys.executable).parent


def test_workflows_pass_actionlint_and_zizmor_offline() -> None:
    lint = subprocess.run(
        [str(BIN / "actionlint"), *map(str, WORKFLOWS)], capture_output=True, text=True, check=False
    )
    assert lint.returncode == 0, lint.stdout + lint.stderr
    audit = subprocess.run(
        [
            str(BIN / "zizmor"),
            "--offline",
            str(REPO / ".github/workflows"),
            str(REPO / "action.yml"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert audit.returncode == 0, audit.stdout + audit.stderr


def _trainer_invocations() -> list[list[str]]:
    """The trainer command lines of the composite action, without the args input."""
    calls = []
    action = yaml.safe_load((REPO / "action.yml").read_text())
    for step in action["runs"]["steps"]:
        for line in str(step.get("run", "")).splitlines():
            words = shlex.split(line.replace('"${extra[@]}"', ""), comments=True)
            if words and words[0] == "trainer":
                calls.append([w for w in words[1:] if w != "\\"])
    return calls


def test_the_repository_workflows_run_the_composite_action() -> None:
    action = yaml.safe_load((REPO / "action.yml").read_text())
    assert action["runs"]["using"] == "composite"
    assert set(action["inputs"]) >= {"command", "state", "version", "python-version", "args"}
    commands = {
        yaml.safe_load(w.read_text())["jobs"][job]["steps"][-1]["with"]["command"]
        for w, job in (
            (REPO / ".github/workflows/plan.yml", "plan"),
            (REPO / ".github/workflows/reconcile.yml", "reconcile"),
        )
    }
    assert commands == {"plan", "reconcile"}


def test_every_trainer_command_the_workflows_call_exists_with_those_flags(run: Run) -> None:
    calls = _trainer_invocations()
    assert {c[-1] if c[-1] == "reconcile" else c[0] for c in calls} >= {"validate", "reconcile"}
    for args in calls:
        result = run(*args, "--help")
        assert result.code == 0, (args, result.err)


def test_workflow_policies() -> None:
    plan = yaml.safe_load((REPO / ".github/workflows/plan.yml").read_text())
    triggers = plan[True]  # YAML 1.1 reads the key `on` as true
    assert "pull_request" in triggers
    assert "pull_request_target" not in triggers
    assert plan["permissions"] == {"contents": "read", "pull-requests": "write"}
    reconcile = yaml.safe_load((REPO / ".github/workflows/reconcile.yml").read_text())
    assert reconcile["concurrency"] == {"group": "trainer-reconcile", "cancel-in-progress": False}
    assert reconcile[True]["schedule"] == [{"cron": "*/30 * * * *"}]
    for workflow in WORKFLOWS:
        for job in yaml.safe_load(workflow.read_text())["jobs"].values():
            for step in job.get("steps", []):
                if "uses" in step and step["uses"] != "./":
                    ref = step["uses"].split("@", 1)[1]
                    assert len(ref) == 40, (
                        f"{workflow.name}: {step['uses']} is not pinned to a commit"
                    )


def _event(tmp_path: Path, number: int) -> Path:
    path = tmp_path / "event.json"
    path.write_text(json.dumps({"pull_request": {"number": number}}))
    return path


def test_plan_comment_is_upserted_never_duplicated(
    world: World, run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert world.github is not None
    monkeypatch.setenv("GITHUB_EVENT_PATH", str(_event(tmp_path, 7)))
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    world.github.issue_comments[7] = [
        {
            "id": 1,
            "body": "<!-- trainer:plan --> pasted by someone",
            "user": {"login": "mallory", "type": "User"},
        }
    ]
    first = run("--repo", world.clone, "plan", "--comment")
    assert first.code == 0, first.err
    assert "plan commented on #7" in first.err
    spec = world.clone / "specs/jobs/math-socratic-tutor.yaml"
    spec.write_text(spec.read_text().replace("n_epochs: 3", "n_epochs: 5"))
    assert run("--repo", world.clone, "plan", "--comment").code == 0
    thread = world.github.issue_comments[7]
    assert len(thread) == 2
    assert thread[0]["body"] == "<!-- trainer:plan --> pasted by someone", (
        "a pasted marker is not ours"
    )
    assert thread[1]["body"].startswith("<!-- trainer:plan -->\n### trainer plan")
    assert "x 5 epochs" in thread[1]["body"]
    assert summary.read_text().count("### trainer plan") == 2


def test_plan_still_prints_when_a_fork_cannot_comment(
    world: World, run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert world.github is not None
    world.github.forbid_comments = True
    monkeypatch.setenv("GITHUB_EVENT_PATH", str(_event(tmp_path, 3)))
    result = run("--repo", world.clone, "plan", "--comment")
    assert result.code == 0
    assert "+ create" in result.out
    assert "a pull request from a fork gets a read-only token" in result.err


def test_reconcile_job_summary_lists_failures_first(
    world: World, run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    spec = world.clone / "specs/jobs/math-socratic-tutor.yaml"
    spec.write_text(spec.read_text().replace("budget_usd: 50", "budget_usd: 0.0001"))
    assert run("--repo", world.clone, "reconcile").code == 1
    text = summary.read_text()
    assert text.startswith(
        "### ❌ trainer reconcile: 0 failed, 1 blocked\n\n- **math-socratic-tutor**: estimated $"
    )


def test_json_logs_carry_the_run_and_never_a_secret(
    world: World, run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    planted = "sk-planted-secret-key-1234567890abcdef"
    monkeypatch.setenv("OPENAI_API_KEY", planted)
    world.emulator.state.api_key = "something-else"
    result = run("--repo", world.clone, "--log-format", "json", "-v", "reconcile")
    assert result.code == 1
    assert planted not in result.err + result.out
    lines = [json.loads(line) for line in result.err.splitlines() if line.startswith("{")]
    assert lines, result.err
    assert {"time", "level", "event", "run_id"} <= set(lines[0])
    assert len({line["run_id"] for line in lines}) == 1


def test_metrics_file_after_reconcile(world: World, run: Run) -> None:
    run("--repo", world.clone, "reconcile", "--wait", "--interval", "0")
    metrics = (world.clone / ".trainer/metrics.prom").read_text()
    assert 'trainer_revisions{phase="awaiting_review"} 1.0' in metrics
    assert 'trainer_evaluation_passed{spec="math-socratic-tutor"} 1.0' in metrics
    assert 'trainer_evaluation_score{score="overall_score",spec="math-socratic-tutor"}' in metrics
    assert 'trainer_training_cost_usd{tenant="tenant_mathworks"}' in metrics
    assert 'trainer_promotions{state="open"} 1.0' in metrics
    assert "trainer_provider_errors 0.0" in metrics


def test_status_shows_spend_per_tenant_against_budget(world: World, run: Run) -> None:
    run("--repo", world.clone, "reconcile", "--wait", "--interval", "0")
    out = run("--repo", world.clone, "status").out
    assert "spend by tenant" in out
    assert "tenant_mathworks: $0.12 of $50.00 (0%)" in out


def test_the_github_token_is_never_printed(
    world: World, run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert world.github is not None
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_" + "x" * 36)
    result = run("--repo", world.clone, "reconcile", "--wait", "--interval", "0")
    assert "ghp_xxxx" not in result.out + result.err
    assert TOKEN not in result.out + result.err
