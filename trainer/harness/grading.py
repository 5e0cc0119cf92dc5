"""Grade one case from its answers: pure, given the answers and the judge's replies."""

from __future__ import annotations

from dataclasses import dataclass, field

from trainer.harness.graders import CHECKS, Grade, GraderError
from trainer.harness.graders.judge import parse_verdict
from trainer.harness.samples import CaseInput
from trainer.harness.suites import Check


@dataclass
class CheckResult:
    type: str
    weight: float
    critical: bool
    score: float | None = None
    passed: bool | None = None
    reason: str = ""
    error: str | None = None
    skipped: bool = False


@dataclass
class RepeatResult:
    outputs: list[str]
    checks: list[CheckResult]
    score: float
    passed: bool
    errors: int


@dataclass
class CaseResult:
    test: str
    category: str
    case_id: str
    group: str | None
    question: str
    repeats: list[RepeatResult] = field(default_factory=list)
    score: float = 0.0
    passed: bool = False
    flaky: bool = False
    critical_failed: bool = False
    errors: int = 0
    answer_errors: list[str] = field(default_factory=list)


def _judged(check_type: str) -> bool:
    registered = CHECKS.get(check_type)
    return registered is not None and registered.kind == "judge"


def _grade(check: Check, outputs: list[str]) -> Grade:
    """The grade of a non-judge check (see the kinds in `graders.registry`)."""
    check_type = CHECKS[check.type]
    params = check_type.parse(check.params)
    if check_type.kind == "variants":
        return check_type.grade(outputs, params)
    grades = [check_type.grade(o, params) for o in outputs]
    score = sum(g.score for g in grades) / len(grades)
    failing = [g for g in grades if not g.passed]
    reason = failing[0].reason if failing else grades[0].reason
    if len(grades) > 1 and failing:
        reason = f"{len(failing)} of {len(grades)} variants: {reason}"
    return Grade(score, not failing, reason)


def _score(results: list[CheckResult]) -> float | None:
    counted = [r for r in results if r.score is not None]
    total = sum(r.weight for r in counted)
    return sum(r.weight * (r.score or 0.0) for r in counted) / total if total else None


def deterministic(case: CaseInput, outputs: list[str]) -> list[CheckResult]:
    """Every non-judge check graded; judge checks left pending (score None)."""
    results = []
    for check in case.case.checks:
        result = CheckResult(check.type, check.weight, check.critical)
        if not _judged(check.type):
            try:
                grade = _grade(check, outputs)
                result.score, result.passed, result.reason = grade.score, grade.passed, grade.reason
            except GraderError as exc:
                result.error = str(exc)
        results.append(result)
    return results


def settled(results: list[CheckResult], threshold: float) -> bool:
    """True when the judge could not change whether the case passes (the cascade)."""
    pending = [r for r in results if _judged(r.type) and r.error is None]
    if not pending:
        return True
    graded = [r for r in results if r.score is not None]
    weight = sum(r.weight for r in graded) + sum(r.weight for r in pending)
    base = sum(r.weight * (r.score or 0.0) for r in graded)
    worst, best = base / weight, (base + sum(r.weight for r in pending)) / weight
    critical_failed = any(r.critical and r.passed is False for r in graded)
    critical_pending = any(r.critical for r in pending)
    return critical_failed or (not critical_pending and worst >= threshold) or best < threshold


def apply_judge(result: CheckResult, check: Check, reply: str | None, error: str | None) -> None:
    if error is not None or reply is None:
        result.error = error or "no reply from the judge"
        return
    try:
        grade = parse_verdict(check.type, check.params, reply)
    except GraderError as exc:
        result.error = str(exc)
        return
    result.score, result.passed, result.reason = grade.score, grade.passed, grade.reason


def finish_repeat(outputs: list[str], results: list[CheckResult], threshold: float) -> RepeatResult:
    for r in results:
        if _judged(r.type) and r.score is None and r.error is None:
            r.skipped = True
            r.reason = "not asked: the deterministic checks settle this case"
    score = _score(results)
    critical_failed = any(r.critical and r.passed is False for r in results)
    passed = score is not None and score >= threshold and not critical_failed
    return RepeatResult(outputs, results, score or 0.0, passed, sum(1 for r in results if r.error))


def reduce_case(
    case: CaseInput, repeats: list[RepeatResult], reducer: str, at_least: int | None
) -> CaseResult:
    selected = case.selected
    result = CaseResult(
        test=selected.name,
        category=selected.category,
        case_id=case.case.id,
        group=case.case.group,
        question=case.question,
        repeats=repeats,
    )
    scores = [r.score for r in repeats]
    passes = [r.passed for r in repeats]
    if reducer == "min":
        result.score, result.passed = min(scores), all(passes)
    elif reducer == "at_least_k":
        result.score, result.passed = (
            sum(scores) / len(scores),
            sum(passes) >= (at_least or len(repeats)),
        )
    else:
        result.score = sum(scores) / len(scores)
        result.passed = result.score >= selected.test.pass_threshold and all(
            not any(c.critical and c.passed is False for c in r.checks) for r in repeats
        )
    result.flaky = len(set(passes)) > 1
    result.errors = sum(r.errors for r in repeats)
    critical_check = any(c.critical and c.passed is False for r in repeats for c in r.checks)
    result.critical_failed = critical_check or (
        (case.case.critical or selected.test.critical) and not result.passed
    )
    return result
