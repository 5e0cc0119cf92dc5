"""Pull requests on GitHub through its REST API (httpx), with errors that say what to fix.

Every call is retried when GitHub or the network fails in a way that a later attempt can
fix; see `github_http.GitHubHTTP.call` for the rules and `Retries` for the limits.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

import httpx

from trainer.logs import scrub
from trainer.promotion.backend import PRState, PullRequest
from trainer.promotion.branches import base_branch
from trainer.promotion.github_http import DEFAULT_API, GitHubError, GitHubHTTP, Retries
from trainer.render.markdown import GITHUB_BODY_LIMIT, truncate


def _outgoing(text: str) -> str:
    """What GitHub gets of a body or comment: secrets scrubbed, within GitHub's limit."""
    return truncate(scrub(text), GITHUB_BODY_LIMIT)


class GitHubBackend:
    name = "github"

    def __init__(
        self,
        repository: str,
        token: str,
        api_url: str | None = None,
        client: httpx.Client | None = None,
        base: str = "main",
        *,
        retries: Retries | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.base = base
        """The branch pull requests target."""
        if "/" not in repository:
            raise GitHubError(f"GITHUB_REPOSITORY must be owner/name, not {repository!r}")
        self.repository = repository
        self.owner = repository.split("/", 1)[0]
        self.client = client or httpx.Client(
            base_url=(api_url or DEFAULT_API).rstrip("/"),
            headers={
                "Authorization": f"Bearer {token}",
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": "2022-11-28",
                "User-Agent": "trainer",
            },
            timeout=30.0,
        )
        self.http = GitHubHTTP(self.client, retries or Retries(), sleep, clock)

    @classmethod
    def from_environment(cls) -> GitHubBackend | None:
        token = os.environ.get("GITHUB_TOKEN") or os.environ.get("GH_TOKEN")
        repository = os.environ.get("GITHUB_REPOSITORY")
        if not token or not repository:
            return None
        return cls(repository, token, os.environ.get("GITHUB_API_URL"), base=base_branch())

    def _call(self, method: str, path: str, what: str, **options: Any) -> httpx.Response:
        """One API request, with the retries of `GitHubHTTP.call`."""
        return self.http.call(method, path, what, **options)

    def _pages(self, path: str, what: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        url: str | None = path
        query: dict[str, Any] | None = {**params, "per_page": 100}
        while url:
            response = self._call("GET", url, what, params=query)
            items.extend(response.json())
            url = response.links.get("next", {}).get("url")
            query = None  # the next link carries the query
        return items

    def _pull(self, data: dict[str, Any]) -> PullRequest:
        state: PRState = "merged" if data.get("merged") or data.get("merged_at") else data["state"]
        return PullRequest(
            number=int(data["number"]),
            url=str(data["html_url"]),
            state=state,
            branch=str(data["head"]["ref"]),
            title=str(data["title"]),
            merge_commit=data.get("merge_commit_sha") if state == "merged" else None,
        )

    def _pulls_from(self, branch: str) -> list[dict[str, Any]]:
        pulls = self._pages(
            f"/repos/{self.repository}/pulls",
            f"list pull requests from {branch}",
            # A bare branch name is silently ignored by GitHub: head must be owner:branch.
            {"head": f"{self.owner}:{branch}", "state": "all"},
        )
        return [p for p in pulls if p["head"]["ref"] == branch]

    def find(self, branch: str) -> PullRequest | None:
        mine = self._pulls_from(branch)
        if not mine:
            return None
        open_ = [p for p in mine if p["state"] == "open"]
        return self._pull(max(open_ or mine, key=lambda p: int(p["number"])))

    def _open_pull_from(self, branch: str) -> dict[str, Any] | None:
        """The open pull request from `branch`: GitHub allows one, so a POST made it."""
        open_ = [p for p in self._pulls_from(branch) if p["state"] == "open"]
        return max(open_, key=lambda p: int(p["number"])) if open_ else None

    def _comment_where(
        self, number: int, mine: Callable[[dict[str, Any]], bool]
    ) -> dict[str, Any] | None:
        comments = self._pages(
            f"/repos/{self.repository}/issues/{number}/comments", f"list comments of #{number}", {}
        )
        return next((c for c in comments if mine(c)), None)

    def _comment(self, number: int, body: str, what: str) -> dict[str, Any]:
        """Post a comment; after an ambiguous failure, one with the same body is ours."""
        body = _outgoing(body)
        data: dict[str, Any] = self._call(
            "POST",
            f"/repos/{self.repository}/issues/{number}/comments",
            what,
            existing=lambda: self._comment_where(number, lambda c: c.get("body") == body),
            json={"body": body},
        ).json()
        return data

    def open(
        self, branch: str, title: str, body: str, labels: list[str], reviewers: list[str]
    ) -> PullRequest:
        created = self._call(
            "POST",
            f"/repos/{self.repository}/pulls",
            f"open a pull request from {branch}",
            existing=lambda: self._open_pull_from(branch),
            json={
                "title": scrub(title),
                "head": branch,
                "base": self.base,
                "body": _outgoing(body),
            },
        ).json()
        number = int(created["number"])
        if labels:
            self._call(
                "POST",
                f"/repos/{self.repository}/issues/{number}/labels",
                "label the pull request",
                repeatable=True,  # adds labels: a repeat finds them there
                json={"labels": labels},
            )
        if reviewers:
            self._call(
                "POST",
                f"/repos/{self.repository}/pulls/{number}/requested_reviewers",
                "request reviewers",
                repeatable=True,  # a repeat asks the same people again: no new request
                json={"reviewers": reviewers},
            )
        return self._pull(created)

    def update(self, number: int, title: str, body: str) -> PullRequest:
        data = self._call(
            "PATCH",
            f"/repos/{self.repository}/pulls/{number}",
            f"update pull request #{number}",
            json={"title": scrub(title), "body": _outgoing(body)},
        ).json()
        return self._pull(data)

    def close(self, number: int, comment: str) -> PullRequest:
        self._comment(number, comment, f"comment on #{number}")
        data = self._call(
            "PATCH",
            f"/repos/{self.repository}/pulls/{number}",
            f"close pull request #{number}",
            json={"state": "closed"},
        ).json()
        return self._pull(data)

    def find_number(self, branch: str) -> int | None:
        found = self.find(branch)
        return found.number if found and found.state == "open" else None

    def upsert_comment(self, number: int, marker: str, author: str, body: str) -> str:
        """Edit our earlier comment with `marker`, or create one: never a second comment.

        Anyone can paste a marker, so a comment is ours only if its author is `author`.
        """

        def ours(comment: dict[str, Any]) -> bool:
            login = (comment.get("user") or {}).get("login")
            return marker in (comment.get("body") or "") and login == author

        text = _outgoing(body)
        earlier = self._comment_where(number, ours)
        if earlier:
            data = self._call(
                "PATCH",
                f"/repos/{self.repository}/issues/comments/{earlier['id']}",
                f"update the plan comment on #{number}",
                json={"body": text},
            ).json()
        else:
            data = self._call(
                "POST",
                f"/repos/{self.repository}/issues/{number}/comments",
                f"comment the plan on #{number}",
                existing=lambda: self._comment_where(number, ours),
                json={"body": text},
            ).json()
        return str(data.get("html_url", ""))

    def get(self, number: int) -> PullRequest:
        return self._pull(
            self._call(
                "GET", f"/repos/{self.repository}/pulls/{number}", f"read pull request #{number}"
            ).json()
        )
