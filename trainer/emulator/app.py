"""The emulator's HTTP API (Starlette): the OpenAI routes trainer uses, and nothing more."""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from trainer.datasets.tokens import Counter, tokenizer_for
from trainer.emulator.faults import Fault
from trainer.emulator.learning import base_reply, judge_reply, last_user_text, words
from trainer.emulator.state import OWNER, EmulatorState, Job, StoredFile
from trainer.emulator.validation import RequestError, check_job_request

IDS = re.compile(r"/(ftjob|file|ftckpt)-[A-Za-z0-9]+|/ft:[^/]+")


def error(
    status: int, message: str, code: str | None = None, param: str | None = None
) -> JSONResponse:
    return JSONResponse(RequestError(status, message, param, code).body(), status)


def route_name(method: str, path: str) -> str:
    return f"{method} {IDS.sub(lambda m: '/{id}', path)}"


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
            state.requests[route_name(method, path)] += 1
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
            fault.status, f"Injected fault: HTTP {fault.status} (emulator)", "emulated_fault"
        )
        if fault.retry_after is not None:
            response.headers["retry-after"] = f"{max(1, round(fault.retry_after))}"
            response.headers["retry-after-ms"] = f"{fault.retry_after * 1000:.0f}"
        return response


def build_app(state: EmulatorState) -> Starlette:
    counter = Counter(tokenizer_for("cl100k_base"))

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
        return _page(items, request)

    async def get_file(request: Request) -> Response:
        stored = state.files.get(request.path_params["file_id"])
        if stored is None:
            return error(404, f"No such File object: {request.path_params['file_id']}", "not_found")
        return JSONResponse(stored.public())

    async def create_job(request: Request) -> Response:
        try:
            body = await request.json()
        except json.JSONDecodeError:
            return error(400, "Request body is not valid JSON")
        with state.lock:
            try:
                normal = check_job_request(body, state.base_models, state.files)
            except RequestError as exc:
                return JSONResponse(exc.body(), exc.status)
            data = state.files[body["training_file"]].data
            examples, tokens = 0, 0
            for line in data.splitlines():
                try:
                    example = json.loads(line)
                except ValueError:
                    continue
                examples += 1
                messages = example.get("messages") if isinstance(example, dict) else None
                if isinstance(messages, list):
                    tokens += counter.messages([m for m in messages if isinstance(m, dict)])[0]
            job = Job(
                id=state.new_id("ftjob"),
                model=body["model"],
                training_file=body["training_file"],
                validation_file=body.get("validation_file"),
                method=normal["method"],
                hyperparameters=normal["hyperparameters"],
                suffix=body.get("suffix"),
                seed=body.get("seed") if body.get("seed") is not None else 42,
                metadata=body.get("metadata"),
                created=state.clock(),
                examples=examples,
                tokens_per_epoch=tokens,
                fail_with=state.fail_next_jobs.pop(0) if state.fail_next_jobs else None,
            )
            state.jobs[job.id] = job
            return JSONResponse(state.public_job(job))

    def _job(request: Request) -> Job | Response:
        job = state.jobs.get(request.path_params["job_id"])
        if job is None:
            return error(
                404,
                f"No such fine-tuning job: {request.path_params['job_id']}",
                "fine_tune_not_found",
            )
        return job

    async def get_job(request: Request) -> Response:
        job = _job(request)
        return job if isinstance(job, Response) else JSONResponse(state.public_job(job))

    async def list_jobs(request: Request) -> Response:
        wanted = {
            key[len("metadata[") : -1]: value
            for key, value in request.query_params.multi_items()
            if key.startswith("metadata[") and key.endswith("]")
        }
        with state.lock:
            jobs = sorted(state.jobs.values(), key=lambda j: (j.created, j.id), reverse=True)
            items = [
                state.public_job(j)
                for j in jobs
                if all((j.metadata or {}).get(k) == v for k, v in wanted.items())
            ]
        return _page(items, request)

    async def cancel_job(request: Request) -> Response:
        job = _job(request)
        if isinstance(job, Response):
            return job
        with state.lock:
            status, _ = state.status(job)
            if status in ("succeeded", "failed", "cancelled"):
                return error(
                    400,
                    f"Job {job.id} has already {status}; it cannot be cancelled",
                    "invalid_state",
                )
            job.cancelled_at = state.clock()
            return JSONResponse(state.public_job(job))

    async def job_events(request: Request) -> Response:
        job = _job(request)
        if isinstance(job, Response):
            return job
        with state.lock:
            return _page(state.events(job), request)

    async def checkpoints(request: Request) -> Response:
        job = _job(request)
        if isinstance(job, Response):
            return job
        with state.lock:
            public = state.public_job(job)
        items = []
        if public["status"] == "succeeded":
            items.append(
                {
                    "id": f"ftckpt-{job.id[-12:]}",
                    "object": "fine_tuning.job.checkpoint",
                    "created_at": public["finished_at"],
                    "fine_tuning_job_id": job.id,
                    "fine_tuned_model_checkpoint": (
                        f"{public['fine_tuned_model']}:ckpt-step-{job.examples}"
                    ),
                    "step_number": job.examples,
                    "metrics": {"train_loss": 0.42, "full_valid_loss": 0.5},
                }
            )
        return _page(items, request)

    async def chat(request: Request) -> Response:
        try:
            body = await request.json()
        except json.JSONDecodeError:
            return error(400, "Request body is not valid JSON")
        model, messages = body.get("model"), body.get("messages")
        if not isinstance(model, str) or not isinstance(messages, list) or not messages:
            return error(400, "model and a non-empty messages list are required")
        judged = judge_reply(messages)
        if judged is not None:
            content = judged
        elif model in state.imported:
            content = base_reply(model, messages)
        elif model.startswith("ft:"):
            retrieval = state.model_for(model)
            if retrieval is None:
                return error(
                    404,
                    f"The model `{model}` does not exist or you do not have access to it.",
                    "model_not_found",
                )
            content = retrieval.answer(last_user_text(messages))
        else:
            content = base_reply(model, messages)
        prompt_tokens = sum(
            len(words(str(m.get("content", "")))) + 3 for m in messages if isinstance(m, dict)
        )
        completion_tokens = len(words(content))
        return JSONResponse(
            {
                "id": state.new_id("chatcmpl"),
                "object": "chat.completion",
                "created": int(state.clock()),
                "model": model,
                "system_fingerprint": "trainer-emulator",
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": content, "refusal": None},
                        "finish_reason": "stop",
                        "logprobs": None,
                    }
                ],
                "usage": {
                    "prompt_tokens": prompt_tokens,
                    "completion_tokens": completion_tokens,
                    "total_tokens": prompt_tokens + completion_tokens,
                },
            }
        )

    async def models(request: Request) -> Response:
        with state.lock:
            names = sorted(state.base_models | state.imported) + [
                state.fine_tuned_model(j)
                for j in state.jobs.values()
                if state.status(j)[0] == "succeeded"
            ]
        return JSONResponse(
            {
                "object": "list",
                "data": [
                    {"id": n, "object": "model", "created": 0, "owned_by": OWNER} for n in names
                ],
            }
        )

    async def stats(request: Request) -> Response:
        with state.lock:
            return JSONResponse(
                {
                    "requests": dict(state.requests),
                    "jobs": len(state.jobs),
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

    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok", "emulator": "trainer", "jobs": len(state.jobs)})

    return Starlette(
        routes=[
            Route("/v1/files", upload, methods=["POST"]),
            Route("/v1/files", list_files, methods=["GET"]),
            Route("/v1/files/{file_id}", get_file, methods=["GET"]),
            Route("/v1/fine_tuning/jobs", create_job, methods=["POST"]),
            Route("/v1/fine_tuning/jobs", list_jobs, methods=["GET"]),
            Route("/v1/fine_tuning/jobs/{job_id}", get_job, methods=["GET"]),
            Route("/v1/fine_tuning/jobs/{job_id}/cancel", cancel_job, methods=["POST"]),
            Route("/v1/fine_tuning/jobs/{job_id}/events", job_events, methods=["GET"]),
            Route("/v1/fine_tuning/jobs/{job_id}/checkpoints", checkpoints, methods=["GET"]),
            Route("/v1/chat/completions", chat, methods=["POST"]),
            Route("/v1/models", models, methods=["GET"]),
            Route("/healthz", health, methods=["GET"]),
            Route("/_emulator/stats", stats, methods=["GET"]),
            Route("/_emulator/finish", finish, methods=["POST"]),
        ],
        middleware=[Middleware(Guard, state=state)],
    )


def _page(items: list[dict[str, Any]], request: Request) -> Response:
    """Cursor pagination as OpenAI does it: `after` an id, `limit` items, `has_more`."""
    try:
        limit = max(1, min(100, int(request.query_params.get("limit", "20"))))
    except ValueError:
        return error(400, "limit must be an integer", param="limit")
    after = request.query_params.get("after")
    if after:
        ids = [item["id"] for item in items]
        items = items[ids.index(after) + 1 :] if after in ids else []
    page = items[:limit]
    return JSONResponse(
        {
            "object": "list",
            "data": page,
            "has_more": len(items) > limit,
            "first_id": page[0]["id"] if page else None,
            "last_id": page[-1]["id"] if page else None,
        }
    )
