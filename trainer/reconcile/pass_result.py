"""What one reconcile pass did, per spec: for the summary, the log and the exit code."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

log = logging.getLogger("trainer.reconcile")


@dataclass
class PassResult:
    done: list[tuple[str, str]] = field(default_factory=list)
    failures: list[tuple[str, str]] = field(default_factory=list)
    blocked: list[tuple[str, str]] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[tuple[str, str]] = field(default_factory=list)
    """Problems that do not fail the pass (an alert issue that could not be written)."""
    failures_by_step: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    """The failures met inside a named `step` of the pass (alerts tell them apart)."""
    provider_errors: int = 0
    _step: str | None = field(default=None, repr=False, compare=False)

    def note(self, spec: str, message: str) -> None:
        self.done.append((spec, message))
        log.info(message, extra={"spec": spec})

    def fail(self, spec: str, message: str) -> None:
        self.failures.append((spec, message))
        if self._step is not None:
            self.failures_by_step.setdefault(self._step, []).append((spec, message))
        log.error(message, extra={"spec": spec})

    def skip(self, spec: str, message: str) -> None:
        self.skipped.append((spec, message))

    def block(self, spec: str, message: str) -> None:
        self.blocked.append((spec, message))

    def warn(self, spec: str, message: str) -> None:
        self.warnings.append((spec, message))
        log.warning(message, extra={"spec": spec})

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        """Within: failures are also kept under `failures_by_step[name]`."""
        outer, self._step = self._step, name
        try:
            yield
        finally:
            self._step = outer

    def extend(self, other: PassResult) -> None:
        """Add another pass's results (`--wait` reports every pass together)."""
        self.done.extend(other.done)
        self.failures.extend(other.failures)
        self.blocked.extend(other.blocked)
        self.skipped.extend(other.skipped)
        self.warnings.extend(other.warnings)
        for name, failures in other.failures_by_step.items():
            self.failures_by_step.setdefault(name, []).extend(failures)
        self.provider_errors += other.provider_errors

    @property
    def failed(self) -> bool:
        return bool(self.failures or self.blocked)
