"""What emulated base models and the emulator's judge reply.

A base model has learned nothing from the repository: it answers every request directly
and never asks a question back. The judge is in `judging`.
(Fine-tuned models answer from their training data: see `retrieval`.)
"""

from __future__ import annotations

import re
from fractions import Fraction
from typing import Any

from trainer.emulator.retrieval import message_text, words
from trainer.emulator.safety import safety_reply

_ARITHMETIC = re.compile(
    r"(-?\d+(?:\.\d+)?(?:/\d+)?)\s*([+\-*x×÷/]|times|plus|minus)\s*(-?\d+(?:\.\d+)?(?:/\d+)?)"
)


def _arithmetic(text: str) -> str | None:
    """The result of the first simple `a op b` in the text, as a base model blurts it out."""
    for match in _ARITHMETIC.finditer(text.replace("\u2212", "-")):
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


def base_of(model: str) -> str:
    """The base model of a fine-tuned model id (`ft:BASE:org:suffix:id`), else the model."""
    parts = model.split(":")
    return parts[1] if len(parts) > 2 and parts[0] == "ft" else model


def base_reply(model: str, messages: list[Any]) -> str:
    """A base model: its safety filter first, then a plain answer that tells and never asks.
    A fine-tuned model answers like its base model where its data does not reach."""
    model = base_of(model)
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


def last_user_text(messages: list[Any]) -> str:
    for message in reversed(messages):
        if isinstance(message, dict) and message.get("role") == "user":
            return message_text(message.get("content"))
    return ""
