"""The emulator's in-memory world: files, jobs, models, faults, and request counts."""

from __future__ import annotations

import secrets
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from trainer.datasets.cost import default_epochs
from trainer.datasets.pricing import builtin_table
from trainer.emulator.batch_model import Batch, BatchTimings
from trainer.emulator.faults import Fault
from trainer.emulator.retrieval import RetrievalModel

_ORGANIZATION = "org-trainer-emulator"
OWNER = "trainer-emulator"
_STATUSES = ("validating_files", "queued", "running", "succeeded")


@dataclass
class Timings:
    """Seconds a job spends in each status before the next one."""

    validating: float = 0.5
    queued: float = 0.5
    running: float = 2.0

    @classmethod
    def total(cls, seconds: float) -> Timings:
        return cls(seconds * 0.15, seconds * 0.15, seconds * 0.7)


@dataclass
class StoredFile:
    id: str
    filename: str
    purpose: str
    data: bytes
    created_at: int

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": "file",
            "bytes": len(self.data),
            "created_at": self.created_at,
            "filename": self.filename,
            "purpose": self.purpose,
            "status": "processed",
        }


@dataclass
class Job:
    id: str
    model: str
    training_file: str
    validation_file: str | None
    method: dict[str, Any]
    hyperparameters: dict[str, Any]
    suffix: str | None
    seed: int
    metadata: dict[str, str] | None
    created: float
    examples: int
    tokens_per_epoch: int
    fail_with: tuple[str, str] | None = None
    cancelled_at: float | None = None
    forced: str | None = None


