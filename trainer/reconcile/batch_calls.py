"""The evaluation's model calls as batch lines, and the provider that answers them from
batch outputs.

`evaluate()` runs with a `BatchAnswers` provider: a call answered by a batch gets that
answer; a call whose lines failed too often raises (the harness counts it as an error);
any other call is *recorded* (to be sent in the next batch) and gets a placeholder. A
judge call about a placeholder is not recorded: it judges an answer not in yet. An
evaluation that recorded nothing is the real one, and it never made a synchronous chat
request: this provider never calls the API for chat.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from trainer.digests import canonical_json
from trainer.harness.cache import ResponseCache
from trainer.harness.call_label import CALL_LABEL
from trainer.providers.base import ChatReply, Provider, ProviderError
from trainer.providers.on_demand import OnDemandProvider

PENDING = "[trainer: this answer is pending in a batch]"
MAX_LINE_ATTEMPTS = 3
"""Batches a failed line is sent in before it counts as an error."""
REF = 24
_REF = re.compile(r"[0-9a-f]{24}$")
_UNSAFE = re.compile(r"[^A-Za-z0-9_.:/#-]+")


@dataclass(frozen=True)
class Call:
    key: str
    """sha256 of the request body (and label): equal calls are one line."""
    model: str
    body: dict[str, Any]
    label: str | None = None

    @classmethod
    def of(cls, model: str, messages: list[dict[str, Any]], options: Mapping[str, Any]) -> Call:
        body: dict[str, Any] = {"model": model, "messages": messages}
        body["temperature"] = options.get("temperature", 0.0)
        for name in ("seed", "max_tokens", "response_format"):
            if options.get(name) is not None:
                body[name] = options[name]
        label = CALL_LABEL.get()
        # with the runner's label, repeats of one request are lines of their own
        key = hashlib.sha256(canonical_json({"body": body, "label": label})).hexdigest()
        return cls(key, model, body, label)

    def custom_id(self, role: str) -> str:
        """Deterministic and unique per call: the runner's label when it sets one."""
        if self.label:
            return _UNSAFE.sub("_", self.label)[:160] + f"#{self.ref}"
        return f"{role}-{self.ref}"

    @property
    def ref(self) -> str:
        """What a line's custom_id ends with: enough of the key to find the call again
        from an output file alone (on a fresh machine)."""
        return self.key[:REF]

    def line(self, role: str) -> str:
        line = {
            "custom_id": self.custom_id(role),
            "method": "POST",
            "url": "/v1/chat/completions",
            "body": self.body,
        }
        return json.dumps(line, sort_keys=True)


@dataclass
class Outcomes:
    """What batches said about each call (by key): its answer, or how often it failed."""

    answers: dict[str, dict[str, Any]] = field(default_factory=dict)
    """By call ref (`Call.ref`)."""
    failures: dict[str, int] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    expired: set[str] = field(default_factory=set)
    """Calls whose batch expired before answering them: sent again, never counted failed."""
    give_up: bool = False
    """Send nothing more: every call not answered yet is an error."""

    def add_output(self, text: str) -> None:
        """The lines of a batch's output or error file (by the ref their custom_id ends with)."""
        for raw in text.splitlines():
            if not raw.strip():
                continue
            record = json.loads(raw)
            found = _REF.search(str(record.get("custom_id", "")))
            key = found.group(0) if found else None
            if key is None or key in self.answers:
                continue
            response = record.get("response") or {}
            body = response.get("body") or {}
            if response and 200 <= int(response.get("status_code", 0)) < 300:
                usage = body.get("usage") or {}
                self.answers[key] = {
                    "content": body["choices"][0]["message"].get("content") or "",
                    "model": body.get("model", ""),
                    "system_fingerprint": body.get("system_fingerprint"),
                    "prompt_tokens": usage.get("prompt_tokens", 0),
                    "completion_tokens": usage.get("completion_tokens", 0),
                }
                continue
            error = record.get("error") or body.get("error") or {}
            if error.get("code") == "batch_expired":
                self.expired.add(key)
                continue
            self.failures[key] = self.failures.get(key, 0) + 1
            self.errors[key] = str(error.get("message") or f"HTTP {response.get('status_code')}")

    def exhausted(self, key: str) -> bool:
        return key not in self.answers and (
            self.give_up or self.failures.get(key, 0) >= MAX_LINE_ATTEMPTS
        )


class BatchAnswers(OnDemandProvider):
    """A Provider for `evaluate()`: chat from batch outputs (recording what is missing);
    moderation, which is not chat, from the real provider."""

    def __init__(self, real: Provider, outcomes: Outcomes) -> None:
        super().__init__(lambda: real)
        self._real = real
        self._outcomes = outcomes
        self.recorded: dict[str, Call] = {}
        self.served = 0

    def chat(self, model: str, messages: list[dict[str, Any]], **options: Any) -> ChatReply:
        raise ProviderError("batch evaluation makes no synchronous chat request")

    async def achat(self, model: str, messages: list[dict[str, Any]], **options: Any) -> ChatReply:
        call = Call.of(model, messages, options)
        answer = self._outcomes.answers.get(call.ref)
        if answer is not None:
            self.served += 1
            return ChatReply(
                answer["content"],
                answer["model"] or model,
                answer["system_fingerprint"],
                answer["prompt_tokens"],
                answer["completion_tokens"],
            )
        if self._outcomes.exhausted(call.ref):
            why = self._outcomes.errors.get(call.ref, "no batch answered it")
            raise ProviderError(f"not answered by the Batch API: {why}")
        if not any(PENDING in str(m.get("content", "")) for m in messages):
            self.recorded.setdefault(call.key, call)
        return ChatReply(PENDING, model)

    async def amoderate(
        self, texts: list[str], *, model: str = "omni-moderation-latest"
    ) -> list[dict[str, float]]:
        real = [t for t in texts if PENDING not in t]
        if not real:
            return [{} for _ in texts]
        scores = dict(zip(real, await self._real.amoderate(real, model=model), strict=True))
        return [dict(scores.get(t, {})) for t in texts]


class AnswersCache(ResponseCache):
    """The response cache, minus placeholders: every real batch answer is kept in it, so
    an unchanged evaluation later makes no request at all."""

    def put(self, key: str, value: dict[str, Any]) -> None:
        if PENDING in str(value.get("content", "")) or value.get("scores") == {}:
            return
        super().put(key, value)
