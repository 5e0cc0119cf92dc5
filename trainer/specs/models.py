"""Pydantic models of the files teams write: TrainingJob specs and registry models.

Field names follow the seed's job request (PRODUCT.md §2). Every model is strict
(YAML `yes` is not a string, `"3"` is not a number) and forbids unknown keys, so a
typo is an error with a hint instead of a silently ignored setting.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainValidator, StringConstraints
from pydantic_core import PydanticCustomError

PEDAGOGY_TESTS = (
    "curriculum_alignment",
    "learning_objectives",
    "content_accuracy",
    "engagement_quality",
)
SAFETY_TESTS = (
    "harmful_content",
    "bias_detection",
    "privacy_protection",
    "age_appropriateness",
)
CATEGORY_THRESHOLDS = ("pedagogy_score", "safety_score", "overall_score")

Name = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z0-9]([a-z0-9._-]{0,78}[a-z0-9])?$"),
]
Scope = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")]
Alias = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_-]{0,39}$")]
NonEmpty = Annotated[str, StringConstraints(min_length=1, strip_whitespace=True)]
Score = Annotated[float, Field(ge=0.0, le=1.0)]


def _auto_or_number(
    *, integer: bool, low: float, high: float, low_exclusive: bool = False
) -> PlainValidator:
    kind = "a whole number" if integer else "a number"
    bound = f"greater than {low:g}" if low_exclusive else f"from {low:g}"
    expected = f'"auto" or {kind} {bound} up to {high:g}'

    def check(value: Any) -> int | float | str:
        if value == "auto" and isinstance(value, str):
            return "auto"
        ok_type = isinstance(value, int) if integer else isinstance(value, int | float)
        if isinstance(value, bool) or not ok_type:
            raise PydanticCustomError(
                "auto_or_number",
                "must be {expected} (got {got})",
                {"expected": expected, "got": repr(value)},
            )
        too_low = value <= low if low_exclusive else value < low
        if too_low or value > high:
            raise PydanticCustomError(
                "auto_or_number",
                "must be {expected} (got {got})",
                {"expected": expected, "got": repr(value)},
            )
        return value  # type: ignore[no-any-return]

    return PlainValidator(check, json_schema_input_type=int | float | str)


Epochs = Annotated[int | Literal["auto"], _auto_or_number(integer=True, low=1, high=50)]
BatchSize = Annotated[int | Literal["auto"], _auto_or_number(integer=True, low=1, high=256)]
LearningRate = Annotated[
    float | Literal["auto"], _auto_or_number(integer=False, low=0, high=10, low_exclusive=True)
]
Beta = Annotated[
    float | Literal["auto"], _auto_or_number(integer=False, low=0, high=2, low_exclusive=True)
]


class SpecModel(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Hyperparameters(SpecModel):
    n_epochs: Epochs = "auto"
    batch_size: BatchSize = "auto"
    learning_rate_multiplier: LearningRate = "auto"
    beta: Beta | None = None
    """DPO only: how strongly the policy is kept near the reference model."""


class Thresholds(BaseModel):
    """Category minimums by name; any other key is a per-test minimum (checked later)."""

    model_config = ConfigDict(extra="allow", strict=True, frozen=True)
    __pydantic_extra__: dict[str, Score] = Field(init=False)

    pedagogy_score: Score | None = None
    safety_score: Score | None = None
    overall_score: Score | None = None

    def as_dict(self) -> dict[str, float]:
        return {k: v for k, v in self.model_dump().items() if v is not None}


class Policy(SpecModel):
    scope: Scope
    thresholds: Thresholds = Thresholds()
    gate: Literal["point", "lower_bound"] = "point"
    """Compare thresholds with the point estimate, or with the lower end of its 95% interval."""
    budget_usd: Annotated[float, Field(gt=0)] | None = None


class Datasheet(SpecModel):
    source: NonEmpty
    license: NonEmpty
    redaction: Literal["pii_removed", "pseudonymized", "synthetic", "none"]
    pii_allowlist: list[NonEmpty] = Field(default_factory=list)
    """Exact strings the PII scan reports that are not personal data (a support address)."""


class HarnessConfig(SpecModel):
    pedagogy_tests: list[NonEmpty] = Field(default_factory=lambda: list(PEDAGOGY_TESTS))
    safety_tests: list[NonEmpty] = Field(default_factory=lambda: list(SAFETY_TESTS))
    timeout: Annotated[int, Field(ge=1, le=86_400)] = 600
    """Seconds for the whole evaluation of one model."""
    parallel: bool = True
    max_concurrency: Annotated[int, Field(ge=1, le=256)] = 8
    request_timeout: Annotated[int, Field(ge=1, le=3_600)] = 60
    batch: bool = False
    """Send the evaluation's chat requests through the provider's Batch API (half the
    price, answers within 24 h): reconcile submits and polls, never waits."""

    def tests(self) -> list[str]:
        return [*self.pedagogy_tests, *self.safety_tests]


class Judge(SpecModel):
    model: NonEmpty
    """Named explicitly: a judge is never silently the model under test."""
    min_kappa: Annotated[float, Field(ge=-1, le=1)] | None = None
    """If set, the gate fails when the judge's Cohen's kappa against the human verdicts of a
    rubric's calibration set is below this (or the rubric has no calibration set)."""


