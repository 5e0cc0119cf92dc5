"""Who a reconcile run is: its id, its clock, and how it treats other runs' intents."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from trainer.clock import utcnow
from trainer.logs import current_run_id
from trainer.state.document import Intent, IntentOp

LEASE = timedelta(minutes=15)
"""How long another run's unfinished intent is respected before this run takes over."""


@dataclass(frozen=True)
class RunIdentity:
    run_id: str = field(default_factory=current_run_id)
    clock: Callable[[], datetime] = utcnow
    exclusive: bool = False
    """The state store keeps every other run out (a file lock): no intent is foreign-live."""

    def now(self) -> datetime:
        return self.clock()

    def intent(self, op: IntentOp, detail: str | None = None) -> Intent:
        """A write-ahead record of `op`, made by this run now."""
        return Intent(op=op, run_id=self.run_id, at=self.now(), detail=detail)

    def owns(self, intent: Intent | None) -> bool:
        return intent is not None and intent.run_id == self.run_id

    def respects(self, intent: Intent | None) -> bool:
        """Another run's intent that may still be in progress: leave its work alone."""
        return (
            intent is not None
            and intent.run_id != self.run_id
            and not intent.released
            and not self.exclusive
            and self.now() - intent.at < LEASE
        )
