"""Graders: pure functions from a model's answer (and check parameters) to a grade.

Deterministic graders never do I/O. The two judge graders only build the judge's
prompt and parse its verdict; the runner makes the call through the provider.

Each grader registers itself with `registry.check`; importing this package imports
every grader module, so `CHECKS` is complete once it is imported. To add a check type,
declare it (parameter model, grader with a docstring, `@check`) in one of the grader
modules; a new grader module also needs one import line here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

# Importing a grader module registers its check types.
from trainer.harness.graders.base import Grade, GraderError
from trainer.harness.graders.consistency import counterfactual_consistency
from trainer.harness.graders.judge import judge_label, judge_score
from trainer.harness.graders.moderation import moderation  # noqa: F401 (registers it)
from trainer.harness.graders.registry import CHECKS, CheckType, markdown_table
from trainer.harness.graders.structure import is_json, json_schema
from trainer.harness.graders.text import (
    contains,
    equals,
    icontains,
    levenshtein,
    regex,
    rouge_l,
    rouge_n,
    starts_with,
    word_count,
)
from trainer.harness.graders.topic import on_topic
from trainer.harness.graders.tutoring import (
    answer_leak,
    is_refusal,
    numeric_answer,
    pii_leak,
    question_asked,
    readability,
)

Grader = Callable[[str, dict[str, Any]], Grade]

GRADERS: dict[str, Grader] = {name: c for name, c in CHECKS.items() if c.kind == "answer"}
"""Graders of one answer, by check type (parameters as a mapping, validated)."""

__all__ = [
    "CHECKS",
    "GRADERS",
    "CheckType",
    "Grade",
    "Grader",
    "GraderError",
    "answer_leak",
    "contains",
    "counterfactual_consistency",
    "equals",
    "icontains",
    "is_json",
    "is_refusal",
    "json_schema",
    "judge_label",
    "judge_score",
    "levenshtein",
    "markdown_table",
    "numeric_answer",
    "on_topic",
    "pii_leak",
    "question_asked",
    "readability",
    "regex",
    "rouge_l",
    "rouge_n",
    "starts_with",
    "word_count",
]
