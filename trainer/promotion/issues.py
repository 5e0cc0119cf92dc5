"""Alert issues: a small protocol, and its GitHub implementation (REST, through the same
retrying client as pull requests). The local implementation is `trainer.promotion.alert_files`.

GitHub's issues API also lists pull requests (items with a `pull_request` key): they are
skipped. An issue counts as trainer's only if its author is the token's own login (the
`TRAINER_COMMENT_AUTHOR` of plan comments, default `github-actions[bot]`): anyone can paste
a marker.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from trainer.logs import scrub
from trainer.promotion.github import GitHubBackend
from trainer.promotion.github_http import GitHubError, GitHubHTTP
from trainer.render.markdown import GITHUB_BODY_LIMIT, truncate

log = logging.getLogger("trainer.alerts")

ALERT_LABEL = "trainer-alert"
LABEL_COLOR = "d93f0b"
LABEL_DESCRIPTION = "A problem trainer found; trainer closes the issue once it is resolved"
DEFAULT_AUTHOR = "github-actions[bot]"


@dataclass(frozen=True)
class Issue:
    number: int
    url: str
    title: str
    body: str
    ours: bool
    """Written by trainer's own login (the reconciler also trusts numbers it recorded)."""


class IssueBackend(Protocol):
    name: str

    def open_issues(self) -> list[Issue]:
        """Every open issue with the alert label (never a pull request)."""
        ...

    def create(self, title: str, body: str, marker: str, slug: str) -> Issue:
        """Open an issue; after an ambiguous failure, an open one of ours whose body holds
        `marker` stands in for it (a create is never repeated blindly). `slug` names the
        alert where a file name is needed (`<kind>-<subject>`)."""
        ...

    def edit(self, number: int, title: str, body: str) -> Issue: ...

    def close(self, number: int, comment: str) -> None: ...


def outgoing(text: str) -> str:
    """What GitHub gets of a body or comment: secrets scrubbed, within GitHub's limit."""
    return truncate(scrub(text), GITHUB_BODY_LIMIT)


class GitHubIssues:
    name = "github"

    def __init__(self, http: GitHubHTTP, repository: str, author: str) -> None:
        self.http = http
        self.repository = repository
        self.author = author
        self._label_ready = False
        self._author_checked = False

    @classmethod
    def of(cls, backend: GitHubBackend) -> GitHubIssues:
        """Issues of the repository that `backend` opens pull requests in, with its token."""
        author = os.environ.get("TRAINER_COMMENT_AUTHOR") or DEFAULT_AUTHOR
        return cls(backend.http, backend.repository, author)

    def _issue(self, data: dict[str, Any]) -> Issue:
        login = (data.get("user") or {}).get("login")
        return Issue(
            number=int(data["number"]),
            url=str(data.get("html_url", "")),
            title=str(data.get("title") or ""),
            body=str(data.get("body") or ""),
            ours=login == self.author,
        )

    def _open_raw(self) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        url: str | None = f"/repos/{self.repository}/issues"
        query: dict[str, Any] | None = {"state": "open", "labels": ALERT_LABEL, "per_page": 100}
        while url:
            response = self.http.call("GET", url, "list alert issues", params=query)
            items.extend(response.json())
            url = response.links.get("next", {}).get("url")
            query = None  # the next link carries the query
        labelled = [
            i
            for i in items
            if ALERT_LABEL
            in {str((label or {}).get("name", "")).lower() for label in i.get("labels") or []}
        ]
        return [i for i in labelled if "pull_request" not in i]

    def open_issues(self) -> list[Issue]:
        return [self._issue(data) for data in self._open_raw()]

    def _ensure_label(self) -> None:
        """Create the label with its colour and description once. GitHub would create a
        missing label on the issue too, but only for a token with push access, and grey."""
        if self._label_ready:
            return
        try:
            self.http.call(
                "POST",
                f"/repos/{self.repository}/labels",
                f"create the label {ALERT_LABEL}",
                repeatable=True,  # a repeat finds it there (422 already_exists)
                json={"name": ALERT_LABEL, "color": LABEL_COLOR, "description": LABEL_DESCRIPTION},
            )
        except GitHubError as exc:
            if "(422)" not in str(exc):  # 422: it exists already, the usual case
                log.debug("could not create the label %s: %s", ALERT_LABEL, exc)
        self._label_ready = True

    def create(self, title: str, body: str, marker: str, slug: str) -> Issue:
        self._ensure_label()

        def existing() -> dict[str, Any] | None:
            found = [
                i
                for i in self._open_raw()
                if marker in (i.get("body") or "") and self._issue(i).ours
            ]
            return min(found, key=lambda i: int(i["number"])) if found else None

        data = self.http.call(
            "POST",
            f"/repos/{self.repository}/issues",
            "open an alert issue",
            existing=existing,
            json={"title": scrub(title), "body": outgoing(body), "labels": [ALERT_LABEL]},
        ).json()
        self._check_author(data)
        return self._issue(data)

    def _check_author(self, data: dict[str, Any]) -> None:
        login = (data.get("user") or {}).get("login")
        if login and login != self.author and not self._author_checked:
            log.warning(
                "alert issues are written as %s, not %s: set TRAINER_COMMENT_AUTHOR=%s so "
                "that trainer recognises its issues by their author",
                login,
                self.author,
                login,
            )
        self._author_checked = True

    def edit(self, number: int, title: str, body: str) -> Issue:
        data = self.http.call(
            "PATCH",
            f"/repos/{self.repository}/issues/{number}",
            f"update alert issue #{number}",
            json={"title": scrub(title), "body": outgoing(body)},
        ).json()
        return self._issue(data)

    def _comment_exists(self, number: int, body: str) -> Callable[[], dict[str, Any] | None]:
        def find() -> dict[str, Any] | None:
            response = self.http.call(
                "GET",
                f"/repos/{self.repository}/issues/{number}/comments",
                f"list comments of #{number}",
                params={"per_page": 100},
            )
            comments: list[dict[str, Any]] = response.json()
            return next((c for c in comments if c.get("body") == body), None)

        return find

    def close(self, number: int, comment: str) -> None:
        text = outgoing(comment)
        self.http.call(
            "POST",
            f"/repos/{self.repository}/issues/{number}/comments",
            f"comment on alert issue #{number}",
            existing=self._comment_exists(number, text),
            json={"body": text},
        )
        self.http.call(
            "PATCH",
            f"/repos/{self.repository}/issues/{number}",
            f"close alert issue #{number}",
            json={"state": "closed", "state_reason": "completed"},
        )
