"""The plan: a pure function from desired specs and observed state to actions.

Nothing here reads files, the network or the clock, so `trainer plan` shows exactly
what `trainer reconcile` will do, and tests need no fixtures beyond data.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from trainer.datasets.cost import CostEstimate, budget_refusal
from trainer.phases import ENDED, TRAINED, TRAINING_IN_FLIGHT, Phase
from trainer.short_ids import short
from trainer.state.document import RevisionRecord, StateDocument

FIELD_GROUPS = ("training", "evaluation", "promotion")
PROMOTION_DECIDED = frozenset({Phase.AWAITING_REVIEW, Phase.PROMOTED, Phase.DECLINED})
"""Phases in which a change of promotion settings means deciding promotion again."""


class ActionKind(StrEnum):
    CREATE = "create"
    REPLACE = "replace"
    REEVALUATE = "re-evaluate"
    PROMOTE = "promote"
    CANCEL = "cancel"
    NOOP = "no-op"


STARTS_TRAINING = frozenset({ActionKind.CREATE, ActionKind.REPLACE})


@dataclass(frozen=True)
class DesiredSpec:
    """What one spec asks for, reduced to digests and flattened fields."""

    name: str
    revision: str
    evaluation_digest: str
    promotion_digest: str
    fields: Mapping[str, Mapping[str, Any]]
    """Flattened fields per group ("training", "evaluation", "promotion")."""
    scope: str = ""
    """The tenant (policy.scope)."""
    base_model: str = ""
    estimate: CostEstimate | None = None
    budget_usd: float | None = None


@dataclass(frozen=True)
class FieldChange:
    field: str
    before: Any
    after: Any


@dataclass(frozen=True)
class Action:
    name: str
    kind: ActionKind
    reason: str
    revision: str | None = None
    previous_revision: str | None = None
    phase: Phase | None = None
    """The phase of the revision the state holds for this spec, if any."""
    job_id: str | None = None
    changes: tuple[FieldChange, ...] = ()
    estimate: CostEstimate | None = None
    """For actions that start training: what it is expected to cost."""
    blocked: str | None = None
    """Why reconcile will not carry out this action (a budget it would exceed)."""


@dataclass(frozen=True)
class Plan:
    actions: tuple[Action, ...] = field(default_factory=tuple)

    def count(self, kind: ActionKind) -> int:
        return sum(1 for a in self.actions if a.kind is kind)

    @property
    def has_changes(self) -> bool:
        return any(a.kind is not ActionKind.NOOP for a in self.actions)

    @property
    def blocked(self) -> int:
        return sum(1 for a in self.actions if a.blocked)

    def total_cost(self) -> tuple[float, bool]:
        """Estimated cost of the training this plan starts, and whether it is complete."""
        starting = [a for a in self.actions if a.kind in STARTS_TRAINING and not a.blocked]
        known = [
            a.estimate.cost_usd for a in starting if a.estimate and a.estimate.cost_usd is not None
        ]
        return round(sum(known), 4), len(known) == len(starting)


def diff_fields(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[FieldChange]:
    missing = object()
    changes = []
    for key in sorted(set(before) | set(after)):
        old, new = before.get(key, missing), after.get(key, missing)
        if old != new:
            changes.append(
                FieldChange(key, None if old is missing else old, None if new is missing else new)
            )
    return changes


def _changes(record: RevisionRecord, desired: DesiredSpec, *groups: str) -> tuple[FieldChange, ...]:
    out: list[FieldChange] = []
    for group in groups:
        out += diff_fields(record.fields.get(group, {}), desired.fields.get(group, {}))
    return tuple(out)


def _plan_spec(desired: DesiredSpec, current: RevisionRecord | None, known: set[str]) -> Action:
    if current is None:
        reason = (
            "spec returns; its revision was trained before"
            if desired.revision in known
            else "new spec"
        )
        return Action(desired.name, ActionKind.CREATE, reason, revision=desired.revision)

    def act(kind: ActionKind, reason: str, *groups: str) -> Action:
        return Action(
            desired.name,
            kind,
            reason,
            revision=desired.revision,
            previous_revision=current.revision,
            phase=current.phase,
            job_id=current.provider.job_id,
            changes=_changes(current, desired, *groups),
        )

    if current.phase is Phase.PENDING and current.provider.job_id is None:
        reason = (
            "an earlier run stopped before its fine-tuning job was recorded; resuming "
            "(a job it created is found by its tags and adopted, not created twice)"
        )
        if current.revision == desired.revision:
            return act(ActionKind.CREATE, reason)
    if current.revision != desired.revision:
        old = f"revision {short(current.revision)} ({current.phase})"
        if current.phase in TRAINING_IN_FLIGHT:
            then = f"its running job {current.provider.job_id or '(being created)'} is cancelled"
        elif current.phase in ENDED - {Phase.PROMOTED}:
            then = f"{old} is superseded"
        else:
            then = f"{old} is superseded once the new one is trained"
        again = " (a revision trained before)" if desired.revision in known else ""
        reason = f"training inputs changed{again}; a new fine-tuning job starts and {then}"
        return act(ActionKind.REPLACE, reason, *FIELD_GROUPS)
    if current.evaluation_digest != desired.evaluation_digest:
        if current.phase in TRAINED:
            reason = (
                "evaluation settings changed; the trained model is evaluated again, no retraining"
            )
            return act(ActionKind.REEVALUATE, reason, "evaluation", "promotion")
        if current.phase in TRAINING_IN_FLIGHT:
            reason = "evaluation settings changed; they apply when training finishes"
            return act(ActionKind.NOOP, reason, "evaluation", "promotion")
    elif current.promotion_digest != desired.promotion_digest:
        if current.phase in PROMOTION_DECIDED:
            reason = "promotion settings changed; promotion is decided again, no retraining"
            return act(ActionKind.PROMOTE, reason, "promotion")
        return act(ActionKind.NOOP, f"promotion settings changed; {_status(current)}", "promotion")
    return act(ActionKind.NOOP, _status(current))


def _with_budget(action: Action, desired: DesiredSpec) -> Action:
    """Attach the cost of new training, and block it when it would break the budget."""
    if action.kind not in STARTS_TRAINING:
        return action
    blocked = budget_refusal(desired.budget_usd, desired.estimate) if desired.estimate else None
    return replace(action, estimate=desired.estimate, blocked=blocked)


def _status(record: RevisionRecord) -> str:
    job = record.provider.job_id
    phase = record.phase
    if phase is Phase.PENDING:
        return "waiting for its fine-tuning job to start"
    if phase is Phase.TRAINING:
        return f"training (job {job})"
    if phase is Phase.EVALUATING:
        return "trained; evaluation in progress"
    if phase is Phase.AWAITING_REVIEW:
        return "promotion pull request awaits review"
    if phase is Phase.PROMOTED:
        return "up to date (promoted)"
    if phase is Phase.FAILED:
        detail = f": {record.error.splitlines()[0]}" if record.error else ""
        return f"training failed{detail}; change the spec to try again"
    if phase is Phase.EVAL_FAILED:
        return (
            "below thresholds; change the spec, or force promotion with `trainer promote --force`"
        )
    if phase is Phase.DECLINED:
        return "promotion pull request was closed unmerged"
    if phase is Phase.CANCELLED:
        return "cancelled; change the spec to train again"
    return f"{phase}"


def plan(desired: Mapping[str, DesiredSpec], state: StateDocument) -> Plan:
    """One action per spec that exists in the repository or still matters in state."""
    actions = []
    for name in sorted(set(desired) | set(state.specs)):
        record = state.specs.get(name)
        current = record.current_record() if record else None
        known = set(record.revisions) if record else set()
        if name in desired:
            actions.append(_with_budget(_plan_spec(desired[name], current, known), desired[name]))
        elif current is not None and current.phase in TRAINING_IN_FLIGHT:
            job = current.provider.job_id or "(being created)"
            actions.append(
                Action(
                    name=name,
                    kind=ActionKind.CANCEL,
                    reason=f"spec removed; its running job {job} is cancelled",
                    previous_revision=current.revision,
                    phase=current.phase,
                    job_id=current.provider.job_id,
                )
            )
        elif current is not None and current.phase is Phase.AWAITING_REVIEW:
            actions.append(
                Action(
                    name=name,
                    kind=ActionKind.CANCEL,
                    reason="spec removed; its open promotion pull request is closed",
                    previous_revision=current.revision,
                    phase=current.phase,
                    job_id=current.provider.job_id,
                )
            )
    return Plan(tuple(actions))
