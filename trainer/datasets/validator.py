"""Streaming validation of a JSONL dataset, in bounded memory, on every core.

The file is split into byte ranges that end on line boundaries; each range is read line
by line in a forked process, and the results are merged in order. A process holds one
line at a time plus the texts of one batch of examples waiting for their token counts
(tokens.BatchCounter), and keeps an 8-byte digest and a token count per example (for
duplicates and percentiles), so a 1 GB file never sits in RAM.
"""

from __future__ import annotations

import gc
import hashlib
import json
import os
from itertools import repeat
from multiprocessing import get_context
from pathlib import Path
from typing import IO, Any

from trainer.datasets.chunks import DIGEST_BYTES, Chunk, ScanConfig, merge
from trainer.datasets.example_checks import (
    check_chat,
    check_dpo,
    depth_problem,
    too_deep_at,
    trained_messages,
)
from trainer.datasets.pii import could_hold, scan, texts
from trainer.datasets.report import DatasetReport
from trainer.datasets.tokens import BATCH_CHARS, BatchCounter, load

__all__ = ["CHECKER_VERSION", "DIGEST_BYTES", "MIN_EXAMPLES", "ScanConfig", "scan_file"]

CHECKER_VERSION = 2
"""Bump when checks change, so cached reports are recomputed."""
MIN_EXAMPLES = 10
PARALLEL_FROM_BYTES = 8 * 1024 * 1024
RANGES_PER_WORKER = 4
"""More ranges than processes: one slowed down (a busy machine) ends up with fewer."""
BATCH_LINES = 4096
BLOCK = 1 << 20
BOM = b"\xef\xbb\xbf"
_SPACE = b" \t\n\r\x0b\x0c"
"""What bytes.strip() removes."""
_NEWLINE = b"\r\n"
_NONE: tuple[()] = ()


_Found = tuple[str, str, int, bool]
"""(code, message, column, is a warning)."""


class _Range:
    """Reads lines; an example's problems are added once its tokens are counted, in batches,
    so they stay in the order of the lines."""

    def __init__(self, config: ScanConfig) -> None:
        self.config = config
        self.out = Chunk()
        self.counter = BatchCounter(config.tokenizer)
        self.chat = config.method != "dpo"
        self.noted = False
        """Whether a line waiting in `pending` has something to add but its counts."""
        self.pending: list[tuple[int, list[_Found] | tuple[()], bool, list[str] | None]] = []

    def read(self, handle: IO[bytes], first: bool) -> int:
        """Checks the next line of `handle`; returns its length in bytes (0 at the end)."""
        raw = handle.readline(BLOCK)
        if len(raw) == BLOCK and raw[-1] != 10:  # a long line: read whole, in one allocation
            raw = _long_line(handle, raw)
        size = end = len(raw)
        if not size:
            return 0
        out = self.out
        out.lines += 1
        line, begin, found = out.lines, 0, []
        while end and raw[end - 1] in _NEWLINE:
            end -= 1
        if first and raw.startswith(BOM):
            found.append(("bom", _BOM_MESSAGE, 1, False))
            begin = len(BOM)
        low, high = begin, end
        while low < high and raw[low] in _SPACE:
            low += 1
        while high > low and raw[high - 1] in _SPACE:
            high -= 1
        if low == high:
            found.append(("blank_line", _BLANK_MESSAGE, 1, False))
            self._problems(line, found)
            return size
        view = memoryview(raw)
        digest = hashlib.blake2b(view[low:high], digest_size=DIGEST_BYTES).digest()
        try:
            text = str(view[begin:end], "utf-8")
        except UnicodeDecodeError as exc:
            byte = raw[begin + exc.start]
            message = f"not UTF-8 (byte 0x{byte:02x}); save the file as UTF-8"
            found.append(("encoding", message, exc.start + 1, False))
            self._problems(line, found)
            return size
        del view, raw  # a long line is held once, as text, while it is parsed
        try:
            example = json.loads(text)
            messages = example.get("messages") if type(example) is dict else None
            chat = self.chat and type(messages) is list and len(example) == 1
            if chat and messages and self.counter.add_plain(messages):  # checked, queued
                self._counted(messages, line, found, digest, plain=True)
                return size
            too_deep = depth_problem(text, example)
        except json.JSONDecodeError as exc:
            found.append(("json", f"not valid JSON: {exc.msg}", exc.colno, False))
            self._problems(line, found)
            return size
        except RecursionError:  # json recurses: nesting near 1,000 levels ends here
            too_deep = too_deep_at(text)
        del text
        if too_deep:
            found.append(("json_depth", too_deep, 1, False))
            self._problems(line, found)
            return size
        self._example(example, line, found, digest)
        return size

    def _example(self, example: Any, line: int, found: list[_Found], digest: bytes) -> None:
        out, config = self.out, self.config
        problems = check_dpo(example) if config.method == "dpo" else check_chat(example)
        if problems:
            out.examples += 1
            out.digests += digest
            out.digest_lines.append(line)
            found += [(code, message, 1, False) for code, message in problems]
            self._problems(line, found)
            return
        messages = trained_messages(example, config.method)
        self.counter.add(messages)
        self._counted(messages, line, found, digest)

    def _counted(
        self,
        messages: list[Any],
        line: int,
        found: list[_Found],
        digest: bytes,
        plain: bool = False,
    ) -> None:
        """An example without problems, queued in the counter (`plain`: by add_plain)."""
        out = self.out
        out.examples += 1
        out.digests += digest
        out.digest_lines.append(line)
        out.messages += len(messages)
        pii = None
        if self.config.scan_pii and (not plain or could_hold([m["content"] for m in messages])):
            pii = self._pii(messages)
        self.pending.append((line, found or _NONE, True, pii))
        self.noted = self.noted or bool(found or pii)

    def _problems(self, line: int, found: list[_Found]) -> None:
        """A line that is not an example without problems."""
        self.pending.append((line, found, False, None))
        self.noted = True

    def _pii(self, messages: list[Any]) -> list[str] | None:
        written = texts(messages)
        if not could_hold([value for _, value in written]):
            return None
        found = None
        hits = self.out.pii_hits
        for index, value in written:
            for hit in scan(value, self.config.pii_allowlist):
                hits[hit.kind] = hits.get(hit.kind, 0) + 1
                found = found or []
                found.append(
                    f"messages[{index}]: looks like personal data ({hit.kind}: {hit.masked}) but "
                    "the datasheet says redaction: pii_removed; remove it, or list the exact "
                    "string in datasheet.pii_allowlist if it is not personal data"
                )
        return found

    def flush(self) -> None:
        results = self.counter.flush()
        out, limit = self.out, self.config.max_example_tokens
        if not self.noted and (not results or max(results)[0] <= limit):  # nothing to add
            out.tokens.extend([total for total, _ in results])
            out.assistant_tokens += sum([assistant for _, assistant in results])
            self.pending.clear()
            return
        self.noted, counts = False, iter(results)
        for line, found, counted, pii in self.pending:
            for code, message, col, warning in found:
                out.add(line, code, message, col, warning=warning)
            if not counted:
                continue
            total, assistant = next(counts)
            out.tokens.append(total)
            out.assistant_tokens += assistant
            if total > limit:
                out.over_limit += 1
                out.add(
                    line,
                    "too_long",
                    f"{total:,} tokens, over the model's limit of {limit:,} per example: "
                    "OpenAI truncates it, so its end is not trained on",
                    warning=True,
                )
            for message in pii or _NONE:
                out.add(line, "pii", message)
        self.pending.clear()


