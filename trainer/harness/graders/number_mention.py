"""A number found in a text (`Mention`), and the text as a reader sees it.

`normalise` drops the typography a reader ignores; `context_before` and `context_after` are
the text read around a number. `trainer.harness.graders.numbers` reads the numbers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

Kind = Literal["plain", "percent", "money", "unit"]


@dataclass(frozen=True)
class Mention:
    """One number in a text: its value, what it counts, and where it is."""

    value: Fraction
    kind: Kind = "plain"
    dimension: str = ""
    """For a unit: length, area, mass, volume, angle, time (value in the base unit)."""
    decimals: int | None = None
    """Digits after the decimal point as written (for rounded forms such as 0.92)."""
    explicit_sign: bool = False
    written: Fraction | None = None
    """The value as written before a unit or money conversion (35 of 35 cm²)."""
    start: int = 0
    end: int = 0
    text: str = ""


_WINDOW = 80
"""How far before or after a number its context is read (keeps reading linear)."""


def context_before(text: str, start: int) -> str:
    return text[max(0, start - _WINDOW) : start]


def context_after(text: str, end: int) -> str:
    return text[end : end + _WINDOW]


def normalise(text: str) -> str:
    """Typography a reader ignores: minus signs, spaces, markdown, LaTeX fractions."""
    text = text.replace("\u2212", "-").replace("\u2019", "'").replace("\u2018", "'")
    text = re.sub(r"(?<![\w)])[\u2013\u2014](?=\d)", "-", text)
    text = re.sub(r"\\[dt]?frac\s*\{\s*([^{}]+?)\s*\}\s*\{\s*([^{}]+?)\s*\}", r"\1/\2", text)
    text = text.replace("\\times", "×").replace("\\div", "÷").replace("\\cdot", "·")
    text = re.sub(r"\\[()\[\]]|\$(?=\\)|(?<=[}\s])\$", " ", text)
    text = re.sub(r"(?<=\d)\s*\^\s*\{?2\}?", "²", text)
    return re.sub(r"[*_`]+", "", text)
