"""Numbers written in words: `twelve`, `one hundred and forty-four`, `a dozen`, `three
quarters`, `one and a quarter`, `negative five`, `13 24ths`.

A lone "one" or "a" is not a number; "minus" after a number is a subtraction, not a sign.
"""

from __future__ import annotations

import re
from dataclasses import replace
from fractions import Fraction

from trainer.harness.graders.number_mention import Mention, context_before
from trainer.harness.graders.number_units import suffix

_ONES = {
    "zero": 0, "nought": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19,
}  # fmt: skip
_TENS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
    "eighty": 80, "ninety": 90,
}  # fmt: skip
_SCALES = {"hundred": 100, "thousand": 1000, "million": 10**6}
_ORDINAL_WORDS = {
    "half": 2, "halves": 2, "third": 3, "quarter": 4, "fourth": 4, "fifth": 5, "sixth": 6,
    "seventh": 7, "eighth": 8, "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12,
    "thirteenth": 13, "fourteenth": 14, "fifteenth": 15, "sixteenth": 16, "seventeenth": 17,
    "eighteenth": 18, "nineteenth": 19, "twentieth": 20, "thirtieth": 30, "fortieth": 40,
    "fiftieth": 50, "sixtieth": 60, "seventieth": 70, "eightieth": 80, "ninetieth": 90,
    "hundredth": 100, "thousandth": 1000,
}  # fmt: skip


def _cardinal(words: list[str], i: int) -> tuple[int, int] | None:
    """The number spelled from words[i] (`one hundred and forty-four`), and where it ends."""
    total, current, j, last = 0, 0, i, ""
    while j < len(words):
        parts = words[j].split("-")
        compound = len(parts) == 2 and parts[0] in _TENS and 0 < _ONES.get(parts[1], 0) < 10
        if (len(parts) == 1 and (parts[0] in _ONES or parts[0] in _TENS)) or compound:
            value = sum(_ONES.get(p, 0) + _TENS.get(p, 0) for p in parts)
            ones_after_tens = last == "tens" and len(parts) == 1 and 0 < value < 10
            if last not in ("", "scale", "and") and not ones_after_tens:
                break
            current += value
            last = "tens" if len(parts) == 1 and parts[0] in _TENS else "ones"
        elif words[j] in _SCALES and last in ("ones", "tens"):
            if _SCALES[words[j]] == 100:
                current *= 100
            else:
                total, current = total + current * _SCALES[words[j]], 0
            last = "scale"
        elif (
            words[j] == "and"
            and last == "scale"
            and j + 1 < len(words)
            and (words[j + 1].split("-")[0] in _ONES or words[j + 1].split("-")[0] in _TENS)
        ):
            last = "and"
        else:
            break
        j += 1
    if last in ("", "and"):
        return None
    return total + current, j


def _denominator(word: str) -> int | None:
    """`quarters` → 4, `twenty-fourths` → 24, `24ths` → 24."""
    numeric = re.fullmatch(r"(\d+)(?:st|nd|rd|th)s?", word)
    if numeric:
        return int(numeric.group(1))
    for base in (word, word[:-1] if word.endswith("s") else word):
        if base in _ORDINAL_WORDS:
            return _ORDINAL_WORDS[base]
        parts = base.split("-")
        if len(parts) == 2 and parts[0] in _TENS and parts[1] in _ORDINAL_WORDS:
            return _TENS[parts[0]] + _ORDINAL_WORDS[parts[1]]
    return None


_TOKEN = re.compile(r"[a-z]+(?:-[a-z]+)*|\d+(?:st|nd|rd|th)s")
_NUMBER_BEFORE = re.compile(r"(?:\d|\b(?:" + "|".join([*_ONES, *_TENS]) + r"))[\s)]*$")


def signed(text: str, start: int, value: Fraction) -> tuple[int, Fraction, bool]:
    """A sign word before a number: "negative five", "minus 5" (not "7 minus 5")."""
    window = context_before(text, start)
    sign = re.search(r"\b(negative|minus|positive)\s+$", window, re.IGNORECASE)
    if sign is None:
        return start, value, False
    word = sign.group(1).lower()
    if word == "minus" and _NUMBER_BEFORE.search(window[: sign.start()].lower()):
        return start, value, False
    return (
        start - len(window) + sign.start(),
        (-value if word in ("negative", "minus") else value),
        True,
    )


