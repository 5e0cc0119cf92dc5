"""The gate: whether a model may be proposed for promotion.

It passes only if every threshold holds (on the point estimate, or with `policy.gate:
lower_bound` on the lower end of the 95% interval), no critical case failed, grader errors
and unanswered cases are within budget on each side, the model is not worse than its
baseline beyond the margin on any test, category or overall (non-inferiority, paired on
cases), and the judge is calibrated well enough where the spec asks for it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from trainer.harness.scoring import Estimate, Scores

GateMode = Literal["point", "lower_bound"]
DEFAULT_MARGIN = 0.05


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


@dataclass(frozen=True)
class Deltas:
    """Paired differences model - baseline, per test, per category and overall."""

    tests: dict[str, Estimate]
    categories: dict[str, Estimate]
    overall: Estimate


@dataclass(frozen=True)
class GateRules:
    thresholds: Mapping[str, float] = field(default_factory=dict)
    mode: GateMode = "point"
    error_budget: float = 0.05
    margin: float | None = DEFAULT_MARGIN
    """Non-inferiority margin; None turns the comparison with the baseline off."""
    min_kappa: float | None = None


def _estimate_of(scores: Scores, key: str) -> Estimate | None:
    if key == "overall_score":
        return scores.overall
    if key.endswith("_score") and key[: -len("_score")] in scores.categories:
        return scores.categories[key[: -len("_score")]]
    if key in scores.tests and scores.tests[key].score.n:
        return scores.tests[key].score
    return None


def _thresholds(scores: Scores, rules: GateRules) -> list[GateCheck]:
    checks = []
    for key, minimum in sorted(rules.thresholds.items()):
        estimate = _estimate_of(scores, key)
        value = (
            None
            if estimate is None
            else (estimate.low if rules.mode == "lower_bound" else estimate.value)
        )
        detail = (
            "not evaluated"
            if value is None
            else ("lower 95% bound" if rules.mode == "lower_bound" else "")
        )
        passed = value is not None and value >= minimum - 1e-12
        checks.append(GateCheck(key, value, minimum, passed, detail))
    return checks


def _budgets(scores: Scores, baseline: Scores | None, budget: float) -> list[GateCheck]:
    rate = scores.errors / scores.checks if scores.checks else 0.0
    checks = [
        GateCheck(
            "grader errors",
            rate,
            budget,
            rate <= budget,
            f"{scores.errors} of {scores.checks} checks could not be graded",
        )
    ]
    for side, side_scores in (("candidate", scores), ("baseline", baseline)):
        if side_scores is None:
            continue
        share = side_scores.unanswered / side_scores.cases if side_scores.cases else 0.0
        checks.append(
            GateCheck(
                f"unanswered cases ({side})",
                share,
                budget,
                share <= budget,
                f"{side_scores.unanswered} of {side_scores.cases} cases got no answer "
                "(left out of the scores)",
            )
        )
    return checks


def _non_inferiority(deltas: Deltas, margin: float) -> list[GateCheck]:
    rows = [
        *((f"test {name}", e) for name, e in sorted(deltas.tests.items())),
        *((f"category {name}", e) for name, e in sorted(deltas.categories.items())),
        ("overall", deltas.overall),
    ]
    return [
        GateCheck(
            f"non-inferiority {name}",
            estimate.low,
            -margin,
            estimate.low >= -margin - 1e-12,
            f"lower 95% bound of the paired difference vs baseline (margin {margin:g})",
        )
        for name, estimate in rows
        if estimate.n
    ]


def decide(
    scores: Scores,
    rules: GateRules,
    *,
    baseline: Scores | None = None,
    deltas: Deltas | None = None,
    kappas: Mapping[str, float | None] | None = None,
) -> Gate:
    checks = _thresholds(scores, rules)
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
    checks += _budgets(scores, baseline, rules.error_budget)
    if deltas is not None and rules.margin is not None:
        checks += _non_inferiority(deltas, rules.margin)
    if rules.min_kappa is not None:
        for rubric, kappa in sorted((kappas or {}).items()):
            checks.append(
                GateCheck(
                    f"judge calibration {rubric}",
                    kappa,
                    rules.min_kappa,
                    kappa is not None and kappa >= rules.min_kappa,
                    "Cohen's kappa of the judge against human verdicts"
                    if kappa is not None
                    else "the judge has no calibration for this rubric",
                )
            )
    return Gate(all(c.passed for c in checks), checks)
