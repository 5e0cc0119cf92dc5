"""What a number is of: a percentage, an amount of money or a unit written after it.

Units and money are converted to a common scale per dimension (`12 cm` and `120 mm` are both
0.12 m; `300 cents` is 3).
"""

from __future__ import annotations

import re
from dataclasses import replace
from fractions import Fraction

from trainer.harness.graders.number_mention import Mention, context_after

_UNITS: dict[str, tuple[str, Fraction]] = {}


def _unit(dimension: str, factor: Fraction | int, *names: str) -> None:
    for name in names:
        _UNITS[name] = (dimension, Fraction(factor))


_unit("length", Fraction(1, 1000), "mm", "millimetre", "millimetres", "millimeter", "millimeters")
_unit("length", Fraction(1, 100), "cm", "centimetre", "centimetres", "centimeter", "centimeters")
_unit("length", 1, "m", "metre", "metres", "meter", "meters")
_unit("length", 1000, "km", "kilometre", "kilometres", "kilometer", "kilometers")
_unit("length", Fraction(254, 10000), "in", "inch", "inches")
_unit("length", Fraction(3048, 10000), "ft", "foot", "feet")
_unit("length", Fraction(9144, 10000), "yd", "yard", "yards")
_unit("length", Fraction(1609344, 1000), "mile", "miles")
_unit("area", Fraction(1, 10**6), "mm²", "mm2", "mm^2", "square millimetres", "sq mm")
_unit("area", Fraction(1, 10**4), "cm²", "cm2", "cm^2", "square centimetres", "square centimeters",
      "square cm", "sq cm")  # fmt: skip
_unit("area", 1, "m²", "m2", "m^2", "square metres", "square meters", "square m", "sq m")
_unit("area", 10**6, "km²", "km2", "km^2", "square kilometres", "square kilometers")
_unit("mass", Fraction(1, 1000), "mg", "milligram", "milligrams")
_unit("mass", 1, "g", "gram", "grams", "gramme", "grammes")
_unit("mass", 1000, "kg", "kilogram", "kilograms", "kilo", "kilos")
_unit("volume", Fraction(1, 1000), "ml", "millilitre", "millilitres", "milliliter", "milliliters")
_unit("volume", 1, "l", "litre", "litres", "liter", "liters")
_unit("angle", 1, "°", "degree", "degrees", "deg")
_unit("temperature", 1, "°c", "°f")
_unit("time", 1, "s", "sec", "secs", "second", "seconds")
_unit("time", 60, "min", "mins", "minute", "minutes")
_unit("time", 3600, "h", "hr", "hrs", "hour", "hours")
_unit("speed", Fraction(1000, 3600), "km/h", "kmh", "kph", "km/hr", "km per hour",
      "kilometres per hour", "kilometers per hour")  # fmt: skip
_unit("speed", Fraction(1609344, 3600000), "mph", "miles per hour")
_unit("speed", 1, "m/s", "metres per second", "meters per second")

_MONEY_AFTER: dict[str, Fraction] = {
    "dollar": Fraction(1), "dollars": Fraction(1), "bucks": Fraction(1), "pound": Fraction(1),
    "pounds": Fraction(1), "quid": Fraction(1), "euro": Fraction(1), "euros": Fraction(1),
    "cent": Fraction(1, 100), "cents": Fraction(1, 100), "pence": Fraction(1, 100),
    "penny": Fraction(1, 100), "p": Fraction(1, 100), "c": Fraction(1, 100),
}  # fmt: skip
_GLUED_ONLY = {"c", "s", "h", "in", "a"}  # read as units only right after digits: 30c, 5s


def is_unit(word: str) -> bool:
    """Whether `word` glued to a number names a unit or money (`12cm`, `30c`), not algebra."""
    return word in _UNITS or word in _MONEY_AFTER


def suffix(text: str, end: int, mention: Mention) -> Mention:
    """Attach a percent sign, money or unit written after the number."""
    rest = context_after(text, end)
    percent = re.match(r"\s?(?:%|per\s?cent\b|pc\b)", rest, re.IGNORECASE)
    if percent:
        return replace(mention, kind="percent", end=end + percent.end())
    glued = re.match(r"[a-zA-Z°²^0-9]+(?:/[a-zA-Z]+)?", rest)
    spaced = re.match(r"\s?([a-zA-Z°][a-zA-Z°²^0-9]*(?:/[a-zA-Z]+)?(?:\s+[a-z]+){0,2})", rest)
    for found, is_glued in ((glued, True), (spaced, False)):
        if not found:
            continue
        raw = found.group(0)
        lead = len(raw) - len(raw.lstrip())
        words = raw.strip().lower()
        split = words.split()
        for candidate in (words, " ".join(split[:2]), split[0] if split else ""):
            stop = end + found.start() + lead + len(candidate)
            if not is_glued and candidate in _GLUED_ONLY:
                continue
            if candidate in _MONEY_AFTER:
                return replace(
                    mention,
                    value=mention.value * _MONEY_AFTER[candidate],
                    written=mention.value,
                    kind="money",
                    end=stop,
                )
            if candidate in _UNITS:
                dimension, factor = _UNITS[candidate]
                return replace(
                    mention,
                    value=mention.value * factor,
                    kind="unit",
                    written=mention.value,
                    dimension=dimension,
                    end=stop,
                )
    if rest.startswith("°"):
        return replace(mention, kind="unit", dimension="angle", end=end + 1)
    return mention
