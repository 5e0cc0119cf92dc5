"""Judge calibration: how well the judge agrees with careful human verdicts.

Calibration sets live beside the suites, one per named rubric:
`harness/calibration/<rubric>.yaml` with `rubric:` and `items:` (a conversation, the
tutor's answer, and the verdict a human gave: a label, or a number for a scale rubric).
The judge grades every item exactly as in an evaluation; agreement and Cohen's kappa
compare its verdicts with the human ones (labels as categories; a scale rubric as pass or
fail at its midpoint). Results are cached per (judge, rubric digest, set digest).
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import asdict, dataclass
from importlib import resources
from pathlib import Path
from typing import Annotated, Protocol

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from trainer.diagnostics import Diagnostic
from trainer.harness.graders.base import GraderError
from trainer.harness.graders.judge import Rubric, judge_messages, parse_verdict
from trainer.harness.loading import HARNESS_DIR, LoadedSuite, default_suites, yaml_documents
from trainer.harness.runner import Runner
from trainer.harness.suites import Message
from trainer.specs.messages import validation_diagnostics

CALIBRATION_DIR = f"{HARNESS_DIR}/calibration"
DEFAULT_MIN_KAPPA = 0.6


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class CalibrationItem(_Model):
    id: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,79}$")]
    conversation: list[Message] = Field(min_length=1)
    answer: str
    verdict: str | float
    note: str | None = None


class CalibrationFile(_Model):
    rubric: str
    description: str | None = None
    items: list[CalibrationItem] = Field(min_length=1)


@dataclass(frozen=True)
class CalibrationSet:
    rubric: str
    path: str
    items: list[CalibrationItem]
    digest: str


class RepositoryCheckLike(Protocol):
    suites: dict[str, LoadedSuite]
    calibration: dict[str, CalibrationSet]


@dataclass(frozen=True)
class Agreement:
    n: int
    agreement: float
    kappa: float


def named_rubrics(suites: dict[str, LoadedSuite]) -> dict[str, Rubric]:
    """Every named rubric of every suite, as the judge applies it."""
    out: dict[str, Rubric] = {}
    for loaded in suites.values():
        for name, rubric in loaded.suite.rubrics.items():
            if rubric.labels is not None:
                labels = dict(rubric.labels)
                out[name] = Rubric(
                    name, rubric.criteria, labels, min(labels.values()), max(labels.values())
                )
            elif rubric.scale is not None:
                out[name] = Rubric(name, rubric.criteria, None, rubric.scale.min, rubric.scale.max)
    return out


def load_calibration(
    root: Path, rubrics: dict[str, Rubric], out: list[Diagnostic]
) -> dict[str, CalibrationSet]:
    """Every valid calibration set, by rubric; problems go to `out`."""
    sets: dict[str, CalibrationSet] = {}
    for _, rel, doc in yaml_documents(root, CALIBRATION_DIR, out):
        try:
            parsed = CalibrationFile.model_validate(doc.data)
        except ValidationError as exc:
            out.extend(validation_diagnostics(exc, CalibrationFile, doc))
            continue
        rubric = rubrics.get(parsed.rubric)
        if rubric is None:
            known = ", ".join(sorted(rubrics)) or "none"
            out.append(
                doc.diagnostic(
                    ("rubric",),
                    f"rubric {parsed.rubric!r} is not defined in any suite (defined: {known})",
                )
            )
            continue
        before = len(out)
        seen: set[str] = set()
        for i, item in enumerate(parsed.items):
            if item.id in seen:
                out.append(doc.diagnostic(("items", i, "id"), f"item id {item.id!r} is used twice"))
            seen.add(item.id)
            problem = _verdict_problem(rubric, item.verdict)
            if problem:
                out.append(doc.diagnostic(("items", i, "verdict"), problem))
        if parsed.rubric in sets:
            out.append(
                doc.diagnostic(
                    ("rubric",),
                    f"{parsed.rubric!r} already has a calibration set ({sets[parsed.rubric].path})",
                )
            )
        if len(out) == before:
            body = json.dumps(parsed.model_dump(mode="json"), sort_keys=True).encode()
            sets[parsed.rubric] = CalibrationSet(
                parsed.rubric, rel, parsed.items, hashlib.sha256(body).hexdigest()
            )
    return sets


def _verdict_problem(rubric: Rubric, verdict: str | float) -> str | None:
    if rubric.labels is not None:
        if not isinstance(verdict, str) or verdict not in rubric.labels:
            return f"verdict must be one of the rubric's labels: {', '.join(rubric.labels)}"
        return None
    if isinstance(verdict, str) or not rubric.low <= verdict <= rubric.high:
        return f"verdict must be a number from {rubric.low:g} to {rubric.high:g}"
    return None


def category(rubric: Rubric, verdict: str | float) -> str:
    """The category a verdict counts as: its label, or pass/fail for a scale rubric."""
    if rubric.labels is not None:
        return verdict if isinstance(verdict, str) else rubric.label_of(float(verdict)) or ""
    middle = (rubric.low + rubric.high) / 2
    return "pass" if float(verdict) >= middle else "fail"


def cohen_kappa(human: list[str], judge: list[str]) -> float:
    """Agreement beyond chance; 0 when the judge's verdicts carry no information."""
    n = len(human)
    if n == 0:
        return 0.0
    observed = sum(h == j for h, j in zip(human, judge, strict=True)) / n
    human_counts, judge_counts = Counter(human), Counter(judge)
    expected = sum(human_counts[c] * judge_counts.get(c, 0) for c in human_counts) / (n * n)
    if expected >= 1.0:
        return 1.0 if observed >= 1.0 else 0.0
    return (observed - expected) / (1.0 - expected)


