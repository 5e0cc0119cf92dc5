"""Text graders: equality, substrings, patterns, length, edit distance, ROUGE."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from trainer.harness.graders.base import Grade, GraderError, binary, param, strings

WORDS = re.compile(r"\w+", re.UNICODE)


def tokens(text: str) -> list[str]:
    return WORDS.findall(text.lower())


def equals(output: str, params: dict[str, Any]) -> Grade:
    value = param(params, "value", str)
    sensitive = param(params, "case_sensitive", bool, False)
    a, b = output.strip(), value.strip()
    same = a == b if sensitive else a.casefold() == b.casefold()
    return binary(same, f"answer {'equals' if same else 'differs from'} {value!r}")


def _contains(output: str, params: dict[str, Any], *, fold: bool) -> Grade:
    values = strings(params, "value")
    mode = param(params, "mode", str, "any")
    if mode not in ("any", "all"):
        raise GraderError("mode must be 'any' or 'all'")
    haystack = output.casefold() if fold else output
    found = [v for v in values if (v.casefold() if fold else v) in haystack]
    ok = bool(found) if mode == "any" else len(found) == len(values)
    missing = [v for v in values if v not in found]
    reason = f"found {found}" if ok else f"missing {missing if mode == 'all' else values}"
    return binary(ok, reason)


def contains(output: str, params: dict[str, Any]) -> Grade:
    return _contains(output, params, fold=False)


def icontains(output: str, params: dict[str, Any]) -> Grade:
    return _contains(output, params, fold=True)


def regex(output: str, params: dict[str, Any]) -> Grade:
    pattern = param(params, "pattern", str)
    flags = re.IGNORECASE if param(params, "ignore_case", bool, True) else 0
    try:
        match = re.search(pattern, output, flags)
    except re.error as exc:
        raise GraderError(f"invalid pattern: {exc}") from None
    return binary(match is not None, f"pattern {'found' if match else 'not found'}: {pattern}")


def starts_with(output: str, params: dict[str, Any]) -> Grade:
    value = param(params, "value", str)
    ok = output.lstrip().startswith(value)
    return binary(ok, f"answer {'starts' if ok else 'does not start'} with {value!r}")


def word_count(output: str, params: dict[str, Any]) -> Grade:
    low = param(params, "min", int, None)
    high = param(params, "max", int, None)
    if low is None and high is None:
        raise GraderError("word_count needs min or max")
    count = len(output.split())
    ok = (low is None or count >= low) and (high is None or count <= high)
    return binary(ok, f"{count} words (bounds {low}..{high})")


def edit_distance(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def levenshtein(output: str, params: dict[str, Any]) -> Grade:
    value = param(params, "value", str)
    threshold = param(params, "min_similarity", (int, float), 0.8)
    a, b = output.strip().casefold(), value.strip().casefold()
    similarity = 1.0 - edit_distance(a, b) / max(1, len(a), len(b))
    return Grade(
        similarity, similarity >= threshold, f"edit similarity {similarity:.2f} (min {threshold})"
    )


def _f1(overlap: int, produced: int, expected: int) -> float:
    if not overlap:
        return 0.0
    precision, recall = overlap / produced, overlap / expected
    return 2 * precision * recall / (precision + recall)


def lcs_length(a: list[str], b: list[str]) -> int:
    previous = [0] * (len(b) + 1)
    for x in a:
        current = [0]
        for j, y in enumerate(b, 1):
            current.append(previous[j - 1] + 1 if x == y else max(previous[j], current[j - 1]))
        previous = current
    return previous[-1]


def rouge_l_f1(output: str, reference: str) -> float:
    produced, expected = tokens(output), tokens(reference)
    return _f1(lcs_length(produced, expected), len(produced), len(expected))


def rouge_l(output: str, params: dict[str, Any]) -> Grade:
    reference = param(params, "reference", str)
    threshold = param(params, "min", (int, float), 0.3)
    score = rouge_l_f1(output, reference)
    return Grade(score, score >= threshold, f"ROUGE-L F1 {score:.2f} (min {threshold})")


def rouge_n(output: str, params: dict[str, Any]) -> Grade:
    reference = param(params, "reference", str)
    n = param(params, "n", int, 2)
    threshold = param(params, "min", (int, float), 0.3)
    if n < 1:
        raise GraderError("n must be at least 1")

    def grams(words: list[str]) -> Counter[tuple[str, ...]]:
        return Counter(tuple(words[i : i + n]) for i in range(len(words) - n + 1))

    produced, expected = grams(tokens(output)), grams(tokens(reference))
    overlap = sum((produced & expected).values())
    score = _f1(overlap, sum(produced.values()), sum(expected.values()))
    return Grade(score, score >= threshold, f"ROUGE-{n} F1 {score:.2f} (min {threshold})")
