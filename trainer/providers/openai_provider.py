"""The OpenAI provider, on the official `openai` SDK (its retries, timeouts and pagination)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import openai
from openai.types.chat import ChatCompletion

from trainer.providers.base import (
    ChatReply,
    Event,
    JobInfo,
    JobRequest,
    ProviderAuthError,
    ProviderError,
    ProviderRejected,
    ProviderUnavailable,
)

T = TypeVar("T")
DEFAULT_TIMEOUT = 60.0
DEFAULT_RETRIES = 4


def _job(job: Any) -> JobInfo:
    error = getattr(job, "error", None)
    return JobInfo(
        id=job.id,
        status=job.status,
        fine_tuned_model=job.fine_tuned_model,
        trained_tokens=job.trained_tokens,
        error_code=getattr(error, "code", None) if error else None,
        error_message=getattr(error, "message", None) if error else None,
        created_at=job.created_at,
        finished_at=job.finished_at,
        metadata=dict(job.metadata or {}),
    )


class OpenAIProvider:
    """Reads OPENAI_API_KEY, OPENAI_BASE_URL, OPENAI_ORG_ID, OPENAI_PROJECT_ID, as the SDK does."""

    name = "openai"

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        max_retries: int = DEFAULT_RETRIES,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        key = api_key or os.environ.get("OPENAI_API_KEY")
        if not key:
            raise ProviderAuthError(
                "OPENAI_API_KEY is not set; set it (in Actions: a repository secret), or run "
                "`trainer demo` to try everything on the built-in emulator"
            )
        self.client = openai.OpenAI(
            api_key=key, base_url=base_url, max_retries=max_retries, timeout=timeout
        )
        self._async_options: dict[str, Any] = {
            "api_key": key,
            "base_url": base_url,
            "max_retries": max_retries,
            "timeout": timeout,
        }
        self._async: tuple[asyncio.AbstractEventLoop, openai.AsyncOpenAI] | None = None
        self.calls = 0
        self.endpoint = str(self.client.base_url).rstrip("/")

    def _call(self, what: str, fn: Callable[[], T]) -> T:
        self.calls += 1
        try:
            return fn()
        except openai.OpenAIError as exc:
            raise _translate(what, exc) from None

    def _async_client(self) -> openai.AsyncOpenAI:
        """One async client per event loop (an httpx async client is bound to its loop)."""
        loop = asyncio.get_running_loop()
        if self._async is None or self._async[0] is not loop:
            self._async = (loop, openai.AsyncOpenAI(**self._async_options))
        return self._async[1]

    async def aclose(self) -> None:
        """Close the async client while its event loop still runs."""
        if self._async is not None:
            await self._async[1].close()
            self._async = None

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
        self.calls += 1
        body = {"model": model, "messages": messages, **_sampling(temperature, seed, max_tokens)}
        if response_format is not None:
            body["response_format"] = response_format
        options: dict[str, Any] = {"timeout": timeout} if timeout is not None else {}
        try:
            # The SDK's own transport, retries and errors, without its per-call walk over
            # the typed parameters (the largest cost per request in the evaluation runner):
            # our messages are plain JSON already.
            reply = await self._async_client().post(  # type: ignore[call-overload]
                "/chat/completions", body=body, cast_to=ChatCompletion, options=options
            )
        except openai.OpenAIError as exc:
            raise _translate("chat completion", exc) from None
        return _reply(reply)

    async def amoderate(
        self, texts: list[str], *, model: str = "omni-moderation-latest"
    ) -> list[dict[str, float]]:
        """Category scores of each text, from the moderation endpoint (in order)."""
        self.calls += 1
        try:
            reply = await self._async_client().moderations.create(model=model, input=texts)
        except openai.OpenAIError as exc:
            raise _translate("moderation", exc) from None
        return [
            {
                k: float(v)
                for k, v in result.category_scores.model_dump(by_alias=True).items()
                if v is not None
            }
            for result in reply.results
        ]

    def upload(self, path: Path, filename: str) -> str:
        def send() -> str:
            with path.open("rb") as handle:
                return self.client.files.create(file=(filename, handle), purpose="fine-tune").id

        return self._call("upload", send)

    def find_file(self, filename: str) -> str | None:
        def search() -> str | None:
            for item in self.client.files.list(purpose="fine-tune"):
                if item.filename == filename:
                    return item.id
            return None

        return self._call("list files", search)

    def create_job(self, request: JobRequest) -> JobInfo:
        method: dict[str, Any] = {
            "type": request.method,
            request.method: {"hyperparameters": dict(request.hyperparameters)},
        }
        extra: dict[str, Any] = {}
        if request.validation_file:
            extra["validation_file"] = request.validation_file
        if request.suffix:
            extra["suffix"] = request.suffix
        if request.seed is not None:
            extra["seed"] = request.seed
        return self._call(
            "create fine-tuning job",
            lambda: _job(
                self.client.fine_tuning.jobs.create(
                    model=request.base_model,
                    training_file=request.training_file,
                    method=method,  # type: ignore[arg-type]
                    metadata=dict(request.metadata),
                    **extra,
                )
            ),
        )

    def get_job(self, job_id: str) -> JobInfo:
        return self._call("get job", lambda: _job(self.client.fine_tuning.jobs.retrieve(job_id)))

    def find_jobs(self, metadata: Mapping[str, str]) -> list[JobInfo]:
        return self._call(
            "list jobs",
            lambda: [_job(j) for j in self.client.fine_tuning.jobs.list(metadata=dict(metadata))],
        )

    def cancel_job(self, job_id: str) -> JobInfo:
        return self._call("cancel job", lambda: _job(self.client.fine_tuning.jobs.cancel(job_id)))

    def events(self, job_id: str, limit: int = 10) -> list[Event]:
        def fetch() -> list[Event]:
            page = self.client.fine_tuning.jobs.list_events(job_id, limit=limit)
            return [Event(e.created_at, e.level, e.message) for e in page.data]

        return self._call("list events", fetch)

    def chat(
        self,
        model: str,
        messages: list[dict[str, Any]],
        *,
        temperature: float = 0.0,
        seed: int | None = None,
        max_tokens: int | None = None,
    ) -> ChatReply:
        sampling = _sampling(temperature, seed, max_tokens)

        def complete() -> ChatReply:
            return _reply(
                self.client.chat.completions.create(
                    model=model,
                    messages=messages,  # type: ignore[arg-type]
                    **sampling,
                )
            )

        return self._call("chat completion", complete)


def _sampling(temperature: float, seed: int | None, max_tokens: int | None) -> dict[str, Any]:
    """Sampling parameters as the chat API takes them (unset ones left out)."""
    params: dict[str, Any] = {"temperature": temperature}
    if seed is not None:
        params["seed"] = seed
    if max_tokens is not None:
        params["max_tokens"] = max_tokens
    return params


def _reply(reply: Any) -> ChatReply:
    usage = reply.usage
    return ChatReply(
        content=reply.choices[0].message.content or "",
        model=reply.model,
        system_fingerprint=reply.system_fingerprint,
        prompt_tokens=usage.prompt_tokens if usage else 0,
        completion_tokens=usage.completion_tokens if usage else 0,
    )


def _translate(what: str, exc: openai.OpenAIError) -> ProviderError:
    """The SDK's exception as one of ours, with a message that says what to do."""
    if isinstance(exc, openai.AuthenticationError):
        return ProviderAuthError(f"{what}: the API key was rejected (401); check OPENAI_API_KEY")
    if isinstance(exc, openai.PermissionDeniedError):
        return ProviderAuthError(f"{what}: permission denied (403): {_message(exc)}")
    if isinstance(
        exc, openai.BadRequestError | openai.NotFoundError | openai.UnprocessableEntityError
    ):
        return ProviderRejected(f"{what}: {_message(exc)}", _code(exc))
    if isinstance(exc, openai.RateLimitError):
        return ProviderUnavailable(f"{what}: rate limited after retries: {_message(exc)}")
    if isinstance(exc, openai.APITimeoutError):
        return ProviderUnavailable(f"{what}: timed out after retries")
    if isinstance(exc, openai.APIConnectionError):
        return ProviderUnavailable(f"{what}: cannot reach the API ({exc})")
    if isinstance(exc, openai.APIStatusError):
        return ProviderUnavailable(f"{what}: HTTP {exc.status_code}: {_message(exc)}")
    return ProviderError(f"{what}: {exc}")


def _message(exc: openai.APIStatusError) -> str:
    body = exc.body
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and inner.get("message"):
            return str(inner["message"])
    return str(exc.message)


def _code(exc: openai.APIStatusError) -> str | None:
    return getattr(exc, "code", None)
