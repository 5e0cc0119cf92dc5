"""Ask a model every case, concurrently and cached, then grade (judge included)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from trainer.harness.cache import ResponseCache, answer_key
from trainer.harness.graders.judge import judge_messages
from trainer.harness.grading import (
    CaseResult,
    RepeatResult,
    apply_judge,
    deterministic,
    finish_repeat,
    reduce_case,
    settled,
)
from trainer.harness.samples import CaseInput, sampling_of
from trainer.harness.suites import JUDGE_CHECKS
from trainer.providers.base import Provider, ProviderAuthError, ProviderError

JUDGE_SAMPLING = {"temperature": 0.0, "max_tokens": 400, "seed": 0}


@dataclass(frozen=True)
class RunSettings:
    concurrency: int = 8
    parallel: bool = True
    request_timeout: float = 60.0
    suite_timeout: float = 600.0
    judge_model: str | None = None


@dataclass
class ModelRun:
    model: str
    cases: list[CaseResult] = field(default_factory=list)
    requests: int = 0
    cache_hits: int = 0
    fingerprints: set[str] = field(default_factory=set)
    timed_out: bool = False
    answer_seconds: float = 0.0
    """Wall time spent collecting the model's answers (before grading)."""


Answer = tuple[str | None, str | None]
"""(content, error)."""


class Runner:
    def __init__(
        self,
        provider: Provider,
        cache: ResponseCache,
        settings: RunSettings,
        progress: Callable[[str, int, int], None] | None = None,
    ) -> None:
        self.provider, self.cache, self.settings = provider, cache, settings
        self.progress = progress or (lambda what, done, total: None)
        self._semaphore: asyncio.Semaphore | None = None

    async def _ask(
        self,
        run: ModelRun,
        model: str,
        messages: list[dict[str, str]],
        sampling: dict[str, Any],
        repeat: int,
    ) -> Answer:
        key = answer_key(model, messages, sampling, repeat)
        cached = self.cache.get(key)
        if cached is not None:
            run.cache_hits += 1
            return cached["content"], None
        assert self._semaphore is not None
        async with self._semaphore:
            run.requests += 1
            try:
                reply = await self.provider.achat(
                    model,
                    messages,
                    temperature=sampling.get("temperature", 0.0),
                    seed=sampling.get("seed"),
                    max_tokens=sampling.get("max_tokens"),
                    timeout=self.settings.request_timeout,
                )
            except ProviderAuthError:
                raise
            except ProviderError as exc:
                return None, str(exc)
        if reply.system_fingerprint:
            run.fingerprints.add(reply.system_fingerprint)
        self.cache.put(
            key,
            {
                "content": reply.content,
                "model": reply.model,
                "system_fingerprint": reply.system_fingerprint,
            },
        )
        return reply.content, None

    async def _gather(self, label: str, jobs: list[Any]) -> tuple[list[Answer], bool]:
        """Run coroutines, reporting progress, within the suite timeout.

        Returns the answers and whether the timeout expired: what arrived in time is
        kept, the rest is marked unanswered (a grader error, not a quality failure).
        """
        total, done = len(jobs), 0
        results: list[Answer] = [(None, "not answered: the suite timeout expired")] * total

        async def one(i: int, job: Any) -> None:
            nonlocal done
            results[i] = await job
            done += 1
            self.progress(label, done, total)

        tasks = [asyncio.ensure_future(one(i, job)) for i, job in enumerate(jobs)]
        done_tasks, pending = await asyncio.wait(tasks, timeout=self.settings.suite_timeout)
        for task in pending:
            task.cancel()
        for task in done_tasks:
            task.result()  # re-raise what must stop the run (a rejected API key)
        return results, bool(pending)

    async def run_model(self, model: str, cases: list[CaseInput]) -> ModelRun:
        self._semaphore = asyncio.Semaphore(
            self.settings.concurrency if self.settings.parallel else 1
        )
        run = ModelRun(model)
        plan: list[tuple[int, int, int]] = []
        jobs = []
        for ci, case in enumerate(cases):
            sampling = sampling_of(case.selected)
            for repeat in range(case.selected.suite.suite.repeats):
                for vi, messages in enumerate(case.variants):
                    plan.append((ci, repeat, vi))
                    jobs.append(self._ask(run, model, messages, sampling, repeat))
        started = time.perf_counter()
        answers, timed_out = await self._gather(f"answers of {model}", jobs)
        run.answer_seconds = time.perf_counter() - started
        run.timed_out = run.timed_out or timed_out
        by_case: dict[tuple[int, int], list[Answer]] = {}
        for (ci, repeat, _), answer in zip(plan, answers, strict=True):
            by_case.setdefault((ci, repeat), []).append(answer)
        graded = await self._grade(run, cases, by_case)
        run.cases = graded
        return run

    async def _grade(
        self, run: ModelRun, cases: list[CaseInput], by_case: dict[tuple[int, int], list[Answer]]
    ) -> list[CaseResult]:
        pending: list[tuple[int, int, int]] = []
        repeats: dict[tuple[int, int], tuple[list[str], list[Any]]] = {}
        for (ci, repeat), answers in by_case.items():
            case = cases[ci]
            errors = [e for _, e in answers if e]
            outputs = [c or "" for c, _ in answers]
            if errors:
                results = deterministic(case, outputs)
                for r in results:
                    r.score, r.passed, r.error = None, None, f"no answer: {errors[0]}"
                repeats[(ci, repeat)] = (outputs, results)
                continue
            results = deterministic(case, outputs)
            repeats[(ci, repeat)] = (outputs, results)
            if not settled(results, case.selected.test.pass_threshold):
                pending += [
                    (ci, repeat, k)
                    for k, r in enumerate(results)
                    if r.type in JUDGE_CHECKS and r.error is None
                ]
        if pending:
            await self._judge(run, cases, repeats, pending)
        out = []
        for ci, case in enumerate(cases):
            suite = case.selected.suite.suite
            finished: list[RepeatResult] = []
            for repeat in range(suite.repeats):
                outputs, results = repeats[(ci, repeat)]
                finished.append(finish_repeat(outputs, results, case.selected.test.pass_threshold))
            out.append(reduce_case(case, finished, suite.reducer, suite.at_least))
        return out

    async def _judge(
        self,
        run: ModelRun,
        cases: list[CaseInput],
        repeats: dict[tuple[int, int], tuple[list[str], list[Any]]],
        pending: list[tuple[int, int, int]],
    ) -> None:
        judge = self.settings.judge_model
        if judge is None:
            for ci, repeat, k in pending:
                repeats[(ci, repeat)][1][
                    k
                ].error = "no judge model named (evaluation.judge.model or --judge)"
            return
        jobs = []
        for ci, repeat, k in pending:
            case = cases[ci]
            check = case.case.checks[k]
            messages = judge_messages(
                check.type, check.params, case.question, repeats[(ci, repeat)][0][0]
            )
            jobs.append(self._ask(run, judge, messages, JUDGE_SAMPLING, 0))
        replies, timed_out = await self._gather(f"judge {judge}", jobs)
        run.timed_out = run.timed_out or timed_out
        for (ci, repeat, k), (reply, error) in zip(pending, replies, strict=True):
            apply_judge(repeats[(ci, repeat)][1][k], cases[ci].case.checks[k], reply, error)
