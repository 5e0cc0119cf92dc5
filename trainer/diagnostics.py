"""A located problem in a user's file, printed as `path:line:col: message`."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True, order=True)
class Diagnostic:
    """One problem, located in a file of the repository (path is repo-relative, POSIX).

    Errors make `validate` fail; warnings are shown and do not.
    """

    path: str
    line: int
    col: int
    message: str
    severity: Literal["error", "warning"] = "error"

    def __str__(self) -> str:
        label = "warning: " if self.severity == "warning" else ""
        return f"{self.path}:{self.line}:{self.col}: {label}{self.message}"

    @property
    def is_error(self) -> bool:
        return self.severity == "error"


def render(diagnostics: Iterable[Diagnostic]) -> str:
    """All diagnostics, sorted by file then position, one per line."""
    return "\n".join(str(d) for d in sorted(set(diagnostics)))
