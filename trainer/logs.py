"""Logging to stderr as text or one JSON object per line, with secrets scrubbed."""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import uuid
from datetime import UTC, datetime

SECRET_ENV = ("OPENAI_API_KEY", "GITHUB_TOKEN", "GH_TOKEN", "TRAINER_GITHUB_TOKEN")
_TOKEN_PATTERNS = re.compile(
    r"(sk-[A-Za-z0-9_-]{16,}|gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})"
)
RUN_ID = uuid.uuid4().hex[:12]
"""Correlates every log line of one run."""


def scrub(text: str) -> str:
    """Remove secret values: those of known environment variables and token shapes."""
    for name in SECRET_ENV:
        value = os.environ.get(name)
        if value and len(value) >= 8:
            text = text.replace(value, f"[{name} redacted]")
    return _TOKEN_PATTERNS.sub("[secret redacted]", text)


class _JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        body: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "event": scrub(record.getMessage()),
            "logger": record.name,
            "run_id": RUN_ID,
        }
        for key in ("spec", "revision", "job_id"):
            if hasattr(record, key):
                body[key] = getattr(record, key)
        if record.exc_info:
            body["exception"] = scrub(self.formatException(record.exc_info))
        return json.dumps(body, ensure_ascii=False)


class _TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return scrub(f"{record.levelname.lower()}: {record.getMessage()}")


FORMAT = {"value": "text"}


def report_error(message: str) -> None:
    """A fatal error for the user: a JSON log line in JSON mode, else one plain line."""
    if FORMAT["value"] == "json":
        logging.getLogger("trainer").error(message)
    else:
        sys.stderr.write(scrub(f"error: {message}") + "\n")


def configure(log_format: str, verbosity: int) -> None:
    """verbosity: -1 quiet (errors only), 0 warnings, 1 info, 2+ debug."""
    level = {-1: logging.ERROR, 0: logging.WARNING, 1: logging.INFO}.get(
        max(-1, verbosity), logging.DEBUG
    )
    FORMAT["value"] = log_format
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_JsonFormatter() if log_format == "json" else _TextFormatter())
    root = logging.getLogger("trainer")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False
