"""The batch routes: create, list, retrieve and cancel (/v1/batches); see `batches`."""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from trainer.emulator import batches
from trainer.emulator.batch_model import Batch
from trainer.emulator.responses import error, page
from trainer.emulator.state import EmulatorState
from trainer.emulator.validation import RequestError


def batch_routes(state: EmulatorState) -> list[Route]:
    async def create_batch(request: Request) -> Response:
        try:
            body = await request.json()
        except json.JSONDecodeError:
            return error(400, "Request body is not valid JSON")
        try:
            batch = batches.create(state, body)
        except RequestError as exc:
            return JSONResponse(exc.body(), exc.status)
        with state.lock:  # as the real API: `validating` at first, whatever the timings
            return JSONResponse(batches.public(batch))

    def find_batch(request: Request) -> Batch | Response:
        batch = state.batches.get(request.path_params["batch_id"])
        if batch is None:
            return error(
                404, f"No batch found with id '{request.path_params['batch_id']}'.", "not_found"
            )
        return batch

    async def get_batch(request: Request) -> Response:
        batch = find_batch(request)
        if isinstance(batch, Response):
            return batch
        with state.lock:
            batches.refresh(state, batch)
            return JSONResponse(batches.public(batch))

    async def list_batches(request: Request) -> Response:
        with state.lock:
            newest_first = sorted(
                state.batches.values(), key=lambda b: (b.created, b.id), reverse=True
            )
            for batch in newest_first:
                batches.refresh(state, batch)
            items = [batches.public(b) for b in newest_first]
        return page(items, request)

    async def cancel_batch(request: Request) -> Response:
        batch = find_batch(request)
        if isinstance(batch, Response):
            return batch
        try:
            batches.cancel(state, batch)
        except RequestError as exc:
            return JSONResponse(exc.body(), exc.status)
        with state.lock:
            return JSONResponse(batches.public(batch))

    return [
        Route("/v1/batches", create_batch, methods=["POST"]),
        Route("/v1/batches", list_batches, methods=["GET"]),
        Route("/v1/batches/{batch_id}", get_batch, methods=["GET"]),
        Route("/v1/batches/{batch_id}/cancel", cancel_batch, methods=["POST"]),
    ]
