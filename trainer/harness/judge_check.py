"""`trainer judge calibrate`: the judge against the human verdicts of every calibration set
of the repository (or of trainer's default suites), with results cached per (judge, rubric
digest, set digest)."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from pathlib import Path

from trainer.errors import SpecError, UsageError
from trainer.harness.cache import ResponseCache
from trainer.harness.calibration import (
    Agreement,
    calibrate,
    named_rubrics,
    suites_and_calibration,
)
from trainer.harness.runner import Runner, RunSettings
from trainer.paths import RESPONSE_CACHE
from trainer.providers.base import Provider
from trainer.repository import RepositoryCheck, check_repository


@dataclass(frozen=True)
class CalibrationReport:
    judge: str
    rubrics: dict[str, Agreement]
    min_kappa: float

    @property
    def passed(self) -> bool:
        return bool(self.rubrics) and all(a.kappa >= self.min_kappa for a in self.rubrics.values())

    def to_json(self) -> str:
        body = {
            "judge": self.judge,
            "rubrics": {
                name: {"n": a.n, "agreement": round(a.agreement, 4), "kappa": round(a.kappa, 4)}
                for name, a in sorted(self.rubrics.items())
            },
            "min_kappa": self.min_kappa,
            "passed": self.passed,
        }
        return json.dumps(body, indent=2) + "\n"

    def to_text(self) -> str:
        lines = [
            f"judge {self.judge}: agreement with human verdicts (minimum kappa {self.min_kappa:g})"
        ]
        for name, a in sorted(self.rubrics.items()):
            flag = "" if a.kappa >= self.min_kappa else "  BELOW MINIMUM"
            lines.append(
                f"  {name:<24} n={a.n:<4} agreement {a.agreement:.2f}  kappa {a.kappa:.2f}{flag}"
            )
        lines.append("passed" if self.passed else "FAILED: calibrate or change the judge")
        return "\n".join(lines) + "\n"


def _judge_of_specs(check: RepositoryCheck) -> str | None:
    judges = (job.spec.evaluation.judge for job in check.ws.jobs.values())
    named = {judge.model for judge in judges if judge is not None}
    return named.pop() if len(named) == 1 else None


def calibrate_judge(
    repo: Path,
    provider: Provider,
    *,
    judge: str | None = None,
    min_kappa: float = 0.6,
    use_cache: bool = True,
) -> CalibrationReport:
    check = check_repository(repo)
    if not check.ok:
        raise SpecError(check.diagnostics)
    suites, sets = suites_and_calibration(check)
    judge = judge or _judge_of_specs(check)
    if judge is None:
        raise UsageError("name the judge with --judge (the specs do not name exactly one)")
    rubrics = {name: r for name, r in named_rubrics(suites).items() if name in sets}
    if not rubrics:
        raise UsageError("no calibration sets in harness/calibration/ for the suites' rubrics")
    cache = ResponseCache(repo / RESPONSE_CACHE if use_cache else None)
    runner = Runner(provider, cache, RunSettings(judge_model=judge))

    async def run() -> dict[str, Agreement]:
        try:
            return await calibrate(runner, judge, rubrics, sets)
        finally:
            await provider.aclose()

    try:
        return CalibrationReport(judge, asyncio.run(run()), min_kappa)
    finally:
        cache.flush()
