"""What a grader returns, the error it raises when it cannot grade, and parameter types.

Each check type declares its parameters as a `Params` model (see `registry.check`):
strict like the suite schema (`"3"` is not a number), no unknown keys. The YAML
parameter name is the field's alias where it is not a valid field name (`pass`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, PlainValidator
from pydantic_core import PydanticCustomError

from trainer.specs.messages import yaml_kind


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


class Params(BaseModel):
    """The parameters of one check type; a subclass per grader."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


def _number(value: Any) -> int | float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PydanticCustomError(
            "number", "must be a number (got {got})", {"got": yaml_kind(value)}
        )
    return value  # an int stays an int, so reasons print `min 1`, not `min 1.0`


def _number_or_text(value: Any) -> int | float | str:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise PydanticCustomError(
            "number_or_text", "must be a number or a string (got {got})", {"got": yaml_kind(value)}
        )
    return value


def _string_list(value: Any, *, empty: bool) -> list[str]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(v, str) for v in items):
        items = None
    if items is None or not (items or empty):
        kind = "a list" if empty else "a non-empty list"
        raise PydanticCustomError(
            "strings",
            f"must be a string or {kind} of strings (got {{got}})",
            {"got": yaml_kind(value)},
        )
    return list(items)


def _strings(value: Any) -> list[str]:
    return _string_list(value, empty=False)


def _strings_or_none(value: Any) -> list[str]:
    return [] if value is None or value == "" else _string_list(value, empty=True)


Number = Annotated[int | float, PlainValidator(_number)]
"""An int or a float (not a boolean); kept as given."""
NumberOrText = Annotated[int | float | str, PlainValidator(_number_or_text)]
"""A number, or a string such as `"3/4"`."""
Strings = Annotated[list[str], PlainValidator(_strings), Field(description="one or a list")]
"""One string or a non-empty list of strings, as a list."""
OptionalStrings = Annotated[
    list[str], PlainValidator(_strings_or_none), Field(description="one or a list")
]
"""As `Strings`, where an empty or null value means none."""
