"""A run's view of the state: every change is saved at once, retried on conflict."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from trainer.errors import StateConflict
from trainer.logs import scrub
from trainer.state.backend import StateStore
from trainer.state.backoff import PATIENCE, Backoff
from trainer.state.document import StateDocument

T = TypeVar("T")
ATTEMPTS = 8


class StateSession:
    """Holds the latest saved document; `commit` applies a change and saves it.

    A change is a function of the document, applied again to a fresh copy when another
    writer saved first, so it must read what it needs from the document it is given.
    Every conflict means another writer made progress, so `commit` keeps trying (with
    jittered, growing pauses) for at least `attempts` tries and until the backoff's
    patience is spent; only then does it give up with StateConflict.
    """

    def __init__(
        self, store: StateStore, *, attempts: int = ATTEMPTS, patience: float = PATIENCE
    ) -> None:
        self.store = store
        self.attempts = attempts
        self.patience = patience
        self.reload()

    def reload(self) -> None:
        snapshot = self.store.load()
        self.doc, self.version = snapshot.document, snapshot.version

    def commit(self, change: Callable[[StateDocument], T], message: str) -> T:
        message = scrub(message)
        backoff = Backoff(first=0.02, cap=1.0, patience=self.patience)
        tries = 0
        while True:
            tries += 1
            draft = self.doc.model_copy(deep=True)
            result = change(draft)
            try:
                snapshot = self.store.save(draft, expected=self.version, message=message)
            except StateConflict:
                if tries >= self.attempts and backoff.expired:
                    break
                self.reload()
                if tries > 1:  # the first retry is at once: usually one writer got in first
                    backoff.wait()
                    backoff.grow()
                continue
            self.doc, self.version = snapshot.document, snapshot.version
            return result
        raise StateConflict(
            f"{self.store.description}: other writers kept changing the state; "
            f"gave up after {tries} attempts at: {message}"
        )
