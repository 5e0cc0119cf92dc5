"""What the scan of one byte range of a dataset finds (a chunk), and the report of the
whole file from its chunks, merged in order."""

from __future__ import annotations

import bisect
import math
from array import array
from dataclasses import dataclass, field

from trainer.datasets.report import DatasetReport, Problem, TokenStats
from trainer.datasets.tokens import Tokenizer

MAX_PROBLEMS = 50
DIGEST_BYTES = 8


@dataclass(frozen=True)
class ScanConfig:
    method: str
    tokenizer: Tokenizer
    max_example_tokens: int
    scan_pii: bool = False
    pii_allowlist: tuple[str, ...] = ()


@dataclass
class Chunk:
    """What one byte range holds; line numbers are relative to the range's first line."""

    lines: int = 0
    examples: int = 0
    messages: int = 0
    assistant_tokens: int = 0
    over_limit: int = 0
    tokens: array = field(default_factory=lambda: array("I"))  # type: ignore[type-arg]
    digests: bytearray = field(default_factory=bytearray)
    digest_lines: array = field(default_factory=lambda: array("I"))  # type: ignore[type-arg]
    problems: list[Problem] = field(default_factory=list)
    """The first MAX_PROBLEMS, in the order of the lines."""
    problems_total: int = 0
    pii_hits: dict[str, int] = field(default_factory=dict)

    def add(
        self, line: int, code: str, message: str, col: int = 1, *, warning: bool = False
    ) -> None:
        self.problems_total += 1
        if len(self.problems) < MAX_PROBLEMS:
            severity = "warning" if warning else "error"
            self.problems.append(
                Problem(line=line, col=col, severity=severity, code=code, message=message)
            )


def _percentile(sorted_values: list[int], fraction: float) -> int:
    if not sorted_values:
        return 0
    rank = math.ceil(fraction * len(sorted_values))  # nearest-rank percentile
    return sorted_values[max(0, rank - 1)]


def _duplicates(chunks: list[Chunk]) -> tuple[list[int], int, list[Problem]]:
    """The distinct digests in order, how many examples repeat an earlier one, and the
    first MAX_PROBLEMS of them as problems; in C loops (dict and set operations)."""
    digests: list[int] = []
    lines: list[int] = []
    offset = 0
    for chunk in chunks:
        digests += memoryview(chunk.digests).cast("Q")
        lines += [line + offset for line in chunk.digest_lines] if offset else chunk.digest_lines
        offset += chunk.lines
    unique = list(dict.fromkeys(digests))
    if len(unique) == len(digests):
        return unique, 0, []
    first = dict(zip(reversed(digests), reversed(range(len(digests))), strict=True))
    repeats = sorted(set(range(len(digests))) - set(first.values()))
    shown = [  # later ones come after these lines: never shown
        Problem(
            line=lines[i],
            severity="warning",
            code="duplicate",
            message=f"duplicate of line {lines[first[digests[i]]]}; duplicates weigh that "
            "example twice",
        )
        for i in repeats[:MAX_PROBLEMS]
    ]
    return unique, len(repeats), shown


def merge(
    chunks: list[Chunk], blob: str, config: ScanConfig, size: int, checker_version: int
) -> tuple[DatasetReport, bytes]:
    """The report, and the digests of the file's distinct examples in order.

    Problems: the first MAX_PROBLEMS of the file in line order (each chunk keeps its first
    ones), with duplicates, sorted; the same whatever the number of ranges.
    """
    problems: list[Problem] = []
    total_problems, offset = 0, 0
    tokens: list[int] = []
    pii: dict[str, int] = {}
    for chunk in chunks:
        room = MAX_PROBLEMS - len(problems)
        problems += [p.model_copy(update={"line": p.line + offset}) for p in chunk.problems[:room]]
        total_problems += chunk.problems_total
        tokens += chunk.tokens
        for kind, count in chunk.pii_hits.items():
            pii[kind] = pii.get(kind, 0) + count
        offset += chunk.lines
    unique, duplicates, repeated = _duplicates(chunks)
    problems += repeated
    total_problems += duplicates
    if size == 0:
        problems.append(Problem(line=1, code="empty_file", message="the file is empty"))
        total_problems += 1
    problems.sort(key=lambda p: (p.line, p.col, p.code))
    ordered = sorted(tokens)
    limit = config.max_example_tokens
    capped = bisect.bisect_right(ordered, limit)  # billed at most `limit` each, from here on
    report = DatasetReport(
        checker_version=checker_version,
        blob=blob,
        method=config.method,
        tokenizer=config.tokenizer.label(),
        tokens_exact=config.tokenizer.exact,
        lines=offset,
        examples=sum(c.examples for c in chunks),
        messages=sum(c.messages for c in chunks),
        tokens=TokenStats(
            total=sum(ordered),
            min=ordered[0] if ordered else 0,
            mean=round(sum(ordered) / len(ordered), 1) if ordered else 0.0,
            p95=_percentile(ordered, 0.95),
            max=ordered[-1] if ordered else 0,
            assistant=sum(c.assistant_tokens for c in chunks),
            billed_per_epoch=sum(ordered[:capped]) + limit * (len(ordered) - capped),
        ),
        over_limit=sum(c.over_limit for c in chunks),
        max_example_tokens=config.max_example_tokens,
        duplicates=duplicates,
        pii_hits=pii,
        problems=problems[:MAX_PROBLEMS],
        problems_total=total_problems,
    )
    return report, array("Q", unique).tobytes()
