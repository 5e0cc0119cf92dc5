"""Scores, intervals and the gate, on data with known answers."""

from __future__ import annotations

import pytest

from trainer.harness.gate import Deltas, GateRules, decide
from trainer.harness.grading import CaseResult, RepeatResult, reduce_case
from trainer.harness.scoring import aggregate, paired_differences, score_cases, wilson


def case(
    test: str,
    category: str,
    case_id: str,
    score: float,
    *,
    passed: bool | None = None,
    critical: bool = False,
    errors: int = 0,
    group: str | None = None,
    answered: bool = True,
) -> CaseResult:
    return CaseResult(
        test=test,
        category=category,
        case_id=case_id,
        group=group,
        answered=answered,
        question="q",
        repeats=[RepeatResult(["a"], [], score, score >= 0.7, errors)],
        score=score,
        passed=score >= 0.7 if passed is None else passed,
        critical_failed=critical,
        errors=errors,
    )


def test_wilson_interval_matches_the_formula() -> None:
    low, high = wilson(8, 10)
    assert low == pytest.approx(0.4902, abs=1e-3)
    assert high == pytest.approx(0.9433, abs=1e-3)
    assert wilson(0, 0) == (0.0, 1.0)


def test_weighted_categories_and_overall() -> None:
    cases = [case("a", "pedagogy", str(i), 1.0) for i in range(4)]
    cases += [case("b", "pedagogy", str(i), 0.0) for i in range(4)]
    cases += [case("c", "safety", str(i), 0.5) for i in range(4)]
    scores = score_cases(cases, {"a": 3.0, "b": 1.0, "c": 1.0}, {"pedagogy": 1.0, "safety": 3.0})
    assert scores.categories["pedagogy"].value == pytest.approx(0.75)
    assert scores.categories["safety"].value == pytest.approx(0.5)
    assert scores.overall.value == pytest.approx((0.75 + 3 * 0.5) / 4)
    assert scores.categories["pedagogy"].n == 8
    ped = scores.categories["pedagogy"]
    assert ped.low <= ped.value <= ped.high
    assert scores.tests["a"].pass_rate.value == 1.0


def test_bootstrap_is_reproducible_and_shrinks_with_more_cases() -> None:
    few = [("t", f"c{i}", float(i % 2)) for i in range(10)]
    many = [("t", f"c{i}", float(i % 2)) for i in range(400)]
    weights, categories = {"t": 1.0}, {"t": "x"}
    first = aggregate(few, weights, categories, {})
    assert aggregate(few, weights, categories, {}) == first
    assert aggregate(many, weights, categories, {})[2].stderr < first[2].stderr


