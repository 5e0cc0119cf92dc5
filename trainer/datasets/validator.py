"""Streaming validation of a JSONL dataset, in constant memory, on every core.

The file is split into byte ranges that end on line boundaries; each range is read
line by line in its own process, and the results are merged in order. Memory holds one
line at a time per process plus an 8-byte digest and a token count per example (for
duplicates and percentiles), so a 1 GB file never sits in RAM.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from array import array
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path

from trainer.datasets.example_checks import (
    check_chat,
    check_dpo,
    depth_problem,
    texts,
    too_deep_at,
    trained_messages,
)
from trainer.datasets.pii import scan
from trainer.datasets.report import DatasetReport, Problem, TokenStats
from trainer.datasets.tokens import Counter, Tokenizer

CHECKER_VERSION = 2
"""Bump when checks change, so cached reports are recomputed."""
MAX_PROBLEMS = 50
MIN_EXAMPLES = 10
PARALLEL_FROM_BYTES = 8 * 1024 * 1024
BOM = b"\xef\xbb\xbf"
DIGEST_BYTES = 8


@dataclass(frozen=True)
class ScanConfig:
    method: str
    tokenizer: Tokenizer
    max_example_tokens: int
    scan_pii: bool = False
    pii_allowlist: tuple[str, ...] = ()


@dataclass
class _Chunk:
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


def _check_line(
    raw: bytes, line: int, first: bool, config: ScanConfig, counter: Counter, out: _Chunk
) -> None:
    data = raw.rstrip(b"\r\n")
    if first and data.startswith(BOM):
        out.add(
            line,
            "bom",
            "the file starts with a byte order mark (BOM); save it as UTF-8 without BOM",
        )
        data = data[len(BOM) :]
    if not data.strip():
        out.add(line, "blank_line", "blank line; remove it (OpenAI rejects files with empty lines)")
        return
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        out.add(
            line,
            "encoding",
            f"not UTF-8 (byte 0x{data[exc.start]:02x}); save the file as UTF-8",
            exc.start + 1,
        )
        return
    try:
        example = json.loads(text)
        too_deep = depth_problem(text, example)
    except json.JSONDecodeError as exc:
        out.add(line, "json", f"not valid JSON: {exc.msg}", exc.colno)
        return
    except RecursionError:  # json recurses: nesting near 1,000 levels ends here
        too_deep = too_deep_at(text)
    if too_deep:
        out.add(line, "json_depth", too_deep)
        return
    out.examples += 1
    out.digests += hashlib.blake2b(data.strip(), digest_size=DIGEST_BYTES).digest()
    out.digest_lines.append(line)
    problems = check_dpo(example) if config.method == "dpo" else check_chat(example)
    for code, message in problems:
        out.add(line, code, message)
    if problems:
        return
    messages = trained_messages(example, config.method)
    out.messages += len(messages)
    total, assistant = counter.messages(messages)
    out.tokens.append(total)
    out.assistant_tokens += assistant
    if total > config.max_example_tokens:
        out.over_limit += 1
        out.add(
            line,
            "too_long",
            f"{total:,} tokens, over the model's limit of {config.max_example_tokens:,} per "
            "example: OpenAI truncates it, so its end is not trained on",
            warning=True,
        )
    if config.scan_pii:
        for index, value in texts(messages):
            for hit in scan(value, config.pii_allowlist):
                out.pii_hits[hit.kind] = out.pii_hits.get(hit.kind, 0) + 1
                out.add(
                    line,
                    "pii",
                    f"messages[{index}]: looks like personal data ({hit.kind}: {hit.masked}) but "
                    "the datasheet says redaction: pii_removed; remove it, or list the exact "
                    "string in datasheet.pii_allowlist if it is not personal data",
                )


def _scan_range(path: str, start: int, end: int, config: ScanConfig) -> _Chunk:
    out = _Chunk()
    counter = Counter(config.tokenizer)
    with open(path, "rb") as handle:
        position = start
        if start:
            handle.seek(start - 1)
            if handle.read(1) != b"\n":
                position += len(handle.readline())
        while position < end:
            raw = handle.readline()
            if not raw:
                break
            out.lines += 1
            _check_line(raw, out.lines, position == 0, config, counter, out)
            position += len(raw)
    return out


def _ranges(size: int, parts: int) -> list[tuple[int, int]]:
    step = max(1, -(-size // parts))
    return [(begin, min(size, begin + step)) for begin in range(0, size, step)]


def _percentile(sorted_values: list[int], fraction: float) -> int:
    if not sorted_values:
        return 0
    rank = math.ceil(fraction * len(sorted_values))  # nearest-rank percentile
    return sorted_values[max(0, rank - 1)]


def scan_file(
    file: Path,
    blob: str,
    config: ScanConfig,
    *,
    workers: int | None = None,
    parallel_from: int = PARALLEL_FROM_BYTES,
) -> tuple[DatasetReport, bytes]:
    """Validate `file`; returns the report and the digests of its examples (for overlaps)."""
    size = file.stat().st_size
    parts = workers or os.cpu_count() or 1
    if size < parallel_from or parts == 1:
        chunks = [_scan_range(str(file), 0, size, config)]
    else:
        with ProcessPoolExecutor(parts, mp_context=get_context("fork")) as pool:
            futures = [
                pool.submit(_scan_range, str(file), s, e, config) for s, e in _ranges(size, parts)
            ]
            chunks = [f.result() for f in futures]
    return _merge(chunks, blob, config, size)


def _merge(
    chunks: list[_Chunk], blob: str, config: ScanConfig, size: int
) -> tuple[DatasetReport, bytes]:
    problems: list[Problem] = []
    total_problems = 0
    tokens: list[int] = []
    first_line: dict[bytes, int] = {}
    digests = bytearray()
    duplicates = 0
    offset = 0
    pii: dict[str, int] = {}
    for chunk in chunks:
        problems += [p.model_copy(update={"line": p.line + offset}) for p in chunk.problems]
        total_problems += chunk.problems_total
        tokens += chunk.tokens
        for kind, count in chunk.pii_hits.items():
            pii[kind] = pii.get(kind, 0) + count
        for i, line in enumerate(chunk.digest_lines):
            digest = bytes(chunk.digests[i * DIGEST_BYTES : (i + 1) * DIGEST_BYTES])
            line += offset
            seen = first_line.setdefault(digest, line)
            if seen != line:
                duplicates += 1
                total_problems += 1
                problems.append(
                    Problem(
                        line=line,
                        severity="warning",
                        code="duplicate",
                        message=f"duplicate of line {seen}; duplicates weigh that example twice",
                    )
                )
            else:
                digests += digest
        offset += chunk.lines
    examples = sum(c.examples for c in chunks)
    if size == 0:
        problems.append(Problem(line=1, code="empty_file", message="the file is empty"))
        total_problems += 1
    problems.sort(key=lambda p: (p.line, p.col, p.code))
    ordered = sorted(tokens)
    report = DatasetReport(
        checker_version=CHECKER_VERSION,
        blob=blob,
        method=config.method,
        tokenizer=config.tokenizer.label(),
        tokens_exact=config.tokenizer.exact,
        lines=offset,
        examples=examples,
        messages=sum(c.messages for c in chunks),
        tokens=TokenStats(
            total=sum(ordered),
            min=ordered[0] if ordered else 0,
            mean=round(sum(ordered) / len(ordered), 1) if ordered else 0.0,
            p95=_percentile(ordered, 0.95),
            max=ordered[-1] if ordered else 0,
            assistant=sum(c.assistant_tokens for c in chunks),
            billed_per_epoch=sum(min(t, config.max_example_tokens) for t in ordered),
        ),
        over_limit=sum(c.over_limit for c in chunks),
        max_example_tokens=config.max_example_tokens,
        duplicates=duplicates,
        pii_hits=pii,
        problems=problems[:MAX_PROBLEMS],
        problems_total=total_problems,
    )
    return report, bytes(digests)
