"""The registry files trainer writes (promotion, forced promotion, rebinding, rollback,
removal of a binding) pass the registry rules `validate` enforces: the round trip."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml

from tests.conftest import Result
from tests.helpers import REPO, make_repo
from tests.promotion.conftest import World
from tests.promotion.test_promotion import merge_local_pr
from trainer.promotion.registry_edit import (
    add_version,
    dump,
    new_model,
    parse,
    previous_version,
    rebind,
)
from trainer.specs.loader import load_workspace
from trainer.specs.models import HistoryEntry, ModelVersion, RegistryModel

Run = Callable[..., Result]
EXAMPLE = REPO / "trainer/example/specs/registry/math-tutor.yaml"
START = datetime(2026, 10, 1, 12, tzinfo=UTC)


def _problems(root: Path, model: RegistryModel) -> list[str]:
    (root / f"specs/registry/{model.name}.yaml").write_text(dump(model))
    return [str(d) for d in load_workspace(root).diagnostics if d.path.startswith("specs/reg")]


def _version(tag: str) -> ModelVersion:
    return ModelVersion(
        version=1,
        fine_tuned_model=f"ft:gpt-4o-mini-2024-07-18:acme:tutor:{tag}",
        base_model="gpt-4o-mini-2024-07-18",
        created_at=START,
    )


def _entry(step: int, alias: str, reason: str, *, forced: bool = False) -> HistoryEntry:
    at = START + timedelta(hours=step)
    return HistoryEntry(at=at, alias=alias, reason=reason, forced=forced, pr=step, by="bot")


def test_every_edit_trainer_makes_keeps_the_audit_trail(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo", jobs=(), git_init=False, judged=False)
    (root / "specs/registry/tutor.yaml").unlink()
    model = parse(EXAMPLE.read_text(), "example")
    assert _problems(root, model) == [], "the example registry passes"
    steps = [
        lambda m: add_version(m, _version("v2"), "production", _entry(1, "production", "passed")),
        lambda m: rebind(m, "canary", 2, _entry(2, "canary", "a new alias, the same model")),
        lambda m: add_version(
            m, _version("v3"), "production", _entry(3, "production", "hotfix", forced=True)
        ),
        lambda m: rebind(
            m, "production", previous_version(m, "production"), _entry(4, "production", "tone")
        ),
        lambda m: rebind(m, "canary", None, _entry(5, "canary", "no canary for now")),
        lambda m: add_version(m, _version("v4"), "canary", _entry(6, "canary", "passed")),
    ]
    for step in steps:
        model = step(model)
        assert _problems(root, model) == [], dump(model)
    assert model.bindings == {"production": 2, "canary": 4}
    fresh = new_model("tutor", "tenant_a")
    assert _problems(root, fresh) == []
    first = add_version(fresh, _version("v1"), "production", _entry(7, "production", "first"))
    assert _problems(root, first) == []


def test_merged_promotion_and_rollback_prs_pass_validate(local_world: World, run: Run) -> None:
    clone = local_world.clone
    assert run("--repo", clone, "reconcile", "--wait", "--interval", "0").code == 0
    merge_local_pr(clone, 1)
    assert run("--repo", clone, "validate", "--no-stats").code == 0
    demoted = run("--repo", clone, "demote", "math-tutor", "production", "--reason", "tone")
    assert demoted.code == 0, demoted.err
    number = max(int(p.stem) for p in (clone / ".trainer/prs").glob("*.json"))
    merge_local_pr(clone, number)
    registry = yaml.safe_load((clone / "specs/registry/math-tutor.yaml").read_text())
    assert registry["bindings"] == {"production": 1}
    assert [(h["from"], h["to"]) for h in registry["history"]] == [(None, 1), (1, 2), (2, 1)]
    result = run("--repo", clone, "validate", "--no-stats")
    assert (result.code, result.out) == (0, "")
