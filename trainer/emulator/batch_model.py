"""What the emulator keeps about a batch (/v1/batches), and the checks of its input file.

The input file is checked as the real API checks it when a batch leaves `validating`:
every line a JSON object with `custom_id`, `method` POST, `url` equal to the batch's
endpoint and a `body`; `custom_id`s unique; one model for the whole file; 1 to 50,000
lines. Each problem is an error naming its (1-based) line; any error fails the batch.
The processing (answers, output and error files) is in `batches`.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

MAX_REQUESTS = 50_000
MAX_FILE_BYTES = 200 * 1024 * 1024
COMPLETION_WINDOWS = {"24h": 24 * 3600}
ENDPOINTS = ("/v1/chat/completions",)
"""The endpoints the emulator runs batches for (the real API has more; trainer needs this)."""
ACTIVE = ("validating", "in_progress", "finalizing")
TERMINAL = ("failed", "completed", "expired", "cancelled")


@dataclass
class BatchTimings:
    """Seconds a batch spends in each status before the next one."""

    validating: float = 0.2
    in_progress: float = 1.0
    """Its lines are answered at an even pace over this time."""
    finalizing: float = 0.2
    cancelling: float = 0.2

    @classmethod
    def instant(cls) -> BatchTimings:
        return cls(0.0, 0.0, 0.0, 0.0)


@dataclass
class Batch:
    id: str
    input_file_id: str
    endpoint: str
    completion_window: str
    metadata: dict[str, str] | None
    created: float
    status: str = "validating"
    marks: dict[str, float] = field(default_factory=dict)
    """When it entered each status after `validating`: status → time."""
    requests: list[dict[str, Any]] = field(default_factory=list)
    """The input lines, once validated."""
    model: str | None = None
    errors: list[dict[str, Any]] | None = None
    """Why it failed validation: {code, message, param, line} each."""
    results: list[dict[str, Any]] = field(default_factory=list)
    """The output record of each answered line, in input order."""
    progress: int = 0
    """Lines answered whatever the clock says (set by tests)."""
    forced: str | None = None
    """`completed` or `expired`: reach it at the next look, whatever the clock says."""
    output_file_id: str | None = None
    error_file_id: str | None = None
    usage: Counter[str] = field(default_factory=Counter)

    @property
    def expires_at(self) -> float:
        return self.created + COMPLETION_WINDOWS.get(self.completion_window, 86400)


def _line_error(code: str, message: str, line: int, param: str | None = None) -> dict[str, Any]:
    return {"code": code, "message": message, "param": param, "line": line}


def _check_line(
    number: int, raw: bytes, endpoint: str, seen: set[str], model: str | None
) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """The request on one line, or the error that line has."""
    try:
        request = json.loads(raw)
    except ValueError:
        request = None
    if not isinstance(request, dict):
        return None, _line_error(
            "invalid_json_line", "This line is not parseable as valid JSON.", number
        )
    custom_id = request.get("custom_id")
    for key, ok in (
        ("custom_id", isinstance(custom_id, str) and custom_id != ""),
        ("method", "method" in request),
        ("url", "url" in request),
        ("body", isinstance(request.get("body"), dict)),
    ):
        if not ok:
            return None, _line_error(
                "missing_required_parameter",
                f"Missing or invalid required parameter: '{key}'.",
                number,
                key,
            )
    if request["method"] != "POST":
        return None, _line_error(
            "invalid_method", "The method of every request must be POST.", number, "method"
        )
    if request["url"] != endpoint:
        return None, _line_error(
            "url_mismatch",
            f"The URL provided for this request ({request['url']!r}) does not match the "
            f"batch endpoint ({endpoint!r}).",
            number,
            "url",
        )
    if custom_id in seen:
        return None, _line_error(
            "duplicate_custom_id",
            "The custom_id for this request is a duplicate of another request. The "
            "custom_id parameter must be unique for each request in a batch.",
            number,
            "custom_id",
        )
    line_model = request["body"].get("model")
    if not isinstance(line_model, str) or not line_model:
        return None, _line_error(
            "missing_required_parameter",
            "Missing required parameter: 'body.model'.",
            number,
            "body.model",
        )
    if model is not None and line_model != model:
        return None, _line_error(
            "model_mismatch",
            f"The model of this request ({line_model!r}) does not match the model of the "
            f"first request ({model!r}). All requests in a batch must use the same model.",
            number,
            "body.model",
        )
    return request, None


def check_input(
    data: bytes, endpoint: str
) -> tuple[list[dict[str, Any]], str | None, list[dict[str, Any]]]:
    """The requests of an input file, their one model, and the file's errors (if any)."""
    requests: list[dict[str, Any]] = []
    errors: list[dict[str, Any]] = []
    seen: set[str] = set()
    model: str | None = None
    for number, raw in enumerate(data.splitlines(), start=1):
        request, problem = _check_line(number, raw, endpoint, seen, model)
        if problem is not None:
            errors.append(problem)
            continue
        assert request is not None
        seen.add(request["custom_id"])
        model = model or request["body"]["model"]
        requests.append(request)
    if not requests and not errors:
        errors.append(
            {
                "code": "empty_file",
                "message": "The input file is empty.",
                "param": None,
                "line": None,
            }
        )
    if len(requests) > MAX_REQUESTS:
        errors.append(
            {
                "code": "too_many_tasks",
                "message": f"The batch has {len(requests)} requests; at most "
                f"{MAX_REQUESTS} are allowed.",
                "param": None,
                "line": None,
            }
        )
    return requests, model, errors


def check_metadata(metadata: Any) -> str | None:
    """What is wrong with a metadata object (16 pairs, keys ≤64 and values ≤512 characters)."""
    if metadata is None:
        return None
    if not isinstance(metadata, dict):
        return "metadata must be an object of string keys and values"
    if len(metadata) > 16:
        return "metadata may hold at most 16 key-value pairs"
    for key, value in metadata.items():
        if not isinstance(value, str) or len(key) > 64 or len(value) > 512:
            return (
                "metadata keys must be strings of at most 64 characters and values strings "
                "of at most 512 characters"
            )
    return None
