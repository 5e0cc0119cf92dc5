"""The GitHub client retries what a retry can fix, and never does the work twice."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.helpers import git
from tests.promotion.github_server import TOKEN, FakeGitHub, serve
from trainer.promotion.github import GitHubBackend
from trainer.promotion.github_http import GitHubError

NOW = 1_800_000_000.0
BRANCH = "trainer/promote/tutor-abc123"
MARKER = "<!-- trainer:plan -->"


@pytest.fixture
def github(tmp_path: Path) -> Iterator[FakeGitHub]:
    origin = tmp_path / "origin"
    origin.mkdir()
    git(origin, "init", "-q", "-b", "main")
    git(
        origin,
        "-c",
        "user.name=t",
        "-c",
        "user.email=t@x",
        "commit",
        "-q",
        "--allow-empty",
        "-m",
        "x",
    )
    git(origin, "branch", BRANCH)
    with serve(FakeGitHub(origin)) as gh:
        yield gh


@pytest.fixture
def waits() -> list[float]:
    """What the client would have slept, in order."""
    return []


def backend(
    gh: FakeGitHub, waits: list[float], client: httpx.Client | None = None
) -> GitHubBackend:
    """A client on the fake GitHub whose waits are recorded, not slept."""
    return GitHubBackend(
        "acme/models", TOKEN, gh.url, client, sleep=waits.append, clock=lambda: NOW
    )


def open_pr(gh: FakeGitHub, waits: list[float]) -> int:
    return backend(gh, waits).open(BRANCH, "Promote", "body", [], []).number


def test_429_waits_what_retry_after_says(github: FakeGitHub, waits: list[float]) -> None:
    number = open_pr(github, waits)
    github.fault("GET", f"/pulls/{number}", status=429, headers={"retry-after": "7"})
    assert backend(github, waits).get(number).number == number
    assert waits == [7.0]
    assert github.calls[-2:] == [f"GET /repos/acme/models/pulls/{number}"] * 2


def test_502_twice_then_success_backs_off_with_jitter(
    github: FakeGitHub, waits: list[float]
) -> None:
    number = open_pr(github, waits)
    github.fault("PATCH", f"/pulls/{number}", status=502, times=2, message="Bad Gateway")
    pr = backend(github, waits).update(number, "New title", "new body")
    assert pr.title == "New title"
    assert len(waits) == 2
    assert 0.5 <= waits[0] <= 1.0, "first backoff: 1 s with jitter"
    assert 1.0 <= waits[1] <= 2.0, "second backoff: 2 s with jitter"
    assert github.calls.count(f"PATCH /repos/acme/models/pulls/{number}") == 3


def test_secondary_rate_limit_403_with_retry_after(github: FakeGitHub, waits: list[float]) -> None:
    github.fault(
        "GET",
        "/pulls",
        status=403,
        headers={"retry-after": "3"},
        message="You have exceeded a secondary rate limit. Please wait a few minutes.",
    )
    assert backend(github, waits).find(BRANCH) is None
    assert waits == [3.0]


def test_secondary_rate_limit_without_headers_waits_a_minute(
    github: FakeGitHub, waits: list[float]
) -> None:
    github.fault("GET", "/pulls", status=403, message="You have exceeded a secondary rate limit.")
    assert backend(github, waits).find(BRANCH) is None
    assert waits == [60.0]


def test_rate_limit_reset_soon_waits_until_the_reset(
    github: FakeGitHub, waits: list[float]
) -> None:
    github.fault(
        "GET",
        "/pulls",
        status=429,
        headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(NOW) + 30)},
    )
    assert backend(github, waits).find(BRANCH) is None
    assert waits == [30.0]


def test_rate_limit_reset_far_away_fails_at_once(github: FakeGitHub, waits: list[float]) -> None:
    github.fault(
        "GET",
        "/pulls",
        status=403,
        headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(NOW) + 3600)},
        message="API rate limit exceeded",
    )
    with pytest.raises(GitHubError) as error:
        backend(github, waits).find(BRANCH)
    assert waits == []
    message = str(error.value)
    assert message.startswith(
        f"list pull requests from {BRANCH}: GitHub rate limit exhausted; it resets at"
    )
    assert "after 1 attempt; GitHub asks to wait 3600 s" in message


def test_waits_stop_at_the_budget(github: FakeGitHub, waits: list[float]) -> None:
    github.fault("GET", "/pulls", status=503, times=5, headers={"retry-after": "50"})
    with pytest.raises(GitHubError, match=r"after 3 attempts; GitHub asks to wait 50 s"):
        backend(github, waits).find(BRANCH)
    assert waits == [50.0, 50.0], "a third wait would pass the 120 s budget"


def test_403_that_is_not_a_rate_limit_is_not_retried(
    github: FakeGitHub, waits: list[float]
) -> None:
    github.forbid_pull_requests = True
    with pytest.raises(GitHubError) as error:
        open_pr(github, waits)
    assert waits == []
    assert github.calls == ["POST /repos/acme/models/pulls"]
    message = str(error.value)
    assert message.startswith(f"open a pull request from {BRANCH}: forbidden (403): ")
    assert "Allow GitHub Actions to create and approve pull requests" in message
    assert "attempt" not in message


@pytest.mark.parametrize(
    ("status", "words"), [(401, "GITHUB_TOKEN"), (404, "not found"), (422, "refused")]
)
def test_errors_to_fix_are_not_retried(
    github: FakeGitHub, waits: list[float], status: int, words: str
) -> None:
    github.fault("GET", "/pulls/1", status=status, message="no")
    with pytest.raises(GitHubError, match=words):
        backend(github, waits).get(1)
    assert waits == []
    assert github.calls == ["GET /repos/acme/models/pulls/1"]


def test_five_failures_name_the_attempts(github: FakeGitHub, waits: list[float]) -> None:
    github.fault("GET", "/pulls", status=503, times=10, message="Service Unavailable")
    with pytest.raises(GitHubError) as error:
        backend(github, waits).find(BRANCH)
    assert str(error.value) == (
        f"list pull requests from {BRANCH}: GitHub failed (HTTP 503): Service Unavailable; "
        "this is on GitHub's side: check https://www.githubstatus.com and re-run "
        "(gave up after 5 attempts)"
    )
    assert len(waits) == 4
    assert github.calls.count("GET /repos/acme/models/pulls") == 5


def test_a_pr_created_behind_a_502_is_not_created_twice(
    github: FakeGitHub, waits: list[float]
) -> None:
    github.fault("POST", "/pulls", status=502, apply=True, message="Bad Gateway")
    pr = backend(github, waits).open(BRANCH, "Promote", "body", ["trainer"], ["alice"])
    assert len(github.pulls) == 1
    assert pr.number == 1
    assert pr.branch == BRANCH
    assert github.calls.count("POST /repos/acme/models/pulls") == 1, "found, not re-posted"
    assert github.pulls[1]["labels"] == [{"name": "trainer"}]
    assert len(waits) == 1


def test_a_pr_post_that_was_not_applied_is_posted_again(
    github: FakeGitHub, waits: list[float]
) -> None:
    github.fault("POST", "/pulls", status=502, message="Bad Gateway")
    assert open_pr(github, waits) == 1
    assert len(github.pulls) == 1
    assert github.calls.count("POST /repos/acme/models/pulls") == 2


def test_a_dropped_connection_after_the_pr_was_created(
    github: FakeGitHub, waits: list[float]
) -> None:
    github.fault("POST", "/pulls", apply=True, drop=True)
    assert open_pr(github, waits) == 1
    assert len(github.pulls) == 1
    assert github.calls.count("POST /repos/acme/models/pulls") == 1


def test_a_timeout_is_retried(github: FakeGitHub, waits: list[float]) -> None:
    number = open_pr(github, waits)
    github.fault("GET", f"/pulls/{number}", status=None, delay=0.5)
    client = httpx.Client(
        base_url=github.url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=0.1
    )
    assert backend(github, waits, client=client).get(number).number == number
    assert len(waits) == 1


def test_labels_and_reviewers_are_repeated(github: FakeGitHub, waits: list[float]) -> None:
    github.fault("POST", "/issues/1/labels", status=500, apply=True)
    github.fault("POST", "/pulls/1/requested_reviewers", status=504, apply=True)
    backend(github, waits).open(BRANCH, "Promote", "body", ["trainer"], ["alice"])
    assert github.pulls[1]["labels"] == [{"name": "trainer"}]
    assert github.pulls[1]["requested_reviewers"] == [{"login": "alice"}]
    assert len(waits) == 2


def test_a_close_comment_behind_a_502_is_not_posted_twice(
    github: FakeGitHub, waits: list[float]
) -> None:
    number = open_pr(github, waits)
    github.fault("POST", f"/issues/{number}/comments", status=502, apply=True)
    pr = backend(github, waits).close(number, "Superseded by a newer revision.")
    assert pr.state == "closed"
    assert github.comments[number] == ["Superseded by a newer revision."]


def test_a_plan_comment_behind_a_dropped_connection_is_not_posted_twice(
    github: FakeGitHub, waits: list[float]
) -> None:
    number = open_pr(github, waits)
    github.fault("POST", f"/issues/{number}/comments", apply=True, drop=True)
    url = backend(github, waits).upsert_comment(
        number, MARKER, github.token_login, f"{MARKER}\nplan"
    )
    assert url.endswith("#comment")
    assert github.comments[number] == [f"{MARKER}\nplan"]


def test_a_post_without_a_check_is_not_repeated_after_an_ambiguous_failure(
    github: FakeGitHub, waits: list[float]
) -> None:
    github.fault("POST", "/issues/1/comments", status=502, apply=True)
    with pytest.raises(GitHubError, match=r"after 1 attempt; not repeated, since GitHub may"):
        backend(github, waits)._call(
            "POST", "/repos/acme/models/issues/1/comments", "comment", json={"body": "x"}
        )
    assert waits == []


def test_a_post_is_repeated_after_a_rate_limit(github: FakeGitHub, waits: list[float]) -> None:
    github.fault("POST", "/issues/1/comments", status=429, headers={"retry-after": "2"})
    backend(github, waits)._call(
        "POST", "/repos/acme/models/issues/1/comments", "comment", json={"body": "x"}
    )
    assert waits == [2.0]
    assert github.comments[1] == ["x"]


def test_an_unreachable_api_is_retried_then_explained(waits: list[float]) -> None:
    gh = GitHubBackend(
        # port 9 (discard): nothing listens on it here, so the connection is refused
        "acme/models",
        TOKEN,
        "http://127.0.0.1:9",
        sleep=waits.append,
        clock=lambda: NOW,
    )
    with pytest.raises(GitHubError) as error:
        gh.get(1)
    message = str(error.value)
    assert message.startswith("read pull request #1: cannot reach the GitHub API at")
    assert "check GITHUB_API_URL and the network (gave up after 5 attempts)" in message
    assert len(waits) == 4
