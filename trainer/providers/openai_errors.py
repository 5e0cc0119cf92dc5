"""The openai SDK's exceptions as trainer's, with messages that say what to do (and never
the key)."""

from __future__ import annotations

import email.utils
import os
import re
import socket
import time
from collections.abc import Mapping

import openai

from trainer.providers.base import (
    ProviderAuthError,
    ProviderError,
    ProviderQuotaExceeded,
    ProviderRateLimited,
    ProviderRejected,
    ProviderUnavailable,
    ProviderUnreachable,
)

RETRYABLE_STATUS = frozenset({408, 409, 429})
"""Statuses the SDK retries (besides every 5xx)."""


def translate(what: str, exc: openai.OpenAIError, endpoint: str | None = None) -> ProviderError:
    """The SDK's exception as one of ours. With `endpoint` (the evaluation's calls), a
    rejected key and an unreachable API say where, in a message that stands on its own."""
    if endpoint is not None:
        fatal = _fatal(exc, endpoint)
        if fatal is not None:
            return fatal
    if isinstance(exc, openai.AuthenticationError):
        return ProviderAuthError(
            f"{what}: the API key was rejected (401); check OPENAI_API_KEY", status=401
        )
    if isinstance(exc, openai.PermissionDeniedError):
        return ProviderAuthError(f"{what}: permission denied (403): {_message(exc)}", status=403)
    if isinstance(
        exc,
        openai.BadRequestError
        | openai.NotFoundError
        | openai.ConflictError  # with the resource's state (a batch that ended): not transient
        | openai.UnprocessableEntityError,
    ):
        return ProviderRejected(f"{what}: {_message(exc)}", _code(exc))
    if isinstance(exc, openai.RateLimitError):
        if _code(exc) == "insufficient_quota":  # no wait makes it pass
            return ProviderUnavailable(f"{what}: quota exceeded (429): {_message(exc)}")
        return ProviderRateLimited(
            f"{what}: rate limited (429): {_message(exc)}", retry_after(exc.response.headers)
        )
    reason = unreachable_reason(exc)
    if reason is not None:
        return ProviderUnreachable(f"{what}: cannot reach the API ({reason})")
    if isinstance(exc, openai.APITimeoutError):
        return ProviderUnavailable(f"{what}: timed out after retries")
    if isinstance(exc, openai.APIConnectionError):
        return ProviderUnavailable(f"{what}: cannot reach the API ({_deepest(exc)})")
    if isinstance(exc, openai.APIStatusError):
        return ProviderUnavailable(f"{what}: HTTP {exc.status_code}: {_message(exc)}")
    return ProviderError(f"{what}: {exc}")


def _fatal(exc: openai.OpenAIError, endpoint: str) -> ProviderError | None:
    if isinstance(exc, openai.AuthenticationError):
        return ProviderAuthError(
            f"the API at {endpoint} refused the key (401): set OPENAI_API_KEY to a valid key",
            status=401,
        )
    if isinstance(exc, openai.PermissionDeniedError):
        return ProviderAuthError(
            f"the API at {endpoint} refused the key (403, permission denied: {_message(exc)}): "
            "set OPENAI_API_KEY to a key with access to it",
            status=403,
        )
    if isinstance(exc, openai.RateLimitError) and _code(exc) == "insufficient_quota":
        return ProviderQuotaExceeded(
            f"the API at {endpoint} refused the request: the quota of the key's account is "
            f"used up (429 insufficient_quota: {_message(exc)}); check its plan and billing",
            status=429,
        )
    reason = unreachable_reason(exc)
    if reason is not None:
        return ProviderUnreachable(f"cannot reach the API at {endpoint}: {reason}")
    return None


def _chain(exc: BaseException) -> list[BaseException]:
    """The exception and its causes (aiohttp keeps the socket's error in `os_error`)."""
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain:
        chain.append(current)
        nested = getattr(current, "os_error", None)
        if isinstance(nested, BaseException) and nested not in chain:
            chain.append(nested)
        current = current.__cause__ or current.__context__
    return chain


