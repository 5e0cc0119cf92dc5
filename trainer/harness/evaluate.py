"""One evaluation: a model (and its baseline) on the selected tests, scored and gated, with
the judge's calibration on the rubrics it applied."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from trainer.clock import utcnow
from trainer.harness.cache import ResponseCache
from trainer.harness.calibration import Agreement, CalibrationSet, calibrate
from trainer.harness.gate import Deltas, Gate, GateRules, decide
from trainer.harness.graders import CHECKS
from trainer.harness.graders.judge import Rubric, rubric_of
from trainer.harness.limiter import LimiterStats
from trainer.harness.loading import LoadedSuite
from trainer.harness.runner import Runner, RunSettings
from trainer.harness.runs import ModelRun
from trainer.harness.samples import CaseInput, SelectedTest, render_case
from trainer.harness.scoring import Scores, paired_differences, score_cases
from trainer.providers.base import Provider
from trainer.specs.models import TrainingJob

EMULATOR_FINGERPRINT = "trainer-emulator"


@dataclass
class EvaluationRequest:
    model: str
    tests: list[SelectedTest]
    baseline: str | None = None
    category_weights: dict[str, float] = field(default_factory=dict)
    settings: RunSettings = field(default_factory=RunSettings)
    rules: GateRules = field(default_factory=GateRules)
    calibration: dict[str, CalibrationSet] = field(default_factory=dict)
    """Calibration sets by rubric name (those of the suites' repository)."""
    spec: str | None = None
    revision: str | None = None
    forced: str | None = None
    """Why a promotion goes ahead despite this evaluation, when it does."""


@dataclass
class JudgeReport:
    """Who judged, and how well that judge agrees with people on each rubric it applied."""

    model: str | None
    rubrics: list[str] = field(default_factory=list)
    calibration: dict[str, Agreement] = field(default_factory=dict)
    uncalibrated: list[str] = field(default_factory=list)
    emulated: bool = False
    """The emulator's stand-in judge graded (a rule, not a language model)."""
    requests: int = 0


@dataclass
class Evaluation:
    request: EvaluationRequest
    run: ModelRun
    scores: Scores
    gate: Gate
    started: datetime
    finished: datetime
    baseline_run: ModelRun | None = None
    baseline_scores: Scores | None = None
    deltas: Deltas | None = None
    suites: list[LoadedSuite] = field(default_factory=list)
    judge: JudgeReport = field(default_factory=lambda: JudgeReport(None))
    limits: LimiterStats | None = None
    """What the API's rate limits (429s) did to the concurrency."""


def select_tests(
    suites: dict[str, LoadedSuite],
    names: list[str] | None = None,
    suite_names: list[str] | None = None,
) -> list[SelectedTest]:
    """Tests by name (in the given order), or every test of the named suites (or all)."""
    if names:
        chosen = []
        for name in names:
            for loaded in suites.values():
                if name in loaded.suite.tests:
                    chosen.append(SelectedTest(loaded, name, loaded.suite.tests[name]))
        return chosen
    return [
        SelectedTest(loaded, name, test)
        for suite_name, loaded in sorted(suites.items())
        if not suite_names or suite_name in suite_names
        for name, test in loaded.suite.tests.items()
    ]


def request_for_spec(
    suites: dict[str, LoadedSuite],
    spec: TrainingJob,
    model: str,
    baseline: str | None,
    revision: str | None = None,
    calibration: dict[str, CalibrationSet] | None = None,
) -> EvaluationRequest:
    """What a spec says about evaluating `model`: tests, thresholds, weights, judge, limits."""
    evaluation = spec.evaluation
    config = evaluation.harness_config
    judge = evaluation.judge
    return EvaluationRequest(
        model=model,
        tests=select_tests(suites, config.tests()),
        baseline=baseline,
        category_weights=dict(evaluation.weights),
        settings=RunSettings(
            concurrency=config.max_concurrency,
            parallel=config.parallel,
            request_timeout=config.request_timeout,
            suite_timeout=config.timeout,
            judge_model=judge.model if judge else None,
        ),
        rules=GateRules(
            thresholds=spec.policy.thresholds.as_dict(),
            mode=spec.policy.gate,
            error_budget=evaluation.error_budget,
            margin=evaluation.non_inferiority_margin,
            min_kappa=judge.min_kappa if judge else None,
        ),
        calibration=dict(calibration or {}),
        spec=spec.name,
        revision=revision,
    )


def _rubrics_used(cases: list[CaseInput]) -> dict[str, Rubric]:
    used: dict[str, Rubric] = {}
    for case in cases:
        for check in case.checks:
            if CHECKS[check.type].kind == "judge" and "rubric_name" in check.params:
                rubric = rubric_of(check.type, check.params)
                if rubric.name:
                    used[rubric.name] = rubric
    return used


def evaluate(
    provider: Provider,
    cache: ResponseCache,
    request: EvaluationRequest,
    progress: Callable[[str, int, int], None] | None = None,
) -> Evaluation:
    started = utcnow()
    cases = [render_case(t, c) for t in request.tests for c in t.test.cases]
    runner = Runner(provider, cache, request.settings, progress)
    judge_model = request.settings.judge_model
    used = _rubrics_used(cases)
    judge = JudgeReport(judge_model, sorted(used))

    runs: list[ModelRun | None] = []

    async def everything() -> None:
        try:
            candidate = await runner.answer(request.model, cases)
            base = await runner.answer(request.baseline, cases) if request.baseline else None
            await runner.judge(cases, [candidate] if base is None else [candidate, base])
            if judge_model and used:
                judge.calibration = await calibrate(runner, judge_model, used, request.calibration)
        finally:
            await provider.aclose()
        runs[:] = [runner.finish(cases, candidate), runner.finish(cases, base) if base else None]
        # returns nothing: asyncio.run's SIGINT handling may format the main task, its
        # result included (the repr of every case, tens of milliseconds)

    try:
        asyncio.run(everything())
    finally:
        cache.flush()
    run, baseline_run = runs
    assert run is not None
    judge.uncalibrated = sorted(set(used) - set(judge.calibration))
    judge.requests = run.judge_requests + (baseline_run.judge_requests if baseline_run else 0)
    fingerprints = run.judge_fingerprints | (
        baseline_run.judge_fingerprints if baseline_run else set()
    )
    judge.emulated = EMULATOR_FINGERPRINT in fingerprints
    weights = {t.name: t.test.weight for t in request.tests}
    scores = score_cases(run.cases, weights, request.category_weights)
    evaluation = Evaluation(
        request,
        run,
        scores,
        Gate(True, []),
        started,
        started,
        baseline_run,
        judge=judge,
        limits=runner.limiter.stats,
    )
    if baseline_run is not None:
        evaluation.baseline_scores = score_cases(
            baseline_run.cases, weights, request.category_weights
        )
        evaluation.deltas = Deltas(
            *paired_differences(run.cases, baseline_run.cases, weights, request.category_weights)
        )
    kappas: dict[str, float | None] = dict.fromkeys(used)
    kappas.update({name: a.kappa for name, a in judge.calibration.items()})
    evaluation.gate = decide(
        scores,
        request.rules,
        baseline=evaluation.baseline_scores,
        deltas=evaluation.deltas,
        kappas=kappas,
    )
    evaluation.suites = sorted(
        {t.suite.path: t.suite for t in request.tests}.values(), key=lambda s: s.path
    )
    evaluation.finished = utcnow()
    return evaluation