@dataclass
class EmulatorState:
    """Shared by the HTTP handlers; every mutation holds `lock`."""

    timings: Timings = field(default_factory=Timings)
    api_key: str | None = None
    """When set, only this bearer token is accepted; otherwise any non-empty one."""
    clock: Callable[[], float] = time.time
    files: dict[str, StoredFile] = field(default_factory=dict)
    jobs: dict[str, Job] = field(default_factory=dict)
    models: dict[str, RetrievalModel] = field(default_factory=dict)
    faults: list[Fault] = field(default_factory=list)
    fail_next_jobs: list[tuple[str, str]] = field(default_factory=list)
    """(code, message) for each of the next jobs created: they fail while running."""
    batches: dict[str, Batch] = field(default_factory=dict)
    batch_timings: BatchTimings = field(default_factory=BatchTimings)
    failing_lines: dict[str, int | None] = field(default_factory=dict)
    """Batch lines that fail with a 500, by custom_id → how many more times (None: always)."""
    requests: Counter[str] = field(default_factory=Counter)
    """By "METHOD /route"; batch lines apart, under "BATCH POST /v1/chat/completions"."""
    usage: Counter[str] = field(default_factory=Counter)
    """Chat tokens answered: "sync|batch prompt_tokens|completion_tokens" → count."""
    in_flight: int = 0
    peak_in_flight: int = 0
    """Most requests answered at the same time: shows a client's real concurrency."""
    imported: set[str] = field(default_factory=set)
    """Fine-tuned models made elsewhere (e.g. already in the registry), served like their
    base model; anything else unknown is a 404, as with the real API."""
    answerers: dict[str, Callable[[list[Any]], str]] = field(default_factory=dict)
    """Scripted models (for tests): model name → a function from messages to the answer."""
    judge: str = "rubric"
    """The stand-in judge: `rubric` (see `judging`), `approve` or `disapprove` everything."""
    judged: list[dict[str, Any]] = field(default_factory=list)
    """The bodies of the requests the judge answered, newest last (for tests)."""
    lock: threading.RLock = field(default_factory=threading.RLock)

    base_models: frozenset[str] = field(
        default_factory=lambda: frozenset(builtin_table().models) | {"gpt-4o-mini", "gpt-3.5-turbo"}
    )

    def new_id(self, prefix: str) -> str:
        return f"{prefix}-{secrets.token_hex(12)}"

    # --- jobs -------------------------------------------------------------------------

    def status(self, job: Job) -> tuple[str, float]:
        """The job's status now, and when it entered it."""
        if job.cancelled_at is not None:
            return "cancelled", job.cancelled_at
        marks = [job.created]
        for seconds in (self.timings.validating, self.timings.queued, self.timings.running):
            marks.append(marks[-1] + seconds)
        now = self.clock()
        if job.forced:
            index = _STATUSES.index(job.forced) if job.forced in _STATUSES else 3
            reached = min(index, 3)
        else:
            reached = sum(1 for mark in marks[1:] if now >= mark)
        if reached >= 3 and job.fail_with:
            return "failed", marks[3] if not job.forced else now
        return _STATUSES[reached], marks[min(reached, 3)]

    def fine_tuned_model(self, job: Job) -> str:
        suffix = job.suffix or "model"
        return f"ft:{job.model}:{OWNER}:{suffix}:{job.id[-8:]}"

    def public_job(self, job: Job) -> dict[str, Any]:
        status, since = self.status(job)
        succeeded = status == "succeeded"
        epochs = job.hyperparameters.get("n_epochs", "auto")
        epochs = default_epochs(job.examples) if epochs == "auto" else int(epochs)
        hyper = {**job.hyperparameters, "n_epochs": epochs}
        for key in ("batch_size", "learning_rate_multiplier"):
            if hyper.get(key, "auto") == "auto":
                hyper[key] = 1 if key == "batch_size" else 1.8
        error = None
        if status == "failed" and job.fail_with:
            error = {"code": job.fail_with[0], "message": job.fail_with[1], "param": None}
        method = {"type": job.method.get("type", "supervised")}
        method[method["type"]] = {"hyperparameters": hyper}
        return {
            "id": job.id,
            "object": "fine_tuning.job",
            "created_at": int(job.created),
            "error": error,
            "fine_tuned_model": self.fine_tuned_model(job) if succeeded else None,
            "finished_at": int(since) if status in ("succeeded", "failed", "cancelled") else None,
            "hyperparameters": {
                k: hyper[k] for k in ("n_epochs", "batch_size", "learning_rate_multiplier")
            },
            "model": job.model,
            "organization_id": _ORGANIZATION,
            "result_files": [],
            "seed": job.seed,
            "status": status,
            "trained_tokens": job.tokens_per_epoch * epochs if succeeded else None,
            "training_file": job.training_file,
            "validation_file": job.validation_file,
            "estimated_finish": None,
            "integrations": [],
            "metadata": job.metadata,
            "method": method,
        }

    def events(self, job: Job) -> list[dict[str, Any]]:
        status, _ = self.status(job)
        order = list(_STATUSES)
        reached = order.index(status) if status in order else 3
        texts = [
            "Validating training file",
            "Fine-tuning job queued",
            "Fine-tuning job started (emulated)",
            "The job has successfully completed (emulated)",
        ]
        events = [
            {
                "object": "fine_tuning.job.event",
                "id": f"ftevent-{job.id[-8:]}-{i}",
                "created_at": int(job.created) + i,
                "level": "info",
                "message": texts[i],
                "type": "message",
                "data": {},
            }
            for i in range(min(reached, 3) + 1)
            if not (i == 3 and status != "succeeded")
        ]
        if status == "failed" and job.fail_with:
            events.append(
                {
                    "object": "fine_tuning.job.event",
                    "id": f"ftevent-{job.id[-8:]}-f",
                    "created_at": int(self.clock()),
                    "level": "error",
                    "message": f"Job failed: {job.fail_with[1]}",
                    "type": "message",
                    "data": {},
                }
            )
        if status == "cancelled":
            events.append(
                {
                    "object": "fine_tuning.job.event",
                    "id": f"ftevent-{job.id[-8:]}-c",
                    "created_at": int(job.cancelled_at or 0),
                    "level": "info",
                    "message": "Job cancelled",
                    "type": "message",
                    "data": {},
                }
            )
        return list(reversed(events))

    def model_for(self, name: str) -> RetrievalModel | None:
        """The retrieval model behind a fine-tuned model id, built on first use."""
        with self.lock:
            if name in self.models:
                return self.models[name]
            for job in self.jobs.values():
                if self.fine_tuned_model(job) == name and self.status(job)[0] == "succeeded":
                    model = RetrievalModel.from_jsonl(self.files[job.training_file].data)
                    self.models[name] = model
                    return model
        return None

    # --- control, for tests and the CLI -----------------------------------------------

    def finish(self, job_id: str, status: str = "succeeded") -> None:
        """Move a job straight to a status, whatever its timings."""
        with self.lock:
            job = self.jobs[job_id]
            if status == "cancelled":
                job.cancelled_at = self.clock()
            elif status == "failed":
                job.fail_with = job.fail_with or ("emulated_failure", "failed on request")
                job.forced = "succeeded"
            else:
                job.forced = status

    def jobs_for(self, **metadata: str) -> list[Job]:
        with self.lock:
            return [
                j
                for j in self.jobs.values()
                if all((j.metadata or {}).get(k) == v for k, v in metadata.items())
            ]

    # --- batches, for tests (the batch moves when next looked at) ----------------------

    def finish_batch(self, batch_id: str) -> None:
        """Answer all of a batch's lines and complete it (or fail it, if its file is bad)."""
        with self.lock:
            self.batches[batch_id].forced = "completed"

    def expire_batch(self, batch_id: str, answered: int = 0) -> None:
        """Expire a batch after answering `answered` lines; the rest go to the error file."""
        with self.lock:
            batch = self.batches[batch_id]
            batch.forced, batch.progress = "expired", max(batch.progress, answered)

    def fail_batch_lines(self, *custom_ids: str, times: int | None = 1) -> None:
        """Batch lines with these custom_ids fail with a 500, `times` times (None: always)."""
        with self.lock:
            self.failing_lines.update(dict.fromkeys(custom_ids, times))
