"""`trainer reconcile` end to end: the real openai SDK over real HTTP to the emulator."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Result
from tests.helpers import job, write_yaml
from trainer.emulator.server import RunningEmulator

Run = Callable[..., Result]


def state(repo: Path) -> dict[str, Any]:
    body: dict[str, Any] = json.loads((repo / ".trainer/state.json").read_text())
    return body


def current(repo: Path, name: str) -> dict[str, Any]:
    spec = state(repo)["specs"][name]
    record: dict[str, Any] = spec["revisions"][spec["current"]]
    return record


def provider_calls(emulator: RunningEmulator) -> int:
    with emulator.state.lock:
        return sum(emulator.state.requests.values())


def test_first_pass_uploads_once_per_content_and_starts_one_job_per_spec(
    gitops: Path, env: RunningEmulator, run: Run
) -> None:
    result = run("--repo", gitops, "reconcile")
    assert result.code == 0, result.err
    emu = env.state
    assert len(emu.files) == 2, "alpha and beta share both datasets: two uploads in all"
    assert sorted(j.metadata["trainer_spec"] for j in emu.jobs.values()) == ["alpha", "beta"]
    alpha = current(gitops, "alpha")
    assert alpha["phase"] == "pending"
    assert alpha["intent"] is None
    assert alpha["provider"]["job_id"] in emu.jobs
    assert emu.jobs[alpha["provider"]["job_id"]].metadata == {
        "trainer_spec": "alpha",
        "trainer_revision": alpha["revision"],
        "trainer_attempt": "1",
    }
    assert [h["to"] for h in alpha["history"]] == ["pending"]
    assert "started job ftjob-" in result.err


def test_second_pass_makes_one_status_call_per_job_and_nothing_else(
    gitops: Path, env: RunningEmulator, run: Run
) -> None:
    assert run("--repo", gitops, "reconcile").code == 0
    env.state.requests.clear()
    assert run("--repo", gitops, "reconcile").code == 0
    assert dict(env.state.requests) == {"GET /v1/fine_tuning/jobs/{id}": 2}


def test_finished_jobs_are_recorded_and_then_cost_nothing(
    gitops: Path, env: RunningEmulator, run: Run
) -> None:
    run("--repo", gitops, "reconcile")
    for job_id in list(env.state.jobs):
        env.state.finish(job_id)
    result = run("--repo", gitops, "reconcile")
    alpha = current(gitops, "alpha")
    evaluation = alpha["evaluation"]
    assert result.code == (0 if evaluation["passed"] else 1), result.out
    assert alpha["phase"] == ("evaluating" if evaluation["passed"] else "eval_failed")
    assert (gitops / evaluation["report"]).is_file()
    provider = alpha["provider"]
    assert provider["status"] == "succeeded"
    assert provider["fine_tuned_model"].startswith(
        "ft:gpt-4o-mini-2024-07-18:trainer-emulator:tutor:"
    )
    assert provider["trained_tokens"] > 0
    assert provider["cost_usd"] == pytest.approx(provider["trained_tokens"] * 3.0 / 1e6, abs=1e-4)
    assert provider["events"][0].endswith("successfully completed (emulated)")
    assert [h["to"] for h in alpha["history"]][:2] == ["pending", "evaluating"]
    before = provider_calls(env)
    assert run("--repo", gitops, "reconcile").code == 0
    assert provider_calls(env) == before, "nothing in flight: zero provider calls"


def test_status_reports_every_spec(gitops: Path, env: RunningEmulator, run: Run) -> None:
    run("--repo", gitops, "reconcile")
    rows = json.loads(run("--repo", gitops, "status", "--format", "json").out)
    assert [r["name"] for r in rows] == ["alpha", "beta"]
    assert set(rows[0]) == {
        "name",
        "phase",
        "revision",
        "provider_status",
        "job_id",
        "fine_tuned_model",
        "trained_tokens",
        "cost_usd",
        "scores",
        "passed",
        "promotion",
        "updated_at",
        "error",
        "watch",
        "batches",
    }
    assert rows[0]["batches"] == []
    assert rows[0]["provider_status"] == "validating_files"
    table = run("--repo", gitops, "status", "alpha").out
    assert table.splitlines()[1].startswith("alpha  ")


def test_removing_a_spec_cancels_its_job(gitops: Path, env: RunningEmulator, run: Run) -> None:
    run("--repo", gitops, "reconcile")
    job_id = current(gitops, "beta")["provider"]["job_id"]
    (gitops / "specs/jobs/beta.yaml").unlink()
    result = run("--repo", gitops, "reconcile")
    assert result.code == 0, result.err
    assert env.state.status(env.state.jobs[job_id])[0] == "cancelled"
    beta = current(gitops, "beta")
    assert beta["phase"] == "cancelled"
    assert beta["history"][-1]["reason"] == "spec removed"
    assert "- cancel" not in run("--repo", gitops, "plan").out


def test_new_revision_supersedes_and_cancels_the_running_job(
    gitops: Path, env: RunningEmulator, run: Run
) -> None:
    run("--repo", gitops, "reconcile")
    old = current(gitops, "alpha")
    body = job("alpha", config={"n_epochs": 5})
    write_yaml(gitops / "specs/jobs/alpha.yaml", body)
    assert run("--repo", gitops, "reconcile").code == 0
    new = current(gitops, "alpha")
    assert new["revision"] != old["revision"]
    assert env.state.status(env.state.jobs[old["provider"]["job_id"]])[0] == "cancelled"
    previous = state(gitops)["specs"]["alpha"]["revisions"][old["revision"]]
    assert previous["phase"] == "superseded"
    assert previous["history"][-1]["reason"] == f"replaced by revision {new['revision'][:12]}"
    assert len(env.state.files) == 2, "same data: no new upload"
    assert len(env.state.jobs_for(trainer_spec="alpha")) == 2


def test_job_failure_is_recorded_and_exits_1(gitops: Path, env: RunningEmulator, run: Run) -> None:
    env.state.fail_next_jobs.append(("invalid_training_file", "line 3 has no assistant message"))
    run("--repo", gitops, "reconcile")
    failing = current(gitops, "alpha")["provider"]["job_id"]
    env.state.finish(failing)
    result = run("--repo", gitops, "reconcile")
    assert result.code == 1
    assert "FAILED   alpha: job" in result.out
    alpha = current(gitops, "alpha")
    assert alpha["phase"] == "failed"
    assert alpha["error"] == "invalid_training_file: line 3 has no assistant message"
    assert run("--repo", gitops, "reconcile").code == 0, "a failure is reported once, not forever"


def test_invalid_specs_exit_2_and_touch_nothing(
    gitops: Path, env: RunningEmulator, run: Run
) -> None:
    (gitops / "specs/jobs/broken.yaml").write_text("name: broken\n")
    result = run("--repo", gitops, "reconcile")
    assert result.code == 2
    assert not (gitops / ".trainer/state.json").exists()
    assert provider_calls(env) == 0


def test_bad_api_key_is_a_clear_error_and_state_stays_intact(
    gitops: Path, env: RunningEmulator, run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    run("--repo", gitops, "reconcile")
    job_id = current(gitops, "beta")["provider"]["job_id"]
    env.state.api_key = "the-right-key"
    (gitops / "specs/jobs/beta.yaml").unlink()
    result = run("--repo", gitops, "reconcile")
    assert result.code == 1
    assert "the API key was rejected (401); check OPENAI_API_KEY" in result.err
    assert "sk-test-emulator-key" not in result.err
    beta = current(gitops, "beta")
    assert (beta["phase"], beta["provider"]["job_id"]) == ("pending", job_id)
    assert beta["intent"]["op"] == "cancel_job", "the intent is kept for the next run"
    monkeypatch.setenv("OPENAI_API_KEY", "the-right-key")
    assert run("--repo", gitops, "reconcile").code == 0
    assert current(gitops, "beta")["phase"] == "cancelled"
    assert env.state.status(env.state.jobs[job_id])[0] == "cancelled"


def test_missing_api_key_says_what_to_do(
    gitops: Path, run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    result = run("--repo", gitops, "reconcile")
    assert result.code == 1
    assert "OPENAI_API_KEY is not set" in result.err
    assert "trainer demo" in result.err


def test_rate_limit_storm_is_absorbed_by_the_sdk_retries(
    gitops: Path, env: RunningEmulator, run: Run
) -> None:
    from trainer.emulator.faults import parse_fault

    env.state.faults.append(parse_fault("POST /v1/fine_tuning/jobs=429x3,retry-after=0.01"))
    env.state.faults.append(parse_fault("POST /v1/files=503x2,retry-after=0.01"))
    result = run("--repo", gitops, "reconcile")
    assert result.code == 0, result.err
    assert len(env.state.jobs) == 2
    assert env.state.requests["POST /v1/fine_tuning/jobs"] == 5


def test_server_errors_beyond_retries_fail_the_spec_and_the_next_pass_recovers(
    gitops: Path, env: RunningEmulator, run: Run
) -> None:
    from trainer.emulator.faults import parse_fault

    env.state.faults.append(parse_fault("POST /v1/fine_tuning/jobs=500x10,retry-after=0.01"))
    result = run("--repo", gitops, "reconcile")
    assert result.code == 1
    assert "FAILED   alpha: create fine-tuning job: HTTP 500" in result.out
    assert env.state.jobs == {}
    env.state.faults.clear()
    assert run("--repo", gitops, "reconcile").code == 0
    assert sorted(j.metadata["trainer_spec"] for j in env.state.jobs.values()) == ["alpha", "beta"]
    assert len(env.state.files) == 2


def test_wait_follows_jobs_until_they_settle(gitops: Path, env: RunningEmulator, run: Run) -> None:
    from trainer.emulator.state import Timings

    env.state.timings = Timings(0, 0, 0)
    result = run("--repo", gitops, "reconcile", "--wait", "--interval", "0")
    for name in ("alpha", "beta"):
        record = current(gitops, name)
        assert record["provider"]["status"] == "succeeded"
        assert record["evaluation"] is not None
        assert record["phase"] in ("evaluating", "eval_failed")
    assert "still in flight" not in result.out


def test_budget_blocked_spec_is_not_started(gitops: Path, env: RunningEmulator, run: Run) -> None:
    body = job("alpha")
    body["policy"]["budget_usd"] = 0.000001
    write_yaml(gitops / "specs/jobs/alpha.yaml", body)
    result = run("--repo", gitops, "reconcile")
    assert result.code == 1
    assert "BLOCKED  alpha: estimated $" in result.out
    assert [j.metadata["trainer_spec"] for j in env.state.jobs.values()] == ["beta"]


def test_apply_is_an_alias(gitops: Path, env: RunningEmulator, run: Run) -> None:
    assert run("--repo", gitops, "apply").code == 0
    assert len(env.state.jobs) == 2


def test_remote_dataset_on_an_internal_host_fails_that_spec_only(
    gitops: Path, env: RunningEmulator, run: Run
) -> None:
    write_yaml(
        gitops / "specs/jobs/alpha.yaml", job("alpha", datasetUri="https://127.0.0.1:9/t.jsonl")
    )
    result = run("--repo", gitops, "reconcile")
    assert result.code == 1
    assert (
        "FAILED   alpha: https://127.0.0.1:9/t.jsonl: 127.0.0.1 resolves to the non-public"
        in result.out
    )
    assert [j.metadata["trainer_spec"] for j in env.state.jobs.values()] == ["beta"]
