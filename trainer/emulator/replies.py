"""What emulated base models and the emulator's judge reply.

A base model has learned nothing from the repository: it answers every request directly
and never asks a question back. The judge grades answers by a fixed, documented rule.
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
    text = "\n".join(message_text(m.get("content")) for m in messages if isinstance(m, dict))
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
            return message_text(message.get("content"))
    return ""
