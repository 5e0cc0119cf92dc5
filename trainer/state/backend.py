"""The interface every state backend offers, and what loading or saving returns."""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Protocol

from trainer.state.document import StateDocument


@dataclass(frozen=True)
class Snapshot:
    """A state document and the version it was read at (None: no state saved yet)."""

    document: StateDocument
    version: str | None


class StateStore(Protocol):
    description: str
    exclusive: bool
    """True when `lock()` keeps every other run out (file); False for compare-and-swap only."""

    def load(self) -> Snapshot:
        """The latest saved state (an empty document if none was ever saved)."""
        ...

    def save(self, document: StateDocument, *, expected: str | None, message: str) -> Snapshot:
        """Write `document` if the stored version is still `expected`, else StateConflict."""
        ...

    def lock(self) -> AbstractContextManager[None]:
        """Exclusive access for one run, where the backend needs it."""
        ...
