"""The lifecycle of a spec revision (PRODUCT.md §3) and which moves are allowed.

A revision that ended (failed, cancelled, superseded) may start again when its spec
returns to it; a superseded one that had trained keeps its model and is evaluated again.
"""

from __future__ import annotations

from enum import StrEnum


class Phase(StrEnum):
    PENDING = "pending"
    TRAINING = "training"
    EVALUATING = "evaluating"
    AWAITING_REVIEW = "awaiting_review"
    PROMOTED = "promoted"
    FAILED = "failed"
    CANCELLED = "cancelled"
    EVAL_FAILED = "eval_failed"
    DECLINED = "declined"
    SUPERSEDED = "superseded"


TRAINING_IN_FLIGHT = frozenset({Phase.PENDING, Phase.TRAINING})
"""A provider job may be running and costing money."""

TRAINED = frozenset(
    {Phase.EVALUATING, Phase.AWAITING_REVIEW, Phase.PROMOTED, Phase.EVAL_FAILED, Phase.DECLINED}
)
"""A fine-tuned model exists for the revision."""

ENDED = frozenset(
    {
        Phase.PROMOTED,
        Phase.FAILED,
        Phase.CANCELLED,
        Phase.EVAL_FAILED,
        Phase.DECLINED,
        Phase.SUPERSEDED,
    }
)
"""Nothing more happens to the revision unless its spec changes."""

ALLOWED: dict[Phase, frozenset[Phase]] = {
    Phase.PENDING: frozenset(
        {Phase.TRAINING, Phase.EVALUATING, Phase.FAILED, Phase.CANCELLED, Phase.SUPERSEDED}
    ),
    Phase.TRAINING: frozenset({Phase.EVALUATING, Phase.FAILED, Phase.CANCELLED, Phase.SUPERSEDED}),
    Phase.EVALUATING: frozenset({Phase.AWAITING_REVIEW, Phase.EVAL_FAILED, Phase.SUPERSEDED}),
    Phase.AWAITING_REVIEW: frozenset(
        {Phase.PROMOTED, Phase.DECLINED, Phase.EVALUATING, Phase.SUPERSEDED}
    ),
    Phase.EVAL_FAILED: frozenset({Phase.EVALUATING, Phase.AWAITING_REVIEW, Phase.SUPERSEDED}),
    Phase.DECLINED: frozenset({Phase.EVALUATING, Phase.AWAITING_REVIEW, Phase.SUPERSEDED}),
    Phase.PROMOTED: frozenset({Phase.EVALUATING, Phase.AWAITING_REVIEW, Phase.SUPERSEDED}),
    Phase.FAILED: frozenset({Phase.SUPERSEDED, Phase.PENDING}),
    Phase.CANCELLED: frozenset({Phase.SUPERSEDED, Phase.PENDING}),
    Phase.SUPERSEDED: frozenset({Phase.PENDING, Phase.EVALUATING}),
}


def can_move(source: Phase | None, target: Phase) -> bool:
    if source is None:
        return target is Phase.PENDING
    return target in ALLOWED[source]
