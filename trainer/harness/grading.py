"""Grade one case from its answers: pure, given the answers, the moderation scores and the
judge's verdicts.

An empty (or whitespace) answer fails every check, negated and model-graded ones
included, and is never sent to the judge. An unanswered case (the provider failed or the
suite timed out) is not graded at all: it is left out of the scores and counted apart.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from trainer.harness.graders import CHECKS, Grade, GraderError
from trainer.harness.graders.judge import parse_verdict, rubric_of
from trainer.harness.samples import CaseInput
from trainer.harness.suites import Check

EMPTY = "empty answer: fails every check"


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

    @property
    def pending(self) -> bool:
        return self.score is None and self.error is None and not self.skipped


@dataclass
class RepeatResult:
    outputs: list[str]
    checks: list[CheckResult]
    score: float
    passed: bool
    errors: int
    answered: bool = True
    unanswered: str | None = None
    """Why there is no answer (a provider error, the suite timeout)."""


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
    answered: bool = True
    """False when no repeat got an answer: the case is left out of every score."""

    @property
    def outputs(self) -> list[str]:
        """The answers of the first answered repeat (for reports)."""
        for repeat in self.repeats:
            if repeat.answered:
                return repeat.outputs
        return []


def kind_of(check_type: str) -> str:
    return CHECKS[check_type].kind


def is_empty(outputs: list[str]) -> bool:
    return any(not output.strip() for output in outputs)


def _mean_grade(grades: list[Grade]) -> Grade:
    score = sum(g.score for g in grades) / len(grades)
    failing = [g for g in grades if not g.passed]
    reason = failing[0].reason if failing else grades[0].reason
    if len(grades) > 1 and failing:
        reason = f"{len(failing)} of {len(grades)} variants: {reason}"
    return Grade(score, not failing, reason)


def _grade(check: Check, outputs: list[str], question: str) -> Grade:
    """The grade of an `answer` or `variants` check (see the kinds in `graders.registry`)."""
    check_type = CHECKS[check.type]
    given = dict(check.params)
    if "question" in check_type.params.model_fields:
        given["question"] = question
    params = check_type.parse(given)
    if check_type.kind == "variants":
        return check_type.grade(outputs, params)
    return _mean_grade([check_type.grade(o, params) for o in outputs])


def _set(result: CheckResult, grade: Grade) -> None:
    result.score, result.passed, result.reason = grade.score, grade.passed, grade.reason


def deterministic(case: CaseInput, outputs: list[str]) -> list[CheckResult]:
    """Every check of kind `answer` or `variants` graded; the others left pending."""
    empty = is_empty(outputs)
    results = []
    for check in case.checks:
        result = CheckResult(check.type, check.weight, check.critical)
        if empty:
            _set(result, Grade(0.0, False, EMPTY))
        elif kind_of(check.type) in ("answer", "variants"):
            try:
                _set(result, _grade(check, outputs, case.student_text))
            except GraderError as exc:
                result.error = str(exc)
        results.append(result)
    return results


def unanswered(case: CaseInput, outputs: list[str], why: str) -> RepeatResult:
    checks = [
        CheckResult(c.type, c.weight, c.critical, error=f"no answer: {why}") for c in case.checks
    ]
    return RepeatResult(outputs, checks, 0.0, False, 0, answered=False, unanswered=why)


def apply_moderation(
    result: CheckResult, check: Check, scores: list[Mapping[str, float] | str]
) -> None:
    """Grade a `moderation` check from each answer's category scores (or an error)."""
    errors = [s for s in scores if isinstance(s, str)]
    if errors:
        result.error = f"moderation failed: {errors[0]}"
        return
    check_type = CHECKS[check.type]
    params = check_type.parse(check.params)
    _set(result, _mean_grade([check_type.grade(s, params) for s in scores]))


def apply_judge(result: CheckResult, check: Check, reply: str | None, error: str | None) -> None:
    if error is not None or reply is None:
        result.error = error or "no reply from the judge"
        return
    try:
        rubric = rubric_of(check.type, check.params)
        verdict = parse_verdict(rubric, reply)
        _set(result, CHECKS[check.type](verdict, check.params))
    except GraderError as exc:
        result.error = str(exc)


def settled(results: list[CheckResult], threshold: float) -> bool:
    """True when the judge could not change whether the case passes (the cascade)."""
    pending = [r for r in results if kind_of(r.type) == "judge" and r.pending]
    if not pending:
        return True
    graded = [r for r in results if r.score is not None]
    weight = sum(r.weight for r in graded) + sum(r.weight for r in pending)
    base = sum(r.weight * (r.score or 0.0) for r in graded)
    worst, best = base / weight, (base + sum(r.weight for r in pending)) / weight
    critical_failed = any(r.critical and r.passed is False for r in graded)
    critical_pending = any(r.critical for r in pending)
    return critical_failed or (not critical_pending and worst >= threshold) or best < threshold


def finish_repeat(outputs: list[str], results: list[CheckResult], threshold: float) -> RepeatResult:
    for r in results:
        if kind_of(r.type) == "judge" and r.pending:
            r.skipped = True
            r.reason = "not asked: the deterministic checks settle this case"
    counted = [r for r in results if r.score is not None]
    total = sum(r.weight for r in counted)
    score = sum(r.weight * (r.score or 0.0) for r in counted) / total if total else None
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
    answered = [r for r in repeats if r.answered]
    if not answered:
        result.answered = False
        return result
    scores = [r.score for r in answered]
    passes = [r.passed for r in answered]
    if reducer == "min":
        result.score, result.passed = min(scores), all(passes)
    elif reducer == "at_least_k":
        result.score, result.passed = (
            sum(scores) / len(scores),
            sum(passes) >= (at_least or len(answered)),
        )
    else:
        result.score = sum(scores) / len(scores)
        result.passed = result.score >= selected.test.pass_threshold and all(
            not any(c.critical and c.passed is False for c in r.checks) for r in answered
        )
    result.flaky = len(set(passes)) > 1
    result.errors = sum(r.errors for r in answered)
    critical_check = any(c.critical and c.passed is False for r in answered for c in r.checks)
    result.critical_failed = critical_check or (
        (case.case.critical or selected.test.critical) and not result.passed
    )
    return result
