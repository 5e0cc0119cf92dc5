"""The PII scan finds what redaction missed, masks it, and respects the allow-list."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trainer.datasets import pii
from trainer.datasets.pii import luhn_ok, mask, scan


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("write to jane.doe@gmail.com today", "email"),
        ("call (415) 555-2671.", "phone"),
        ("or +44 20 7946 0958", "phone"),
        ("card 4111 1111 1111 1111.", "card"),
        ("card 5500-0000-0000-0004", "card"),
        ("ssn 123-45-6789.", "ssn"),
        ("server 192.168.10.4.", "ip_address"),
        ("she lives at 42 Maple Street.", "street_address"),
    ],
)
def test_each_kind_is_found(text: str, kind: str) -> None:
    assert [h.kind for h in scan(text)] == [kind]


@pytest.mark.parametrize(
    "text",
    [
        "What is 3/4 + 1/8? Then 0.125 and 1,250 and 45%.",
        "pi is 3.14159265358979 and version 1.2.3.4.5",
        "card-like 4111 1111 1111 1112 fails Luhn",
        "ssn-like 000-12-3456 and 666-12-3456 are never issued",
        "fictional phone 555-0123 and help@example.com",
        "In 1999 there were 360 degrees in 4 right angles.",
    ],
)
def test_look_alikes_are_not_reported(text: str) -> None:
    assert scan(text) == []


def test_allowlist_skips_exact_strings() -> None:
    assert scan("Contact support@acme.io for help", ["support@acme.io"]) == []
    assert [h.kind for h in scan("Contact sales@acme.io", ["support@acme.io"])] == ["email"]


def test_hits_are_masked_never_shown_whole() -> None:
    (hit,) = scan("card 4111 1111 1111 1111")
    assert "4111 1111" not in hit.masked
    assert hit.masked.startswith("4")
    assert hit.masked.endswith("1")
    assert mask("abc") == "***"


def test_luhn() -> None:
    assert luhn_ok("4111111111111111")
    assert not luhn_ok("4111111111111112")


READABLE_PREFILTER = re.compile(r"@|\d[\d\s().+-]{7,}\d|\d\.\d{1,3}\.\d|\d\s+[A-Z]")
"""What every pattern needs, as first written; pii._MAYBE is the same, faster."""


@given(st.text(alphabet="0123456789 .()-+\n\tAZaz@é٣", max_size=30))
def test_the_prefilter_finds_what_the_readable_one_finds(text: str) -> None:
    assert (pii._MAYBE.search(text) is None) == (READABLE_PREFILTER.search(text) is None)


@given(st.lists(st.text(alphabet="0123456789 .-AZa@", max_size=12), max_size=4))
def test_could_hold_is_true_when_any_text_could(texts: list[str]) -> None:
    assert pii.could_hold(texts) == any(READABLE_PREFILTER.search(t) for t in texts)


def test_could_hold_reads_long_texts_one_by_one() -> None:
    assert pii.could_hold(["a" * 70_000, "x@y.org"])
    assert not pii.could_hold(["a" * 70_000, "1 2"])
