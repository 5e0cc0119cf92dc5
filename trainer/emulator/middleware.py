"""The middleware in front of every /v1/ route: request counts, API key, injected faults."""

from __future__ import annotations

import asyncio
import re

from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from trainer.emulator.faults import Fault
from trainer.emulator.responses import error
from trainer.emulator.state import EmulatorState

_IDS = re.compile(r"/(ftjob|file|ftckpt)-[A-Za-z0-9]+|/batch_[A-Za-z0-9]+|/ft:[^/]+")


def _route_name(method: str, path: str) -> str:
    return f"{method} {_IDS.sub(lambda m: '/{id}', path)}"


class Guard:
    """Counts requests, checks the API key, and applies injected faults.

    A plain ASGI middleware (not BaseHTTPMiddleware, which costs a task per request):
    the emulator must not be the bottleneck of the benchmarks it serves.
    """

    def __init__(self, app: ASGIApp, state: EmulatorState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not path.startswith("/v1/"):
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        state = self.state
        headers = dict(scope.get("headers") or [])
        token = headers.get(b"authorization", b"").decode("latin-1").removeprefix("Bearer ").strip()
        with state.lock:
            state.requests[_route_name(method, path)] += 1
            fault = next((f for f in state.faults if f.matches(method, path)), None)
            if fault:
                fault.consume()
            state.in_flight += 1
            state.peak_in_flight = max(state.peak_in_flight, state.in_flight)
        try:
            if not token or (state.api_key is not None and token != state.api_key):
                response: Response | None = error(
                    401,
                    "Incorrect API key provided. The emulator rejects this key.",
                    "invalid_api_key",
                )
            else:
                response = await self._fault_response(fault)
            if response is not None:
                await response(scope, receive, send)
            else:
                await self.app(scope, receive, send)
        finally:
            with state.lock:
                state.in_flight -= 1

    async def _fault_response(self, fault: Fault | None) -> Response | None:
        if fault is None:
            return None
        if fault.hang:
            await asyncio.sleep(3600)
        if fault.latency:
            await asyncio.sleep(fault.latency)
        if not fault.status:
            return None
        response = error(
            fault.status,
            f"Injected fault: HTTP {fault.status} (emulator)",
            fault.code or "emulated_fault",
        )
        if fault.retry_after is not None:
            response.headers["retry-after"] = f"{max(1, round(fault.retry_after))}"
            response.headers["retry-after-ms"] = f"{fault.retry_after * 1000:.0f}"
        if fault.reset is not None:
            response.headers["x-ratelimit-remaining-requests"] = "0"
            response.headers["x-ratelimit-reset-requests"] = fault.reset
        return response
