"""The JSON responses every emulator route shares: OpenAI's error shape and cursor pages."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from trainer.emulator.validation import RequestError


def error(
    status: int, message: str, code: str | None = None, param: str | None = None
) -> JSONResponse:
    return JSONResponse(RequestError(status, message, param, code).body(), status)


def page(items: list[dict[str, Any]], request: Request) -> Response:
    """Cursor pagination as OpenAI does it: `after` an id, `limit` items, `has_more`."""
    try:
        limit = max(1, min(100, int(request.query_params.get("limit", "20"))))
    except ValueError:
        return error(400, "limit must be an integer", param="limit")
    after = request.query_params.get("after")
    if after:
        ids = [item["id"] for item in items]
        items = items[ids.index(after) + 1 :] if after in ids else []
    shown = items[:limit]
    return JSONResponse(
        {
            "object": "list",
            "data": shown,
            "has_more": len(items) > limit,
            "first_id": shown[0]["id"] if shown else None,
            "last_id": shown[-1]["id"] if shown else None,
        }
    )
