"""A provider created on first use, so a pass with nothing to do needs no API key."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from trainer.providers.base import ChatReply, Event, JobInfo, JobRequest, Provider


class OnDemandProvider:
    """Implements Provider by forwarding to the one `factory()` makes when first needed."""

    def __init__(self, factory: Callable[[], Provider]) -> None:
        self._factory = factory
        self._made: Provider | None = None
        self._concurrency: int | None = None

    @property
    def _provider(self) -> Provider:
        if self._made is None:
            self._made = self._factory()
            if self._concurrency is not None:
                self._made.set_concurrency(self._concurrency)
        return self._made

    @property
    def name(self) -> str:
        return self._provider.name

    @property
    def endpoint(self) -> str:
        return self._provider.endpoint

    def upload(self, path: Path, filename: str) -> str:
        return self._provider.upload(path, filename)

    def find_file(self, filename: str) -> str | None:
        return self._provider.find_file(filename)

    def create_job(self, request: JobRequest) -> JobInfo:
        return self._provider.create_job(request)

    def get_job(self, job_id: str) -> JobInfo:
        return self._provider.get_job(job_id)

    def find_jobs(self, metadata: Mapping[str, str]) -> list[JobInfo]:
        return self._provider.find_jobs(metadata)

    def cancel_job(self, job_id: str) -> JobInfo:
        return self._provider.cancel_job(job_id)

    def events(self, job_id: str, limit: int = 10) -> list[Event]:
        return self._provider.events(job_id, limit)

    def chat(self, model: str, messages: list[dict[str, Any]], **options: Any) -> ChatReply:
        return self._provider.chat(model, messages, **options)

    async def achat(self, model: str, messages: list[dict[str, Any]], **options: Any) -> ChatReply:
        return await self._provider.achat(model, messages, **options)

    async def amoderate(
        self, texts: list[str], *, model: str = "omni-moderation-latest"
    ) -> list[dict[str, float]]:
        return await self._provider.amoderate(texts, model=model)

    def set_concurrency(self, requests: int) -> None:
        self._concurrency = requests
        if self._made is not None:
            self._made.set_concurrency(requests)

    async def aclose(self) -> None:
        if self._made is not None:
            await self._made.aclose()
