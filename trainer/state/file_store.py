"""State in a local JSON file, written atomically and guarded by a lock file."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

from trainer.atomic import atomic_write
from trainer.errors import StateConflict, StateError, StateLocked
from trainer.state.backend import Snapshot
from trainer.state.document import StateDocument, parse_state


class FileStateStore:
    """`file:PATH`. The version of a snapshot is the SHA-256 of the file's bytes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.description = f"file:{path}"
        self.exclusive = True
        self._run_lock = path.with_name(path.name + ".lock")
        self._write_lock = path.with_name(path.name + ".write-lock")

    def _read(self) -> tuple[bytes | None, str | None]:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return None, None
        except OSError as exc:
            raise StateError(f"{self.path}: cannot read state: {exc.strerror}") from None
        return raw, hashlib.sha256(raw).hexdigest()

    def load(self) -> Snapshot:
        raw, version = self._read()
        if raw is None:
            return Snapshot(StateDocument(), None)
        return Snapshot(parse_state(raw, str(self.path)), version)

    def save(self, document: StateDocument, *, expected: str | None, message: str) -> Snapshot:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with _flock(self._write_lock, blocking=True):
            _, current = self._read()
            if current != expected:
                raise StateConflict(f"{self.path} changed since it was read")
            document.serial += 1
            raw = document.to_json()
            atomic_write(self.path, raw)
        return Snapshot(document, hashlib.sha256(raw).hexdigest())

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            with _flock(self._run_lock, blocking=False):
                yield
        except BlockingIOError:
            holder = self._run_lock.read_text(errors="replace").strip() or "another process"
            raise StateLocked(
                f"{self.path} is locked by {holder}; wait for that run to finish "
                "(the lock is released automatically when the process ends)"
            ) from None


@contextlib.contextmanager
def _flock(path: Path, *, blocking: bool) -> Iterator[None]:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
        if not blocking:
            os.ftruncate(fd, 0)
            os.write(fd, f"trainer pid {os.getpid()}\n".encode())
        yield
    finally:
        os.close(fd)
