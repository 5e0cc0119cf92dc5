"""What validating one dataset found: statistics and problems, cacheable as JSON."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

Severity = Literal["error", "warning"]


class Problem(BaseModel):
    model_config = ConfigDict(frozen=True)

    line: int
    col: int = 1
    severity: Severity = "error"
    code: str
    message: str


class TokenStats(BaseModel):
    model_config = ConfigDict(frozen=True)

    total: int = 0
    min: int = 0
    mean: float = 0.0
    p95: int = 0
    max: int = 0
    assistant: int = 0
    billed_per_epoch: int = 0
    """Sum over examples of min(tokens, the model's per-example limit), as OpenAI bills."""


class DatasetReport(BaseModel):
    model_config = ConfigDict(frozen=True)

    checker_version: int
    blob: str
    method: str
    tokenizer: str
    tokens_exact: bool
    lines: int = 0
    examples: int = 0
    messages: int = 0
    tokens: TokenStats = TokenStats()
    over_limit: int = 0
    max_example_tokens: int
    duplicates: int = 0
    pii_hits: dict[str, int] = {}
    problems: list[Problem] = []
    problems_total: int = 0
    """All problems found; `problems` keeps the first ones only."""

    @property
    def has_errors(self) -> bool:
        return any(p.severity == "error" for p in self.problems)
