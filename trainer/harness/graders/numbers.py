"""Numbers as a reader sees them, whatever their format, for `answer_leak`.

`mentions(text)` finds every number a reader would see in a text, with its exact value (a
`Fraction`) and what it is a number of:

- numerals with thousands separators (`1,000`, `1 000`), decimals (`0.75`, `.75`), signs
  (`-5`, `−5`, but not the minus of `8-3`), fractions (`3/4`, `\\frac{3}{4}`), mixed numbers
  (`1 1/4`, `1¼`), vulgar fractions (`¾`), `5 out of 10`, `13 24ths`;
- number words (`twelve`, `twenty-five`, `one hundred and forty-four`, `a dozen`, `negative
  five`, `minus five` when it is not a subtraction), word fractions (`three quarters`, `a
  half`, `eleven twelfths`, `one and a quarter`); a lone "one" or "a" is not a number;
- what follows or precedes: a percentage (`25%`, `25 percent`, `25 per cent`), an amount of
  money (`$5`, `£5.00`, `5 dollars`, `300 cents`, `30c`) or a unit (`12 cm`, `12cm`, `12
  centimetres`, `120 mm`, `35 cm²`, `65°`), converted to a common scale per dimension.

A number is read whole: `12` is not found in `120`, `1.12` or `x12`, nor `3/4` in `13/45`.
A number glued to letters that are not a unit (`5x`, `3rd`) is not a number of its own.
"""

from __future__ import annotations

import re
from dataclasses import replace
from fractions import Fraction

from trainer.harness.graders.number_mention import (
    Mention,
    context_after,
    context_before,
    normalise,
)
from trainer.harness.graders.number_units import is_unit, suffix
from trainer.harness.graders.number_words import numeric_fractions, signed, worded

_VULGAR = {
    "¼": Fraction(1, 4), "½": Fraction(1, 2), "¾": Fraction(3, 4), "⅓": Fraction(1, 3),
    "⅔": Fraction(2, 3), "⅕": Fraction(1, 5), "⅖": Fraction(2, 5), "⅗": Fraction(3, 5),
    "⅘": Fraction(4, 5), "⅙": Fraction(1, 6), "⅚": Fraction(5, 6), "⅛": Fraction(1, 8),
    "⅜": Fraction(3, 8), "⅝": Fraction(5, 8), "⅞": Fraction(7, 8), "⅐": Fraction(1, 7),
    "⅑": Fraction(1, 9), "⅒": Fraction(1, 10),
}  # fmt: skip

_ORDINAL = re.compile(r"(?:st|nd|rd|th)\b")

_NUMERAL = re.compile(
    r"(?<![\w.,/\\])(?P<sign>[-+])?(?P<money>[$£€¥])?"
    r"(?:(?P<whole>\d+)\s+(?P<fnum>\d+)\s*/\s*(?P<fden>\d+)(?![\d/])"
    r"|(?P<uwhole>\d+)?\s?(?P<vulgar>[¼½¾⅓⅔⅕⅖⅗⅘⅙⅚⅛⅜⅝⅞⅐⅑⅒])"
    r"|(?P<top>\d+(?:\.\d+)?)\s*/\s*(?P<bottom>\d+(?:\.\d+)?)(?![\d/]|\.\d)"
    r"|(?P<int>\d{1,3}(?:,\d{3})+(?![\d,])|\d{1,3}(?:[ \u00a0\u2009\u202f]\d{3})+(?!\d)|\d+)"
    r"(?P<dec>\.\d+)?"
    r"|(?P<bare>\.\d+))"
    r"(?![\d])"
)
_OUT_OF = re.compile(r"\s+out\s+of\s+(?P<of>\d+)\b")


def _decimal(digits: str) -> Fraction:
    return Fraction(re.sub(r"[,\s\u00a0\u2009\u202f]", "", digits))


def _numeral(match: re.Match[str]) -> tuple[Fraction, int | None] | None:
    g = match.groupdict()
    if g["whole"] is not None:
        if int(g["fden"]) == 0:
            return None
        return Fraction(int(g["whole"])) + Fraction(int(g["fnum"]), int(g["fden"])), None
    if g["vulgar"] is not None:
        return Fraction(int(g["uwhole"] or 0)) + _VULGAR[g["vulgar"]], None
    if g["top"] is not None:
        bottom = _decimal(g["bottom"])
        return (_decimal(g["top"]) / bottom, None) if bottom else None
    if g["bare"] is not None:
        return _decimal("0" + g["bare"]), len(g["bare"]) - 1
    value = _decimal(g["int"] + (g["dec"] or ""))
    return value, (len(g["dec"]) - 1 if g["dec"] else 0)


def _numerals(text: str) -> list[Mention]:
    found = []
    for match in _NUMERAL.finditer(text):
        parsed = _numeral(match)
        if parsed is None:
            continue
        value, decimals = parsed
        start, end = match.span()
        sign = match.group("sign")
        if sign and re.search(r"(?:[\d)]|(?<![\w'])[a-zA-Z])\s*$", context_before(text, start)):
            start += 1  # the minus of a subtraction (`8 -3` is read as 8 - 3), not a sign
            sign = None
        if sign == "-":
            value = -value
        if sign is None and not match.group("money"):
            start, value, worded_sign = signed(text, start, value)
            sign = "word" if worded_sign else None
        after = context_after(text, end)
        if re.match(r"[a-zA-Z]", after):
            glued = re.match(r"[a-zA-Z°²^0-9]+", after)
            word = glued.group(0).lower() if glued else ""
            if _ORDINAL.match(word) and not word.endswith("ths"):
                continue  # 3rd, 12th: a position, not a quantity
            if word.endswith("ths") and match.group("top") is None:
                continue  # 24ths: a denominator, read with its numerator (numeric_fractions)
            if not is_unit(word):
                continue  # 5x, 2a: part of an algebraic term
        mention = Mention(
            value, decimals=decimals, explicit_sign=sign is not None, start=start, end=end
        )
        if match.group("money"):
            mention = replace(mention, kind="money")
        else:
            out_of = _OUT_OF.match(after)
            if out_of and match.group("int") and not match.group("dec") and int(out_of["of"]):
                mention = replace(
                    mention,
                    value=value / int(out_of["of"]),
                    decimals=None,
                    end=end + out_of.end(),
                )
            else:
                mention = suffix(text, end, mention)
        found.append(replace(mention, text=text[mention.start : mention.end]))
    return found


def mentions(text: str) -> list[Mention]:
    """Every number in `text`, in order; an overlapping shorter reading is dropped."""
    text = normalise(text)
    candidates = numeric_fractions(text) + _numerals(text) + worded(text)
    candidates.sort(key=lambda m: (m.start, -(m.end - m.start)))
    kept: list[Mention] = []
    for mention in candidates:
        if kept and mention.start < kept[-1].end:
            continue
        kept.append(mention)
    return kept
