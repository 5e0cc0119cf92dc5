"""The served models: chatting with them (/v1/chat/completions) and listing them (/v1/models)."""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from trainer.emulator.judging import is_judge_request, verdict
from trainer.emulator.moderation import moderate
from trainer.emulator.replies import base_reply, last_user_text
from trainer.emulator.responses import error
from trainer.emulator.retrieval import words
from trainer.emulator.state import OWNER, EmulatorState


def model_routes(state: EmulatorState) -> list[Route]:
    async def chat(request: Request) -> Response:
        try:
            body = await request.json()
        except json.JSONDecodeError:
            return error(400, "Request body is not valid JSON")
        model, messages = body.get("model"), body.get("messages")
        if not isinstance(model, str) or not isinstance(messages, list) or not messages:
            return error(400, "model and a non-empty messages list are required")
        if is_judge_request(messages):
            with state.lock:
                state.judged.append(body)
            content = verdict(messages, body.get("response_format"), state.judge)
        elif model in state.answerers:
            content = state.answerers[model](messages)
        elif model in state.imported:
            content = base_reply(model, messages)
        elif model.startswith("ft:"):
            retrieval = state.model_for(model)
            if retrieval is None:
                return error(
                    404,
                    f"The model `{model}` does not exist or you do not have access to it.",
                    "model_not_found",
                )
            content = retrieval.answer(last_user_text(messages)) or base_reply(model, messages)
        else:
            content = base_reply(model, messages)
        prompt_tokens = sum(
            len(words(str(m.get("content", "")))) + 3 for m in messages if isinstance(m, dict)
        )
        completion_tokens = len(words(content))
        return JSONResponse(
            {
                "id": state.new_id("chatcmpl"),
                "object": "chat.completion",
                "created": int(state.clock()),
                "model": model,
                "system_fingerprint": "trainer-emulator",
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": content, "refusal": None},
                        "finish_reason": "stop",
                        "logprobs": None,
                    }
                ],
                "usage": {
                    "prompt_tokens": prompt_tokens,
                    "completion_tokens": completion_tokens,
                    "total_tokens": prompt_tokens + completion_tokens,
                },
            }
        )

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
