"""The official `openai` client as every provider call uses it: configured by the SDK's
own variables (or a given key and URL), with its retries and a timeout, made when first
needed; each call counted, and its SDK error turned into trainer's."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import openai

from trainer.providers.openai_errors import require_api_key, translate

T = TypeVar("T")
DEFAULT_TIMEOUT = 60.0
DEFAULT_RETRIES = 4


class SdkCalls:
    """Reads OPENAI_API_KEY, OPENAI_BASE_URL, OPENAI_ORG_ID, OPENAI_PROJECT_ID, as the SDK does."""

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        max_retries: int = DEFAULT_RETRIES,
        timeout: float | openai.Timeout = DEFAULT_TIMEOUT,
    ) -> None:
        self._options: dict[str, Any] = {
            "api_key": require_api_key(api_key),
            "base_url": base_url,
            "max_retries": max_retries,
            "timeout": timeout,
        }
        self.calls = 0

    @functools.cached_property
    def client(self) -> openai.OpenAI:
        """The synchronous client, made when first needed (its TLS set-up takes 0.1 s)."""
        return openai.OpenAI(**self._options)

    def _call(self, what: str, fn: Callable[[], T]) -> T:
        self.calls += 1
        try:
            return fn()
        except openai.OpenAIError as exc:
            raise translate(what, exc) from None
