"""Find personal data in text a datasheet says is free of it.

Patterns aim at what a redaction step typically misses; each hit is reported with its
kind and a masked form, never the full value. False positives are handled by the
datasheet's `pii_allowlist` (exact strings that are not personal data, such as a
support address) and by ignoring the reserved example domains and fictional numbers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

EMAIL = re.compile(r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b")
_START = r"(?<![\w.+])"
_END = r"(?!\w|[.,]\d)"
"""Numbers end at a word boundary; a full stop ends a sentence, not a number."""
PHONE = re.compile(
    rf"{_START}(?:\+\d{{1,3}}[\s.-]?)?(?:\(\d{{3}}\)\s?|\d{{3}}[\s.-])\d{{3}}[\s.-]\d{{4}}{_END}"
    rf"|(?<![\w.])\+\d{{1,3}}(?:[\s.-]?\d{{2,4}}){{3,4}}{_END}"
)
CARD = re.compile(rf"(?<![\d.])(?:\d[ -]?){{12,18}}\d{_END}")
SSN = re.compile(r"(?<![\d-])(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}(?![\d-])")
IPV4 = re.compile(
    r"(?<![\d.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
    rf"{_END}"
)
STREET = re.compile(
    r"\b\d{1,5}\s+(?:[A-Z][a-z]+\s+){1,3}"
    r"(?:Street|St|Avenue|Ave|Road|Rd|Lane|Ln|Drive|Dr|Boulevard|Blvd|Court|Ct|Way|Place|Pl"
    r"|Terrace|Close|Crescent)\b\.?"
)
_MAYBE = re.compile(r"[@\d](?:(?<=@)|(?<=\d)(?:[\d\s().+-]{7,}\d|\.\d{1,3}\.\d|\s+[A-Z]))")
"""Every pattern needs one of these: an @, a long number, a dotted number, or a digit before
a capital; text without them (most text) is skipped at once. Each starts with @ or a digit,
so the pattern starts with that one class, which `re` scans for quickly."""
_LONG_NUMBER = re.compile(r"\d[\d\s().+-]{7,}\d")
_DOTTED = re.compile(r"\d\.\d{1,3}\.\d")
_HOUSE_NUMBER = re.compile(r"\d\s+[A-Z]")
RESERVED_DOMAINS = ("example.com", "example.org", "example.net", "example.edu")


@dataclass(frozen=True)
class PiiHit:
    kind: str
    masked: str
    column: int
    """0-based offset in the scanned text."""


def mask(value: str) -> str:
    """Keep the shape, hide the content: the first and last character survive."""
    if len(value) <= 4:
        return "*" * len(value)
    middle = "".join("*" if ch.isalnum() else ch for ch in value[1:-1])
    return value[0] + middle + value[-1]


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _candidates(text: str) -> Iterator[tuple[str, re.Match[str]]]:
    if "@" in text:
        for match in EMAIL.finditer(text):
            domain = match.group().rsplit("@", 1)[1].lower()
            if not domain.endswith(RESERVED_DOMAINS):
                yield "email", match
    if _LONG_NUMBER.search(text):
        yield from _numbers(text)
    if _DOTTED.search(text):
        for match in IPV4.finditer(text):
            yield "ip_address", match
    if _HOUSE_NUMBER.search(text):
        for match in STREET.finditer(text):
            yield "street_address", match


def _numbers(text: str) -> Iterator[tuple[str, re.Match[str]]]:
    for match in CARD.finditer(text):
        digits = re.sub(r"\D", "", match.group())
        if 13 <= len(digits) <= 19 and luhn_ok(digits):
            yield "card", match
    for match in SSN.finditer(text):
        yield "ssn", match
    for match in PHONE.finditer(text):
        digits = re.sub(r"\D", "", match.group())
        if not re.search(r"555-?01\d\d$", match.group()) and len(digits) >= 10:
            yield "phone", match


def texts(messages: list[Any]) -> list[tuple[int, str]]:
    """(message index, text) of every text a person wrote, for PII scanning."""
    out = []
    for i, message in enumerate(messages):
        if not isinstance(message, dict):
            continue
        content = message.get("content")
        if isinstance(content, str):
            out.append((i, content))
        elif isinstance(content, list):
            out += [
                (i, p["text"])
                for p in content
                if isinstance(p, dict) and isinstance(p.get("text"), str)
            ]
    return out


def could_hold(values: list[str]) -> bool:
    """False when no text can hold anything `scan` finds: one search for all of them."""
    if sum(map(len, values)) > 1 << 16:  # not joined: no copy of a long text
        return any(_MAYBE.search(value) for value in values)
    return _MAYBE.search("\0".join(values)) is not None


def scan(text: str, allowlist: Iterable[str] = ()) -> list[PiiHit]:
    """Every piece of personal data in `text`, each span reported once (most specific kind)."""
    if _MAYBE.search(text) is None:
        return []
    allowed = set(allowlist)
    hits: list[PiiHit] = []
    taken: list[tuple[int, int]] = []
    for kind, match in _candidates(text):
        start, end = match.span()
        if match.group() in allowed or any(s < end and start < e for s, e in taken):
            continue
        taken.append((start, end))
        hits.append(PiiHit(kind, mask(match.group()), start))
    return sorted(hits, key=lambda h: h.column)
