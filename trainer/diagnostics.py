"""A located problem in a user's file, printed as `path:line:col: message`."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Diagnostic:
    """One problem, located in a file of the repository (path is repo-relative, POSIX)."""

    path: str
    line: int
    col: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.col}: {self.message}"


def render(diagnostics: Iterable[Diagnostic]) -> str:
    """All diagnostics, sorted by file then position, one per line."""
    return "\n".join(str(d) for d in sorted(set(diagnostics)))
