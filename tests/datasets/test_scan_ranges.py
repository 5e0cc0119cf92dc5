"""The same report whatever the ranges, batches and line lengths: the first problems in
line order, every duplicate counted, long lines read whole."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.datasets.make_corpus import good
from trainer.datasets import validator
from trainer.datasets.chunks import MAX_PROBLEMS
from trainer.datasets.tokens import tokenizer_for
from trainer.datasets.validator import ScanConfig, scan_file

CONFIG = ScanConfig("supervised", tokenizer_for("cl100k_base"), 40, scan_pii=True)


def three_problems(i: int) -> str:
    """unrecognized_role, missing_content, example_missing_assistant_message, in that order."""
    return json.dumps({"messages": [{"role": f"bot{i}", "content": ""}]})


def write(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(line + "\n" for line in lines))
    return path


def mixed(tmp_path: Path) -> Path:
    lines = [good(i) for i in range(40)]
    lines[3] = three_problems(0)
    lines[7] = json.dumps({"messages": [{"role": "user", "content": "mail a@gmail.com " * 9}]})
    lines[8] = json.dumps({"messages": [{"role": "assistant", "content": "word " * 300}]})
    lines[9] = lines[2]
    lines[12] = "{not json"
    lines[13] = ""
    lines += [three_problems(i % 20) for i in range(30)] + [lines[0]] * 60
    return write(tmp_path / "mixed.jsonl", lines)


def test_more_problems_than_shown_give_one_report_for_any_ranges(tmp_path: Path) -> None:
    path = mixed(tmp_path)
    single, digests = scan_file(path, "b", CONFIG, workers=1)
    assert len(single.problems) == MAX_PROBLEMS
    assert single.problems_total > 150
    assert single.duplicates == 72  # line 10, eleven bots and sixty copies of line 1
    for workers in (2, 3, 5):
        assert scan_file(path, "b", CONFIG, workers=workers, parallel_from=0) == (single, digests)


def test_the_first_problems_are_those_of_the_first_lines(tmp_path: Path) -> None:
    path = write(tmp_path / "d.jsonl", [three_problems(i) for i in range(20)])
    report, _ = scan_file(path, "b", CONFIG, workers=3, parallel_from=0)
    kept = [(p.line, p.code) for p in report.problems]
    # line 17's third problem is the 51st found: the first 50 are kept, then sorted
    assert kept[-3:] == [
        (16, "unrecognized_role"),
        (17, "missing_content"),
        (17, "unrecognized_role"),
    ]
    assert report.problems_total == 60


def test_batches_of_any_size_give_the_same_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = mixed(tmp_path)
    expected = scan_file(path, "b", CONFIG)
    monkeypatch.setattr(validator, "BATCH_CHARS", 1)
    assert scan_file(path, "b", CONFIG) == expected
    monkeypatch.setattr(validator, "BATCH_LINES", 3)
    assert scan_file(path, "b", CONFIG, workers=2, parallel_from=0) == expected


def test_long_lines_are_read_whole_and_skipped_by_blocks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    long_line = json.dumps({"messages": [{"role": "assistant", "content": "why " * 500}]})
    lines = [good(0), long_line, good(1), "x" * 3000, long_line.replace("why", "how"), good(2)]
    path = write(tmp_path / "long.jsonl", [*lines, "\r\n".join(lines)])
    expected = scan_file(path, "b", CONFIG)
    monkeypatch.setattr(validator, "BLOCK", 16)
    for workers in (1, 2, 7):
        assert scan_file(path, "b", CONFIG, workers=workers, parallel_from=0) == expected
    assert expected[0].lines == 12
    assert expected[0].duplicates == 5  # the lines joined by \r\n, but the one that is not JSON
