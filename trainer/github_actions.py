"""What trainer reads from and writes to GitHub Actions: the event, the job summary."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

from trainer.logs import scrub


def write_step_summary(markdown: str | Callable[[], str]) -> bool:
    """Append to the job summary when Actions provides one; False otherwise. `markdown`
    may be a function making it: then it is made only for a job summary."""
    target = os.environ.get("GITHUB_STEP_SUMMARY")
    if not target:
        return False
    if callable(markdown):
        markdown = markdown()
    with Path(target).open("a", encoding="utf-8") as handle:
        handle.write(scrub(markdown.rstrip("\n")) + "\n\n")
    return True


def pull_request_number() -> int | None:
    """The PR of the triggering event (`pull_request` or `issue_comment` on a PR)."""
    path = os.environ.get("GITHUB_EVENT_PATH")
    if not path:
        return None
    try:
        event = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    for key in ("pull_request", "issue"):
        number = (event.get(key) or {}).get("number")
        if isinstance(number, int):
            return number
    number = event.get("number")
    return number if isinstance(number, int) else None


def head_branch() -> str | None:
    return os.environ.get("GITHUB_HEAD_REF") or os.environ.get("GITHUB_REF_NAME") or None
