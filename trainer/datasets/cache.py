"""Dataset reports kept by content, so an unchanged dataset is never read twice.

Keyed by the dataset's blob id and everything that changes the checks (method,
encoding, limits, PII settings, checker version). Lives in `.trainer/cache/datasets/`;
Actions can keep it between runs with actions/cache.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from pathlib import Path

from pydantic import ValidationError

from trainer.atomic import atomic_write
from trainer.datasets.report import DatasetReport
from trainer.datasets.validator import CHECKER_VERSION, ScanConfig


def cache_key(blob: str, config: ScanConfig) -> str:
    parts = [
        str(CHECKER_VERSION),
        blob,
        config.method,
        config.tokenizer.used,
        config.tokenizer.wanted,
        str(config.max_example_tokens),
        str(config.scan_pii),
        *sorted(config.pii_allowlist),
    ]
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


class ReportCache:
    def __init__(self, directory: Path | None) -> None:
        self.directory = directory

    def get(self, key: str) -> tuple[DatasetReport, bytes] | None:
        if self.directory is None:
            return None
        try:
            report = DatasetReport.model_validate_json(
                (self.directory / f"{key}.json").read_bytes()
            )
            digests = (self.directory / f"{key}.digests").read_bytes()
        except (OSError, ValidationError, json.JSONDecodeError):
            return None
        return report, digests

    def put(self, key: str, report: DatasetReport, digests: bytes) -> None:
        if self.directory is None:
            return
        with contextlib.suppress(OSError):  # a cache that cannot be written is no error
            atomic_write(self.directory / f"{key}.digests", digests, durable=False)
            atomic_write(
                self.directory / f"{key}.json",
                report.model_dump_json().encode(),
                durable=False,
            )
