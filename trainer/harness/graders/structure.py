"""Structured output graders: JSON, and JSON valid against a schema."""

from __future__ import annotations

import json
from typing import Any

from pydantic import Field

from trainer.harness.graders.base import Grade, GraderError, Params, binary
from trainer.harness.graders.registry import check


def _parse(output: str) -> tuple[Any, str | None]:
    text = output.strip()
    if text.startswith("```"):
        text = text.strip("`").removeprefix("json").strip()
    try:
        return json.loads(text), None
    except json.JSONDecodeError as exc:
        return None, f"not JSON: {exc.msg} at column {exc.colno}"
    except RecursionError:
        return None, "not JSON trainer reads: arrays and objects nested too deep"


@check("is_json", Params)
def is_json(output: str, p: Params) -> Grade:
    """the answer is JSON (also in a fenced code block)"""
    _, problem = _parse(output)
    return binary(problem is None, problem or "valid JSON")


class JsonSchemaParams(Params):
    schema_: dict[str, Any] = Field(alias="schema", description="a JSON Schema")


@check("json_schema", JsonSchemaParams)
def json_schema(output: str, p: JsonSchemaParams) -> Grade:
    """the answer is JSON valid against `schema` (draft 2020-12)"""
    import jsonschema  # here: most evaluations never load it (a tenth of the start-up)

    try:
        jsonschema.Draft202012Validator.check_schema(p.schema_)
        validator = jsonschema.Draft202012Validator(p.schema_)
    except jsonschema.SchemaError as exc:
        raise GraderError(f"invalid schema: {exc.message}") from None
    value, problem = _parse(output)
    if problem:
        return binary(False, problem)
    error = next(iter(validator.iter_errors(value)), None)
    return binary(
        error is None, "matches the schema" if error is None else f"schema: {error.message}"
    )
