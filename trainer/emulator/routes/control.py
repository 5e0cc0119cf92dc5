"""Routes outside the OpenAI API: the health check and the /_emulator control routes."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from trainer.emulator.responses import error
from trainer.emulator.state import EmulatorState


def control_routes(state: EmulatorState) -> list[Route]:
    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok", "emulator": "trainer", "jobs": len(state.jobs)})

    async def stats(request: Request) -> Response:
        with state.lock:
            return JSONResponse(
                {
                    "requests": dict(state.requests),
                    "usage": dict(state.usage),
                    "jobs": len(state.jobs),
                    "batches": len(state.batches),
                    "files": len(state.files),
                }
            )

    async def finish(request: Request) -> Response:
        """Control route: move jobs straight to a status (default: succeeded)."""
        body = await request.json()
        status = body.get("status", "succeeded")
        with state.lock:
            ids = body.get("job_ids") or list(state.jobs)
            missing = [i for i in ids if i not in state.jobs]
            if missing:
                return error(404, f"No such fine-tuning job: {missing[0]}")
            for job_id in ids:
                state.finish(job_id, status)
        return JSONResponse({"finished": len(ids)})

    return [
        Route("/healthz", health, methods=["GET"]),
        Route("/_emulator/stats", stats, methods=["GET"]),
        Route("/_emulator/finish", finish, methods=["POST"]),
    ]
