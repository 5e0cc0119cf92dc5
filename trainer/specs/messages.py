"""Pydantic validation errors rewritten as one-line messages a spec author can act on."""

from __future__ import annotations

import difflib
import types
import typing
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from trainer.diagnostics import Diagnostic
from trainer.specs.yaml_source import Loc, YamlDocument

PATTERN_HELP = {
    r"^[a-z0-9]([a-z0-9._-]{0,78}[a-z0-9])?$": (
        "lowercase letters, digits, '.', '_' and '-', starting and ending with a letter "
        "or digit, at most 80 characters"
    ),
    r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$": (
        "letters, digits, '_', '.' and '-', starting with a letter or digit, at most 63 characters"
    ),
    r"^[a-z][a-z0-9_-]{0,39}$": (
        "a lowercase letter, then lowercase letters, digits, '_' and '-', at most 40 characters"
    ),
    r"^[a-z0-9-]{1,64}$": "1 to 64 characters of a-z, 0-9 and '-'",
}


def dotted(loc: Loc) -> str:
    """`('config', 'n_epochs')` -> `config.n_epochs`; list indices as `[0]`."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(document)"


def yaml_kind(value: Any) -> str:
    """How a YAML author would name the type of a value."""
    if value is None:
        return "an empty value"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, int | float):
        return f"the number {value!r}"
    if isinstance(value, str):
        return f"the string {value!r}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def _submodel(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _submodel(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType, list, tuple, dict):
        for arg in typing.get_args(annotation):
            found = _submodel(arg)
            if found is not None:
                return found
    return None


def _is_mapping(annotation: Any) -> bool:
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _is_mapping(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return any(_is_mapping(arg) for arg in typing.get_args(annotation))
    return origin is dict


def _model_at(root: type[BaseModel], loc: Loc) -> type[BaseModel] | None:
    current: type[BaseModel] | None = root
    mapping_key = False
    for part in loc:
        if current is None:
            return None
        if isinstance(part, int):
            continue
        if mapping_key:  # a key of a dict of models: the model stays the same
            mapping_key = False
            continue
        field = next(
            (f for name, f in current.model_fields.items() if (f.alias or name) == part), None
        )
        if field is None:
            return None
        current = _submodel(field.annotation)
        mapping_key = _is_mapping(field.annotation)
    return current


def allowed_keys(model: type[BaseModel]) -> list[str]:
    return [f.alias or name for name, f in model.model_fields.items()]


def did_you_mean(word: str, candidates: list[str]) -> str:
    close = difflib.get_close_matches(word, candidates, n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _text(error: ErrorDetails, root: type[BaseModel]) -> tuple[str, bool]:
    """The message for one error, and whether it points at the key rather than the value."""
    kind = error["type"]
    loc = tuple(error["loc"])
    ctx = error.get("ctx") or {}
    got = yaml_kind(error.get("input"))
    if loc and loc[-1] == "[key]":
        got = f"the key {error.get('input')!r}"
    if kind == "missing":
        return f"missing required field {loc[-1]!r}", False
    if kind == "extra_forbidden":
        parent = _model_at(root, loc[:-1])
        keys = allowed_keys(parent) if parent else []
        hint = did_you_mean(str(loc[-1]), keys)
        known = f"; known fields: {', '.join(keys)}" if keys and not hint else ""
        return f"unknown field {loc[-1]!r}{hint}{known}", True
    simple = {
        "string_type": "must be a string",
        "int_type": "must be a whole number",
        "int_from_float": "must be a whole number",
        "float_type": "must be a number",
        "bool_type": "must be true or false",
        "list_type": "must be a list",
        "dict_type": "must be a mapping",
        "model_type": "must be a mapping of fields",
        "model_attributes_type": "must be a mapping of fields",
        "datetime_type": "must be a date-time such as 2026-01-31T12:00:00Z",
    }
    if kind in simple:
        return f"{simple[kind]} (got {got})", False
    if kind == "literal_error":
        return f"must be one of {ctx.get('expected')} (got {got})", False
    if kind == "string_pattern_mismatch":
        help_text = PATTERN_HELP.get(str(ctx.get("pattern")), f"pattern {ctx.get('pattern')}")
        return f"{got} is not allowed here; use {help_text}", False
    if kind == "string_too_short":
        return "must not be empty", False
    bounds = {
        "greater_than": "greater than {gt}",
        "greater_than_equal": "at least {ge}",
        "less_than": "less than {lt}",
        "less_than_equal": "at most {le}",
    }
    if kind in bounds:
        limits = {k: f"{v:g}" if isinstance(v, float) else v for k, v in ctx.items()}
        return f"must be {bounds[kind].format(**limits)} (got {got})", False
    return str(error["msg"]), False


def validation_diagnostics(
    exc: ValidationError, root: type[BaseModel], doc: YamlDocument
) -> list[Diagnostic]:
    """Each error of a model validation, located in the YAML document it came from."""
    out = []
    for error in exc.errors(include_url=False):
        loc: Loc = tuple(error["loc"])
        text, at_key = _text(error, root)
        if loc and loc[-1] == "[key]":
            where = loc[:-1]
            message = f"{dotted(loc[:-2])}: {text}"
            at_key = True
        elif error["type"] == "missing":
            where = loc[:-1]
            message = f"{dotted(where)}: {text}" if where else text
        else:
            where = loc
            message = f"{dotted(loc)}: {text}"
        out.append(doc.diagnostic(where, message, key=at_key))
    return out
