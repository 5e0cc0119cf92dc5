"""The interface every state backend offers, and the retrying update built on it."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, TypeVar

from trainer.errors import StateConflict, UsageError
from trainer.state.document import StateDocument

T = TypeVar("T")


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


def update(
    store: StateStore,
    change: Callable[[StateDocument], T],
    message: str,
    *,
    attempts: int = 5,
) -> tuple[T, Snapshot]:
    """Apply `change` to the latest state and save it, re-reading and retrying on conflict.

    `change` must be a pure function of the document it is given, since it runs again
    on a fresh copy whenever another writer got in first.
    """
    for _ in range(attempts):
        snapshot = store.load()
        document = snapshot.document.model_copy(deep=True)
        result = change(document)
        try:
            return result, store.save(document, expected=snapshot.version, message=message)
        except StateConflict:
            continue
    raise StateConflict(
        f"{store.description}: other writers changed the state {attempts} times in a row "
        "while this run tried to save; nothing was lost; run again"
    )


def open_store(url: str, repo_root: Path) -> StateStore:
    """`file:PATH` (relative to the repository) or `git:BRANCH` (on `origin`)."""
    from trainer.state.file_store import FileStateStore
    from trainer.state.git_store import GitStateStore

    kind, _, target = url.partition(":")
    if kind == "file" and target:
        path = Path(target)
        return FileStateStore(path if path.is_absolute() else repo_root / path)
    if kind == "git" and target:
        return GitStateStore(repo_root, target)
    raise UsageError(
        f"--state {url!r}: expected file:PATH (e.g. file:.trainer/state.json) or "
        "git:BRANCH (e.g. git:trainer-state)"
    )
