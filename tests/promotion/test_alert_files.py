"""Alerts without GitHub: `.trainer/alerts/<kind>-<spec>.md` and `.json`, with the same
open, update and close rules as issues."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.conftest import Result
from tests.promotion.conftest import World
from tests.promotion.github_server import TOKEN
from trainer.promotion.alert_files import LocalAlerts
from trainer.reconcile.alerts import Alerts, Assessment
from trainer.reconcile.alerts_text import AlertKind
from trainer.reconcile.identity import RunIdentity
from trainer.reconcile.pass_result import PassResult
from trainer.state.file_store import FileStateStore
from trainer.state.session import StateSession

Run = Callable[..., Result]
SPEC = "math-socratic-tutor"


def alert_json(root: Path, name: str) -> dict[str, Any]:
    value: dict[str, Any] = json.loads((root / f".trainer/alerts/{name}.json").read_text())
    return value


def test_the_local_backend_writes_and_closes_alert_files(local_world: World, run: Run) -> None:
    root = local_world.clone
    local_world.emulator.state.fail_next_jobs.append(("invalid_training_file", "bad line 3"))
    run("--repo", root, "reconcile", "--wait", "--interval", "0")
    name = f"training_failed-{SPEC}"
    body = (root / f".trainer/alerts/{name}.md").read_text()
    assert body.startswith(f"<!-- trainer:alert kind=training_failed spec={SPEC} revision=")
    assert "bad line 3" in body
    opened = alert_json(root, name)
    assert (opened["state"], opened["title"]) == ("open", f"trainer: training of {SPEC} failed")
    for _ in range(2):
        assert run("--repo", root, "reconcile").code == 0
    assert alert_json(root, name)["history"] == opened["history"], "nothing new: untouched"

    spec = root / f"specs/jobs/{SPEC}.yaml"
    spec.write_text(spec.read_text().replace("seed: 42", "seed: 43"))
    assert run("--repo", root, "reconcile").code == 0
    closed = alert_json(root, name)
    assert closed["state"] == "closed"
    assert closed["comments"][0].startswith("Resolved: revision ")
    assert "**Closed**" in (root / f".trainer/alerts/{name}.md").read_text()
    assert sorted(p.name for p in (root / ".trainer/alerts").iterdir()) == [
        f"{name}.json",
        f"{name}.md",
    ]


def test_raise_and_resolve_a_production_drop(local_world: World, monkeypatch: Any) -> None:
    """The API the production watch calls: idempotent raise, resolve with a reason."""
    root = local_world.clone
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)  # stays local: the backend is passed in
    session = StateSession(FileStateStore(root / ".trainer/state.json"))
    result = PassResult()
    alerts = Alerts(session, RunIdentity(), result, lambda: LocalAlerts(root))
    for _ in range(2):
        alerts.raise_(
            AlertKind.PRODUCTION_DROP,
            "math-tutor:production",
            "v2",
            "overall_score 0.612 fell below 0.801 recorded at promotion (margin 0.05)",
            "Decide on a rollback: trainer demote math-tutor production --reason TEXT",
            details="report: .trainer/reports/watch/math-tutor-production/v2.md",
        )
    record = session.doc.alerts["production_drop:math-tutor:production"]
    assert (record.state, record.number) == ("open", 1)
    name = "production_drop-math-tutor_production"
    body = (root / f".trainer/alerts/{name}.md").read_text()
    assert body.startswith(
        "<!-- trainer:alert kind=production_drop spec=math-tutor:production revision=v2 -->\n"
        "### Production drop: math-tutor:production\n"
    )
    assert "- **Binding:** math-tutor:production" in body
    assert len(alert_json(root, name)["history"]) == 1, "the second raise changed nothing"
    alerts.reconcile(Assessment(), frozenset({AlertKind.TRAINING_FAILED}))
    assert alert_json(root, name)["state"] == "open", "other kinds' passes leave it alone"
    alerts.resolve(AlertKind.PRODUCTION_DROP, "math-tutor:production", "the scores recovered")
    assert alert_json(root, name)["state"] == "closed"
    assert session.doc.alerts["production_drop:math-tutor:production"].state == "closed"
    assert [n for n, _ in result.done][-1] == "math-tutor:production"
