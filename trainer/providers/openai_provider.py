"""The OpenAI provider, on the official `openai` SDK (its retries, timeouts and pagination)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from trainer.logs import scrub
from trainer.providers.base import (
    ChatReply,
    Event,
    JobInfo,
    JobRequest,
)
from trainer.providers.openai_async import AsyncChannel, timeout_of
from trainer.providers.sdk_calls import DEFAULT_RETRIES, DEFAULT_TIMEOUT, SdkCalls


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


class OpenAIProvider(SdkCalls):
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
        super().__init__(
            api_key=api_key,
            base_url=base_url,
            max_retries=max_retries,
            timeout=timeout_of(timeout),
        )
        self._channel = AsyncChannel(self._options)
        self.endpoint = self._channel.endpoint

    def set_concurrency(self, requests: int) -> None:
        self._channel.pool = max(1, requests)

    async def aclose(self) -> None:
        """Close the async client while its event loop still runs."""
        await self._channel.aclose()

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
        self.calls += 1
        return await self._channel.chat(body, timeout)

    async def amoderate(
        self, texts: list[str], *, model: str = "omni-moderation-latest"
    ) -> list[dict[str, float]]:
        """Category scores of each text, from the moderation endpoint (in order)."""
        self.calls += 1
        return await self._channel.moderate(texts, model)

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