def test_clustered_cases_widen_the_interval() -> None:
    """Ten groups of ten identical cases carry the evidence of ten cases, not a hundred."""
    independent = [case("t", "x", str(i), float(i % 2)) for i in range(100)]
    clustered = [
        case("t", "x", str(i), float((i // 10) % 2), group=f"g{i // 10}") for i in range(100)
    ]
    wide = score_cases(clustered, {"t": 1.0}, {}).overall
    narrow = score_cases(independent, {"t": 1.0}, {}).overall
    assert wide.value == narrow.value == pytest.approx(0.5)
    assert wide.stderr > 2.5 * narrow.stderr


def test_unanswered_cases_are_left_out_not_scored_zero() -> None:
    cases = [case("t", "x", str(i), 1.0) for i in range(8)]
    cases += [case("t", "x", f"lost{i}", 0.0, answered=False) for i in range(2)]
    scores = score_cases(cases, {"t": 1.0}, {})
    assert scores.tests["t"].score.value == 1.0
    assert (scores.unanswered, scores.cases, scores.tests["t"].unanswered) == (2, 10, 2)
    gate = decide(scores, GateRules(error_budget=0.1))
    assert [c.name for c in gate.failures] == ["unanswered cases (candidate)"]


def test_paired_differences_use_the_same_cases() -> None:
    model = [case("a", "p", str(i), 1.0) for i in range(10)]
    base = [case("a", "p", str(i), 0.5) for i in range(10)]
    tests, _, overall = paired_differences(model, base, {"a": 1.0}, {})
    assert tests["a"].value == pytest.approx(0.5)
    assert overall.low == pytest.approx(0.5)


def test_gate_needs_every_threshold_no_critical_failure_and_errors_in_budget() -> None:
    cases = [case("a", "pedagogy", str(i), 0.9) for i in range(10)]
    scores = score_cases(cases, {"a": 1.0}, {})
    scores.checks = 100
    rules = GateRules(thresholds={"pedagogy_score": 0.8, "overall_score": 0.8, "a": 0.85})
    assert decide(scores, rules).passed
    failed = decide(scores, GateRules(thresholds={"pedagogy_score": 0.95, "missing_test": 0.1}))
    assert [c.name for c in failed.failures] == ["missing_test", "pedagogy_score"]
    scores.tests["a"].critical_failures = ["3"]
    assert [c.name for c in decide(scores, GateRules()).failures] == ["critical cases"]
    scores.tests["a"].critical_failures = []
    scores.errors = 6
    assert [c.name for c in decide(scores, GateRules(error_budget=0.05)).failures] == [
        "grader errors"
    ]


def test_lower_bound_gate_uses_the_interval_not_the_point() -> None:
    cases = [case("a", "pedagogy", str(i), float(i % 2)) for i in range(20)]
    scores = score_cases(cases, {"a": 1.0}, {})
    assert scores.overall.value == pytest.approx(0.5)
    point = GateRules(thresholds={"overall_score": 0.45})
    assert decide(scores, point).passed
    bound = GateRules(thresholds={"overall_score": 0.45}, mode="lower_bound")
    (failure,) = decide(scores, bound).failures
    assert failure.name == "overall_score"
    assert failure.value == scores.overall.low


def test_non_inferiority_is_per_test_and_catches_a_drop_hidden_by_gains() -> None:
    """harmful_content drops by 0.3 while three other tests gain: the category and overall
    look fine, the test does not."""
    model = [case(t, "safety", str(i), 1.0) for t in ("b", "c", "d") for i in range(10)]
    base = [case(t, "safety", str(i), 0.6) for t in ("b", "c", "d") for i in range(10)]
    model += [case("harmful_content", "safety", str(i), 0.6) for i in range(10)]
    base += [case("harmful_content", "safety", str(i), 0.9) for i in range(10)]
    weights = dict.fromkeys(["b", "c", "d", "harmful_content"], 1.0)
    deltas = Deltas(*paired_differences(model, base, weights, {}))
    assert deltas.categories["safety"].value > 0
    scores = score_cases(model, weights, {})
    gate = decide(scores, GateRules(), baseline=score_cases(base, weights, {}), deltas=deltas)
    assert [c.name for c in gate.failures] == ["non-inferiority test harmful_content"]
    assert decide(scores, GateRules(margin=None), deltas=deltas).passed


def test_min_kappa_fails_the_gate_for_a_poorly_calibrated_or_uncalibrated_rubric() -> None:
    scores = score_cases([case("a", "p", "1", 1.0)], {"a": 1.0}, {})
    rules = GateRules(min_kappa=0.6)
    gate = decide(scores, rules, kappas={"tone": 0.8, "harm": 0.3, "privacy": None})
    assert [c.name for c in gate.failures] == [
        "judge calibration harm",
        "judge calibration privacy",
    ]


def test_repeats_reduce_and_flaky_cases_are_flagged() -> None:
    from tests.harness.test_runner import selected_case

    one = selected_case()
    repeats = [
        RepeatResult(["a"], [], 1.0, True, 0),
        RepeatResult(["b"], [], 0.0, False, 0),
        RepeatResult(["c"], [], 1.0, True, 0),
    ]
    mean = reduce_case(one, repeats, "mean", None)
    assert (mean.score, mean.passed, mean.flaky) == (pytest.approx(2 / 3), False, True)
    assert reduce_case(one, repeats, "min", None).score == 0.0
    assert reduce_case(one, repeats, "at_least_k", 2).passed
    assert not reduce_case(one, repeats, "at_least_k", 3).passed
