"""Model answers kept on disk, so an unchanged evaluation makes no request at all.

Keyed by model, messages, sampling parameters and the repeat index. The directory
(`.trainer/cache/responses/`) can be kept between Actions runs with actions/cache.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
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

    def _path(self, key: str) -> Path:
        assert self.directory is not None
        return self.directory / key[:2] / f"{key}.json"

    def get(self, key: str) -> dict[str, Any] | None:
        if self.directory is None:
            return None
        try:
            value: dict[str, Any] = json.loads(self._path(key).read_bytes())
        except (OSError, ValueError):
            return None
        self.hits += 1
        return value

    def put(self, key: str, value: dict[str, Any]) -> None:
        if self.directory is None:
            return
        with contextlib.suppress(OSError):
            atomic_write(self._path(key), json.dumps(value).encode(), durable=False)
