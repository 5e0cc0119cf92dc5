"""One secret canary over every output channel: an OpenAI key and a GitHub token are planted
where they can leak (a provider error echoing them, a GitHub error echoing them, a model
answering with them, a reason pasted with them, a crash), then stdout, stderr, JSON logs,
the job summary, PR bodies and comments, the state file and branch, reports, local files
and crash logs are searched for them."""

from __future__ import annotations

import json
import subprocess
import tempfile
from pathlib import Path

import pytest

from tests.conftest import Result
from tests.helpers import commit_all, git
from tests.promotion.conftest import World
from tests.promotion.github_server import TOKEN

KEY = "sk-canary-5f3a9c1e7b2d4a6f8e0c"
SPEC = "math-socratic-tutor"


def _all_text(directory: Path) -> str:
    return "\n".join(
        path.read_text(encoding="utf-8", errors="replace")
        for path in sorted(directory.rglob("*"))
        if path.is_file() and ".git" not in path.parts
    )


def _git_everything(repository: Path) -> str:
    """Every commit message and every blob of every ref."""
    return subprocess.run(
        ["git", "-C", str(repository), "log", "--all", "-p", "--format=%H %B"],
        capture_output=True,
        encoding="utf-8",
        errors="replace",
        check=True,
    ).stdout


def test_no_channel_ever_carries_a_planted_secret(
    world: World,
    run: object,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert world.github is not None
    invoke = run  # the `run` fixture: the CLI in-process, as the console script runs it
    assert callable(invoke)
    crashes = tmp_path / "crashes"
    crashes.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(crashes))
    summary = tmp_path / "summary.md"
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 7}}))
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    monkeypatch.setenv("GITHUB_EVENT_PATH", str(event))
    world.emulator.state.api_key = KEY
    echo = f"echoing the request: Authorization: Bearer {KEY}; token {TOKEN}"
    results: list[Result] = []

    def cli(*args: str | Path) -> Result:
        result: Result = invoke(
            "--repo",
            world.clone,
            "--state",
            "git:trainer-state",
            "--log-format",
            "json",
            "-vv",
            *args,
        )
        results.append(result)
        return result

    # A job that fails with a message echoing both secrets.
    world.emulator.state.fail_next_jobs.append(("invalid_training_file", echo))
    cli("plan", "--comment")
    failed = cli("reconcile", "--wait", "--interval", "0")
    assert "invalid_training_file" in failed.out + failed.err
    # A new revision trains; GitHub refuses the first pull request with an echo of the token.
    spec = world.clone / f"specs/jobs/{SPEC}.yaml"
    spec.write_text(spec.read_text().replace("seed: 42", "seed: 43"))
    commit_all(world.clone, "new seed")
    git(world.clone, "push", "-q", "origin", "main")
    world.github.fault("POST", "/pulls", status=422, message=f"Bad credentials {TOKEN}")
    cli("reconcile", "--wait", "--interval", "0")
    cli("reconcile", "--wait", "--interval", "0")
    cli("status")
    cli("status", "--format", "json")
    # A reason pasted with a key in it, on a forced promotion and a rollback.
    cli("demote", "math-tutor", "production", "--reason", f"rollback, see vault {KEY}")
    # A model that answers with the key: the evaluation report and its outputs.
    world.emulator.state.answerers["canary-model"] = lambda messages: f"The key is {KEY}."
    reports = tmp_path / "reports"

    for form in ("markdown", "json", "junit"):
        cli(
            "eval",
            "--model",
            "canary-model",
            "--spec",
            SPEC,
            "--format",
            form,
            "--out",
            reports / f"report.{form}",
            "--no-cache",
        )
    # A crash (a bug) whose exception text carries the key.
    monkeypatch.setattr(
        "trainer.reconcile.passes.check_repository",
        lambda *a, **k: (_ for _ in ()).throw(RuntimeError(f"boom {KEY}")),
    )
    crashed = cli("reconcile")
    assert "This is a bug in trainer" in crashed.err
    assert list(crashes.glob("trainer-crash-*.log")), "the crash wrote its log"

    assert world.github.pulls, "the canary reached a pull request"
    channels = {
        "stdout": "\n".join(r.out for r in results),
        "stderr and JSON logs": "\n".join(r.err for r in results),
        "job summary": summary.read_text(),
        "PR bodies and titles": json.dumps(world.github.pulls),
        "PR comments": json.dumps([world.github.comments, world.github.issue_comments]),
        "state, reports, local PRs (.trainer/)": _all_text(world.clone / ".trainer"),
        "reports (--out)": _all_text(reports),
        "origin: state branch, promotion branches, commits": _git_everything(world.origin),
        "crash logs": _all_text(crashes),
    }
    assert KEY in echo
    for channel, text in channels.items():
        assert text, f"{channel}: nothing was written, the canary proves nothing"
        assert KEY not in text, f"{channel} carries the OpenAI key"
        assert TOKEN not in text, f"{channel} carries the GitHub token"
    assert "redacted]" in channels["job summary"] + channels["stderr and JSON logs"]
