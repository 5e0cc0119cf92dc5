"""What emulated models say: base models answer plainly, fine-tuned ones retrieve.

A fine-tuned model indexes the (user turn → assistant turn) pairs of its training file
and answers a request with the assistant turn whose user turn is closest (TF-IDF cosine
over words). A base model has learned nothing from the repository: it answers every
request directly and never asks a question back.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

WORD = re.compile(r"[a-z0-9]+")


def words(text: str) -> list[str]:
    return WORD.findall(text.lower())


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(p.get("text", "") for p in content if isinstance(p, dict))
    return ""


@dataclass
class RetrievalModel:
    """Nearest-neighbour over the training conversations of one fine-tuning job."""

    prompts: list[Counter[str]] = field(default_factory=list)
    replies: list[str] = field(default_factory=list)
    idf: dict[str, float] = field(default_factory=dict)
    norms: list[float] = field(default_factory=list)

    @classmethod
    def from_jsonl(cls, data: bytes) -> RetrievalModel:
        model = cls()
        for raw in data.splitlines():
            try:
                example = json.loads(raw)
            except ValueError:
                continue
            messages = example.get("messages") if isinstance(example, dict) else None
            if not isinstance(messages, list):
                messages = (
                    (example.get("input") or {}).get("messages", [])
                    if isinstance(example, dict)
                    else []
                )
                preferred = example.get("preferred_output") if isinstance(example, dict) else None
                if isinstance(preferred, list):
                    messages = [*messages, *preferred]
            context = ""
            for message in messages:
                if not isinstance(message, dict):
                    continue
                if message.get("role") == "user":
                    context = _text(message.get("content"))
                elif message.get("role") == "assistant" and context:
                    model.prompts.append(Counter(words(context)))
                    model.replies.append(_text(message.get("content")))
        documents = len(model.prompts) or 1
        frequency: Counter[str] = Counter()
        for prompt in model.prompts:
            frequency.update(prompt.keys())
        model.idf = {w: math.log((1 + documents) / (1 + n)) + 1 for w, n in frequency.items()}
        model.norms = [model._norm(p) for p in model.prompts]
        return model

    def _norm(self, bag: Counter[str]) -> float:
        return math.sqrt(sum((n * self.idf.get(w, 0.0)) ** 2 for w, n in bag.items())) or 1.0

    def reply(self, prompt: str) -> tuple[str, float]:
        """The best training reply for `prompt`, and its similarity (0..1)."""
        if not self.replies:
            return "", 0.0
        query = Counter(words(prompt))
        query_norm = self._norm(query)
        best, best_score = 0, -1.0
        for i, bag in enumerate(self.prompts):
            dot = sum(n * bag.get(w, 0) * self.idf.get(w, 0.0) ** 2 for w, n in query.items())
            score = dot / (query_norm * self.norms[i])
            if score > best_score:
                best, best_score = i, score
        return self.replies[best], max(0.0, best_score)


def base_reply(model: str, messages: list[Any]) -> str:
    """A base model's plain, direct answer: no guiding question, no refusal."""
    last = next(
        (
            _text(m.get("content"))
            for m in reversed(messages)
            if isinstance(m, dict) and m.get("role") == "user"
        ),
        "",
    )
    topic = " ".join(words(last)[:12]) or "your request"
    return (
        f"Sure. Here is a direct answer about {topic}: work it through step by step and you "
        f"will reach the result. (emulated base model {model})"
    )


def last_user_text(messages: list[Any]) -> str:
    for message in reversed(messages):
        if isinstance(message, dict) and message.get("role") == "user":
            return _text(message.get("content"))
    return ""
