"""Scores with their uncertainty, paired differences against a baseline, and the gate.

Case score = weighted mean of its checks; test score = mean of its cases; category =
weighted mean of its tests; overall = weighted mean of categories. Every category and
the overall score carry n, a standard error and a 95% interval from a bootstrap over
cases (seeded, so reports are reproducible); pass rates carry a Wilson interval.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from dataclasses import dataclass, field

from trainer.harness.grading import CaseResult

BOOTSTRAP = 1000
SEED = 20261125
Z = 1.959964


@dataclass(frozen=True)
class Estimate:
    value: float
    n: int
    stderr: float
    low: float
    high: float


@dataclass
class TestScore:
    name: str
    category: str
    weight: float
    score: Estimate
    pass_rate: Estimate
    critical_failures: list[str] = field(default_factory=list)
    flaky: list[str] = field(default_factory=list)
    errors: int = 0


@dataclass
class Scores:
    tests: dict[str, TestScore]
    categories: dict[str, Estimate]
    overall: Estimate
    errors: int
    checks: int


def wilson(passed: int, n: int) -> tuple[float, float]:
    if n == 0:
        return 0.0, 1.0
    p = passed / n
    denominator = 1 + Z**2 / n
    centre = (p + Z**2 / (2 * n)) / denominator
    half = Z * math.sqrt(p * (1 - p) / n + Z**2 / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def _combine(
    tests: Mapping[str, float],
    test_weights: Mapping[str, float],
    test_category: Mapping[str, str],
    category_weights: Mapping[str, float],
) -> tuple[dict[str, float], float]:
    categories: dict[str, float] = {}
    for category in sorted(set(test_category.values())):
        members = [t for t in tests if test_category[t] == category]
        total = sum(test_weights[t] for t in members)
        categories[category] = (
            sum(test_weights[t] * tests[t] for t in members) / total if total else 0.0
        )
    total = sum(category_weights.get(c, 1.0) for c in categories)
    overall = (
        sum(category_weights.get(c, 1.0) * v for c, v in categories.items()) / total
        if total
        else 0.0
    )
    return categories, overall


def _estimate(point: float, draws: list[float], n: int) -> Estimate:
    ordered = sorted(draws)
    if not ordered:
        return Estimate(point, n, 0.0, point, point)
    mean = _mean(ordered)
    stderr = math.sqrt(sum((d - mean) ** 2 for d in ordered) / max(1, len(ordered) - 1))
    low = ordered[int(0.025 * (len(ordered) - 1))]
    high = ordered[math.ceil(0.975 * (len(ordered) - 1))]
    return Estimate(point, n, stderr, low, high)


def aggregate(
    values: Mapping[str, list[float]],
    test_weights: Mapping[str, float],
    test_category: Mapping[str, str],
    category_weights: Mapping[str, float],
) -> tuple[dict[str, Estimate], dict[str, Estimate], Estimate]:
    """Point estimates and bootstrap intervals for tests, categories and the overall score."""
    rng = random.Random(SEED)
    points = {t: _mean(v) for t, v in values.items()}
    categories, overall = _combine(points, test_weights, test_category, category_weights)
    draws_tests: dict[str, list[float]] = {t: [] for t in values}
    draws_categories: dict[str, list[float]] = {c: [] for c in categories}
    draws_overall: list[float] = []
    for _ in range(BOOTSTRAP):
        sample = {t: _mean(rng.choices(v, k=len(v))) if v else 0.0 for t, v in values.items()}
        for t, value in sample.items():
            draws_tests[t].append(value)
        cats, total = _combine(sample, test_weights, test_category, category_weights)
        for c, value in cats.items():
            draws_categories[c].append(value)
        draws_overall.append(total)
    n_by_category = {
        c: sum(len(values[t]) for t in values if test_category[t] == c) for c in categories
    }
    return (
        {t: _estimate(points[t], draws_tests[t], len(values[t])) for t in values},
        {c: _estimate(categories[c], draws_categories[c], n_by_category[c]) for c in categories},
        _estimate(overall, draws_overall, sum(len(v) for v in values.values())),
    )


def score_cases(
    cases: list[CaseResult],
    test_weights: Mapping[str, float],
    category_weights: Mapping[str, float],
) -> Scores:
    by_test: dict[str, list[CaseResult]] = {}
    for case in cases:
        by_test.setdefault(case.test, []).append(case)
    test_category = {t: rows[0].category for t, rows in by_test.items()}
    values = {t: [c.score for c in rows] for t, rows in by_test.items()}
    tests, categories, overall = aggregate(values, test_weights, test_category, category_weights)
    scores: dict[str, TestScore] = {}
    for name, rows in by_test.items():
        passed = sum(1 for c in rows if c.passed)
        low, high = wilson(passed, len(rows))
        rate = passed / len(rows)
        scores[name] = TestScore(
            name=name,
            category=test_category[name],
            weight=test_weights[name],
            score=tests[name],
            pass_rate=Estimate(
                rate, len(rows), math.sqrt(rate * (1 - rate) / len(rows)), low, high
            ),
            critical_failures=[c.case_id for c in rows if c.critical_failed],
            flaky=[c.case_id for c in rows if c.flaky],
            errors=sum(c.errors for c in rows),
        )
    checks = sum(len(r.checks) for c in cases for r in c.repeats)
    return Scores(scores, categories, overall, sum(s.errors for s in scores.values()), checks)


def paired_differences(
    model: list[CaseResult],
    baseline: list[CaseResult],
    test_weights: Mapping[str, float],
    category_weights: Mapping[str, float],
) -> tuple[dict[str, Estimate], dict[str, Estimate], Estimate]:
    """model - baseline per case (same cases), aggregated like scores, with paired intervals."""
    base = {(c.test, c.case_id): c.score for c in baseline}
    values: dict[str, list[float]] = {}
    test_category: dict[str, str] = {}
    for case in model:
        if (case.test, case.case_id) in base:
            values.setdefault(case.test, []).append(case.score - base[(case.test, case.case_id)])
            test_category[case.test] = case.category
    return aggregate(values, test_weights, test_category, category_weights)


@dataclass(frozen=True)
class GateCheck:
    name: str
    value: float | None
    threshold: float
    passed: bool
    detail: str = ""


@dataclass
class Gate:
    passed: bool
    checks: list[GateCheck]

    @property
    def failures(self) -> list[GateCheck]:
        return [c for c in self.checks if not c.passed]


def decide(
    scores: Scores,
    thresholds: Mapping[str, float],
    *,
    error_budget: float = 0.05,
    deltas: tuple[dict[str, Estimate], Estimate] | None = None,
    margin: float | None = None,
) -> Gate:
    """Pass only if every threshold holds, no critical case failed, grader errors are
    within budget and (with a margin) the model is not worse than the baseline."""
    checks: list[GateCheck] = []
    for key, minimum in sorted(thresholds.items()):
        if key == "overall_score":
            value: float | None = scores.overall.value
        elif key.endswith("_score") and key[: -len("_score")] in scores.categories:
            value = scores.categories[key[: -len("_score")]].value
        elif key in scores.tests:
            value = scores.tests[key].score.value
        else:
            value = None
        checks.append(
            GateCheck(
                key,
                value,
                minimum,
                value is not None and value >= minimum - 1e-12,
                "not evaluated" if value is None else "",
            )
        )
    critical = [f"{t.name}/{c}" for t in scores.tests.values() for c in t.critical_failures]
    checks.append(
        GateCheck(
            "critical cases",
            float(len(critical)),
            0.0,
            not critical,
            ", ".join(critical[:10]) + (" …" if len(critical) > 10 else ""),
        )
    )
    rate = scores.errors / scores.checks if scores.checks else 0.0
    checks.append(
        GateCheck(
            "grader errors",
            rate,
            error_budget,
            rate <= error_budget,
            f"{scores.errors} of {scores.checks} checks could not be graded",
        )
    )
    if deltas is not None and margin is not None:
        categories, overall = deltas
        for name, estimate in [*sorted(categories.items()), ("overall", overall)]:
            checks.append(
                GateCheck(
                    f"non-inferiority {name}",
                    estimate.low,
                    -margin,
                    estimate.low >= -margin,
                    f"lower 95% bound of the difference vs baseline (margin {margin})",
                )
            )
    return Gate(all(c.passed for c in checks), checks)
