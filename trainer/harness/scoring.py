"""Scores with their uncertainty, paired differences against a baseline, and the gate.

Case score = weighted mean of its checks; test score = mean of its answered cases;
category = weighted mean of its tests; overall = weighted mean of categories. Unanswered
cases are left out (and counted against their own budget). Every estimate carries n, a
standard error and a 95% interval from a bootstrap that resamples clusters: the cases of
one `group` move together (a case without a group is its own cluster), so related cases
do not pass for independent evidence. The bootstrap is seeded: reports are reproducible.
Pass rates carry a Wilson interval.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from trainer.harness.bootstrap import resampled_means
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
    unanswered: int = 0


@dataclass
class Scores:
    tests: dict[str, TestScore]
    categories: dict[str, Estimate]
    overall: Estimate
    errors: int
    checks: int
    unanswered: int = 0
    cases: int = 0


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


Observation = tuple[str, str, float]
"""(test, cluster, value)."""


def aggregate(
    observations: list[Observation],
    test_weights: Mapping[str, float],
    test_category: Mapping[str, str],
    category_weights: Mapping[str, float],
) -> tuple[dict[str, Estimate], dict[str, Estimate], Estimate]:
    """Point estimates and cluster-bootstrap intervals for tests, categories and overall."""
    values: dict[str, list[float]] = {}
    by_cluster: dict[str, list[tuple[str, float]]] = {}
    for test, cluster, value in observations:
        values.setdefault(test, []).append(value)
        by_cluster.setdefault(cluster, []).append((test, value))
    points = {t: _mean(v) for t, v in values.items()}
    categories, overall = _combine(points, test_weights, test_category, category_weights)
    tests = list(values)
    draws_tests: dict[str, list[float]] = {t: [] for t in values}
    draws_categories: dict[str, list[float]] = {c: [] for c in categories}
    draws_overall: list[float] = []
    for means in resampled_means(by_cluster, tests, BOOTSTRAP, SEED):
        sample = {t: points[t] if m is None else m for t, m in zip(tests, means, strict=True)}
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
        _estimate(overall, draws_overall, len(observations)),
    )


def cluster_of(case: CaseResult) -> str:
    return f"group:{case.group}" if case.group else f"case:{case.test}/{case.case_id}"


def score_cases(
    cases: list[CaseResult],
    test_weights: Mapping[str, float],
    category_weights: Mapping[str, float],
) -> Scores:
    answered = [c for c in cases if c.answered]
    by_test: dict[str, list[CaseResult]] = {}
    for case in answered:
        by_test.setdefault(case.test, []).append(case)
    test_category = {c.test: c.category for c in cases}
    observations = [(c.test, cluster_of(c), c.score) for c in answered]
    tests, categories, overall = aggregate(
        observations, test_weights, test_category, category_weights
    )
    scores: dict[str, TestScore] = {}
    for name in dict.fromkeys(c.test for c in cases):
        rows = by_test.get(name, [])
        passed = sum(1 for c in rows if c.passed)
        low, high = wilson(passed, len(rows))
        rate = passed / len(rows) if rows else 0.0
        spread = math.sqrt(rate * (1 - rate) / len(rows)) if rows else 0.0
        scores[name] = TestScore(
            name=name,
            category=test_category[name],
            weight=test_weights[name],
            score=tests.get(name, Estimate(0.0, 0, 0.0, 0.0, 0.0)),
            pass_rate=Estimate(rate, len(rows), spread, low, high),
            critical_failures=[c.case_id for c in rows if c.critical_failed],
            flaky=[c.case_id for c in rows if c.flaky],
            errors=sum(c.errors for c in rows),
            unanswered=sum(1 for c in cases if c.test == name and not c.answered),
        )
    checks = sum(len(r.checks) for c in answered for r in c.repeats if r.answered)
    return Scores(
        scores,
        categories,
        overall,
        sum(s.errors for s in scores.values()),
        checks,
        unanswered=len(cases) - len(answered),
        cases=len(cases),
    )


def paired_differences(
    model: list[CaseResult],
    baseline: list[CaseResult],
    test_weights: Mapping[str, float],
    category_weights: Mapping[str, float],
) -> tuple[dict[str, Estimate], dict[str, Estimate], Estimate]:
    """model - baseline per case answered on both sides, aggregated like scores, with
    paired, cluster-bootstrap intervals."""
    base = {(c.test, c.case_id): c for c in baseline if c.answered}
    observations: list[Observation] = []
    test_category: dict[str, str] = {}
    for case in model:
        other = base.get((case.test, case.case_id))
        if case.answered and other is not None:
            observations.append((case.test, cluster_of(case), case.score - other.score))
            test_category[case.test] = case.category
    return aggregate(observations, test_weights, test_category, category_weights)
