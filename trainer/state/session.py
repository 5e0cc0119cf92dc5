"""A run's view of the state: every change is saved at once, retried on conflict."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from trainer.errors import StateConflict
from trainer.state.backend import StateStore
from trainer.state.document import StateDocument

T = TypeVar("T")
ATTEMPTS = 8


class StateSession:
    """Holds the latest saved document; `commit` applies a change and saves it.

    A change is a function of the document, applied again to a fresh copy when another
    writer saved first, so it must read what it needs from the document it is given.
    After `attempts` conflicts in a row, `commit` gives up with StateConflict.
    """

    def __init__(self, store: StateStore, *, attempts: int = ATTEMPTS) -> None:
        self.store = store
        self.attempts = attempts
        self.reload()

    def reload(self) -> None:
        snapshot = self.store.load()
        self.doc, self.version = snapshot.document, snapshot.version

    def commit(self, change: Callable[[StateDocument], T], message: str) -> T:
        for _ in range(self.attempts):
            draft = self.doc.model_copy(deep=True)
            result = change(draft)
            try:
                snapshot = self.store.save(draft, expected=self.version, message=message)
            except StateConflict:
                self.reload()
                continue
            self.doc, self.version = snapshot.document, snapshot.version
            return result
        raise StateConflict(
            f"{self.store.description}: other writers kept changing the state; "
            f"gave up after {self.attempts} attempts at: {message}"
        )
