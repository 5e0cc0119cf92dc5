"""What one reconcile pass carries around: state, provider, repository, results."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from trainer.logs import RUN_ID
from trainer.providers.base import Provider
from trainer.repository import RepositoryCheck
from trainer.state.document import utcnow
from trainer.state.session import StateSession

if TYPE_CHECKING:
    from trainer.reconcile.promoting import Promoter

log = logging.getLogger("trainer.reconcile")
LEASE = timedelta(minutes=15)
"""How long another run's unfinished intent is respected before this run takes over."""


@dataclass
class PassResult:
    """What happened, per spec, for the summary and the exit code."""

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

    @property
    def failed(self) -> bool:
        return bool(self.failures or self.blocked)


@dataclass
class Run:
    session: StateSession
    check: RepositoryCheck
    provider_factory: Callable[[], Provider]
    run_id: str = RUN_ID
    clock: Callable[[], datetime] = utcnow
    result: PassResult = field(default_factory=PassResult)
    _provider: Provider | None = None
    _promoter: Promoter | None = None

    @property
    def provider(self) -> Provider:
        """Created on first use, so a pass with nothing to do makes no provider call at all."""
        if self._provider is None:
            self._provider = self.provider_factory()
        return self._provider

    @property
    def promoter(self) -> Promoter:
        if self._promoter is None:
            from trainer.reconcile.promoting import Promoter

            self._promoter = Promoter(self)
        return self._promoter

    @property
    def exclusive(self) -> bool:
        return self.session.store.exclusive

    def now(self) -> datetime:
        return self.clock()

    def foreign_intent_is_live(self, run_id: str, at: datetime) -> bool:
        """Another run's intent that may still be in progress (never under a file lock)."""
        return run_id != self.run_id and not self.exclusive and self.now() - at < LEASE
