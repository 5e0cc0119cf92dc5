"""Evaluation suites (`harness/<suite>.yaml`): tests of cases with weighted checks.

A suite file:

    suite: pedagogy                 # = the file stem
    category: pedagogy              # the score category its tests count towards
    description: ...
    system: "You are a tutor ..."   # optional system prompt put before every case
    sampling: {temperature: 0, max_tokens: 400, seed: 7}
    repeats: 1                      # answers per case; reduced with `reducer`
    reducer: mean                   # mean | min | at_least_k (with at_least: K)
    tests:
      learning_objectives:
        weight: 1.0
        critical: false             # any failed case of a critical test fails the gate
        pass_threshold: 0.7         # a case passes when its score reaches this
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

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from trainer.harness.graders import CHECKS
from trainer.specs.models import Name, NonEmpty

CHECK_TYPES: tuple[str, ...] = tuple(CHECKS)
"""Every check type (see `trainer.harness.graders.registry`)."""
JUDGE_CHECKS: tuple[str, ...] = tuple(n for n, c in CHECKS.items() if c.kind == "judge")
Weight = Annotated[float, Field(gt=0)]


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
    checks: list[Check] = Field(min_length=1)

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
    cases: list[Case] = Field(min_length=1)


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
    tests: dict[Name, Test] = Field(min_length=1)

    @model_validator(mode="after")
    def _reducer(self) -> Suite:
        if self.reducer == "at_least_k" and (self.at_least is None or self.at_least > self.repeats):
            raise ValueError("reducer at_least_k needs at_least: K with K <= repeats")
        return self
