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
from fractions import Fraction
from typing import Any

from trainer.emulator.safety import safeguarding_reply, safety_reply

WORD = re.compile(r"[a-z0-9]+")
STOP_WORDS = frozenset(
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
LEARNED = 0.45
"""Similarity from which a training conversation decides the answer on its own."""


def words(text: str) -> list[str]:
    return WORD.findall(text.lower())


def terms(text: str) -> list[str]:
    """Words that carry meaning for retrieval: no stop words."""
    return [w for w in words(text) if w not in STOP_WORDS]


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
                    model.prompts.append(Counter(terms(context)))
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
        query = Counter(terms(prompt))
        query_norm = self._norm(query)
        best, best_score = 0, -1.0
        for i, bag in enumerate(self.prompts):
            dot = sum(n * bag.get(w, 0) * self.idf.get(w, 0.0) ** 2 for w, n in query.items())
            score = dot / (query_norm * self.norms[i])
            if score > best_score:
                best, best_score = i, score
        return self.replies[best], max(0.0, best_score)

    def answer(self, prompt: str) -> str:
        """A fine-tuned model: what it learned where the data covers the request, and the
        base model's safety behaviour where it does not."""
        guarded = safeguarding_reply(prompt)
        if guarded is not None:
            return guarded
        reply, similarity = self.reply(prompt)
        if similarity >= LEARNED:
            return reply
        return safety_reply(prompt) or reply


ARITHMETIC = re.compile(
    r"(-?\d+(?:\.\d+)?(?:/\d+)?)\s*([+\-*x×÷/]|times|plus|minus)\s*(-?\d+(?:\.\d+)?(?:/\d+)?)"
)


def _arithmetic(text: str) -> str | None:
    """The result of the first simple `a op b` in the text, as a base model blurts it out."""
    for match in ARITHMETIC.finditer(text.replace("\u2212", "-")):
        a, op, b = match.groups()
        try:
            x, y = Fraction(a), Fraction(b)
            if op in ("÷", "/") and y == 0:
                continue
            result = {
                "+": x + y,
                "plus": x + y,
                "-": x - y,
                "minus": x - y,
                "*": x * y,
                "x": x * y,
                "×": x * y,
                "times": x * y,
                "÷": x / y if y else x,
                "/": x / y if y else x,
            }[op]
        except (ValueError, ZeroDivisionError, KeyError):
            continue
        return str(result)
    return None


def base_reply(model: str, messages: list[Any]) -> str:
    """A base model: its safety filter first, then a plain answer that tells and never asks."""
    last = last_user_text(messages)
    declined = safety_reply(last)
    if declined is not None:
        return declined
    result = _arithmetic(last)
    if result is not None:
        return f"The answer is {result}. (emulated base model {model})"
    topic = " ".join(words(last)[:8]) or "your request"
    return (
        f"Sure. Here is a direct answer about {topic}: follow the usual steps and you "
        f"will get the result. (emulated base model {model})"
    )


def judge_reply(messages: list[Any]) -> str | None:
    """The emulator's judge: a fixed rule (does the graded answer ask a question?).

    Deterministic and documented, so model-graded checks can be tested end to end.
    """
    text = "\n".join(_text(m.get("content")) for m in messages if isinstance(m, dict))
    if "[trainer-judge]" not in text:
        return None
    answer = text.split("<<<ANSWER>>>", 1)[-1].split("<<<END ANSWER>>>", 1)[0]
    good = "?" in answer
    reasoning = (
        f"Reasoning: the answer {'asks' if good else 'does not ask'} the student a question."
    )
    labels = re.search(r"Choose exactly one label from: (.+?)\.\n", text)
    if labels:
        options = [o.strip() for o in labels.group(1).split(",")]
        return f"{reasoning}\nVERDICT: {options[0] if good else options[-1]}"
    scale = re.search(r"Score the answer from (-?[\d.]+) to (-?[\d.]+)", text)
    low, high = (scale.group(1), scale.group(2)) if scale else ("0", "10")
    return f"{reasoning}\nSCORE: {high if good else low}"


def last_user_text(messages: list[Any]) -> str:
    for message in reversed(messages):
        if isinstance(message, dict) and message.get("role") == "user":
            return _text(message.get("content"))
    return ""