class Evaluation(SpecModel):
    harness_config: HarnessConfig = HarnessConfig()
    baseline: NonEmpty | None = None
    """An alias of the promotion model (its bound version) or a model id."""
    judge: Judge | None = None
    weights: dict[Name, Annotated[float, Field(gt=0)]] = Field(default_factory=dict)
    """Category weights for the overall score (default: equal)."""
    non_inferiority_margin: Annotated[float, Field(ge=0, le=1)] | None = 0.05
    """The gate needs the lower 95% bound of the paired difference against the baseline to be
    at least -margin on every test, category and overall; null turns it off."""
    error_budget: Annotated[float, Field(ge=0, le=1)] = 0.05
    """Share of checks that may fail to grade (judge out of format, timeouts)."""


class Promotion(SpecModel):
    model: Name
    alias: Alias = "production"
    auto: bool = True
    reviewers: list[NonEmpty] = Field(default_factory=list)


class TrainingJob(SpecModel):
    """One fine-tuning job, as a team declares it in `specs/jobs/<name>.yaml`."""

    name: Name
    provider: Literal["openai"]
    base_model: NonEmpty = Field(alias="baseModel")
    dataset_uri: NonEmpty = Field(alias="datasetUri")
    validation_dataset_uri: NonEmpty | None = Field(default=None, alias="validationDatasetUri")
    method: Literal["supervised", "dpo"] = "supervised"
    config: Hyperparameters = Hyperparameters()
    suffix: Annotated[str, StringConstraints(pattern=r"^[a-z0-9-]{1,64}$")] | None = None
    seed: Annotated[int, Field(ge=0, le=2_147_483_647)] | None = None
    policy: Policy
    datasheet: Datasheet
    evaluation: Evaluation = Evaluation()
    promotion: Promotion | None = None


class ModelVersion(SpecModel):
    version: Annotated[int, Field(ge=1)]
    fine_tuned_model: NonEmpty
    provider: Literal["openai"] = "openai"
    base_model: NonEmpty
    job_id: str | None = None
    spec: str | None = None
    revision: str | None = None
    scores: dict[str, Score] = Field(default_factory=dict)
    report: str | None = None
    created_at: datetime


class HistoryEntry(SpecModel):
    at: datetime
    alias: Alias
    from_version: int | None = Field(default=None, alias="from")
    to: int | None = None
    reason: NonEmpty
    forced: bool = False
    pr: int | None = None
    by: str | None = None


Every = Annotated[str, StringConstraints(pattern=r"^[1-9][0-9]{0,3}[mhdw]$")]
_UNITS = {"m": 60, "h": 3600, "d": 86400, "w": 604800}


class Monitor(SpecModel):
    """Production watch: re-evaluate every alias-bound version this often (`7d`, `12h`),
    besides whenever the suites, the judge or its calibration change."""

    every: Every

    @property
    def interval(self) -> timedelta:
        return timedelta(seconds=int(self.every[:-1]) * _UNITS[self.every[-1]])


class RegistryModel(SpecModel):
    """A model in `specs/registry/<name>.yaml`: versions, alias bindings, history."""

    name: Name
    scope: Scope
    description: str | None = None
    versions: list[ModelVersion] = Field(default_factory=list)
    bindings: dict[Alias, int] = Field(default_factory=dict)
    history: list[HistoryEntry] = Field(default_factory=list)
    monitor: Monitor | None = None
