"""Kill the reconciler (like kill -9) at every side effect, run again: nothing lost or doubled."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import git, job, make_repo, write_yaml
from trainer.emulator.faults import parse_fault
from trainer.emulator.server import RunningEmulator

TRAINER = str(Path(sys.executable).with_name("trainer"))


def trainer(
    repo: Path, emulator: RunningEmulator, *args: str, failpoint: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "OPENAI_BASE_URL": emulator.base_url,
        "OPENAI_API_KEY": "sk-crash-test-000000000000",
    }
    env.pop("TRAINER_FAILPOINT", None)
    if failpoint:
        env["TRAINER_FAILPOINT"] = failpoint
    return subprocess.run(
        [TRAINER, "--repo", str(repo), *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def specs(repo: Path) -> dict[str, Any]:
    body: dict[str, Any] = json.loads((repo / ".trainer/state.json").read_text())["specs"]
    return body


def jobs_per_revision(emulator: RunningEmulator) -> dict[tuple[str, str], int]:
    counts: dict[tuple[str, str], int] = {}
    for j in emulator.state.jobs.values():
        key = ((j.metadata or {})["trainer_spec"], (j.metadata or {})["trainer_revision"])
        counts[key] = counts.get(key, 0) + 1
    return counts


@pytest.mark.parametrize("point", ["after_claim", "after_upload", "after_create_job"])
def test_crash_while_starting_jobs_neither_duplicates_nor_forgets(
    point: str, tmp_path: Path, emulator: RunningEmulator
) -> None:
    repo = make_repo(tmp_path / "repo", jobs=("alpha", "beta"))
    crashed = trainer(repo, emulator, "reconcile", failpoint=point)
    assert crashed.returncode == 137, crashed.stderr
    done = trainer(repo, emulator, "reconcile")
    assert done.returncode == 0, done.stderr
    state = specs(repo)
    assert set(jobs_per_revision(emulator).values()) == {1}
    assert set(jobs_per_revision(emulator)) == {(n, state[n]["current"]) for n in ("alpha", "beta")}
    for name in ("alpha", "beta"):
        record = state[name]["revisions"][state[name]["current"]]
        assert record["provider"]["job_id"] in emulator.state.jobs
        assert record["intent"] is None
    assert len(emulator.state.files) == 2, "each dataset content uploaded exactly once"
    again = trainer(repo, emulator, "reconcile")
    assert again.returncode == 0
    assert set(jobs_per_revision(emulator).values()) == {1}


def test_crash_after_cancelling_a_superseded_job(tmp_path: Path, emulator: RunningEmulator) -> None:
    repo = make_repo(tmp_path / "repo", jobs=("alpha",))
    assert trainer(repo, emulator, "reconcile").returncode == 0
    old = specs(repo)["alpha"]["current"]
    old_job = specs(repo)["alpha"]["revisions"][old]["provider"]["job_id"]
    write_yaml(repo / "specs/jobs/alpha.yaml", job("alpha", config={"n_epochs": 7}))
    assert trainer(repo, emulator, "reconcile", failpoint="after_cancel_job").returncode == 137
    assert emulator.state.status(emulator.state.jobs[old_job])[0] == "cancelled"
    assert trainer(repo, emulator, "reconcile").returncode == 0
    state = specs(repo)["alpha"]
    assert state["revisions"][old]["phase"] == "superseded"
    assert state["revisions"][state["current"]]["provider"]["job_id"] in emulator.state.jobs
    assert set(jobs_per_revision(emulator).values()) == {1}


def test_two_reconcilers_racing_on_git_state_start_each_job_once(
    tmp_path: Path, emulator: RunningEmulator
) -> None:
    seed = make_repo(tmp_path / "seed", jobs=("alpha", "beta"))
    origin = tmp_path / "origin.git"
    git(tmp_path, "clone", "-q", "--bare", str(seed), str(origin))
    clones = []
    for name in ("laptop", "actions"):
        git(tmp_path, "clone", "-q", str(origin), str(tmp_path / name))
        clones.append(tmp_path / name)
    emulator.state.faults.append(parse_fault("POST /v1/*=latency:150ms"))
    env = {
        **os.environ,
        "OPENAI_BASE_URL": emulator.base_url,
        "OPENAI_API_KEY": "sk-race-0000000000000000",
    }
    racers = [
        subprocess.Popen(
            [TRAINER, "--repo", str(c), "--state", "git:trainer-state", "reconcile"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for c in clones
    ]
    outputs = [r.communicate(timeout=120) for r in racers]
    assert [r.returncode for r in racers] == [0, 0], outputs
    assert set(jobs_per_revision(emulator).values()) == {1}
    assert sorted(s for s, _ in jobs_per_revision(emulator)) == ["alpha", "beta"]
    final = trainer(
        clones[0], emulator, "--state", "git:trainer-state", "status", "--format", "json"
    )
    rows = json.loads(final.stdout)
    assert all(r["job_id"] in emulator.state.jobs for r in rows)


def _git_world(tmp_path: Path) -> Path:
    seed = make_repo(tmp_path / "seed", jobs=("alpha",))
    origin = tmp_path / "origin.git"
    git(tmp_path, "clone", "-q", "--bare", str(seed), str(origin))
    git(tmp_path, "clone", "-q", str(origin), str(tmp_path / "clone"))
    return tmp_path / "clone"


def test_after_a_401_at_job_creation_the_next_pass_creates_the_job(
    tmp_path: Path, emulator: RunningEmulator
) -> None:
    """A handled failure releases the intent: no 15-minute wait behind our own intent."""
    clone = _git_world(tmp_path)
    emulator.state.faults.append(parse_fault("POST /v1/fine_tuning/jobs=401x1"))
    failed = trainer(clone, emulator, "--state", "git:trainer-state", "reconcile")
    assert failed.returncode != 0
    assert emulator.state.jobs == {}
    again = trainer(clone, emulator, "--state", "git:trainer-state", "reconcile")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "another reconciler" not in again.stdout + again.stderr
    assert list(jobs_per_revision(emulator).values()) == [1]
    assert "started job" in again.stderr


def test_after_a_kill_after_job_creation_the_next_pass_adopts_the_orphan_at_once(
    tmp_path: Path, emulator: RunningEmulator
) -> None:
    """Looking the job up by its tags is a read: safe even while the lease runs."""
    clone = _git_world(tmp_path)
    killed = trainer(
        clone, emulator, "--state", "git:trainer-state", "reconcile", failpoint="after_create_job"
    )
    assert killed.returncode == 137
    assert list(jobs_per_revision(emulator).values()) == [1]
    again = trainer(clone, emulator, "--state", "git:trainer-state", "reconcile")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "adopted job" in again.stderr
    assert list(jobs_per_revision(emulator).values()) == [1], "no duplicate"
    rows = json.loads(
        trainer(
            clone, emulator, "--state", "git:trainer-state", "status", "--format", "json"
        ).stdout
    )
    assert rows[0]["job_id"] in emulator.state.jobs
