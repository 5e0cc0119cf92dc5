"""Model answers kept on disk, so an unchanged evaluation makes no request at all.

Keyed by model, messages, sampling parameters and the repeat index. The directory
(`.trainer/cache/responses/`) can be kept between Actions runs with actions/cache.

Answers are written behind, by one thread of their own: the event loop that collects
answers never waits for the disk. `flush()` waits for every write (the evaluation calls
it before it returns); an answer written behind is read back from memory meanwhile.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from trainer.atomic import atomic_write
from trainer.digests import canonical_json


def answer_key(
    model: str, messages: list[dict[str, str]], sampling: dict[str, Any], repeat: int
) -> str:
    body = {"model": model, "messages": messages, "sampling": sampling, "repeat": repeat}
    return hashlib.sha256(canonical_json(body)).hexdigest()


class ResponseCache:
    def __init__(self, directory: Path | None) -> None:
        self.directory = directory
        self.hits = 0
        self._writer: ThreadPoolExecutor | None = None
        self._written: dict[str, dict[str, Any]] = {}

    @property
    def enabled(self) -> bool:
        return self.directory is not None

    def _path(self, key: str) -> Path:
        assert self.directory is not None
        return self.directory / key[:2] / f"{key}.json"

    def get(self, key: str) -> dict[str, Any] | None:
        if self.directory is None:
            return None
        value = self._written.get(key)
        if value is None:
            try:
                value = json.loads(self._path(key).read_bytes())
            except (OSError, ValueError):
                return None
        self.hits += 1
        return value

    def put(self, key: str, value: dict[str, Any]) -> None:
        if self.directory is None:
            return
        self._written[key] = value
        if self._writer is None:
            self._writer = ThreadPoolExecutor(1, thread_name_prefix="trainer-cache")
        self._writer.submit(self._write, self._path(key), json.dumps(value).encode())

    @staticmethod
    def _write(path: Path, data: bytes) -> None:
        with contextlib.suppress(OSError):
            atomic_write(path, data, durable=False)

    def flush(self) -> None:
        """Wait until every answer put is on disk."""
        if self._writer is not None:
            self._writer.shutdown(wait=True)
            self._writer = None
