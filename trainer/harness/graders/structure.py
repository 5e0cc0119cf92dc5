"""Structured output graders: JSON, and JSON valid against a schema."""

from __future__ import annotations

import json
from typing import Any

import jsonschema

from trainer.harness.graders.base import Grade, GraderError, binary, param


def _parse(output: str) -> tuple[Any, str | None]:
    text = output.strip()
    if text.startswith("```"):
        text = text.strip("`").removeprefix("json").strip()
    try:
        return json.loads(text), None
    except json.JSONDecodeError as exc:
        return None, f"not JSON: {exc.msg} at column {exc.colno}"


def is_json(output: str, params: dict[str, Any]) -> Grade:
    _, problem = _parse(output)
    return binary(problem is None, problem or "valid JSON")


def json_schema(output: str, params: dict[str, Any]) -> Grade:
    schema = param(params, "schema", dict)
    try:
        jsonschema.Draft202012Validator.check_schema(schema)
        validator = jsonschema.Draft202012Validator(schema)
    except jsonschema.SchemaError as exc:
        raise GraderError(f"invalid schema: {exc.message}") from None
    value, problem = _parse(output)
    if problem:
        return binary(False, problem)
    error = next(iter(validator.iter_errors(value)), None)
    return binary(
        error is None, "matches the schema" if error is None else f"schema: {error.message}"
    )