def unreachable_reason(exc: openai.OpenAIError) -> str | None:
    """Why no connection to the API was made, or None when one was (the API answered, or a
    connection broke or timed out after it was made)."""
    if not isinstance(exc, openai.APIConnectionError):
        return None
    chain = _chain(exc)
    for cause in chain:
        if isinstance(cause, ConnectionRefusedError):
            return "connection refused"
        if isinstance(cause, socket.gaierror):
            return f"the host name does not resolve ({cause.strerror or cause})"
    aio = [e for e in chain if type(e).__module__.startswith("aiohttp")]
    if aio:  # aiohttp under the SDK: its own error says what happened (the SDK's mapping
        # calls any broken connection a connect timeout)
        kind = type(aio[0]).__name__
        if kind.startswith("ClientConnector"):
            return _deepest(exc)
        return (
            "no connection within the connect timeout" if kind == "ConnectionTimeoutError" else None
        )
    names = {type(e).__name__ for e in chain}
    if "ConnectError" in names:
        return _deepest(exc)
    if "ConnectTimeout" in names:
        return "no connection within the connect timeout"
    return None


def retryable(exc: openai.OpenAIError) -> bool:
    """Whether the SDK retries this failure (given retries left)."""
    if isinstance(exc, openai.APIStatusError):
        return exc.status_code in RETRYABLE_STATUS or exc.status_code >= 500
    return isinstance(exc, openai.APIConnectionError)


_DURATION = re.compile(
    r"(?:(?P<h>\d+(?:\.\d+)?)h)?(?:(?P<m>\d+(?:\.\d+)?)m(?!s))?"
    r"(?:(?P<s>\d+(?:\.\d+)?)s)?(?:(?P<ms>\d+(?:\.\d+)?)ms)?"
)
_SECONDS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}


def _duration(text: str | None) -> float | None:
    """`6m0s`, `1.5s`, `120ms` (OpenAI's x-ratelimit-reset-* values) in seconds."""
    match = _DURATION.fullmatch((text or "").strip())
    if not text or match is None or not any(match.groupdict().values()):
        return None
    return sum(float(v) * _SECONDS[k] for k, v in match.groupdict().items() if v)


def retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds a 429 asks to wait: `retry-after-ms`, else `retry-after` (seconds or an HTTP
    date), else, for a limit it reports used up (`x-ratelimit-remaining-requests` or
    `-tokens` of 0), when that limit resets (`x-ratelimit-reset-*`); None when it does not
    say."""
    for name, unit in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        value = headers.get(name)
        if value is None:
            continue
        try:
            return max(0.0, float(value) * unit)
        except ValueError:
            pass
    try:
        date = email.utils.parsedate_to_datetime(headers.get("retry-after", ""))
    except (TypeError, ValueError):
        date = None
    if date is not None:
        return max(0.0, date.timestamp() - time.time())
    resets = [
        _duration(headers.get(f"x-ratelimit-reset-{kind}"))
        for kind in ("requests", "tokens")
        if (headers.get(f"x-ratelimit-remaining-{kind}") or "").strip() == "0"
    ]
    known = [r for r in resets if r is not None]
    return max(known) if known else None


def _deepest(exc: BaseException) -> str:
    return next((str(e) for e in reversed(_chain(exc)) if str(e)), str(exc))


def _message(exc: openai.APIStatusError) -> str:
    body = exc.body
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and inner.get("message"):
            return str(inner["message"])
    return str(exc.message)


def _code(exc: openai.APIStatusError) -> str | None:
    return getattr(exc, "code", None)


def require_api_key(given: str | None) -> str:
    """The API key: `given`, else OPENAI_API_KEY (as the SDK reads it), else a clear error."""
    key = given or os.environ.get("OPENAI_API_KEY")
    if not key:
        raise ProviderAuthError(
            "OPENAI_API_KEY is not set; set it (in Actions: a repository secret), or run "
            "`trainer demo` to try everything on the built-in emulator"
        )
    return key
