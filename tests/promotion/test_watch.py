"""Production watch end to end: the model bound to `production` is evaluated again when the
suites change and on its registry model's cadence; a drop is an alert, never a change to
`main`. Real git repositories, the emulator through the SDK, the fake GitHub over HTTP."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tests.conftest import Result
from tests.helpers import git
from tests.promotion.conftest import World
from tests.promotion.test_batch_evaluation import batch_mode
from trainer.emulator.batch_model import BatchTimings
from trainer.emulator.batches import LINE_REQUESTS

Run = Callable[..., Result]
BINDING = "math-tutor:production"
CHAT = "POST /v1/chat/completions"


def watch(root: Path) -> dict[str, Any]:
    value: dict[str, Any] = json.loads((root / ".trainer/state.json").read_text())["watch"]
    return value


def chats(world: World) -> int:
    with world.emulator.state.lock:
        return world.emulator.state.requests.get(CHAT, 0)


def reconcile(world: World, run: Run, *, wait: bool = False) -> Result:
    args = ["--repo", world.clone, "reconcile"] + (["--wait", "--interval", "0"] if wait else [])
    result: Result = run(*args)
    return result


def test_a_suite_change_re_evaluates_production_and_a_drop_is_an_alert(
    world: World, run: Run
) -> None:
    gh = world.github
    assert gh is not None
    registry_on_main = git(world.origin, "show", "main:specs/registry/math-tutor.yaml")
    assert reconcile(world, run, wait=True).code == 0
    first = watch(world.clone)[BINDING]
    assert first["passed"] is None, "an imported model is watched from now on, not evaluated"
    assert first["spec"] == "math-socratic-tutor"
    assert "production watching" in run("--repo", world.clone, "status").out
    before = chats(world)
    assert reconcile(world, run).code == 0
    assert chats(world) == before, "nothing changed: no evaluation"

    suite = world.clone / "harness/pedagogy.yaml"
    suite.write_text(suite.read_text().replace("seed: 7}", "seed: 8}"))
    result = reconcile(world, run)
    assert result.code == 0, "a drop asks a person; it does not fail the pass"
    verdict = watch(world.clone)[BINDING]
    assert verdict["passed"] is False
    assert verdict["source"] == "the evaluation settings or the judge's calibration changed"
    assert verdict["drops"], verdict
    assert f"WARNING  {BINDING}: production watch: DROP" in result.out
    (alert,) = [i for i in gh.alert_issues() if "kind=production_drop" in i["body"]]
    assert alert["title"] == f"trainer: {BINDING} dropped in production"
    assert "trainer demote math-tutor production --reason" in alert["body"]
    assert (world.clone / verdict["report"]).is_file()
    assert "production DROP" in run("--repo", world.clone, "status").out
    metrics = (world.clone / ".trainer/metrics.prom").read_text()
    assert 'trainer_watch_drop{alias="production",model="math-tutor"} 1.0' in metrics
    assert git(world.origin, "show", "main:specs/registry/math-tutor.yaml") == registry_on_main

    after = chats(world)
    assert reconcile(world, run).code == 0
    assert chats(world) == after, "one evaluation per change"
    assert len([i for i in gh.alert_issues() if "kind=production_drop" in i["body"]]) == 1

    # The candidate's promotion pull request is merged: the new version is bound, judged
    # by its own promotion evaluation (no new requests), and the drop alert closes.
    reconcile(world, run, wait=True)
    (number,) = [n for n, pr in gh.pulls.items() if pr["state"] == "open"]
    gh.merge(number)
    git(world.clone, "pull", "-q", "origin", "main")
    before_merge = chats(world)
    assert reconcile(world, run).code == 0
    bound = watch(world.clone)[BINDING]
    assert bound["version"] == 2
    assert bound["passed"] is True
    assert bound["source"] == "its promotion evaluation"
    assert chats(world) == before_merge
    assert not [i for i in gh.alert_issues() if "kind=production_drop" in i["body"]]
    assert gh.comments[alert["number"]][-1].startswith("Resolved: version 2 is bound now")


def test_monitor_every_re_evaluates_on_its_cadence(world: World, run: Run) -> None:
    registry = world.clone / "specs/registry/math-tutor.yaml"
    registry.write_text(registry.read_text() + "monitor: {every: 1h}\n")
    assert reconcile(world, run).code == 0
    first = watch(world.clone)[BINDING]
    assert first["source"] == "monitor.every 1h"
    assert first["passed"] is not None, "a monitored model is evaluated when first seen"
    before = chats(world)
    assert reconcile(world, run).code == 0
    assert chats(world) == before, "not due yet"

    state_file = world.clone / ".trainer/state.json"
    state = json.loads(state_file.read_text())
    earlier = datetime.now(UTC) - timedelta(hours=2)
    state["watch"][BINDING]["at"] = earlier.isoformat()
    state_file.write_text(json.dumps(state))
    assert reconcile(world, run).code == 0
    again = watch(world.clone)[BINDING]
    assert chats(world) > before
    assert datetime.fromisoformat(again["at"]) > earlier + timedelta(hours=1)


def test_a_batch_mode_spec_watches_production_through_the_batch_api(world: World, run: Run) -> None:
    world.emulator.state.batch_timings = BatchTimings.instant()
    batch_mode(world.clone)
    assert reconcile(world, run, wait=True).code == 0
    assert watch(world.clone)[BINDING]["passed"] is None

    suite = world.clone / "harness/pedagogy.yaml"
    suite.write_text(suite.read_text().replace("seed: 7}", "seed: 8}"))
    first = reconcile(world, run)
    assert "production watch through the Batch API: submitted" in first.err
    assert "production watching (batch 0/" in run("--repo", world.clone, "status").out
    for _ in range(10):
        if watch(world.clone)[BINDING]["passed"] is not None:
            break
        reconcile(world, run)
    verdict = watch(world.clone)[BINDING]
    assert verdict["passed"] is False, "the same drop as the synchronous watch finds"
    assert verdict["source"] == "the evaluation settings or the judge's calibration changed"
    assert (verdict["pending"], verdict["batches"]) == (None, []), "done: nothing kept"
    assert chats(world) == 0, "no synchronous chat completion, the watch's included"
    tagged = {(b.metadata or {}).get("trainer_spec") for b in world.emulator.state.batches.values()}
    assert f"watch:{BINDING}" in tagged
    after = world.emulator.state.requests.get(LINE_REQUESTS, 0)
    assert reconcile(world, run).code == 0
    assert world.emulator.state.requests.get(LINE_REQUESTS, 0) == after, "one evaluation"
