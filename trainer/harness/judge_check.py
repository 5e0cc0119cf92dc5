"""`trainer judge calibrate`: the judge against the human verdicts of every calibration set
of the repository (or of trainer's default suites), with results cached per (judge, rubric
digest, set digest)."""

from __future__ import annotations

import asyncio
import json
from dataclasses import asdict, dataclass
from pathlib import Path

from trainer.atomic import atomic_write
from trainer.errors import SpecError, UsageError
from trainer.harness.cache import ResponseCache
from trainer.harness.calibration import (
    Agreement,
    calibrate,
    default_calibration,
    named_rubrics,
    result_key,
)
from trainer.harness.loading import default_suites
from trainer.harness.runner import Runner, RunSettings
from trainer.paths import LOCAL_DIR, RESPONSE_CACHE
from trainer.providers.base import Provider
from trainer.repository import check_repository

RESULTS = f"{LOCAL_DIR}/cache/calibration"


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


def _judge_of_specs(repo: Path) -> str | None:
    check = check_repository(repo)
    named = {
        j.spec.evaluation.judge.model for j in check.ws.jobs.values() if j.spec.evaluation.judge
    }
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
    suites, sets = check.suites, check.calibration
    if not suites:
        suites, sets = default_suites(), default_calibration()
    if judge is None:
        judge = _judge_of_specs(repo)
    if judge is None:
        raise UsageError("name the judge with --judge (the specs do not name exactly one)")
    rubrics = {name: r for name, r in named_rubrics(suites).items() if name in sets}
    if not rubrics:
        raise UsageError("no calibration sets in harness/calibration/ for the suites' rubrics")
    results: dict[str, Agreement] = {}
    todo = {}
    for name, rubric in rubrics.items():
        path = repo / RESULTS / f"{result_key(judge, rubric, sets[name])}.json"
        if use_cache and path.is_file():
            results[name] = Agreement(**json.loads(path.read_text()))
        else:
            todo[name] = (rubric, path)
    if todo:
        cache = ResponseCache(repo / RESPONSE_CACHE if use_cache else None)
        runner = Runner(provider, cache, RunSettings(judge_model=judge))

        async def run() -> dict[str, Agreement]:
            try:
                return await calibrate(runner, judge, {n: r for n, (r, _) in todo.items()}, sets)
            finally:
                await provider.aclose()

        fresh = asyncio.run(run())
        for name, agreement in fresh.items():
            results[name] = agreement
            if use_cache:
                atomic_write(todo[name][1], json.dumps(asdict(agreement)).encode(), durable=False)
    return CalibrationReport(judge, results, min_kappa)
