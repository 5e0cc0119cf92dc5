"""The files routes: upload, list, retrieve, and download content (/v1/files)."""

from __future__ import annotations

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from trainer.emulator.responses import error, page
from trainer.emulator.state import EmulatorState, StoredFile


def file_routes(state: EmulatorState) -> list[Route]:
    async def upload(request: Request) -> Response:
        form = await request.form()
        file, purpose = form.get("file"), form.get("purpose")
        if not isinstance(file, UploadFile):
            return error(400, "Missing required parameter: 'file'.", param="file")
        if purpose not in ("fine-tune", "batch", "assistants", "evals"):
            return error(400, f"Invalid purpose: {purpose!r}", param="purpose")
        data = await file.read()
        with state.lock:
            stored = StoredFile(
                state.new_id("file"),
                file.filename or "upload.jsonl",
                str(purpose),
                data,
                int(state.clock()),
            )
            state.files[stored.id] = stored
        return JSONResponse(stored.public())

    async def list_files(request: Request) -> Response:
        purpose = request.query_params.get("purpose")
        with state.lock:
            items = [
                f.public() for f in state.files.values() if not purpose or f.purpose == purpose
            ]
        return page(items, request)

    async def get_file(request: Request) -> Response:
        stored = state.files.get(request.path_params["file_id"])
        if stored is None:
            return error(404, f"No such File object: {request.path_params['file_id']}", "not_found")
        return JSONResponse(stored.public())

    async def get_content(request: Request) -> Response:
        """The file's bytes as stored: uploads, and batch output and error files."""
        stored = state.files.get(request.path_params["file_id"])
        if stored is None:
            return error(404, f"No such File object: {request.path_params['file_id']}", "not_found")
        return Response(stored.data, media_type="application/octet-stream")

    return [
        Route("/v1/files", upload, methods=["POST"]),
        Route("/v1/files", list_files, methods=["GET"]),
        Route("/v1/files/{file_id}", get_file, methods=["GET"]),
        Route("/v1/files/{file_id}/content", get_content, methods=["GET"]),
    ]
