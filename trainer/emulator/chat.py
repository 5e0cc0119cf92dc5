"""A chat completion for one request body: what /v1/chat/completions and batch lines answer.

`complete` is the whole of the route's behaviour apart from HTTP: the same body gives the
same answer (and the same error) whether it came synchronously or as a line of a batch.
"""

from __future__ import annotations

from typing import Any

from trainer.emulator.judging import is_judge_request, verdict
from trainer.emulator.replies import base_reply, last_user_text
from trainer.emulator.retrieval import words
from trainer.emulator.state import EmulatorState
from trainer.emulator.validation import RequestError


def _content(state: EmulatorState, model: str, messages: list[Any], body: dict[str, Any]) -> str:
    if is_judge_request(messages):
        with state.lock:
            state.judged.append(body)
        return verdict(messages, body.get("response_format"), state.judge)
    if model in state.answerers:
        return state.answerers[model](messages)
    if model in state.imported:
        return base_reply(model, messages)
    if model.startswith("ft:"):
        retrieval = state.model_for(model)
        if retrieval is None:
            raise RequestError(
                404,
                f"The model `{model}` does not exist or you do not have access to it.",
                code="model_not_found",
            )
        return retrieval.answer(last_user_text(messages)) or base_reply(model, messages)
    return base_reply(model, messages)


def complete(state: EmulatorState, body: Any, channel: str = "sync") -> tuple[int, dict[str, Any]]:
    """The HTTP status and JSON body the chat completions route answers `body` with.

    `channel` ("sync" or "batch") only says where the tokens are tallied in `state.usage`.
    """
    model = body.get("model") if isinstance(body, dict) else None
    messages = body.get("messages") if isinstance(body, dict) else None
    if not isinstance(model, str) or not isinstance(messages, list) or not messages:
        failure = RequestError(400, "model and a non-empty messages list are required")
        return failure.status, failure.body()
    try:
        content = _content(state, model, messages, body)
    except RequestError as exc:
        return exc.status, exc.body()
    prompt_tokens = sum(
        len(words(str(m.get("content", "")))) + 3 for m in messages if isinstance(m, dict)
    )
    completion_tokens = len(words(content))
    with state.lock:
        state.usage[f"{channel} prompt_tokens"] += prompt_tokens
        state.usage[f"{channel} completion_tokens"] += completion_tokens
    return 200, {
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
