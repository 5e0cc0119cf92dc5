"""The fine-tuning job routes: create, list, retrieve, cancel, events, checkpoints."""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from trainer.datasets.tokens import Counter, tokenizer_for
from trainer.emulator.responses import error, page
from trainer.emulator.state import EmulatorState, Job
from trainer.emulator.validation import RequestError, check_job_request


def _examples_and_tokens(data: bytes, counter: Counter) -> tuple[int, int]:
    """How many examples a training file holds, and the tokens of their messages."""
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
    return examples, tokens


def fine_tuning_routes(state: EmulatorState) -> list[Route]:
    counter = Counter(tokenizer_for("cl100k_base"))

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
            examples, tokens = _examples_and_tokens(
                state.files[body["training_file"]].data, counter
            )
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

    def find_job(request: Request) -> Job | Response:
        job = state.jobs.get(request.path_params["job_id"])
        if job is None:
            return error(
                404,
                f"No such fine-tuning job: {request.path_params['job_id']}",
                "fine_tune_not_found",
            )
        return job

    async def get_job(request: Request) -> Response:
        job = find_job(request)
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
        return page(items, request)

    async def cancel_job(request: Request) -> Response:
        job = find_job(request)
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
        job = find_job(request)
        if isinstance(job, Response):
            return job
        with state.lock:
            return page(state.events(job), request)

    async def checkpoints(request: Request) -> Response:
        job = find_job(request)
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
        return page(items, request)

    return [
        Route("/v1/fine_tuning/jobs", create_job, methods=["POST"]),
        Route("/v1/fine_tuning/jobs", list_jobs, methods=["GET"]),
        Route("/v1/fine_tuning/jobs/{job_id}", get_job, methods=["GET"]),
        Route("/v1/fine_tuning/jobs/{job_id}/cancel", cancel_job, methods=["POST"]),
        Route("/v1/fine_tuning/jobs/{job_id}/events", job_events, methods=["GET"]),
        Route("/v1/fine_tuning/jobs/{job_id}/checkpoints", checkpoints, methods=["GET"]),
    ]
