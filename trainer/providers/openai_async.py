"""The evaluation's async OpenAI client: the official SDK, over a keep-alive connection
pool sized to the evaluation's concurrency.

- One client per event loop (an httpx async client is bound to its loop), with as many
  keep-alive connections as requests may be in flight (`pool`), over aiohttp (the SDK's
  own `DefaultAioHttpClient`: aiohttp keeps a pool without probing every idle connection
  on each request, which httpx's default transport does); where a proxy applies, over
  httpx's own transport with the same limits (it reads the proxy settings as httpx does).
- The SDK retries what merits it (connection failures, timeouts, 5xx) but not a 429: the
  caller sees each one, lowers its concurrency and waits as told (`harness.limiter`).
- Until the API first answers, the SDK retries only FIRST_CONTACT_RETRIES times: an
  endpoint that is down is known in about a second, not after each request's backoff.
- Chat completions are read from the response's JSON, not built into the SDK's typed
  models: the evaluation needs four fields of them, on every request.
"""

from __future__ import annotations

import asyncio
import functools
import importlib
import json
import os
import ssl
import urllib.parse
import urllib.request
from collections.abc import Awaitable, Callable
from types import ModuleType
from typing import Any, TypeVar

import openai

from trainer.logs import scrub
from trainer.providers.base import ChatReply, ProviderUnavailable
from trainer.providers.openai_errors import retryable, translate, unreachable_reason

T = TypeVar("T")
DEFAULT_POOL = 8
FIRST_CONTACT_RETRIES = 2
CONNECT_TIMEOUT = 5.0
"""Seconds to open a connection (the SDK's own default): a request may take a minute, a
connection to a live API never does."""


def timeout_of(seconds: float) -> openai.Timeout:
    return openai.Timeout(seconds, connect=min(seconds, CONNECT_TIMEOUT))


def http_library() -> ModuleType:
    """The httpx the SDK is built on (`httpx`, or `httpx2` in recent SDKs)."""
    for cls in openai.DefaultAsyncHttpxClient.__mro__:
        if cls.__name__ == "AsyncClient":
            return importlib.import_module(cls.__module__.partition(".")[0])
    return importlib.import_module("httpx")  # pragma: no cover


@functools.cache
def _tls_context(http: ModuleType, cert_file: str | None, cert_dir: str | None) -> ssl.SSLContext:
    return http.create_ssl_context()  # type: ignore[no-any-return]


