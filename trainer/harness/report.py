"""Reports of an evaluation: JSON with everything, Markdown for the PR body, JUnit XML."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import asdict
from typing import Any

from trainer import __version__
from trainer.harness.evaluate import Evaluation
from trainer.harness.grading import CaseResult
from trainer.harness.scoring import Estimate
from trainer.render.markdown import GITHUB_BODY_LIMIT, environment, truncate

REPORT_FORMAT_VERSION = 1
MAX_REGRESSIONS = 20
BODY_MARGIN = 1_500
"""Room kept for what promotion adds around the report (marker, override notice)."""


def _estimate(e: Estimate | None) -> dict[str, float] | None:
    return (
        None
        if e is None
        else {k: round(v, 4) if isinstance(v, float) else v for k, v in asdict(e).items()}
    )


def identity(evaluation: Evaluation) -> dict[str, Any]:
    """What produced this report, so that it can be reproduced."""
    request = evaluation.request
    return {
        "trainer_version": __version__,
        "model": request.model,
        "baseline": request.baseline,
        "judge": request.settings.judge_model,
        "spec": request.spec,
        "revision": request.revision,
        "suites": {s.suite.suite: {"path": s.path, "digest": s.digest} for s in evaluation.suites},
        "sampling": {s.suite.suite: s.suite.sampling.model_dump() for s in evaluation.suites},
        "repeats": {s.suite.suite: s.suite.repeats for s in evaluation.suites},
        "system_fingerprints": sorted(evaluation.run.fingerprints),
        "baseline_system_fingerprints": sorted(evaluation.baseline_run.fingerprints)
        if evaluation.baseline_run
        else [],
        "requests": evaluation.run.requests
        + (evaluation.baseline_run.requests if evaluation.baseline_run else 0),
        "cache_hits": evaluation.run.cache_hits
        + (evaluation.baseline_run.cache_hits if evaluation.baseline_run else 0),
        "started": evaluation.started.isoformat(),
        "finished": evaluation.finished.isoformat(),
    }


def regressions(evaluation: Evaluation) -> list[tuple[CaseResult, CaseResult]]:
    """(candidate, baseline) of every case that scores lower than the baseline, worst first."""
    if evaluation.baseline_run is None:
        return []
    base = {(c.test, c.case_id): c for c in evaluation.baseline_run.cases if c.answered}
    pairs = [
        (case, base[(case.test, case.case_id)])
        for case in evaluation.run.cases
        if case.answered and (case.test, case.case_id) in base
    ]
    worse = [(c, b) for c, b in pairs if c.score < b.score - 1e-9]
    return sorted(worse, key=lambda pair: (pair[0].score - pair[1].score, pair[0].test))


def judge_json(evaluation: Evaluation) -> dict[str, Any]:
    judge = evaluation.judge
    return {
        "model": judge.model,
        "emulated": judge.emulated,
        "requests": judge.requests,
        "rubrics": judge.rubrics,
        "calibration": {
            name: {"n": a.n, "agreement": round(a.agreement, 4), "kappa": round(a.kappa, 4)}
            for name, a in sorted(judge.calibration.items())
        },
        "uncalibrated": judge.uncalibrated,
        "min_kappa": evaluation.request.rules.min_kappa,
    }


def _case_json(case: CaseResult) -> dict[str, Any]:
    return {
        "test": case.test,
        "case": case.case_id,
        "group": case.group,
        "answered": case.answered,
        "score": round(case.score, 4),
        "passed": case.passed,
        "flaky": case.flaky,
        "critical_failed": case.critical_failed,
        "question": case.question,
        "repeats": [
            {
                "outputs": r.outputs,
                "answered": r.answered,
                "unanswered": r.unanswered,
                "score": round(r.score, 4),
                "passed": r.passed,
                "checks": [asdict(c) for c in r.checks],
            }
            for r in case.repeats
        ],
    }


def report_json(evaluation: Evaluation) -> dict[str, Any]:
    scores, deltas, base = evaluation.scores, evaluation.deltas, evaluation.baseline_scores
    return {
        "format_version": REPORT_FORMAT_VERSION,
        "identity": identity(evaluation),
        "passed": evaluation.gate.passed,
        "forced": evaluation.request.forced,
        "gate": [asdict(c) for c in evaluation.gate.checks],
        "overall": _estimate(scores.overall),
        "categories": {
            name: {
                "score": _estimate(e),
                "baseline": _estimate(base.categories.get(name)) if base else None,
                "delta": _estimate(deltas.categories.get(name)) if deltas else None,
            }
            for name, e in scores.categories.items()
        },
        "tests": {
            name: {
                "category": t.category,
                "weight": t.weight,
                "score": _estimate(t.score),
                "pass_rate": _estimate(t.pass_rate),
                "baseline": _estimate(base.tests[name].score)
                if base and name in base.tests
                else None,
                "delta": _estimate(deltas.tests.get(name)) if deltas else None,
                "critical_failures": t.critical_failures,
                "flaky": t.flaky,
                "grader_errors": t.errors,
                "unanswered": t.unanswered,
            }
            for name, t in scores.tests.items()
        },
        "grader_errors": scores.errors,
        "checks": scores.checks,
        "unanswered": scores.unanswered,
        "baseline_unanswered": base.unanswered if base else None,
        "judge": judge_json(evaluation),
        "regressions": [
            {
                "test": c.test,
                "case": c.case_id,
                "score": round(c.score, 4),
                "baseline_score": round(b.score, 4),
                "delta": round(c.score - b.score, 4),
            }
            for c, b in regressions(evaluation)
        ],
        "cases": [_case_json(c) for c in evaluation.run.cases],
        "baseline_cases": [_case_json(c) for c in evaluation.baseline_run.cases]
        if evaluation.baseline_run
        else [],
        "timed_out": evaluation.run.timed_out,
    }


def render_markdown(
    evaluation: Evaluation,
    *,
    limit: int = GITHUB_BODY_LIMIT - BODY_MARGIN,
    full_report: str | None = None,
) -> str:
    """The PR body. Failing cases go last and are cut first to stay under `limit`."""
    template = environment().get_template("report.md.j2")
    failing = sorted(
        (c for c in evaluation.run.cases if c.answered and not c.passed),
        key=lambda c: (c.test, c.score),
    )
    worse = regressions(evaluation)
    data = report_json(evaluation)
    shown, shown_worse = len(failing), min(len(worse), MAX_REGRESSIONS)
    while True:
        text = template.render(
            e=evaluation,
            data=data,
            failing=failing[:shown],
            hidden=len(failing) - shown,
            regressions=worse[:shown_worse],
            hidden_regressions=len(worse) - shown_worse,
            full_report=full_report,
        )
        if len(text) <= limit or (shown == 0 and shown_worse == 0):
            return truncate(text, limit)
        if shown:
            shown = max(0, min(shown - 1, int(shown * limit / len(text)) - 1))
        else:
            shown_worse = max(0, min(shown_worse - 1, int(shown_worse * limit / len(text)) - 1))


def render_junit(evaluation: Evaluation) -> str:
    root = ET.Element("testsuites", name=f"trainer eval {evaluation.request.model}")
    by_test: dict[str, list[CaseResult]] = {}
    for case in evaluation.run.cases:
        by_test.setdefault(case.test, []).append(case)
    for name, cases in by_test.items():
        suite = ET.SubElement(
            root,
            "testsuite",
            name=f"{cases[0].category}.{name}",
            tests=str(len(cases)),
            failures=str(sum(1 for c in cases if not c.passed)),
            errors=str(sum(1 for c in cases if c.errors)),
        )
        for case in cases:
            element = ET.SubElement(
                suite, "testcase", classname=f"{case.category}.{name}", name=case.case_id
            )
            element.set("time", "0")
            if not case.passed:
                failed = [c for r in case.repeats for c in r.checks if c.passed is False]
                message = (
                    "; ".join(f"{c.type}: {c.reason}" for c in failed[:5])
                    or "below the pass threshold"
                )
                failure = ET.SubElement(element, "failure", message=message[:1000], type="quality")
                failure.text = (
                    case.repeats[0].outputs[0] if case.repeats and case.repeats[0].outputs else ""
                )[:4000]
            elif case.errors:
                ET.SubElement(
                    element,
                    "error",
                    message=f"{case.errors} check(s) could not be graded",
                    type="grader",
                )
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def render_json(evaluation: Evaluation) -> str:
    return json.dumps(report_json(evaluation), indent=2, ensure_ascii=False, default=str) + "\n"
