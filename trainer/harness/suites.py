"""Evaluation suites (`harness/<suite>.yaml`): tests of cases with weighted checks.

A suite file:

    suite: pedagogy                 # = the file stem
    category: pedagogy              # the score category its tests count towards
    description: ...
    system: "You are a tutor ..."   # optional system prompt put before every case
    sampling: {temperature: 0, max_tokens: 400, seed: 7}
    repeats: 1                      # answers per case; reduced with `reducer`
    reducer: mean                   # mean | min | at_least_k (with at_least: K)
    rubrics:                        # named rubrics for model-graded checks
      revealing_answer:
        criteria: "Does the tutor keep the final answer back? ..."
        labels: {withheld: 1.0, partially_revealed: 0.5, revealed: 0.0}
    cascade: false                  # skip judge checks the deterministic ones settle
    tests:
      learning_objectives:
        weight: 1.0
        critical: false             # any failed case of a critical test fails the gate
        pass_threshold: 0.7         # a case passes when its score reaches this
        checks:                     # checks of every case of the test
          - {type: judge_label, rubric: revealing_answer, weight: 2}
        cases:
          - id: fractions-unlike-denominators
            messages: [{role: user, content: "What is 2/3 + 1/4?"}]
            checks:
              - {type: question_asked}
              - {type: answer_leak, answer: "11/12", weight: 2}
          - id: name-swap
            prompt: "{{ name }} asks: is maths harder for {{ pronoun }}?"
            variants: [{name: Aisha, pronoun: her}, {name: John, pronoun: him}]
            checks: [{type: counterfactual_consistency, min_similarity: 0.5}]
"""

from __future__ import annotations

import copy
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from trainer.harness.graders import CHECKS
from trainer.specs.models import Name, NonEmpty

CHECK_TYPES: tuple[str, ...] = tuple(CHECKS)
"""Every check type (see `trainer.harness.graders.registry`)."""
JUDGE_CHECKS: tuple[str, ...] = tuple(n for n, c in CHECKS.items() if c.kind == "judge")
Weight = Annotated[float, Field(gt=0)]
Score = Annotated[float, Field(ge=0, le=1)]


class SuiteModel(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Check(BaseModel):
    """One check of a model answer. Parameters depend on `type`: each check type declares
    its own (see `trainer.harness.graders`); `loading.py` checks them against it."""

    model_config = ConfigDict(extra="allow", strict=True, frozen=True)

    type: Literal[CHECK_TYPES]  # type: ignore[valid-type]
    weight: Weight = 1.0
    critical: bool = False

    @property
    def params(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


class Message(SuiteModel):
    role: Literal["system", "user", "assistant"]
    content: NonEmpty


class Case(SuiteModel):
    id: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,79}$")]
    messages: list[Message] | None = None
    prompt: NonEmpty | None = None
    vars: dict[str, str | int | float] = Field(default_factory=dict)
    variants: list[dict[str, str | int | float]] | None = None
    group: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)
    critical: bool = False
    checks: list[Check] = Field(default_factory=list)
    """Its own checks; the test's `checks` are added to them."""

    @model_validator(mode="after")
    def _one_input(self) -> Case:
        if (self.messages is None) == (self.prompt is None):
            raise ValueError("give either messages or prompt (with vars or variants)")
        if self.variants is not None and self.prompt is None:
            raise ValueError("variants need a prompt with {{ variables }}")
        if self.variants is not None and len(self.variants) < 2:
            raise ValueError("variants need at least two entries to compare")
        return self


class Test(SuiteModel):
    description: str | None = None
    weight: Weight = 1.0
    critical: bool = False
    pass_threshold: Annotated[float, Field(ge=0, le=1)] = 0.7
    checks: list[Check] = Field(default_factory=list)
    """Checks of every case, after the case's own."""
    cases: list[Case] = Field(min_length=1)

    @model_validator(mode="after")
    def _every_case_checked(self) -> Test:
        if not self.checks:
            for case in self.cases:
                if not case.checks:
                    raise ValueError(f"case {case.id!r} has no checks (and the test has none)")
        return self

    def checks_of(self, case: Case) -> list[Check]:
        return [*case.checks, *self.checks]


class RubricScale(SuiteModel):
    min: float = 0
    max: float = 10


class Rubric(SuiteModel):
    """A named rubric: criteria for the judge, and labels with scores or a numeric scale."""

    criteria: NonEmpty
    labels: dict[NonEmpty, Score] | None = None
    scale: RubricScale | None = None

    @model_validator(mode="after")
    def _labels_or_scale(self) -> Rubric:
        if (self.labels is None) == (self.scale is None):
            raise ValueError("give either labels: {label: score} or scale: {min, max}")
        if self.labels is not None and len(self.labels) < 2:
            raise ValueError("labels need at least two entries")
        if self.scale is not None and self.scale.max <= self.scale.min:
            raise ValueError("scale.max must be above scale.min")
        return self


class Sampling(SuiteModel):
    temperature: Annotated[float, Field(ge=0, le=2)] = 0.0
    max_tokens: Annotated[int, Field(ge=1, le=32_768)] = 512
    seed: int | None = 7


class Suite(SuiteModel):
    suite: Name
    category: Name
    description: str | None = None
    system: str | None = None
    sampling: Sampling = Sampling()
    repeats: Annotated[int, Field(ge=1, le=20)] = 1
    reducer: Literal["mean", "min", "at_least_k"] = "mean"
    at_least: Annotated[int, Field(ge=1)] | None = None
    rubrics: dict[Name, Rubric] = Field(default_factory=dict)
    cascade: bool = False
    """Skip a judge check when the deterministic checks settle the case (on candidate and
    baseline alike); off by default, so every answer is read by the judge."""
    tests: dict[Name, Test] = Field(min_length=1)

    @model_validator(mode="before")
    @classmethod
    def _named_rubrics(cls, data: Any) -> Any:
        """A judge check naming one of the suite's rubrics gets its criteria and labels."""
        if not isinstance(data, dict) or not isinstance(data.get("rubrics"), dict):
            return data
        data = copy.deepcopy(data)  # the loaded document stays as written
        rubrics = data["rubrics"]
        tests = data.get("tests")
        if not isinstance(tests, dict):
            return data
        for test in tests.values():
            if not isinstance(test, dict):
                continue
            lists = [test.get("checks")]
            lists += [c.get("checks") for c in test.get("cases") or [] if isinstance(c, dict)]
            for checks in lists:
                if isinstance(checks, list):
                    checks[:] = [_expand(check, rubrics) for check in checks]
        return data

    @model_validator(mode="after")
    def _reducer(self) -> Suite:
        if self.reducer == "at_least_k" and (self.at_least is None or self.at_least > self.repeats):
            raise ValueError("reducer at_least_k needs at_least: K with K <= repeats")
        return self


def _expand(check: Any, rubrics: dict[str, Any]) -> Any:
    if not isinstance(check, dict) or check.get("type") not in JUDGE_CHECKS:
        return check
    name = check.get("rubric")
    rubric = rubrics.get(name) if isinstance(name, str) else None
    if not isinstance(rubric, dict) or "criteria" not in rubric:
        return check
    expanded = {**check, "rubric": rubric["criteria"], "rubric_name": name}
    if check["type"] == "judge_label" and "labels" not in check and "labels" in rubric:
        expanded["labels"] = rubric["labels"]
    scale = rubric.get("scale")
    if check["type"] == "judge_score" and isinstance(scale, dict):
        expanded.setdefault("min", scale.get("min", 0))
        expanded.setdefault("max", scale.get("max", 10))
    return expanded
