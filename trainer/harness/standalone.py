"""`trainer eval`: what to evaluate, from the command line and the repository (or the
default suites of trainer when the repository has none)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from trainer.errors import SpecError, UsageError
from trainer.harness.calibration import suites_and_calibration
from trainer.harness.evaluate import EvaluationRequest, request_for_spec, select_tests
from trainer.harness.loading import HARNESS_DIR
from trainer.repository import check_repository


def standalone_request(
    repo: Path,
    model: str,
    *,
    baseline: str | None = None,
    suites: tuple[str, ...] = (),
    spec_name: str | None = None,
    judge: str | None = None,
    concurrency: int | None = None,
    note: Callable[[str], None] = lambda message: None,
) -> EvaluationRequest:
    """The evaluation `trainer eval` runs; UsageError or SpecError when it cannot be made.

    `concurrency` (`--concurrency`) overrides the spec's `max_concurrency` and `parallel`."""
    check = check_repository(repo)
    if not check.ok:
        raise SpecError(check.diagnostics)
    available, calibration = check.suites, check.calibration
    if not available and spec_name is None:
        available, calibration = suites_and_calibration(check)
        note(
            f"no suites in {repo / HARNESS_DIR}; using the default suites of trainer "
            f"({', '.join(sorted(available))})"
        )
    unknown = [s for s in suites if s not in available]
    if unknown:
        raise UsageError(
            f"no suite named {unknown[0]!r} in harness/ (have: {', '.join(sorted(available))})"
        )
    if spec_name is not None:
        job = check.ws.jobs.get(spec_name)
        if job is None:
            raise UsageError(f"no spec named {spec_name!r} in specs/jobs/")
        request = request_for_spec(available, job.spec, model, baseline, None, calibration)
    else:
        request = EvaluationRequest(
            model=model,
            baseline=baseline,
            tests=select_tests(available, None, list(suites)),
            calibration=calibration,
        )
    if not any(t.test.cases for t in request.tests):
        raise UsageError("no tests to run: the selected suites have no cases")
    judge = judge or request.settings.judge_model
    if judge and judge == model:
        raise UsageError("the judge must not be the model under test; name another --judge")
    request.settings = replace(request.settings, judge_model=judge)
    if concurrency is not None:
        if concurrency < 1:
            raise UsageError(f"--concurrency must be at least 1 (got {concurrency})")
        request.settings = replace(request.settings, concurrency=concurrency, parallel=True)
    return request
