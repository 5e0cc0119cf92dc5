"""The planner decides one action per spec from data alone."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from tests.state_builders import record, state_with
from trainer.phases import Phase
from trainer.planner import ActionKind, DesiredSpec, FieldChange, plan
from trainer.state.document import StateDocument


def desired(name: str = "tutor", **fields: Any) -> DesiredSpec:
    training = {"baseModel": "gpt-4o-mini-2024-07-18", "config.n_epochs": 3, **fields}
    return DesiredSpec(
        name=name,
        revision=f"rev-{sorted(training.items())}",
        evaluation_digest="eval-1",
        promotion_digest="promo-1",
        fields={
            "training": training,
            "evaluation": {"policy.thresholds.pedagogy_score": 0.8},
            "promotion": {"promotion.alias": "production"},
        },
    )


def test_new_spec_is_created() -> None:
    result = plan({"tutor": desired()}, StateDocument())
    (action,) = result.actions
    assert (action.kind, action.reason) == (ActionKind.CREATE, "new spec")
    assert result.has_changes


def test_unchanged_spec_is_a_noop_that_says_where_it_stands() -> None:
    spec = desired()
    result = plan({"tutor": spec}, state_with(("tutor", record(spec, Phase.TRAINING))))
    (action,) = result.actions
    assert action.kind is ActionKind.NOOP
    assert action.reason == "training (job ftjob-abc123)"
    assert not result.has_changes


def test_training_change_replaces_and_lists_changed_fields() -> None:
    old, new = desired(), desired(**{"config.n_epochs": 4})
    result = plan({"tutor": new}, state_with(("tutor", record(old, Phase.PROMOTED))))
    (action,) = result.actions
    assert action.kind is ActionKind.REPLACE
    assert action.changes == (FieldChange("config.n_epochs", 3, 4),)
    assert action.previous_revision == old.revision
    assert "superseded once the new one is trained" in action.reason


def test_replacing_an_in_flight_revision_says_its_job_is_cancelled() -> None:
    old, new = desired(), desired(**{"config.n_epochs": 4})
    result = plan({"tutor": new}, state_with(("tutor", record(old, Phase.TRAINING))))
    assert "its running job ftjob-abc123 is cancelled" in result.actions[0].reason


@pytest.mark.parametrize(
    "phase",
    [Phase.EVALUATING, Phase.AWAITING_REVIEW, Phase.PROMOTED, Phase.EVAL_FAILED, Phase.DECLINED],
)
def test_evaluation_change_on_trained_model_reevaluates(phase: Phase) -> None:
    spec = desired()
    stored = record(spec, phase)
    changed = replace(
        spec,
        evaluation_digest="eval-2",
        fields={**spec.fields, "evaluation": {"policy.thresholds.pedagogy_score": 0.9}},
    )
    (action,) = plan({"tutor": changed}, state_with(("tutor", stored))).actions
    assert action.kind is ActionKind.REEVALUATE
    assert action.changes == (FieldChange("policy.thresholds.pedagogy_score", 0.8, 0.9),)


def test_evaluation_change_while_training_waits_for_training() -> None:
    spec = desired()
    changed = replace(spec, evaluation_digest="eval-2")
    (action,) = plan(
        {"tutor": changed}, state_with(("tutor", record(spec, Phase.TRAINING)))
    ).actions
    assert action.kind is ActionKind.NOOP
    assert action.reason == "evaluation settings changed; they apply when training finishes"


def test_promotion_only_change_redecides_promotion() -> None:
    spec = desired()
    changed = replace(
        spec,
        promotion_digest="promo-2",
        fields={**spec.fields, "promotion": {"promotion.alias": "canary"}},
    )
    (action,) = plan(
        {"tutor": changed}, state_with(("tutor", record(spec, Phase.PROMOTED)))
    ).actions
    assert action.kind is ActionKind.PROMOTE
    assert action.changes == (FieldChange("promotion.alias", "production", "canary"),)


def test_promotion_change_after_failed_evaluation_changes_nothing() -> None:
    spec = desired()
    changed = replace(spec, promotion_digest="promo-2")
    (action,) = plan(
        {"tutor": changed}, state_with(("tutor", record(spec, Phase.EVAL_FAILED)))
    ).actions
    assert action.kind is ActionKind.NOOP


def test_removed_spec_with_running_job_is_cancelled() -> None:
    spec = desired()
    (action,) = plan({}, state_with(("tutor", record(spec, Phase.PENDING, job_id=None)))).actions
    assert action.kind is ActionKind.CANCEL
    assert action.reason == "spec removed; its running job (being created) is cancelled"


def test_removed_spec_with_open_promotion_pr_is_cancelled() -> None:
    spec = desired()
    (action,) = plan({}, state_with(("tutor", record(spec, Phase.AWAITING_REVIEW)))).actions
    assert action.kind is ActionKind.CANCEL


@pytest.mark.parametrize(
    "phase", [Phase.PROMOTED, Phase.FAILED, Phase.EVAL_FAILED, Phase.CANCELLED]
)
def test_removed_spec_that_has_ended_needs_no_action(phase: Phase) -> None:
    assert plan({}, state_with(("tutor", record(desired(), phase)))).actions == ()


def test_failed_revision_is_not_retried_until_the_spec_changes() -> None:
    spec = desired()
    stored = record(spec, Phase.FAILED)
    stored.error = "invalid_training_file"
    (action,) = plan({"tutor": spec}, state_with(("tutor", stored))).actions
    assert action.kind is ActionKind.NOOP
    assert action.reason == "training failed: invalid_training_file; change the spec to try again"


def test_actions_are_sorted_by_name_and_counted() -> None:
    specs = {name: desired(name) for name in ("zeta", "alpha", "mid")}
    result = plan(specs, StateDocument())
    assert [a.name for a in result.actions] == ["alpha", "mid", "zeta"]
    assert result.count(ActionKind.CREATE) == 3
