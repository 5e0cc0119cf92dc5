"""The exception hierarchy users can catch, and the exit code each maps to.

Exit codes (PRODUCT.md §4): 0 done; 1 the run finished but something failed and
state is saved; 2 invalid input and nothing changed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from trainer.diagnostics import Diagnostic

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_INVALID = 2


class TrainerError(Exception):
    """Base of every error trainer reports to a user as a message, not a traceback."""

    exit_code = EXIT_FAILED


class UsageError(TrainerError):
    """The command line or environment asks for something that cannot be done."""

    exit_code = EXIT_INVALID


class SpecError(TrainerError):
    """Specs, datasets or suites are invalid; carries every diagnostic found."""

    exit_code = EXIT_INVALID

    def __init__(self, diagnostics: Sequence[Diagnostic]) -> None:
        self.diagnostics = list(diagnostics)
        count = sum(1 for d in self.diagnostics if d.is_error)
        super().__init__(f"{count} error{'s' if count != 1 else ''} in specs")


class StateError(TrainerError):
    """The state document cannot be read or trusted (corrupt, edited, newer schema)."""

    exit_code = EXIT_INVALID


class StateConflict(TrainerError):
    """Someone else changed the state between our read and our write."""

    exit_code = EXIT_FAILED


class StateLocked(TrainerError):
    """Another reconciler holds the lock on a file state."""

    exit_code = EXIT_FAILED
