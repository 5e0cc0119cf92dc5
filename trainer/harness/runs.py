"""What a run of the evaluation collects: one model's answers, check results and counts."""

from __future__ import annotations

from dataclasses import dataclass, field

from trainer.harness.grading import CaseResult, CheckResult


@dataclass
class ModelRun:
    model: str
    cases: list[CaseResult] = field(default_factory=list)
    requests: int = 0
    cache_hits: int = 0
    fingerprints: set[str] = field(default_factory=set)
    judge_fingerprints: set[str] = field(default_factory=set)
    judge_requests: int = 0
    timed_out: bool = False
    answer_seconds: float = 0.0
    """Wall time spent collecting the model's answers (each case graded as they arrive;
    moderation and the judge after)."""


Answer = tuple[str | None, str | None]
"""(content, error)."""
Key = tuple[int, int]
"""(case index, repeat)."""


@dataclass
class Graded:
    """One model's answers and check results, before repeats are reduced."""

    run: ModelRun
    outputs: dict[Key, list[str]] = field(default_factory=dict)
    results: dict[Key, list[CheckResult]] = field(default_factory=dict)
    missing: dict[Key, str] = field(default_factory=dict)
    """Case repeats without an answer, and why."""