_BOM_MESSAGE = "the file starts with a byte order mark (BOM); save it as UTF-8 without BOM"
_BLANK_MESSAGE = "blank line; remove it (OpenAI rejects files with empty lines)"


def _skip_line(handle: IO[bytes]) -> int:
    """Moves past the end of the current line, a block at a time; returns the bytes skipped."""
    skipped = 0
    while block := handle.read(BLOCK):
        at = block.find(b"\n")
        if at >= 0:
            handle.seek(at + 1 - len(block), os.SEEK_CUR)
            return skipped + at + 1
        skipped += len(block)
    return skipped


def _long_line(handle: IO[bytes], start: bytes) -> bytes:
    """The line that begins with `start` (BLOCK bytes without a newline), read at once: a
    30 MB line is then 30 MB in memory, not a list of its pieces and their join."""
    begin = handle.tell() - len(start)
    length = len(start) + _skip_line(handle)
    handle.seek(begin)
    return handle.read(length)


def scan_range(path: str, start: int, end: int, config: ScanConfig) -> Chunk:
    """The lines that start in bytes [start, end) of the file."""
    scan = _Range(config)
    with open(path, "rb") as handle:
        position = start
        if start:
            handle.seek(start - 1)
            if handle.read(1) != b"\n":
                position += _skip_line(handle)
        counter, pending = scan.counter, scan.pending
        while position < end:
            size = scan.read(handle, position == 0)
            if not size:
                break
            position += size
            if counter.chars >= BATCH_CHARS or len(pending) >= BATCH_LINES:
                scan.flush()
    scan.flush()
    return scan.out


def _ranges(size: int, parts: int) -> list[tuple[int, int]]:
    step = max(1, -(-size // parts))
    return [(begin, min(size, begin + step)) for begin in range(0, size, step)]


def cores() -> int:
    """The cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1  # pragma: no cover - not Linux


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
    parts = workers or cores()
    if size < parallel_from or parts == 1:
        chunks = [scan_range(str(file), 0, size, config)]
    else:
        from concurrent.futures import ProcessPoolExecutor  # only for large files

        load(config.tokenizer)  # once, here: each process would load it again
        ranges = _ranges(size, parts * RANGES_PER_WORKER)
        starts, ends = [s for s, _ in ranges], [e for _, e in ranges]
        gc.freeze()  # the forked processes then leave the parent's objects (and pages) alone
        try:
            with ProcessPoolExecutor(parts, mp_context=get_context("fork")) as pool:
                chunks = list(pool.map(scan_range, repeat(str(file)), starts, ends, repeat(config)))
        finally:
            gc.unfreeze()
    return merge(chunks, blob, config, size, CHECKER_VERSION)
