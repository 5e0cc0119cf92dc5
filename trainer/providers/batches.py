"""The Batch API (/v1/batches) on the official `openai` SDK: input files (purpose `batch`),
create, retrieve, list, cancel, and the content of output and error files.

Configured as the provider is (the SDK's own variables, its retries and timeout); SDK
errors become trainer's, as every provider call's do.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final, TypeVar

from trainer.providers.sdk_calls import SdkCalls

T = TypeVar("T")
ENDPOINT: Final = "/v1/chat/completions"
COMPLETION_WINDOW: Final = "24h"
ACTIVE = frozenset({"validating", "in_progress", "finalizing", "cancelling"})
"""Statuses of a batch that will still change."""


@dataclass(frozen=True)
class BatchInfo:
    id: str
    status: str
    input_file_id: str
    output_file_id: str | None = None
    error_file_id: str | None = None
    total: int = 0
    completed: int = 0
    failed: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    metadata: Mapping[str, str] = field(default_factory=dict)


def _info(batch: Any) -> BatchInfo:
    counts, usage = batch.request_counts, getattr(batch, "usage", None)
    return BatchInfo(
        id=batch.id,
        status=batch.status,
        input_file_id=batch.input_file_id,
        output_file_id=batch.output_file_id,
        error_file_id=batch.error_file_id,
        total=counts.total if counts else 0,
        completed=counts.completed if counts else 0,
        failed=counts.failed if counts else 0,
        input_tokens=getattr(usage, "input_tokens", 0) or 0 if usage else 0,
        output_tokens=getattr(usage, "output_tokens", 0) or 0 if usage else 0,
        metadata=dict(batch.metadata or {}),
    )


class BatchClient(SdkCalls):
    """Configured as the provider is (SdkCalls), with the SDK's plain timeout."""

    def __init__(self, *, api_key: str | None = None, base_url: str | None = None) -> None:
        super().__init__(api_key=api_key, base_url=base_url)

    def upload(self, filename: str, data: bytes) -> str:
        """Upload a batch input file; returns its file id."""
        return self._call(
            "upload batch input",
            lambda: self.client.files.create(file=(filename, data), purpose="batch").id,
        )

    def create(self, input_file_id: str, metadata: Mapping[str, str]) -> BatchInfo:
        return self._call(
            "create batch",
            lambda: _info(
                self.client.batches.create(
                    input_file_id=input_file_id,
                    endpoint=ENDPOINT,
                    completion_window=COMPLETION_WINDOW,
                    metadata=dict(metadata),
                )
            ),
        )

    def retrieve(self, batch_id: str) -> BatchInfo:
        return self._call("get batch", lambda: _info(self.client.batches.retrieve(batch_id)))

    def find(
        self, metadata: Mapping[str, str], since: float | None = None, page: int = 100
    ) -> list[BatchInfo]:
        """Batches whose metadata contains all of `metadata`, in the API's order (the API
        has no metadata filter for batches: the list is read and filtered here).

        With `since` (Unix seconds: no batch sought is older), reading stops at the first
        older batch once the list shows itself newest first, as OpenAI lists them: an
        account's thousands of old batches are not paged through."""

        def search() -> list[BatchInfo]:
            found: list[BatchInfo] = []
            newest_first, previous = True, None
            for batch in self.client.batches.list(limit=page):
                created = batch.created_at
                if previous is not None and created > previous:
                    newest_first = False
                if newest_first and previous is not None and since is not None and created < since:
                    break
                previous = created
                tags = batch.metadata or {}
                if all(tags.get(k) == v for k, v in metadata.items()):
                    found.append(_info(batch))
            return found

        return self._call("list batches", search)

    def cancel(self, batch_id: str) -> BatchInfo:
        return self._call("cancel batch", lambda: _info(self.client.batches.cancel(batch_id)))

    def content(self, file_id: str) -> str:
        """The text of an output or error file."""
        return self._call("download batch file", lambda: self.client.files.content(file_id).text)
