"""Run the emulator: in the foreground (`trainer emulator`) or in a background thread."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import uvicorn
from starlette.types import ASGIApp

from trainer.emulator.app import build_app
from trainer.emulator.state import EmulatorState


@dataclass
class RunningEmulator:
    state: EmulatorState
    host: str
    port: int

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/v1"


def _config(app: ASGIApp, host: str, port: int) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        lifespan="off",
        timeout_graceful_shutdown=1,
    )


def serve(state: EmulatorState, host: str = "127.0.0.1", port: int = 8321) -> None:
    """Serve until interrupted."""
    uvicorn.Server(_config(build_app(state), host, port)).run()


@contextmanager
def serve_in_background(app: ASGIApp, host: str = "127.0.0.1", port: int = 0) -> Iterator[int]:
    """Serve an ASGI app on a thread for the duration of the block; yields the port."""
    server = uvicorn.Server(_config(app, host, port))
    ready = threading.Event()
    original = server.startup

    async def startup(sockets: object = None) -> None:
        await original(sockets=sockets)  # type: ignore[arg-type]
        ready.set()

    server.startup = startup  # type: ignore[method-assign]
    thread = threading.Thread(target=server.run, name="trainer-server", daemon=True)
    thread.start()
    if not ready.wait(timeout=30) or not server.servers:
        raise RuntimeError("the server did not start")
    try:
        yield int(server.servers[0].sockets[0].getsockname()[1])
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextmanager
def background(
    state: EmulatorState | None = None, host: str = "127.0.0.1", port: int = 0
) -> Iterator[RunningEmulator]:
    """An emulator on a free loopback port for the duration of the block."""
    state = state or EmulatorState()
    with serve_in_background(build_app(state), host, port) as bound:
        yield RunningEmulator(state, host, bound)