def worded(text: str) -> list[Mention]:
    """Numbers written in words, with word fractions and signs."""
    lowered = text.lower()
    tokens: list[tuple[str, int, int]] = []
    for m in _TOKEN.finditer(lowered):
        head, _, rest = m.group(0).partition("-")
        if rest and head in _ONES and _denominator(rest) is not None:  # eleven-twelfths
            tokens += [
                (head, m.start(), m.start() + len(head)),
                (rest, m.end() - len(rest), m.end()),
            ]
        else:
            tokens.append((m.group(0), m.start(), m.end()))
    words = [t[0] for t in tokens]
    found: list[Mention] = []
    i = 0
    while i < len(words):
        value, j = _worded_at(words, i)
        if value is None:
            i += 1
            continue
        start, end = tokens[i][1], tokens[j - 1][2]
        start, value, explicit = signed(text, start, value)
        mention = suffix(text, end, Mention(value, explicit_sign=explicit, start=start, end=end))
        found.append(replace(mention, text=text[start : mention.end]))
        i = j
    return found


def _worded_at(words: list[str], i: int) -> tuple[Fraction | None, int]:
    word, following = words[i], words[i + 1] if i + 1 < len(words) else ""
    if word in ("a", "an", "one"):
        if following == "dozen":
            return Fraction(12), i + 2
        if following in _SCALES:  # "a hundred and fifty" is "one hundred and fifty"
            cardinal = _cardinal(["one", *words[i + 1 :]], 0)
            return (Fraction(cardinal[0]), i + cardinal[1]) if cardinal else (None, i)
        den = _denominator(following)
        if den is not None and not following.endswith("s") and not following[0].isdigit():
            return Fraction(1, den), i + 2
        if word != "one":
            return None, i
        cardinal = _cardinal(words, i)
        if cardinal is None or cardinal[1] == i + 1:
            and_part = _and_fraction(words, i + 1)
            if and_part is not None:
                return 1 + and_part[0], and_part[1]
            return None, i  # "one" alone is usually a pronoun ("this one")
    cardinal = _cardinal(words, i)
    if cardinal is None:
        return None, i
    number, j = cardinal
    value = Fraction(number)
    following = words[j] if j < len(words) else ""
    if following == "dozen":
        return value * 12, j + 1
    if following == "out" and j + 2 < len(words) and words[j + 1] == "of":
        whole = _cardinal(words, j + 2)
        if whole is not None and whole[0]:
            return Fraction(number, whole[0]), whole[1]
    den = _denominator(following) if following and not following[0].isdigit() else None
    if den is not None and (number == 1 or following.endswith(("s", "halves"))):
        return Fraction(number, den), j + 1
    and_part = _and_fraction(words, j)
    if and_part is not None:
        return value + and_part[0], and_part[1]
    return value, j


def _and_fraction(words: list[str], j: int) -> tuple[Fraction, int] | None:
    """ "and a quarter", "and three quarters" after a whole number."""
    if j + 2 >= len(words) + 1 or j >= len(words) or words[j] != "and" or j + 2 > len(words) - 1:
        return None
    if words[j + 1] in ("a", "an", "one"):
        den = _denominator(words[j + 2])
        return (Fraction(1, den), j + 3) if den is not None else None
    part = _cardinal(words, j + 1)
    if part is not None and part[1] < len(words):
        den = _denominator(words[part[1]])
        if den is not None and not words[part[1]][0].isdigit():
            return Fraction(part[0], den), part[1] + 1
    return None


def numeric_fractions(text: str) -> list[Mention]:
    """`13 24ths`, `thirteen 24ths`, `13 twenty-fourths`, `5 eighths`."""
    found = []
    pattern = r"(?<![\w.,/])(\d+|[a-z]+(?:-[a-z]+)?)\s+(\d+(?:st|nd|rd|th)s|[a-z]+(?:-[a-z]+)?)\b"
    for match in re.finditer(pattern, text, re.IGNORECASE):
        head, tail = match.group(1).lower(), match.group(2).lower()
        if not head.isdigit() and not tail[0].isdigit():
            continue  # all words: read by worded
        cardinal = _cardinal([head], 0)
        count = int(head) if head.isdigit() else (cardinal[0] if cardinal else None)
        den = _denominator(tail)
        if count is None or not den or not (tail.endswith("s") or count == 1):
            continue
        start, value, explicit = signed(text, match.start(), Fraction(count, den))
        found.append(
            Mention(
                value, explicit_sign=explicit, start=start, end=match.end(), text=match.group(0)
            )
        )
    return found
