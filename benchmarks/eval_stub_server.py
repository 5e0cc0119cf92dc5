"""A minimal OpenAI-compatible chat endpoint for the evaluation benchmark.

Usage: python benchmarks/eval_stub_server.py [--port 0] [--latency-ms 50]
                                             [--max-in-flight K] [--retry-after-ms 200]

Answers `POST /v1/chat/completions` after a fixed latency L, with a reply made from the
last user message; `GET /healthz` says it is up; `GET /stats` returns its counters as
JSON. It prints `listening on PORT` once it accepts connections. With `--max-in-flight
K`, a request that arrives while K are in flight gets a 429 at once, with `retry-after`
and `retry-after-ms` headers (an account's concurrency limit).

Both trainer and promptfoo are measured against this one endpoint. It is built not to be
the bottleneck on a 2-core machine: one asyncio protocol, no task per request (a timer
per reply), TCP_NODELAY, and each response written in a single send, so that delayed
ACKs never stall a keep-alive connection (about 40 ms per request otherwise).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import socket
from dataclasses import asdict, dataclass
from typing import Any

REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 429: "Too Many Requests"}


@dataclass
class Stats:
    requests: int = 0
    answered: int = 0
    rate_limited: int = 0
    in_flight: int = 0
    peak_in_flight: int = 0


def reply_text(question: str) -> str:
    """A tutor-like answer that engages with the question (and so varies with it)."""
    return (
        f"You asked: {question} Let's think it through together. "
        "What do you notice first, and which step would you try next?"
    )


def completion(model: str, content: str, serial: int) -> bytes:
    body = {
        "id": f"chatcmpl-stub{serial}",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": model,
        "system_fingerprint": "fp_stub",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "logprobs": None,
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 12, "completion_tokens": 30, "total_tokens": 42},
    }
    return json.dumps(body, separators=(",", ":")).encode()


def response(status: int, body: bytes, extra: str = "") -> bytes:
    head = (
        f"HTTP/1.1 {status} {REASONS.get(status, 'Error')}\r\n"
        "content-type: application/json\r\n"
        f"content-length: {len(body)}\r\n{extra}\r\n"
    )
    return head.encode("latin-1") + body


class Endpoint(asyncio.Protocol):
    def __init__(self, server: StubServer) -> None:
        self.server = server
        self.buffer = bytearray()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            lines = bytes(self.buffer[:end]).decode("latin-1").split("\r\n")
            length = 0
            for line in lines[1:]:
                name, _, value = line.partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value)
            if len(self.buffer) < end + 4 + length:
                return
            body = bytes(self.buffer[end + 4 : end + 4 + length])
            del self.buffer[: end + 4 + length]
            method, target = lines[0].split(" ")[:2]
            self.server.handle(self, method, target.partition("?")[0], body)

    def send(self, payload: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(payload)  # headers and body in one send


class StubServer:
    def __init__(
        self, latency: float, max_in_flight: int | None = None, retry_after: float = 0.2
    ) -> None:
        self.latency = latency
        self.max_in_flight = max_in_flight
        self.retry_after = retry_after
        self.stats = Stats()
        self.loop = asyncio.get_running_loop()

    def handle(self, endpoint: Endpoint, method: str, path: str, body: bytes) -> None:
        stats = self.stats
        if method == "GET" and path == "/healthz":
            endpoint.send(response(200, b'{"ok":true}'))
        elif method == "GET" and path == "/stats":
            endpoint.send(response(200, json.dumps(asdict(stats)).encode()))
        elif method == "POST" and path == "/v1/chat/completions":
            stats.requests += 1
            if self.max_in_flight is not None and stats.in_flight >= self.max_in_flight:
                stats.rate_limited += 1
                error = {
                    "error": {
                        "message": "Rate limit reached (stub): too many requests in flight",
                        "type": "requests",
                        "code": "rate_limit_exceeded",
                    }
                }
                headers = (
                    f"retry-after: {max(1, round(self.retry_after))}\r\n"
                    f"retry-after-ms: {self.retry_after * 1000:.0f}\r\n"
                )
                endpoint.send(response(429, json.dumps(error).encode(), headers))
                return
            request: dict[str, Any] = json.loads(body)
            question = next(
                (m["content"] for m in reversed(request["messages"]) if m["role"] == "user"), ""
            )
            payload = response(
                200, completion(request["model"], reply_text(question), stats.requests)
            )
            stats.in_flight += 1
            stats.peak_in_flight = max(stats.peak_in_flight, stats.in_flight)
            if self.latency > 0:
                self.loop.call_later(self.latency, self._answer, endpoint, payload)
            else:
                self._answer(endpoint, payload)
        else:
            endpoint.send(response(404, b'{"error":{"message":"not found"}}'))

    def _answer(self, endpoint: Endpoint, payload: bytes) -> None:
        self.stats.in_flight -= 1
        self.stats.answered += 1
        endpoint.send(payload)


async def serve(args: argparse.Namespace) -> None:
    stub = StubServer(args.latency_ms / 1000, args.max_in_flight, args.retry_after_ms / 1000)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: Endpoint(stub), args.host, args.port, backlog=1024, reuse_address=True
    )
    port = server.sockets[0].getsockname()[1]
    print(f"listening on {port}", flush=True)
    async with server:
        await server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--latency-ms", type=float, default=50)
    parser.add_argument("--max-in-flight", type=int, default=None)
    parser.add_argument("--retry-after-ms", type=float, default=200)
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args))


if __name__ == "__main__":
    main()
