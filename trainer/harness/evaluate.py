"""One evaluation: a model (and its baseline) on the selected tests, scored and gated."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from trainer.harness.cache import ResponseCache
from trainer.harness.loading import LoadedSuite
from trainer.harness.runner import ModelRun, Runner, RunSettings
from trainer.harness.samples import SelectedTest, render_case
from trainer.harness.scoring import Estimate, Gate, Scores, decide, paired_differences, score_cases
from trainer.providers.base import Provider
from trainer.specs.models import TrainingJob
from trainer.state.document import utcnow


@dataclass
class EvaluationRequest:
    model: str
    tests: list[SelectedTest]
    baseline: str | None = None
    thresholds: dict[str, float] = field(default_factory=dict)
    category_weights: dict[str, float] = field(default_factory=dict)
    settings: RunSettings = field(default_factory=RunSettings)
    error_budget: float = 0.05
    margin: float | None = None
    spec: str | None = None
    revision: str | None = None
    forced: str | None = None
    """Why a promotion goes ahead despite this evaluation, when it does."""


@dataclass
class Deltas:
    tests: dict[str, Estimate]
    categories: dict[str, Estimate]
    overall: Estimate


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
) -> EvaluationRequest:
    """What a spec says about evaluating `model`: tests, thresholds, weights, judge, limits."""
    evaluation = spec.evaluation
    config = evaluation.harness_config
    return EvaluationRequest(
        model=model,
        tests=select_tests(suites, config.tests()),
        baseline=baseline,
        thresholds=spec.policy.thresholds.as_dict(),
        category_weights=dict(evaluation.weights),
        settings=RunSettings(
            concurrency=config.max_concurrency,
            parallel=config.parallel,
            request_timeout=config.request_timeout,
            suite_timeout=config.timeout,
            judge_model=evaluation.judge.model if evaluation.judge else None,
        ),
        error_budget=evaluation.error_budget,
        margin=evaluation.non_inferiority_margin,
        spec=spec.name,
        revision=revision,
    )


def evaluate(
    provider: Provider,
    cache: ResponseCache,
    request: EvaluationRequest,
    progress: Callable[[str, int, int], None] | None = None,
) -> Evaluation:
    started = utcnow()
    cases = [render_case(t, c) for t in request.tests for c in t.test.cases]
    runner = Runner(provider, cache, request.settings, progress)

    async def both() -> tuple[ModelRun, ModelRun | None]:
        try:
            model_run = await runner.run_model(request.model, cases)
            base_run = await runner.run_model(request.baseline, cases) if request.baseline else None
        finally:
            await provider.aclose()
        return model_run, base_run

    run, baseline_run = asyncio.run(both())
    weights = {t.name: t.test.weight for t in request.tests}
    scores = score_cases(run.cases, weights, request.category_weights)
    evaluation = Evaluation(request, run, scores, Gate(True, []), started, started, baseline_run)
    if baseline_run is not None:
        evaluation.baseline_scores = score_cases(
            baseline_run.cases, weights, request.category_weights
        )
        evaluation.deltas = Deltas(
            *paired_differences(run.cases, baseline_run.cases, weights, request.category_weights)
        )
    margin_deltas = (
        (evaluation.deltas.categories, evaluation.deltas.overall) if evaluation.deltas else None
    )
    evaluation.gate = decide(
        scores,
        request.thresholds,
        error_budget=request.error_budget,
        deltas=margin_deltas,
        margin=request.margin,
    )
    evaluation.suites = sorted(
        {t.suite.path: t.suite for t in request.tests}.values(), key=lambda s: s.path
    )
    evaluation.finished = utcnow()
    return evaluation
