"""What one reconcile pass did, per spec: for the summary, the log and the exit code."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

log = logging.getLogger("trainer.reconcile")


@dataclass
class PassResult:
    done: list[tuple[str, str]] = field(default_factory=list)
    failures: list[tuple[str, str]] = field(default_factory=list)
    blocked: list[tuple[str, str]] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    provider_errors: int = 0

    def note(self, spec: str, message: str) -> None:
        self.done.append((spec, message))
        log.info(message, extra={"spec": spec})

    def fail(self, spec: str, message: str) -> None:
        self.failures.append((spec, message))
        log.error(message, extra={"spec": spec})

    def skip(self, spec: str, message: str) -> None:
        self.skipped.append((spec, message))

    def block(self, spec: str, message: str) -> None:
        self.blocked.append((spec, message))

    def extend(self, other: PassResult) -> None:
        """Add another pass's results (`--wait` reports every pass together)."""
        self.done.extend(other.done)
        self.failures.extend(other.failures)
        self.blocked.extend(other.blocked)
        self.skipped.extend(other.skipped)
        self.provider_errors += other.provider_errors

    @property
    def failed(self) -> bool:
        return bool(self.failures or self.blocked)
