"""How revisions, digests and commit ids are shown to people: their first 12 characters."""

from __future__ import annotations

SHORT = 12


def short(digest: str | None) -> str:
    """The displayed form of a revision, blob id or commit ("" for None)."""
    return (digest or "")[:SHORT]
