"""Batch mode (`evaluation.harness_config.batch: true`): the evaluation's requests go
through the emulator's Batch API, one step per reconcile pass, to the promotion PR."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.conftest import Result
from tests.promotion.conftest import World
from trainer.emulator.batch_model import BatchTimings
from trainer.emulator.batches import LINE_REQUESTS

Run = Callable[..., Result]
SPEC = "math-socratic-tutor"
SYNC = "POST /v1/chat/completions"
TRAINER = str(Path(sys.executable).with_name("trainer"))
SLOW = BatchTimings(3600, 3600, 3600, 3600)
"""Batches stay in flight until a test finishes them."""


def batch_mode(root: Path) -> None:
    spec = root / f"specs/jobs/{SPEC}.yaml"
    text = spec.read_text()
    assert "    parallel: true\n" in text
    spec.write_text(text.replace("    parallel: true\n", "    parallel: true\n    batch: true\n"))


def record(root: Path) -> dict[str, Any]:
    spec = json.loads((root / ".trainer/state.json").read_text())["specs"][SPEC]
    value: dict[str, Any] = spec["revisions"][spec["current"]]
    return value


def reconcile(world: World, run: Run) -> Result:
    result = run("--repo", world.clone, "reconcile")
    assert result.code in (0, 1), result.out + result.err
    return result


def finish_all(world: World) -> None:
    for batch_id, batch in world.emulator.state.batches.items():
        if batch.status not in ("completed", "expired", "failed", "cancelled"):
            world.emulator.state.finish_batch(batch_id)


def test_batch_mode_reaches_the_promotion_pr_without_one_synchronous_chat(
    local_world: World, run: Run
) -> None:
    world = local_world
    world.emulator.state.batch_timings = BatchTimings.instant()
    batch_mode(world.clone)
    result = run("--repo", world.clone, "reconcile", "--wait", "--interval", "0")
    assert result.code == 0, result.out + result.err
    current = record(world.clone)
    assert current["phase"] == "awaiting_review", current["history"]
    requests = world.emulator.state.requests
    assert requests.get(SYNC, 0) == 0
    assert requests[LINE_REQUESTS] > 0
    roles = {(b["round"], b["role"]) for b in current["batches"]}
    assert {"candidate", "baseline", "judge"} <= {role for _, role in roles}
    assert all(b["status"] == "completed" for b in current["batches"])
    report = (world.clone / current["evaluation"]["report"]).read_text()
    assert "Answers came from the Batch API" in report
    assert "at the batch price" in report
    pr = json.loads((world.clone / ".trainer/prs/1.json").read_text())
    assert pr["branch"].startswith(f"trainer/promote/{SPEC}-")


def test_a_settings_change_is_proposed_on_its_own_verdict_not_the_one_before(
    local_world: World, run: Run
) -> None:
    """While the batches of the new settings are in flight, the passed verdict of the old
    settings opens no pull request (it used to, and the pass then cancelled the batches)."""
    world = local_world
    world.emulator.state.batch_timings = BatchTimings.instant()
    batch_mode(world.clone)
    assert run("--repo", world.clone, "reconcile", "--wait", "--interval", "0").code == 0
    assert record(world.clone)["phase"] == "awaiting_review"
    proposed = sorted((world.clone / ".trainer/prs").glob("*.json"))
    world.emulator.state.batch_timings = SLOW
    suite = world.clone / "harness/pedagogy.yaml"
    suite.write_text(suite.read_text().replace("seed: 7}", "seed: 8}"))
    for _ in range(2):
        result = reconcile(world, run)
        assert result.code == 0, result.out + result.err
        current = record(world.clone)
        assert current["phase"] == "evaluating", current["history"][-1]
    assert current["evaluation"]["digest"] != current["evaluation_digest"]
    assert sorted((world.clone / ".trainer/prs").glob("*.json")) == proposed
    assert all(b["status"] != "cancelled" for b in current["batches"])
    final = settle(world, run)
    assert final["evaluation"]["digest"] == final["evaluation_digest"]
    assert final["phase"] in ("awaiting_review", "eval_failed")


def emulator_batches(world: World) -> list[Any]:
    return sorted(world.emulator.state.batches.values(), key=lambda b: (b.created, b.id))


def input_ids(world: World, batch: Any) -> list[str]:
    data = world.emulator.state.files[batch.input_file_id].data.decode()
    return [json.loads(line)["custom_id"] for line in data.splitlines() if line.strip()]


def settle(world: World, run: Run, passes: int = 8) -> dict[str, Any]:
    """Finish every batch in flight and reconcile, until the evaluation has its verdict."""
    for _ in range(passes):
        finish_all(world)
        reconcile(world, run)
        if record(world.clone)["phase"] != "evaluating":
            break
    return record(world.clone)


def start_slow(world: World, run: Run) -> dict[str, Any]:
    """A batch-mode spec trained and its first batches submitted (and left in flight)."""
    world.emulator.state.batch_timings = SLOW
    batch_mode(world.clone)
    reconcile(world, run)
    current = record(world.clone)
    assert current["phase"] == "evaluating"
    assert current["batches"]
    assert all(b["status"] == "validating" for b in current["batches"])
    return current


def test_status_shows_batch_progress_while_in_flight(local_world: World, run: Run) -> None:
    world = local_world
    current = start_slow(world, run)
    table = run("--repo", world.clone, "status").out
    assert "evaluation batches (requests completed/total):" in table
    lines = {b["role"]: b["lines"] for b in current["batches"]}
    assert f"0/{lines['candidate']} (candidate, validating)" in table
    rows = json.loads(run("--repo", world.clone, "status", "--format", "json").out)
    assert {b["role"] for b in rows[0]["batches"]} == {"candidate", "baseline", "judge"}
    finish_all(world)
    reconcile(world, run)
    table = run("--repo", world.clone, "status").out
    assert "(judge, validating)" in table, table  # the judge round, after the answers
    assert settle(world, run)["phase"] == "awaiting_review"
    assert world.emulator.state.requests.get(SYNC, 0) == 0


def test_failed_lines_are_retried_in_a_follow_up_batch(local_world: World, run: Run) -> None:
    world = local_world
    start_slow(world, run)
    candidate = next(
        b for b in emulator_batches(world) if (b.metadata or {})["trainer_role"] == "candidate"
    )
    failing = input_ids(world, candidate)[:2]
    world.emulator.state.fail_batch_lines(*failing, times=1)
    finish_all(world)
    reconcile(world, run)
    retries = [
        b
        for b in emulator_batches(world)
        if (b.metadata or {})["trainer_role"] == "candidate" and b.id != candidate.id
    ]
    assert len(retries) == 1
    assert set(input_ids(world, retries[0])) == set(failing)
    final = settle(world, run)
    assert final["phase"] == "awaiting_review"
    assert world.emulator.state.requests.get(SYNC, 0) == 0


def test_an_expired_batch_is_resubmitted_for_what_is_missing(local_world: World, run: Run) -> None:
    world = local_world
    start_slow(world, run)
    candidate = next(
        b for b in emulator_batches(world) if (b.metadata or {})["trainer_role"] == "candidate"
    )
    sent = input_ids(world, candidate)
    for batch in emulator_batches(world):
        if batch.id != candidate.id:
            world.emulator.state.finish_batch(batch.id)
    world.emulator.state.expire_batch(candidate.id, answered=5)
    reconcile(world, run)
    again = [
        b
        for b in emulator_batches(world)
        if (b.metadata or {})["trainer_role"] == "candidate" and b.id != candidate.id
    ]
    assert len(again) == 1
    assert set(input_ids(world, again[0])) == set(sent[5:])
    assert settle(world, run)["phase"] == "awaiting_review"


def test_replacing_the_spec_cancels_its_batches_in_flight(local_world: World, run: Run) -> None:
    world = local_world
    before = start_slow(world, run)
    spec = world.clone / f"specs/jobs/{SPEC}.yaml"
    spec.write_text(spec.read_text().replace("n_epochs: 3", "n_epochs: 4"))
    reconcile(world, run)
    old = {b["batch_id"] for b in before["batches"]}
    for batch in emulator_batches(world):
        if batch.id in old:
            assert batch.status in ("cancelling", "cancelled"), batch.status
    state = json.loads((world.clone / ".trainer/state.json").read_text())["specs"][SPEC]
    assert {b["status"] for b in state["revisions"][before["revision"]]["batches"]} <= {
        "cancelling",
        "cancelled",
    }


def test_a_kill_while_a_batch_is_created_submits_nothing_twice(
    local_world: World, run: Run
) -> None:
    world = local_world
    world.emulator.state.batch_timings = SLOW
    batch_mode(world.clone)
    env = {**os.environ, "TRAINER_FAILPOINT": "after_create_batch"}
    crashed = subprocess.run(
        [TRAINER, "--repo", str(world.clone), "reconcile"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert crashed.returncode == 137, crashed.stdout + crashed.stderr
    (created,) = emulator_batches(world)
    claimed = record(world.clone)["batches"]
    assert [(b["batch_id"], b["claim"] is not None) for b in claimed] == [(None, True)]
    reconcile(world, run)
    adopted = record(world.clone)["batches"]
    assert adopted[0]["batch_id"] == created.id
    assert adopted[0]["claim"] is None
    assert len(emulator_batches(world)) == 1, "the batch in flight was adopted, not re-created"
    assert settle(world, run)["phase"] == "awaiting_review"
    tags = Counter(
        (b.metadata or {})["trainer_round"] + (b.metadata or {})["trainer_role"]
        for b in emulator_batches(world)
    )
    assert max(tags.values()) == 1
    lines = Counter(i for b in emulator_batches(world) for i in input_ids(world, b))
    assert max(lines.values()) == 1, "no request was submitted twice"
    assert world.emulator.state.requests.get(SYNC, 0) == 0