def tls_context(http: ModuleType) -> ssl.SSLContext:
    """The TLS settings httpx would make for a client (certificates of SSL_CERT_FILE or
    SSL_CERT_DIR if set), made once per process: loading them takes 20 ms each time."""
    return _tls_context(http, os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR"))


def proxied(url: str) -> bool:
    """Whether the environment sends requests to `url` through a proxy (as httpx reads it)."""
    parts = urllib.parse.urlsplit(url)
    proxies = urllib.request.getproxies()
    if not (proxies.get(parts.scheme) or proxies.get("all")):
        return False
    return not urllib.request.proxy_bypass(parts.hostname or "")


def _chat_url(client: openai.AsyncOpenAI) -> str:
    """The URL of chat completions, absolute: parsed once per request instead of merged
    with the base URL (unless the base URL has a query, which the SDK carries over)."""
    base = client.base_url
    return "/chat/completions" if base.query else f"{base}chat/completions"


async def _leave_rate_limits_to_the_caller(response: Any) -> None:
    if response.status_code == 429:
        response.headers["x-should-retry"] = "false"


class AsyncChannel:
    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        self.pool = DEFAULT_POOL
        self.answered = False
        """The API has answered a request of this channel (with anything)."""
        self.http = http_library()
        probe = openai.AsyncOpenAI(**options, http_client=self._http_client(aiohttp=False))
        self.endpoint = str(probe.base_url).rstrip("/")
        """Where requests go, as the SDK reads it (`base_url`, else OPENAI_BASE_URL...)."""
        self._clients: (
            tuple[asyncio.AbstractEventLoop, openai.AsyncOpenAI, openai.AsyncOpenAI] | None
        ) = None
        self._timeouts: dict[float, openai.Timeout] = {}
        self.connections = 0
        """The connection limit of the latest client: the concurrency (for tests)."""

    def _http_client(self, *, aiohttp: bool) -> Any:
        """The SDK's async client (with the SDK's defaults) keeping `pool` connections."""
        size = self.pool
        make = openai.DefaultAioHttpClient if aiohttp else openai.DefaultAsyncHttpxClient
        return make(
            verify=tls_context(self.http),
            limits=self.http.Limits(max_connections=size, max_keepalive_connections=size),
            event_hooks={"response": [_leave_rate_limits_to_the_caller]},
        )

    def _make(self) -> openai.AsyncOpenAI:
        """A client over aiohttp; over httpx's own transport where a proxy applies."""
        self.connections = self.pool
        client = self._http_client(aiohttp=not proxied(self.endpoint))
        return openai.AsyncOpenAI(**self.options, http_client=client)

    def clients(self) -> tuple[openai.AsyncOpenAI, openai.AsyncOpenAI]:
        """(the client, the same with the first-contact retries) of the running loop."""
        loop = asyncio.get_running_loop()
        if self._clients is None or self._clients[0] is not loop:
            client = self._make()
            first = client.with_options(max_retries=min(client.max_retries, FIRST_CONTACT_RETRIES))
            self._clients = (loop, client, first)
        return self._clients[1], self._clients[2]

    async def aclose(self) -> None:
        """Close the async client while its event loop still runs."""
        if self._clients is not None:
            await self._clients[1].close()
            self._clients = None

    async def send(self, what: str, send: Callable[[openai.AsyncOpenAI], Awaitable[T]]) -> T:
        """One request: a failure to connect before the API first answered is reported
        after the first-contact retries; any other failure that merits it is sent again
        with the full retry budget."""
        client, first_contact = self.clients()
        first = not self.answered and client.max_retries > FIRST_CONTACT_RETRIES
        try:
            try:
                reply = await send(first_contact if first else client)
            except openai.OpenAIError as exc:
                if (
                    not first
                    or unreachable_reason(exc) is not None
                    or not retryable(exc)
                    or isinstance(exc, openai.RateLimitError)  # the caller's to handle
                ):
                    raise
                self.answered = True
                reply = await send(client)
        except openai.OpenAIError as exc:
            self.answered = self.answered or unreachable_reason(exc) is None
            raise translate(what, exc, self.endpoint) from None
        self.answered = True
        return reply

    def _timeout(self, seconds: float) -> openai.Timeout:
        if seconds not in self._timeouts:
            self._timeouts[seconds] = timeout_of(seconds)
        return self._timeouts[seconds]

    async def chat(self, body: dict[str, Any], timeout: float | None) -> ChatReply:
        options: dict[str, Any] = {"timeout": self._timeout(timeout)} if timeout else {}
        # The SDK's request building, retries and errors, without its per-call walk over
        # the typed parameters and the typed response: our messages are plain JSON already.
        response = await self.send(
            "chat completion",
            lambda client: client.post(  # type: ignore[call-overload]
                _chat_url(client),
                body=body,
                cast_to=self.http.Response,
                options=options,
            ),
        )
        try:
            reply = json.loads(response.content)
            choice = reply["choices"][0]
            usage = reply.get("usage") or {}
            return ChatReply(
                # a model that repeats a key it saw (in a prompt, in its training data)
                # must not carry it into reports, caches and pull requests
                content=scrub(choice["message"].get("content") or ""),
                model=reply.get("model", body["model"]),
                system_fingerprint=reply.get("system_fingerprint"),
                prompt_tokens=usage.get("prompt_tokens") or 0,
                completion_tokens=usage.get("completion_tokens") or 0,
            )
        except (ValueError, LookupError, TypeError, AttributeError) as exc:
            raise ProviderUnavailable(
                f"chat completion: the API at {self.endpoint} sent an unreadable reply ({exc!r})"
            ) from None

    async def moderate(self, texts: list[str], model: str) -> list[dict[str, float]]:
        reply = await self.send(
            "moderation",
            lambda client: client.moderations.create(model=model, input=texts),
        )
        return [
            {
                k: float(v)
                for k, v in result.category_scores.model_dump(by_alias=True).items()
                if v is not None
            }
            for result in reply.results
        ]
