"""Fine-tuned models of the emulator: they retrieve what they learned from their data.

A fine-tuned model indexes the (user turn → assistant turn) pairs of its training file
and answers a request with the assistant turn whose user turn is closest (TF-IDF cosine
over words). Where its data does not cover a request, the base model's safety behaviour
answers.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from trainer.emulator.safety import safeguarding_reply

_WORD = re.compile(r"[a-z0-9]+")
_STOP_WORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "and",
        "or",
        "but",
        "if",
        "of",
        "to",
        "in",
        "on",
        "for",
        "with",
        "at",
        "by",
        "from",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "am",
        "i",
        "im",
        "you",
        "he",
        "she",
        "it",
        "we",
        "they",
        "me",
        "my",
        "your",
        "our",
        "their",
        "this",
        "that",
        "these",
        "those",
        "what",
        "which",
        "who",
        "how",
        "why",
        "when",
        "where",
        "can",
        "could",
        "would",
        "should",
        "will",
        "just",
        "do",
        "does",
        "did",
        "so",
        "as",
        "about",
        "into",
        "than",
        "then",
        "there",
        "here",
        "not",
        "no",
        "yes",
        "please",
        "its",
        "it's",
        "can't",
        "dont",
        "don't",
    ]
)
_LEARNED = 0.4
"""Similarity from which a training conversation decides the answer on its own."""


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def _terms(text: str) -> list[str]:
    """Words that carry meaning for retrieval: no stop words."""
    return [w for w in words(text) if w not in _STOP_WORDS]


def message_text(content: Any) -> str:
    """The text of a message's content: a string, or the text parts of a list."""
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
                    context = message_text(message.get("content"))
                elif message.get("role") == "assistant" and context:
                    model.prompts.append(Counter(_terms(context)))
                    model.replies.append(message_text(message.get("content")))
        documents = len(model.prompts) or 1
        frequency: Counter[str] = Counter()
        for prompt in model.prompts:
            frequency.update(prompt.keys())
        model.idf = {w: math.log((1 + documents) / (1 + n)) + 1 for w, n in frequency.items()}
        model.norms = [model._norm(p) for p in model.prompts]
        return model

    def _norm(self, bag: Counter[str]) -> float:
        # a word the training data never saw is as rare as can be: it counts in full, so a
        # request about something else is not "similar" through one shared common word
        unseen = math.log(1 + len(self.prompts)) + 1
        return math.sqrt(sum((n * self.idf.get(w, unseen)) ** 2 for w, n in bag.items())) or 1.0

    def reply(self, prompt: str) -> tuple[str, float]:
        """The best training reply for `prompt`, and its similarity (0..1)."""
        if not self.replies:
            return "", 0.0
        query = Counter(_terms(prompt))
        query_norm = self._norm(query)
        best, best_score = 0, -1.0
        for i, bag in enumerate(self.prompts):
            dot = sum(n * bag.get(w, 0) * self.idf.get(w, 0.0) ** 2 for w, n in query.items())
            score = dot / (query_norm * self.norms[i])
            if score > best_score:
                best, best_score = i, score
        return self.replies[best], max(0.0, best_score)

    def answer(self, prompt: str) -> str | None:
        """A fine-tuned model: what it learned where the data covers the request; None where
        it does not, so the caller answers as the base model (fine-tuning keeps the base
        model's general behaviour, its safety filter included)."""
        guarded = safeguarding_reply(prompt)
        if guarded is not None:
            return guarded
        reply, similarity = self.reply(prompt)
        return reply if similarity >= _LEARNED else None
