"""The served models: chatting with them (/v1/chat/completions) and listing them (/v1/models)."""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from trainer.emulator.chat import complete
from trainer.emulator.moderation import moderate
from trainer.emulator.responses import error
from trainer.emulator.state import OWNER, EmulatorState


def model_routes(state: EmulatorState) -> list[Route]:
    async def chat(request: Request) -> Response:
        try:
            body = await request.json()
        except json.JSONDecodeError:
            return error(400, "Request body is not valid JSON")
        status, answer = complete(state, body)
        return JSONResponse(answer, status)

    async def list_models(request: Request) -> Response:
        with state.lock:
            names = sorted(state.base_models | state.imported) + [
                state.fine_tuned_model(j)
                for j in state.jobs.values()
                if state.status(j)[0] == "succeeded"
            ]
        return JSONResponse(
            {
                "object": "list",
                "data": [
                    {"id": n, "object": "model", "created": 0, "owned_by": OWNER} for n in names
                ],
            }
        )

    async def moderations(request: Request) -> Response:
        try:
            body = await request.json()
        except json.JSONDecodeError:
            return error(400, "Request body is not valid JSON")
        given = body.get("input")
        texts = [given] if isinstance(given, str) else given
        if not isinstance(texts, list) or not texts or not all(isinstance(t, str) for t in texts):
            return error(400, "input must be a string or a non-empty list of strings")
        return JSONResponse(
            {
                "id": state.new_id("modr"),
                "model": body.get("model") or "omni-moderation-latest",
                "results": [moderate(t) for t in texts],
            }
        )

    return [
        Route("/v1/moderations", moderations, methods=["POST"]),
        Route("/v1/chat/completions", chat, methods=["POST"]),
        Route("/v1/models", list_models, methods=["GET"]),
    ]
