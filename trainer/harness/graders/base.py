"""What a grader returns, and the error a grader raises when it cannot grade at all."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Grade:
    score: float
    """0..1."""
    passed: bool
    reason: str


class GraderError(Exception):
    """The check could not be graded (bad parameters, a judge answering out of format).

    Counted apart from quality failures, against the evaluation's error budget.
    """


def binary(passed: bool, reason: str) -> Grade:
    return Grade(1.0 if passed else 0.0, passed, reason)


def param(
    params: dict[str, Any], name: str, kind: type | tuple[type, ...], default: Any = ...
) -> Any:
    value = params.get(name, default)
    if value is ...:
        raise GraderError(f"missing parameter {name!r}")
    if value is not None and not isinstance(value, kind):
        raise GraderError(f"parameter {name!r} must be {kind}")
    return value


def strings(params: dict[str, Any], name: str) -> list[str]:
    value = param(params, name, (str, list))
    items = [value] if isinstance(value, str) else value
    if not items or not all(isinstance(v, str) for v in items):
        raise GraderError(f"parameter {name!r} must be a string or a list of strings")
    return list(items)
