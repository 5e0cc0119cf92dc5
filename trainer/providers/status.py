"""Provider job statuses mapped onto trainer's phases (PRODUCT.md §3)."""

from __future__ import annotations

from trainer.phases import Phase

STATUS_PHASES = {
    "validating_files": Phase.PENDING,
    "queued": Phase.PENDING,
    "running": Phase.TRAINING,
    "succeeded": Phase.EVALUATING,
    "failed": Phase.FAILED,
    "cancelled": Phase.CANCELLED,
}
TERMINAL_STATUSES = frozenset({"succeeded", "failed", "cancelled"})


def phase_for(status: str) -> Phase | None:
    """The phase a provider status means; None for a status trainer does not know yet."""
    return STATUS_PHASES.get(status)
