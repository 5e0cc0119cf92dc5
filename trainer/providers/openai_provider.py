"""The OpenAI provider, on the official `openai` SDK (its retries, timeouts and pagination)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import openai
from openai.types.chat import ChatCompletion

from trainer.logs import scrub
from trainer.providers.base import (
    ChatReply,
    Event,
    JobInfo,
    JobRequest,
    ProviderAuthError,
)
from trainer.providers.openai_errors import retryable, translate, unreachable_reason

T = TypeVar("T")
DEFAULT_TIMEOUT = 60.0
DEFAULT_RETRIES = 4
CONNECT_TIMEOUT = 5.0
"""Seconds to open a connection (the SDK's own default): a request may take a minute, a
connection to a live API never does."""
FIRST_CONTACT_RETRIES = 2
"""Retries of the evaluation's requests until the API first answers: an endpoint that is
down is known in about a second, not after each request's full backoff."""


def _timeout(seconds: float) -> openai.Timeout:
    return openai.Timeout(seconds, connect=min(seconds, CONNECT_TIMEOUT))


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
            api_key=key, base_url=base_url, max_retries=max_retries, timeout=_timeout(timeout)
        )
        self._async_options: dict[str, Any] = {
            "api_key": key,
            "base_url": base_url,
            "max_retries": max_retries,
            "timeout": _timeout(timeout),
        }
        self._async: tuple[asyncio.AbstractEventLoop, openai.AsyncOpenAI] | None = None
        self._answered = False
        """The API has answered a request of the async client (with anything)."""
        self.calls = 0
        self.endpoint = str(self.client.base_url).rstrip("/")

    def _call(self, what: str, fn: Callable[[], T]) -> T:
        self.calls += 1
        try:
            return fn()
        except openai.OpenAIError as exc:
            raise translate(what, exc) from None

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

    async def _asend(self, what: str, send: Callable[[openai.AsyncOpenAI], Awaitable[T]]) -> T:
        """One request of the async client. Until the API first answers, the SDK retries
        only FIRST_CONTACT_RETRIES times: a failure to connect is reported at once, while
        any other failure that merits it is sent again with the full retry budget."""
        self.calls += 1
        client = self._async_client()
        first = not self._answered and client.max_retries > FIRST_CONTACT_RETRIES
        try:
            try:
                reply = await send(
                    client.with_options(max_retries=FIRST_CONTACT_RETRIES) if first else client
                )
            except openai.OpenAIError as exc:
                if not first or unreachable_reason(exc) is not None or not retryable(exc):
                    raise
                self._answered = True
                reply = await send(client)
        except openai.OpenAIError as exc:
            self._answered = self._answered or unreachable_reason(exc) is None
            raise translate(what, exc, self.endpoint) from None
        self._answered = True
        return reply

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
        body = {"model": model, "messages": messages, **_sampling(temperature, seed, max_tokens)}
        if response_format is not None:
            body["response_format"] = response_format
        options: dict[str, Any] = {"timeout": _timeout(timeout)} if timeout is not None else {}
        # The SDK's own transport, retries and errors, without its per-call walk over the
        # typed parameters (the largest cost per request in the evaluation runner): our
        # messages are plain JSON already.
        reply = await self._asend(
            "chat completion",
            lambda client: client.post(  # type: ignore[call-overload]
                "/chat/completions", body=body, cast_to=ChatCompletion, options=options
            ),
        )
        return _reply(reply)

    async def amoderate(
        self, texts: list[str], *, model: str = "omni-moderation-latest"
    ) -> list[dict[str, float]]:
        """Category scores of each text, from the moderation endpoint (in order)."""
        reply = await self._asend(
            "moderation", lambda client: client.moderations.create(model=model, input=texts)
        )
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
        # a model that repeats a key it saw (in a prompt, in its training data) must not
        # carry it into reports, caches and pull requests
        content=scrub(reply.choices[0].message.content or ""),
        model=reply.model,
        system_fingerprint=reply.system_fingerprint,
        prompt_tokens=usage.prompt_tokens if usage else 0,
        completion_tokens=usage.completion_tokens if usage else 0,
    )
