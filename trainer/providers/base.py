"""The provider interface the reconciler and the evaluation harness talk to."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from trainer.errors import TrainerError


class ProviderError(TrainerError):
    """A provider call failed after the SDK's own retries."""


class ProviderAuthError(ProviderError):
    """The API key is missing, wrong or lacks permission: nothing will work until fixed."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class ProviderQuotaExceeded(ProviderAuthError):
    """The key's account has no quota left (429 `insufficient_quota`): no wait makes a
    request pass, so an evaluation stops as it does for a rejected key."""


class ProviderRejected(ProviderError):
    """The provider refused this request (a bad parameter, an unknown model): a spec problem."""

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.code = code


class ProviderUnavailable(ProviderError):
    """Network errors, timeouts, rate limits or 5xx after retries: try again later."""


class ProviderRateLimited(ProviderUnavailable):
    """The API answered 429: too many requests for now. The evaluation's async client
    leaves these to the caller (the harness lowers its concurrency and waits); others
    are retried by the SDK."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        """Seconds the API asked to wait (Retry-After), when it said."""


class ProviderUnreachable(ProviderUnavailable):
    """No connection to the API at all after retries (connection refused, a host name that
    does not resolve, no connection within the connect timeout): the endpoint is down or
    wrong, and every other request would fail the same way."""


@dataclass(frozen=True)
class JobRequest:
    base_model: str
    training_file: str
    validation_file: str | None
    method: str
    hyperparameters: Mapping[str, Any]
    suffix: str | None
    seed: int | None
    metadata: Mapping[str, str]


@dataclass(frozen=True)
class JobInfo:
    id: str
    status: str
    fine_tuned_model: str | None = None
    trained_tokens: int | None = None
    error_code: str | None = None
    error_message: str | None = None
    created_at: int | None = None
    finished_at: int | None = None
    metadata: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Event:
    created_at: int
    level: str
    message: str


@dataclass(frozen=True)
class ChatReply:
    content: str
    model: str
    system_fingerprint: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0


class Provider(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def endpoint(self) -> str:
        """Where requests go (the API's base URL); cached answers are kept per endpoint."""
        ...

    def upload(self, path: Path, filename: str) -> str:
        """Upload a training file; returns its file id."""
        ...

    def find_file(self, filename: str) -> str | None:
        """The id of an uploaded fine-tuning file with this exact name, if any."""
        ...

    def create_job(self, request: JobRequest) -> JobInfo: ...

    def get_job(self, job_id: str) -> JobInfo: ...

    def find_jobs(self, metadata: Mapping[str, str]) -> list[JobInfo]:
        """Jobs whose metadata contains all of `metadata`, newest first."""
        ...

    def cancel_job(self, job_id: str) -> JobInfo: ...

    def events(self, job_id: str, limit: int = 10) -> list[Event]: ...

    def chat(
        self,
        model: str,
        messages: list[dict[str, Any]],
        *,
        temperature: float = 0.0,
        seed: int | None = None,
        max_tokens: int | None = None,
    ) -> ChatReply: ...

    async def achat(
        self,
        model: str,
        messages: list[dict[str, Any]],
        *,
        temperature: float = 0.0,
        seed: int | None = None,
        max_tokens: int | None = None,
        timeout: float | None = None,
        response_format: dict[str, Any] | None = None,
    ) -> ChatReply:
        """The same as `chat`, for the evaluation runner's event loop; `response_format`
        asks for structured outputs (the judge's verdict)."""
        ...

    async def amoderate(
        self, texts: list[str], *, model: str = "omni-moderation-latest"
    ) -> list[dict[str, float]]:
        """Moderation category scores (0..1) of each text, in order."""
        ...

    def set_concurrency(self, requests: int) -> None:
        """How many requests `achat` and `amoderate` will have in flight at most: the
        async client keeps that many connections open (set before the first request)."""
        ...

    async def aclose(self) -> None:
        """Release what `achat` opened; called before the event loop ends."""
        ...
