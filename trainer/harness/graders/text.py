"""Text graders: equality, substrings, patterns, length, edit distance, ROUGE."""

from __future__ import annotations

import re
from collections import Counter
from typing import Annotated, Literal

from pydantic import Field

from trainer.harness.graders.base import Grade, GraderError, Number, Params, Strings, binary
from trainer.harness.graders.registry import check

WORDS = re.compile(r"\w+", re.UNICODE)


def tokens(text: str) -> list[str]:
    return WORDS.findall(text.lower())


class EqualsParams(Params):
    value: str
    case_sensitive: bool = False


@check("equals", EqualsParams, negated="not_equals")
def equals(output: str, p: EqualsParams) -> Grade:
    """the answer equals `value` (trimmed; ignoring case unless `case_sensitive`)"""
    a, b = output.strip(), p.value.strip()
    same = a == b if p.case_sensitive else a.casefold() == b.casefold()
    return binary(same, f"answer {'equals' if same else 'differs from'} {p.value!r}")


class ContainsParams(Params):
    value: Strings
    mode: Literal["any", "all"] = "any"


def _contains(output: str, p: ContainsParams, *, fold: bool) -> Grade:
    values = p.value
    haystack = output.casefold() if fold else output
    found = [v for v in values if (v.casefold() if fold else v) in haystack]
    ok = bool(found) if p.mode == "any" else len(found) == len(values)
    missing = [v for v in values if v not in found]
    reason = f"found {found}" if ok else f"missing {missing if p.mode == 'all' else values}"
    return binary(ok, reason)


@check("contains", ContainsParams, negated="not_contains")
def contains(output: str, p: ContainsParams) -> Grade:
    """the answer contains any of the values (all of them with `mode: all`)"""
    return _contains(output, p, fold=False)


@check("icontains", ContainsParams, negated="not_icontains")
def icontains(output: str, p: ContainsParams) -> Grade:
    """as `contains`, ignoring case"""
    return _contains(output, p, fold=True)


class RegexParams(Params):
    pattern: str
    ignore_case: bool = True


@check("regex", RegexParams, negated="not_regex")
def regex(output: str, p: RegexParams) -> Grade:
    """the pattern matches somewhere in the answer"""
    flags = re.IGNORECASE if p.ignore_case else 0
    try:
        match = re.search(p.pattern, output, flags)
    except re.error as exc:
        raise GraderError(f"invalid pattern: {exc}") from None
    return binary(match is not None, f"pattern {'found' if match else 'not found'}: {p.pattern}")


class StartsWithParams(Params):
    value: str


@check("starts_with", StartsWithParams, negated="not_starts_with")
def starts_with(output: str, p: StartsWithParams) -> Grade:
    """the answer starts with `value` (after leading whitespace)"""
    ok = output.lstrip().startswith(p.value)
    return binary(ok, f"answer {'starts' if ok else 'does not start'} with {p.value!r}")


class WordCountParams(Params):
    min: int | None = None
    max: int | None = None


@check("word_count", WordCountParams)
def word_count(output: str, p: WordCountParams) -> Grade:
    """the word count is within bounds (give `min`, `max` or both)"""
    if p.min is None and p.max is None:
        raise GraderError("word_count needs min or max")
    count = len(output.split())
    ok = (p.min is None or count >= p.min) and (p.max is None or count <= p.max)
    return binary(ok, f"{count} words (bounds {p.min}..{p.max})")


def edit_distance(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


class LevenshteinParams(Params):
    value: str
    min_similarity: Number = 0.8


@check("levenshtein", LevenshteinParams)
def levenshtein(output: str, p: LevenshteinParams) -> Grade:
    """edit similarity to `value` (ignoring case) is at least `min_similarity`"""
    a, b = output.strip().casefold(), p.value.strip().casefold()
    similarity = 1.0 - edit_distance(a, b) / max(1, len(a), len(b))
    return Grade(
        similarity,
        similarity >= p.min_similarity,
        f"edit similarity {similarity:.2f} (min {p.min_similarity})",
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


class RougeLParams(Params):
    reference: str
    min: Number = 0.3


@check("rouge_l", RougeLParams)
def rouge_l(output: str, p: RougeLParams) -> Grade:
    """ROUGE-L F1 against `reference` is at least `min`"""
    score = rouge_l_f1(output, p.reference)
    return Grade(score, score >= p.min, f"ROUGE-L F1 {score:.2f} (min {p.min})")


class RougeNParams(Params):
    reference: str
    n: Annotated[int, Field(ge=1)] = 2
    min: Number = 0.3


@check("rouge_n", RougeNParams)
def rouge_n(output: str, p: RougeNParams) -> Grade:
    """ROUGE-N F1 (n-grams of `n` words) against `reference` is at least `min`"""
    n = p.n

    def grams(words: list[str]) -> Counter[tuple[str, ...]]:
        return Counter(tuple(words[i : i + n]) for i in range(len(words) - n + 1))

    produced, expected = grams(tokens(output)), grams(tokens(p.reference))
    overlap = sum((produced & expected).values())
    score = _f1(overlap, sum(produced.values()), sum(expected.values()))
    return Grade(score, score >= p.min, f"ROUGE-{n} F1 {score:.2f} (min {p.min})")
