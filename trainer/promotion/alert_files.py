"""Alert issues without GitHub: `.trainer/alerts/<kind>-<subject>.md` (the body, and the
closing comment once closed) and `.json` beside it (number, state, comments, history).

One file per alert: an alert that opens again reopens its file, with its history kept.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from trainer.atomic import atomic_write
from trainer.clock import utcnow
from trainer.errors import TrainerError
from trainer.logs import scrub
from trainer.paths import LOCAL_DIR
from trainer.promotion.issues import Issue

ALERTS = f"{LOCAL_DIR}/alerts"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


class LocalAlerts:
    name = "local"

    def __init__(self, root: Path) -> None:
        self.root = root
        self.directory = root / ALERTS

    def _records(self) -> list[tuple[Path, dict[str, Any]]]:
        if not self.directory.is_dir():
            return []
        out = []
        for path in sorted(self.directory.glob("*.json")):
            try:
                out.append((path, json.loads(path.read_text(encoding="utf-8"))))
            except (OSError, ValueError):
                continue  # not ours, or half-written by hand: ignored
        return out

    def _by_number(self, number: int) -> tuple[Path, dict[str, Any]]:
        for path, data in self._records():
            if data.get("number") == number:
                return path, data
        raise TrainerError(f"local alert #{number} is missing from {ALERTS}/")

    def _issue(self, path: Path, data: dict[str, Any]) -> Issue:
        markdown = path.with_suffix(".md")
        body = markdown.read_text(encoding="utf-8") if markdown.is_file() else ""
        return Issue(
            number=int(data["number"]),
            url=markdown.relative_to(self.root).as_posix(),
            title=str(data.get("title", "")),
            body=body.split("\n\n---\n**Closed**", 1)[0],
            ours=True,
        )

    def _save(self, path: Path, data: dict[str, Any], body: str | None) -> Issue:
        if body is not None:
            atomic_write(path.with_suffix(".md"), scrub(body).encode(), durable=False)
        text = scrub(json.dumps(data, indent=2, ensure_ascii=False))
        atomic_write(path, text.encode(), durable=False)
        return self._issue(path, data)

    def open_issues(self) -> list[Issue]:
        return [self._issue(p, d) for p, d in self._records() if d.get("state") == "open"]

    def create(self, title: str, body: str, marker: str, slug: str) -> Issue:
        path = self.directory / f"{_UNSAFE.sub('_', slug)}.json"
        now = utcnow().isoformat()
        data: dict[str, Any] = (
            json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
        )
        if data.get("state") == "open":  # already open (an earlier run stopped after writing)
            return self._issue(path, data)
        number = data.get("number") or 1 + max(
            (int(d.get("number", 0)) for _, d in self._records()), default=0
        )
        history = [*data.get("history", []), {"at": now, "event": "opened", "title": title}]
        data.update(
            number=number, title=title, state="open", opened_at=now, closed_at=None, history=history
        )
        return self._save(path, data, body)

    def edit(self, number: int, title: str, body: str) -> Issue:
        path, data = self._by_number(number)
        now = utcnow().isoformat()
        data.update(
            title=title, history=[*data.get("history", []), {"at": now, "event": "updated"}]
        )
        return self._save(path, data, body)

    def close(self, number: int, comment: str) -> None:
        path, data = self._by_number(number)
        now = utcnow().isoformat()
        body = self._issue(path, data).body
        data.update(
            state="closed",
            closed_at=now,
            comments=[*data.get("comments", []), comment],
            history=[*data.get("history", []), {"at": now, "event": "closed"}],
        )
        self._save(path, data, f"{body}\n\n---\n**Closed** {now}: {comment}\n")
