"""The pull request interface: one small protocol, a GitHub and a local implementation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

PRState = Literal["open", "closed", "merged"]


@dataclass(frozen=True)
class PullRequest:
    number: int
    url: str
    state: PRState
    branch: str
    title: str
    merge_commit: str | None = None


class PRBackend(Protocol):
    name: str

    def find(self, branch: str) -> PullRequest | None:
        """The open pull request from `branch`, else the newest one, else None."""
        ...

    def open(
        self, branch: str, title: str, body: str, labels: list[str], reviewers: list[str]
    ) -> PullRequest: ...

    def update(self, number: int, title: str, body: str) -> PullRequest: ...

    def close(self, number: int, comment: str) -> PullRequest: ...

    def get(self, number: int) -> PullRequest: ...
