"""Logging to stderr as text or one JSON object per line, with secrets scrubbed."""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import IO, Any

SECRET_ENV = ("OPENAI_API_KEY", "GITHUB_TOKEN", "GH_TOKEN", "TRAINER_GITHUB_TOKEN")
_TOKEN_PATTERNS = re.compile(
    r"(sk-[A-Za-z0-9_-]{16,}|gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})"
)
_RUN_ID: ContextVar[str | None] = ContextVar("trainer_run_id", default=None)
"""The reconcile run (or command) the current log lines belong to."""


def new_run_id() -> str:
    return uuid.uuid4().hex[:12]


def current_run_id() -> str:
    """The id of the command or run in progress (set by `configure` and `run_context`), or
    a new one when there is none."""
    return _RUN_ID.get() or new_run_id()


@contextmanager
def run_context(run_id: str) -> Iterator[None]:
    """Log lines inside carry `run_id`; each reconcile run sets its own."""
    token = _RUN_ID.set(run_id)
    try:
        yield
    finally:
        _RUN_ID.reset(token)


def scrub(text: str) -> str:
    """Remove secret values: those of known environment variables and token shapes."""
    for name in SECRET_ENV:
        value = os.environ.get(name)
        if value and len(value) >= 8:
            text = text.replace(value, f"[{name} redacted]")
    return _TOKEN_PATTERNS.sub("[secret redacted]", text)


class ScrubbedStream:
    """A text stream that scrubs what is written before passing it on: stdout and stderr
    carry summaries, progress and tables built from provider and GitHub messages, which
    may echo a token."""

    def __init__(self, inner: IO[str]) -> None:
        self.inner = inner

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            raise TypeError("a text stream takes str")  # click probes with bytes
        self.inner.write(scrub(text))
        return len(text)

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        self.inner.flush()

    def isatty(self) -> bool:
        return self.inner.isatty()

    def writable(self) -> bool:
        return True

    @property
    def encoding(self) -> str:
        return getattr(self.inner, "encoding", None) or "utf-8"

    @property
    def errors(self) -> str:
        return getattr(self.inner, "errors", None) or "strict"

    def fileno(self) -> int:
        return self.inner.fileno()


@contextmanager
def scrubbed_output() -> Iterator[None]:
    """Within: everything written to sys.stdout and sys.stderr is scrubbed."""
    saved = sys.stdout, sys.stderr
    if not isinstance(sys.stdout, ScrubbedStream):
        sys.stdout = ScrubbedStream(sys.stdout)
    if not isinstance(sys.stderr, ScrubbedStream):
        sys.stderr = ScrubbedStream(sys.stderr)
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved


class _JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        body: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "event": scrub(record.getMessage()),
            "logger": record.name,
            "run_id": _RUN_ID.get(),
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


def _logs_json() -> bool:
    return any(
        isinstance(handler.formatter, _JsonFormatter)
        for handler in logging.getLogger("trainer").handlers
    )


def report_error(message: str) -> None:
    """A fatal error for the user: a JSON log line in JSON mode, else one plain line."""
    if _logs_json():
        logging.getLogger("trainer").error(message)
    else:
        sys.stderr.write(scrub(f"error: {message}") + "\n")


def configure(log_format: str, verbosity: int) -> None:
    """verbosity: -1 quiet (errors only), 0 warnings, 1 info, 2+ debug.

    Each configured command gets its own run id, carried by every JSON line it logs.
    """
    _RUN_ID.set(new_run_id())
    level = {-1: logging.ERROR, 0: logging.WARNING, 1: logging.INFO}.get(
        max(-1, verbosity), logging.DEBUG
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_JsonFormatter() if log_format == "json" else _TextFormatter())
    root = logging.getLogger("trainer")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False
