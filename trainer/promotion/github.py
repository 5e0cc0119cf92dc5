"""Pull requests on GitHub through its REST API (httpx), with errors that say what to fix."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import Any

import httpx

from trainer.errors import TrainerError
from trainer.promotion.backend import PRState, PullRequest
from trainer.promotion.branches import base_branch
from trainer.render.markdown import GITHUB_BODY_LIMIT, truncate

DEFAULT_API = "https://api.github.com"


class GitHubError(TrainerError):
    """A GitHub API call failed; the message names the cause and the fix."""


def _explain(response: httpx.Response, what: str) -> GitHubError:
    status = response.status_code
    try:
        body = response.json()
    except ValueError:
        body = {}
    message = str(body.get("message", response.text[:200])) if isinstance(body, dict) else ""
    remaining = response.headers.get("x-ratelimit-remaining")
    if status in (403, 429) and remaining == "0":
        reset = response.headers.get("x-ratelimit-reset")
        when = (
            datetime.fromtimestamp(int(reset), UTC).strftime("%H:%M:%S UTC") if reset else "later"
        )
        return GitHubError(f"{what}: GitHub rate limit exhausted; it resets at {when}")
    if status == 401:
        return GitHubError(
            f"{what}: GITHUB_TOKEN was rejected (401); check the token or its expiry"
        )
    if status == 403:
        hint = ""
        if "pull request" in message.lower() or "not accessible" in message.lower():
            hint = (
                "; the workflow needs `permissions: pull-requests: write`, and the repository "
                "setting Settings → Actions → General → 'Allow GitHub Actions to create and "
                "approve pull requests' must be on"
            )
        return GitHubError(f"{what}: forbidden (403): {message}{hint}")
    if status == 404:
        return GitHubError(
            f"{what}: not found (404); check GITHUB_REPOSITORY and that the token can see it"
        )
    if status == 422:
        errors = body.get("errors", []) if isinstance(body, dict) else []
        details = "; ".join(
            str(e.get("message", e)) if isinstance(e, dict) else str(e) for e in errors
        )
        return GitHubError(
            f"{what}: GitHub refused it (422): {message}{': ' + details if details else ''}"
        )
    return GitHubError(f"{what}: HTTP {status}: {message}")


class GitHubBackend:
    name = "github"

    def __init__(
        self,
        repository: str,
        token: str,
        api_url: str | None = None,
        client: httpx.Client | None = None,
        base: str = "main",
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

    @classmethod
    def from_environment(cls) -> GitHubBackend | None:
        token = os.environ.get("GITHUB_TOKEN") or os.environ.get("GH_TOKEN")
        repository = os.environ.get("GITHUB_REPOSITORY")
        if not token or not repository:
            return None
        return cls(repository, token, os.environ.get("GITHUB_API_URL"), base=base_branch())

    def _call(self, method: str, path: str, what: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self.client.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise GitHubError(f"{what}: cannot reach the GitHub API ({exc})") from None
        if response.status_code >= 400:
            raise _explain(response, what)
        return response

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

    def find(self, branch: str) -> PullRequest | None:
        pulls = self._pages(
            f"/repos/{self.repository}/pulls",
            f"list pull requests from {branch}",
            # A bare branch name is silently ignored by GitHub: head must be owner:branch.
            {"head": f"{self.owner}:{branch}", "state": "all"},
        )
        mine = [p for p in pulls if p["head"]["ref"] == branch]
        if not mine:
            return None
        open_ = [p for p in mine if p["state"] == "open"]
        return self._pull(max(open_ or mine, key=lambda p: int(p["number"])))

    def open(
        self, branch: str, title: str, body: str, labels: list[str], reviewers: list[str]
    ) -> PullRequest:
        created = self._call(
            "POST",
            f"/repos/{self.repository}/pulls",
            f"open a pull request from {branch}",
            json={
                "title": title,
                "head": branch,
                "base": self.base,
                "body": truncate(body, GITHUB_BODY_LIMIT),
            },
        ).json()
        number = int(created["number"])
        if labels:
            self._call(
                "POST",
                f"/repos/{self.repository}/issues/{number}/labels",
                "label the pull request",
                json={"labels": labels},
            )
        if reviewers:
            self._call(
                "POST",
                f"/repos/{self.repository}/pulls/{number}/requested_reviewers",
                "request reviewers",
                json={"reviewers": reviewers},
            )
        return self._pull(created)

    def update(self, number: int, title: str, body: str) -> PullRequest:
        data = self._call(
            "PATCH",
            f"/repos/{self.repository}/pulls/{number}",
            f"update pull request #{number}",
            json={"title": title, "body": truncate(body, GITHUB_BODY_LIMIT)},
        ).json()
        return self._pull(data)

    def close(self, number: int, comment: str) -> PullRequest:
        self._call(
            "POST",
            f"/repos/{self.repository}/issues/{number}/comments",
            f"comment on #{number}",
            json={"body": comment},
        )
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
        comments = self._pages(
            f"/repos/{self.repository}/issues/{number}/comments", f"list comments of #{number}", {}
        )
        mine = [
            c
            for c in comments
            if marker in (c.get("body") or "") and (c.get("user") or {}).get("login") == author
        ]
        if mine:
            data = self._call(
                "PATCH",
                f"/repos/{self.repository}/issues/comments/{mine[0]['id']}",
                f"update the plan comment on #{number}",
                json={"body": truncate(body, GITHUB_BODY_LIMIT)},
            ).json()
        else:
            data = self._call(
                "POST",
                f"/repos/{self.repository}/issues/{number}/comments",
                f"comment the plan on #{number}",
                json={"body": truncate(body, GITHUB_BODY_LIMIT)},
            ).json()
        return str(data.get("html_url", ""))

    def get(self, number: int) -> PullRequest:
        return self._pull(
            self._call(
                "GET", f"/repos/{self.repository}/pulls/{number}", f"read pull request #{number}"
            ).json()
        )
