"""Talking to GitHub's REST API: errors that say what to fix, and retries that never do the
work twice."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from trainer.errors import TrainerError

DEFAULT_API = "https://api.github.com"

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
"""Answers worth another attempt (403 too, when it is a rate limit: see `_asked_wait`)."""
REPEATABLE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "DELETE"})
"""Methods whose repeat leaves GitHub as one request would: retried after any failure."""
NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
"""Transport errors raised before the request left: GitHub cannot have applied it."""
NEVER_RETRIED = (httpx.UnsupportedProtocol, httpx.LocalProtocolError)
"""Transport errors that the same request will meet again (a bad GITHUB_API_URL, say)."""


@dataclass(frozen=True)
class Retries:
    """How hard a call tries: attempts in all, and the longest waits between them."""

    attempts: int = 5
    first_wait: float = 1.0
    """The backoff before the second attempt; it doubles each time (with jitter)."""
    max_wait: float = 60.0
    """The longest single wait; when GitHub asks for longer, the call gives up at once."""
    budget: float = 120.0
    """The most one call waits in all."""


class GitHubError(TrainerError):
    """A GitHub API call failed; the message names the cause and the fix."""


def _message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        body = {}
    if isinstance(body, dict) and "message" in body:
        return str(body["message"])
    return response.text[:200].strip() or response.reason_phrase


def _explain(response: httpx.Response, what: str) -> str:
    status = response.status_code
    try:
        body = response.json()
    except ValueError:
        body = {}
    message = _message(response)
    remaining = response.headers.get("x-ratelimit-remaining")
    if status in (403, 429) and remaining == "0":
        reset = response.headers.get("x-ratelimit-reset")
        when = (
            datetime.fromtimestamp(int(reset), UTC).strftime("%H:%M:%S UTC") if reset else "later"
        )
        return f"{what}: GitHub rate limit exhausted; it resets at {when}"
    if status in (403, 429) and (
        "retry-after" in response.headers or "secondary rate limit" in message.lower()
    ):
        return (
            f"{what}: GitHub's secondary rate limit ({status}): {message}; re-run in a few "
            "minutes, and run fewer jobs with this token at the same time"
        )
    if status == 401:
        return f"{what}: GITHUB_TOKEN was rejected (401); check the token or its expiry"
    if status == 403:
        hint = ""
        if "pull request" in message.lower() or "not accessible" in message.lower():
            hint = (
                "; the workflow needs `permissions: pull-requests: write`, and the repository "
                "setting Settings → Actions → General → 'Allow GitHub Actions to create and "
                "approve pull requests' must be on"
            )
        return f"{what}: forbidden (403): {message}{hint}"
    if status == 404:
        return f"{what}: not found (404); check GITHUB_REPOSITORY and that the token can see it"
    if status == 422:
        errors = body.get("errors", []) if isinstance(body, dict) else []
        details = "; ".join(
            str(e.get("message", e)) if isinstance(e, dict) else str(e) for e in errors
        )
        return f"{what}: GitHub refused it (422): {message}{': ' + details if details else ''}"
    if status == 429:
        return f"{what}: too many requests (429): {message}; re-run in a few minutes"
    if status >= 500:
        return (
            f"{what}: GitHub failed (HTTP {status}): {message}; this is on GitHub's side: "
            "check https://www.githubstatus.com and re-run"
        )
    return f"{what}: HTTP {status}: {message}"


def _asked_wait(response: httpx.Response, now: float) -> float | None:
    """The wait GitHub asks for before a retry, in seconds: Retry-After, else the reset."""
    retry_after = response.headers.get("retry-after")
    if retry_after is not None:
        try:
            return max(float(retry_after), 0.0)
        except ValueError:
            try:
                return max(parsedate_to_datetime(retry_after).timestamp() - now, 0.0)
            except (TypeError, ValueError):
                pass
    reset = response.headers.get("x-ratelimit-reset")
    if response.headers.get("x-ratelimit-remaining") == "0" and reset is not None:
        try:
            return max(float(reset) - now, 1.0)
        except ValueError:
            return None
    return None


def _retryable(response: httpx.Response, asked: float | None) -> bool:
    """429 and 5xx; a 403 only when it is a rate limit (else it is a permission to fix)."""
    if response.status_code in RETRY_STATUSES:
        return True
    if response.status_code == 403:
        return asked is not None or "secondary rate limit" in _message(response).lower()
    return False


def _plural(n: int) -> str:
    return f"{n} attempt{'s' if n != 1 else ''}"


class GitHubHTTP:
    """An httpx client with GitHub's retry rules (see `call`)."""

    def __init__(
        self,
        client: httpx.Client,
        retries: Retries,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.client = client
        self.retries = retries
        self.sleep = sleep
        """Waits between attempts (tests pass a recorder, so nothing really waits)."""
        self.clock = clock
        """Epoch seconds, to turn x-ratelimit-reset into a wait."""

    def _backoff(self, attempt: int) -> float:
        """Exponential backoff after the `attempt`-th failure, with jitter (50-100 %)."""
        full = min(self.retries.first_wait * 2.0 ** (attempt - 1), self.retries.max_wait)
        return full * random.uniform(0.5, 1.0)

    def call(
        self,
        method: str,
        path: str,
        what: str,
        *,
        repeatable: bool | None = None,
        existing: Callable[[], dict[str, Any] | None] | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        """One API request, retried while a retry can help and cannot do the work twice.

        What is retried: 429, 500, 502, 503 and 504; a 403 or 429 that is a rate limit
        (a Retry-After header, x-ratelimit-remaining 0 with x-ratelimit-reset, or a
        "secondary rate limit" message); and transport errors (connection failures,
        timeouts, dropped connections). Never 401, 404, 422 or another 403: those need a fix,
        not another try. Up to `Retries.attempts` attempts, waiting what GitHub asks for
        (Retry-After seconds, else until x-ratelimit-reset, else a minute for a bare
        secondary limit) or an exponential backoff with jitter; a wait longer than
        `Retries.max_wait`, or past the `Retries.budget` of the call, ends the call at once.

        Which requests are repeated: GET, HEAD, PUT, PATCH and DELETE always (repeating
        them changes nothing more). A POST only when

        - `repeatable` is true: its repeat is harmless (adding labels or requesting
          reviewers that are already there changes nothing);
        - or the earlier attempt surely was not applied: the connection was never made,
          or GitHub answered 429 or a rate limit, which it does before doing anything;
        - or, after an ambiguous failure (a timeout, a dropped connection or a 5xx once the
          request was sent, when GitHub may have done the work), `existing` finds nothing:
          it looks for what the POST creates (the open pull request from the branch, the
          comment), and when that exists it stands in for the lost answer instead of a
          second POST. A 422 to the repeat (say "a pull request already exists") is
          checked against `existing` the same way.

        Any other POST fails after an ambiguous failure, saying it may have been applied.
        """
        if repeatable is None:
            repeatable = method in REPEATABLE_METHODS
        attempts = 0
        waited = 0.0
        maybe_applied = False  # an earlier attempt may have done the work
        while True:
            if maybe_applied and existing is not None and (found := existing()) is not None:
                return httpx.Response(200, json=found)  # stands in for the answer we lost
            attempts += 1
            asked: float | None = None
            try:
                response = self.client.request(method, path, **kwargs)
            except httpx.TransportError as exc:
                failure = (
                    f"{what}: cannot reach the GitHub API at {self.client.base_url} "
                    f"({type(exc).__name__}: {exc}); check GITHUB_API_URL and the network"
                )
                if isinstance(exc, NEVER_RETRIED):
                    suffix = f" (after {_plural(attempts)})" if attempts > 1 else ""
                    raise GitHubError(failure + suffix) from None
                ambiguous = not isinstance(exc, NOT_SENT)
            else:
                if response.status_code < 400:
                    return response
                if (
                    maybe_applied
                    and existing is not None
                    and response.status_code == 422
                    and (found := existing()) is not None
                ):
                    return httpx.Response(200, json=found)
                failure = _explain(response, what)
                asked = _asked_wait(response, self.clock())
                if not _retryable(response, asked):
                    suffix = f" (after {_plural(attempts)})" if attempts > 1 else ""
                    raise GitHubError(failure + suffix)
                if asked is None and response.status_code == 403:
                    asked = self.retries.max_wait  # GitHub: wait at least a minute
                ambiguous = response.status_code >= 500
            if ambiguous and not repeatable and existing is None:
                raise GitHubError(
                    f"{failure} (after {_plural(attempts)}; not repeated, since GitHub may "
                    "have applied it: check on GitHub before re-running)"
                )
            maybe_applied = maybe_applied or ambiguous
            if attempts >= self.retries.attempts:
                raise GitHubError(f"{failure} (gave up after {_plural(attempts)})")
            wait = asked if asked is not None else self._backoff(attempts)
            if wait > self.retries.max_wait or waited + wait > self.retries.budget:
                why = (
                    f"GitHub asks to wait {wait:.0f} s"
                    if asked is not None
                    else f"the next wait is {wait:.0f} s"
                )
                raise GitHubError(
                    f"{failure} (after {_plural(attempts)}; {why}, more than trainer waits: "
                    f"at most {self.retries.max_wait:.0f} s at a time and "
                    f"{self.retries.budget:.0f} s in all)"
                )
            self.sleep(wait)
            waited += wait
