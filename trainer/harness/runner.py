"""Ask models every case, concurrently and cached; grade each case as its answers arrive;
ask the judge and the moderation endpoint; reduce repeats.

Requests go out within an adaptive limit (`limiter`): at most `concurrency` at once,
fewer while the API answers 429.

Candidate and baseline are graded together: a judge check is skipped by the cascade only
where it is settled on both sides, so skips count identically for both.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from trainer.harness.api_guard import ApiGuard, wait_all
from trainer.harness.cache import ResponseCache, answer_key
from trainer.harness.call_label import CALL_LABEL
from trainer.harness.graders.judge import judge_messages, rubric_of
from trainer.harness.grading import (
    RepeatResult,
    apply_judge,
    deterministic,
    finish_repeat,
    is_empty,
    kind_of,
    reduce_case,
    settled,
    unanswered,
)
from trainer.harness.limiter import AdaptiveLimiter
from trainer.harness.moderating import moderate_answers
from trainer.harness.runs import Answer, Graded, Key, ModelRun
from trainer.harness.samples import CaseInput, sampling_of
from trainer.providers.base import Provider, ProviderError

JUDGE_SAMPLING = {"temperature": 0.0, "max_tokens": 600, "seed": 0}
TIMED_OUT: Answer = (None, "not answered: the suite timeout expired")


@dataclass(frozen=True)
class RunSettings:
    concurrency: int = 8
    parallel: bool = True
    request_timeout: float = 60.0
    suite_timeout: float = 600.0
    judge_model: str | None = None


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
        self.limiter = AdaptiveLimiter(settings.concurrency if settings.parallel else 1)
        provider.set_concurrency(self.limiter.ceiling)
        self.guard = ApiGuard()
        self.calibration_requests = 0

    async def _ask(
        self,
        run: ModelRun,
        model: str,
        messages: list[dict[str, str]],
        sampling: dict[str, Any],
        repeat: int,
        response_format: dict[str, Any] | None = None,
        fingerprints: set[str] | None = None,
        label: str | None = None,
    ) -> Answer:
        CALL_LABEL.set(label)  # inside the coroutine: it runs in a worker task, later
        key = None
        if self.cache.enabled:
            # the endpoint is part of the key: answers of the emulator are never taken for
            # the real API's (or another provider's) under the same model id
            keyed = {**sampling, "endpoint": self.provider.endpoint}
            if response_format:
                keyed["response_format"] = response_format
            key = answer_key(model, messages, keyed, repeat)
            cached = self.cache.get(key)
            if cached is not None:
                run.cache_hits += 1
                if fingerprints is not None and cached.get("system_fingerprint"):
                    fingerprints.add(cached["system_fingerprint"])
                return cached["content"], None
        run.requests += 1
        try:
            reply = await self.limiter.send(
                self.guard,
                lambda: self.provider.achat(
                    model,
                    messages,
                    temperature=sampling.get("temperature", 0.0),
                    seed=sampling.get("seed"),
                    max_tokens=sampling.get("max_tokens"),
                    timeout=self.settings.request_timeout,
                    response_format=response_format,
                ),
            )
        except ProviderError as exc:
            return None, self.guard.failure(exc)
        self.guard.answer()
        if reply.system_fingerprint:
            (run.fingerprints if fingerprints is None else fingerprints).add(
                reply.system_fingerprint
            )
        if key is not None:
            self.cache.put(
                key,
                {
                    "content": reply.content,
                    "model": reply.model,
                    "system_fingerprint": reply.system_fingerprint,
                },
            )
        return reply.content, None

    async def _gather(
        self,
        label: str,
        jobs: list[Coroutine[Any, Any, Answer]],
        arrived: Callable[[int, Answer], None] | None = None,
    ) -> tuple[list[Answer], bool]:
        """Run coroutines, reporting progress (and each result to `arrived` as it comes),
        within the suite timeout.

        Returns the results and whether the timeout expired: what arrived in time is
        kept, the rest is marked unanswered (left out of scores, counted apart). An error
        that stops the evaluation (a rejected key, an API out of reach) cancels the rest
        and is raised.
        """
        total, done = len(jobs), 0
        results: list[Answer] = [TIMED_OUT] * total
        order = iter(range(total))

        async def worker() -> None:  # as many as requests may be in flight, not one per job
            nonlocal done
            for i in order:
                results[i] = answer = await jobs[i]
                done += 1
                if arrived is not None:
                    arrived(i, answer)
                self.progress(label, done, total)

        workers = [asyncio.ensure_future(worker()) for _ in range(min(total, self.limiter.ceiling))]
        try:
            timed_out = await wait_all(workers, self.settings.suite_timeout)
        finally:
            for job in jobs:
                job.close()  # those never started (stopped, or out of time): no warning
        return results, timed_out

    async def answer(self, model: str, cases: list[CaseInput]) -> Graded:
        """Every case's answers, graded by the deterministic checks (each case as soon as
        its answers are in) and by moderation."""
        graded = Graded(ModelRun(model))
        plan: list[tuple[Key, int]] = []
        replies: dict[Key, list[Answer]] = {}
        waiting: dict[Key, int] = {}
        jobs = []
        for ci, case in enumerate(cases):
            for repeat in range(case.selected.suite.suite.repeats):
                sampling = sampling_of(case.selected, repeat)
                replies[(ci, repeat)] = [TIMED_OUT] * len(case.variants)
                waiting[(ci, repeat)] = len(case.variants)
                where = f"{case.selected.suite.suite.suite}/{case.selected.name}/{case.case.id}"
                for vi, messages in enumerate(case.variants):
                    plan.append(((ci, repeat), vi))
                    label = f"{where}/{vi}/{repeat}"
                    jobs.append(
                        self._ask(graded.run, model, messages, sampling, repeat, label=label)
                    )

        def grade(key: Key) -> None:
            answers = replies[key]
            outputs = [content or "" for content, _ in answers]
            graded.outputs[key] = outputs
            errors = [error for _, error in answers if error]
            if errors:
                graded.missing[key] = errors[0]
            else:
                graded.results[key] = deterministic(cases[key[0]], outputs)

        def arrived(i: int, answer: Answer) -> None:
            key, vi = plan[i]
            replies[key][vi] = answer
            waiting[key] -= 1
            if not waiting[key]:
                grade(key)

        started = time.perf_counter()
        _, timed_out = await self._gather(f"answers of {model}", jobs, arrived)
        graded.run.answer_seconds = time.perf_counter() - started
        graded.run.timed_out = timed_out
        for key, left in waiting.items():
            if left:  # the suite timeout came first
                grade(key)
        graded.outputs = {key: graded.outputs[key] for key in replies}  # in case order
        await moderate_answers(self.provider, self.cache, self.limiter, self.guard, graded, cases)
        return graded

    async def judge(self, cases: list[CaseInput], sides: list[Graded]) -> None:
        """Ask the judge every pending model-graded check of every side; with the suite's
        cascade on, skip a check only where every side's deterministic checks settle it."""
        wanted: list[tuple[Graded, Key, int]] = []
        for ci, case in enumerate(cases):
            suite = case.selected.suite.suite
            for repeat in range(suite.repeats):
                key = (ci, repeat)
                present = [g for g in sides if key in g.results]
                threshold = case.selected.test.pass_threshold
                if suite.cascade and all(settled(g.results[key], threshold) for g in present):
                    continue
                for g in present:
                    if is_empty(g.outputs[key]):
                        continue
                    wanted += [
                        (g, key, k)
                        for k, r in enumerate(g.results[key])
                        if kind_of(r.type) == "judge" and r.pending
                    ]
        if not wanted:
            return
        judge = self.settings.judge_model
        if judge is None:
            for g, key, k in wanted:
                g.results[key][k].error = "no judge model named (evaluation.judge.model or --judge)"
            return
        jobs = []
        for g, key, k in wanted:
            case = cases[key[0]]
            check = case.checks[k]
            rubric = rubric_of(check.type, check.params)
            messages = judge_messages(rubric, case.variants, g.outputs[key])
            g.run.judge_requests += 1
            jobs.append(
                self._ask(
                    g.run,
                    judge,
                    messages,
                    JUDGE_SAMPLING,
                    0,
                    rubric.response_format(),
                    g.run.judge_fingerprints,
                    label=f"judge/{case.selected.name}/{case.case.id}/{key[1]}/{k}/{g.run.model}",
                )
            )
        replies, timed_out = await self._gather(f"judge {judge}", jobs)
        for (g, key, k), (reply, error) in zip(wanted, replies, strict=True):
            g.run.timed_out = g.run.timed_out or timed_out
            apply_judge(g.results[key][k], cases[key[0]].checks[k], reply, error)

    async def ask_judge(
        self, judge: str, requests: list[tuple[list[dict[str, str]], dict[str, Any]]]
    ) -> list[Answer]:
        """The judge's replies to prepared requests (messages, response format), cached."""
        run = ModelRun(judge)
        jobs = [
            self._ask(
                run, judge, messages, JUDGE_SAMPLING, 0, response_format, label=f"calibration/{i}"
            )
            for i, (messages, response_format) in enumerate(requests)
        ]
        replies, _ = await self._gather(f"judge {judge} (calibration)", jobs)
        self.calibration_requests += run.requests
        return list(replies)

    def finish(self, cases: list[CaseInput], graded: Graded) -> ModelRun:
        run = graded.run
        run.cases = []
        for ci, case in enumerate(cases):
            suite = case.selected.suite.suite
            repeats: list[RepeatResult] = []
            for repeat in range(suite.repeats):
                key = (ci, repeat)
                outputs = graded.outputs.get(key, [])
                if key in graded.missing or key not in graded.results:
                    why = graded.missing.get(key, "not answered")
                    repeats.append(unanswered(case, outputs, why))
                    continue
                threshold = case.selected.test.pass_threshold
                repeats.append(finish_repeat(outputs, graded.results[key], threshold))
            run.cases.append(reduce_case(case, repeats, suite.reducer, suite.at_least))
        return run
