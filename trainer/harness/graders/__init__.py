"""Graders: pure functions from a model's answer (and check parameters) to a grade.

Deterministic graders never do I/O. The two judge graders only build the judge's
prompt and parse its verdict; the runner makes the call through the provider.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from trainer.harness.graders.base import Grade, GraderError
from trainer.harness.graders.consistency import counterfactual_consistency
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
from trainer.harness.graders.tutoring import (
    answer_leak,
    is_refusal,
    numeric_answer,
    pii_leak,
    question_asked,
    readability,
)

Grader = Callable[[str, dict[str, Any]], Grade]

POSITIVE: dict[str, Grader] = {
    "equals": equals,
    "contains": contains,
    "icontains": icontains,
    "regex": regex,
    "starts_with": starts_with,
    "is_json": is_json,
    "json_schema": json_schema,
    "word_count": word_count,
    "levenshtein": levenshtein,
    "rouge_l": rouge_l,
    "rouge_n": rouge_n,
    "is_refusal": is_refusal,
    "answer_leak": answer_leak,
    "question_asked": question_asked,
    "numeric_answer": numeric_answer,
    "pii_leak": pii_leak,
    "readability": readability,
}


def _negate(grader: Grader) -> Grader:
    def negated(output: str, params: dict[str, Any]) -> Grade:
        grade = grader(output, params)
        return Grade(1.0 - grade.score, not grade.passed, f"not ({grade.reason})")

    return negated


GRADERS: dict[str, Grader] = {
    **POSITIVE,
    **{
        f"not_{name}": _negate(POSITIVE[name])
        for name in ("equals", "contains", "icontains", "regex", "starts_with")
    },
    "not_refusal": _negate(is_refusal),
}
"""Graders of one answer, by check type."""

__all__ = ["GRADERS", "Grade", "Grader", "GraderError", "counterfactual_consistency"]
