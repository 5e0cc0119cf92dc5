"""Batches (/v1/batches): created, moved through their statuses by the clock, answered line
by line exactly as /v1/chat/completions answers, and closed into output and error files.

A batch is brought up to date whenever it is looked at (`refresh`), like a job's status:
`validating` → (`failed`, or) `in_progress`, where its lines are answered at an even pace
over `state.batch_timings.in_progress` → `finalizing` → `completed`. It `expired`s if it
is not done by `expires_at` (24 h): the lines answered by then go to the output file, the
others to the error file with code `batch_expired`. A cancelled batch goes `cancelling` →
`cancelled`, keeping the lines answered so far. Tests skip the clock with
`state.finish_batch`, `state.expire_batch` and make lines fail with `state.fail_batch_lines`.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

from trainer.emulator.batch_model import (
    ACTIVE,
    COMPLETION_WINDOWS,
    ENDPOINTS,
    MAX_FILE_BYTES,
    TERMINAL,
    Batch,
    check_input,
    check_metadata,
)
from trainer.emulator.chat import complete
from trainer.emulator.state import EmulatorState, StoredFile
from trainer.emulator.validation import RequestError

LINE_REQUESTS = "BATCH POST /v1/chat/completions"
"""The key under which `state.requests` counts batch lines (never the synchronous route's)."""
_EXPIRED = "This request could not be executed before the completion window expired."
_SERVER_ERROR = "The server had an error while processing your request. (emulator)"


def create(state: EmulatorState, body: Any) -> Batch:
    """A new batch for a create request, or the RequestError the real API answers with."""
    if not isinstance(body, dict):
        raise RequestError(400, "Request body must be a JSON object")
    for key in ("input_file_id", "endpoint", "completion_window"):
        if body.get(key) in (None, ""):
            raise RequestError(400, f"Missing required parameter: '{key}'.", key)
    if body["endpoint"] not in ENDPOINTS:
        raise RequestError(
            400,
            f"Invalid value for 'endpoint': {body['endpoint']!r}. The emulator supports "
            f"{', '.join(ENDPOINTS)}.",
            "endpoint",
            "invalid_value",
        )
    if body["completion_window"] not in COMPLETION_WINDOWS:
        raise RequestError(
            400,
            f"Invalid value for 'completion_window': {body['completion_window']!r}. "
            "Supported values are: '24h'.",
            "completion_window",
            "invalid_value",
        )
    problem = check_metadata(body.get("metadata"))
    if problem:
        raise RequestError(400, problem, "metadata", "invalid_value")
    with state.lock:
        stored = state.files.get(str(body["input_file_id"]))
        if stored is None:
            raise RequestError(
                404, f"No such File object: {body['input_file_id']}", "input_file_id", "not_found"
            )
        if stored.purpose != "batch":
            raise RequestError(
                400,
                f"The input file {stored.id} has purpose {stored.purpose!r}; a batch needs a "
                "file uploaded with purpose 'batch'.",
                "input_file_id",
                "invalid_file_purpose",
            )
        if len(stored.data) > MAX_FILE_BYTES:
            raise RequestError(
                400, "The input file may be at most 200 MB.", "input_file_id", "file_too_large"
            )
        batch = Batch(
            id=f"batch_{secrets.token_hex(12)}",
            input_file_id=stored.id,
            endpoint=body["endpoint"],
            completion_window=body["completion_window"],
            metadata=body.get("metadata"),
            created=state.clock(),
        )
        state.batches[batch.id] = batch
        return batch


def refresh(state: EmulatorState, batch: Batch) -> None:
    """Bring the batch up to date with the clock (and with what tests forced)."""
    with state.lock:
        while _step(state, batch, state.clock()):
            pass


def _step(state: EmulatorState, batch: Batch, now: float) -> bool:
    """Make the next move the batch is due for; False when there is none yet."""
    timings = state.batch_timings
    if batch.status == "cancelling":
        due = batch.marks["cancelling"] + timings.cancelling
        if now >= due or batch.forced is not None:
            _close(state, batch, "cancelled", due if now >= due else now)
        return False
    if batch.status not in ACTIVE:
        return False
    expiring = batch.forced == "expired" or now >= batch.expires_at
    horizon = min(now, batch.expires_at)
    if batch.status == "validating":
        due = batch.created + timings.validating
        if horizon < due and batch.forced is None:
            return False
        at = due if horizon >= due else now
        stored = state.files.get(batch.input_file_id)
        requests, model, errors = check_input(stored.data if stored else b"", batch.endpoint)
        if errors:
            batch.errors, batch.status, batch.marks["failed"] = errors, "failed", at
            return False
        batch.requests, batch.model = requests, model
        batch.status, batch.marks["in_progress"] = "in_progress", at
        return True
    if batch.status == "in_progress":
        start, total = batch.marks["in_progress"], len(batch.requests)
        if batch.forced == "expired":
            target = 0
        elif batch.forced == "completed" or timings.in_progress <= 0:
            target = total
        else:
            target = int(total * max(0.0, horizon - start) / timings.in_progress)
        _answer(state, batch, min(total, max(target, batch.progress)))
        due = start + timings.in_progress
        finished = len(batch.results) == total and batch.forced != "expired"
        if finished and (horizon >= due or batch.forced == "completed"):
            batch.status, batch.marks["finalizing"] = "finalizing", due if horizon >= due else now
            return True
    elif batch.status == "finalizing":
        due = batch.marks["finalizing"] + timings.finalizing
        if batch.forced != "expired" and (horizon >= due or batch.forced == "completed"):
            _close(state, batch, "completed", due if horizon >= due else now)
            return False
    if expiring:
        _close(state, batch, "expired", now if batch.forced == "expired" else batch.expires_at)
    return False


def _answer(state: EmulatorState, batch: Batch, upto: int) -> None:
    """Answer the batch's lines up to line `upto` (exclusive), as the chat route would."""
    while len(batch.results) < upto:
        request = batch.requests[len(batch.results)]
        state.requests[LINE_REQUESTS] += 1
        custom_id = request["custom_id"]
        remaining = state.failing_lines.get(custom_id, 0)
        if custom_id in state.failing_lines and remaining != 0:
            if remaining is not None:
                state.failing_lines[custom_id] = remaining - 1
            status, body = 500, RequestError(500, _SERVER_ERROR, code="server_error").body()
            body["error"]["type"] = "server_error"
        else:
            status, body = complete(state, request["body"], "batch")
        if status == 200:
            usage = body["usage"]
            batch.usage["input_tokens"] += usage["prompt_tokens"]
            batch.usage["output_tokens"] += usage["completion_tokens"]
        batch.results.append(
            {
                "id": f"batch_req_{secrets.token_hex(12)}",
                "custom_id": custom_id,
                "response": {
                    "status_code": status,
                    "request_id": f"req_{secrets.token_hex(16)}",
                    "body": body,
                },
                "error": None,
            }
        )


def _close(state: EmulatorState, batch: Batch, status: str, at: float) -> None:
    """End the batch: write its output and error files (when they have lines)."""
    if status == "expired":
        for request in batch.requests[len(batch.results) :]:
            batch.results.append(
                {
                    "id": f"batch_req_{secrets.token_hex(12)}",
                    "custom_id": request["custom_id"],
                    "response": None,
                    "error": {"code": "batch_expired", "message": _EXPIRED},
                }
            )
    good = [r for r in batch.results if _succeeded(r)]
    bad = [r for r in batch.results if not _succeeded(r)]
    for lines, kind in ((good, "output"), (bad, "error")):
        if not lines:
            continue
        stored = StoredFile(
            state.new_id("file"),
            f"{batch.id}_{kind}.jsonl",
            "batch_output",
            "".join(json.dumps(line) + "\n" for line in lines).encode(),
            int(at),
        )
        state.files[stored.id] = stored
        if kind == "output":
            batch.output_file_id = stored.id
        else:
            batch.error_file_id = stored.id
    batch.status, batch.marks[status] = status, at


def _succeeded(record: dict[str, Any]) -> bool:
    response = record.get("response")
    return response is not None and 200 <= int(response["status_code"]) < 300


def cancel(state: EmulatorState, batch: Batch) -> None:
    """Start cancelling: the lines answered so far are kept, no more are answered."""
    with state.lock:
        refresh(state, batch)
        if batch.status in TERMINAL:
            raise RequestError(
                409,
                f"Cannot cancel a batch with status '{batch.status}'.",
                code="invalid_state",
            )
        if batch.status != "cancelling":
            batch.status, batch.marks["cancelling"] = "cancelling", state.clock()
        refresh(state, batch)


def public(batch: Batch) -> dict[str, Any]:
    """The Batch object the API returns."""
    marks = {key: int(value) for key, value in batch.marks.items()}
    completed = sum(1 for r in batch.results if _succeeded(r))
    input_tokens, output_tokens = batch.usage["input_tokens"], batch.usage["output_tokens"]
    return {
        "id": batch.id,
        "object": "batch",
        "endpoint": batch.endpoint,
        "model": batch.model,
        "errors": {"object": "list", "data": batch.errors} if batch.errors else None,
        "input_file_id": batch.input_file_id,
        "completion_window": batch.completion_window,
        "status": batch.status,
        "output_file_id": batch.output_file_id,
        "error_file_id": batch.error_file_id,
        "created_at": int(batch.created),
        "in_progress_at": marks.get("in_progress"),
        "expires_at": int(batch.expires_at),
        "finalizing_at": marks.get("finalizing"),
        "completed_at": marks.get("completed"),
        "failed_at": marks.get("failed"),
        "expired_at": marks.get("expired"),
        "cancelling_at": marks.get("cancelling"),
        "cancelled_at": marks.get("cancelled"),
        "request_counts": {
            "total": len(batch.requests),
            "completed": completed,
            "failed": len(batch.results) - completed,
        },
        "usage": {
            "input_tokens": input_tokens,
            "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": output_tokens,
            "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": input_tokens + output_tokens,
        },
        "metadata": batch.metadata,
    }