def agreement(human: list[str], judge: list[str]) -> Agreement:
    n = len(human)
    agreed = sum(h == j for h, j in zip(human, judge, strict=True))
    return Agreement(n, agreed / n if n else 0.0, cohen_kappa(human, judge))


def _result_key(judge: str, endpoint: str, rubric: Rubric, calibration: CalibrationSet) -> str:
    body = json.dumps(["calibration", judge, endpoint, rubric.digest, calibration.digest])
    return hashlib.sha256(body.encode()).hexdigest()


async def calibrate(
    runner: Runner, judge: str, rubrics: dict[str, Rubric], sets: dict[str, CalibrationSet]
) -> dict[str, Agreement]:
    """The judge's agreement with the human verdicts, per rubric with a calibration set.

    Results are kept in the runner's response cache per (judge, endpoint, rubric digest,
    set digest): an unchanged calibration is neither asked nor recomputed again."""
    keys = {
        name: _result_key(judge, runner.provider.endpoint, rubrics[name], sets[name])
        for name in sorted(sets)
        if name in rubrics
    }
    known: dict[str, Agreement] = {}
    for name, key in keys.items():
        cached = runner.cache.get(key)
        if cached is not None:
            known[name] = Agreement(**cached["agreement"])
    fresh = await _agreements(runner, judge, rubrics, {n: sets[n] for n in keys if n not in known})
    for name, result in fresh.items():
        runner.cache.put(keys[name], {"agreement": asdict(result)})
    return {**known, **fresh}


async def _agreements(
    runner: Runner, judge: str, rubrics: dict[str, Rubric], sets: dict[str, CalibrationSet]
) -> dict[str, Agreement]:
    wanted = [(name, item) for name in sorted(sets) for item in sets[name].items]
    if not wanted:
        return {}
    replies = await runner.ask_judge(
        judge,
        [
            (
                judge_messages(
                    rubrics[name], [[m.model_dump() for m in item.conversation]], [item.answer]
                ),
                rubrics[name].response_format(),
            )
            for name, item in wanted
        ],
    )
    human: dict[str, list[str]] = {}
    judged: dict[str, list[str]] = {}
    for (name, item), (reply, error) in zip(wanted, replies, strict=True):
        rubric = rubrics[name]
        human.setdefault(name, []).append(category(rubric, item.verdict))
        try:
            if reply is None:
                raise GraderError(error or "no reply")
            verdict = parse_verdict(rubric, reply).score
            judged.setdefault(name, []).append(category(rubric, verdict))
        except GraderError:
            judged.setdefault(name, []).append("(no verdict)")
    return {name: agreement(human[name], judged[name]) for name in human}


def suites_and_calibration(
    check: RepositoryCheckLike,
) -> tuple[dict[str, LoadedSuite], dict[str, CalibrationSet]]:
    """The repository's suites and calibration sets, or trainer's default ones when the
    repository has no suites."""
    if check.suites:
        return check.suites, check.calibration
    suites = default_suites()
    with resources.as_file(resources.files("trainer") / "example") as example:
        sets = load_calibration(example, named_rubrics(suites), [])
    return suites, sets
