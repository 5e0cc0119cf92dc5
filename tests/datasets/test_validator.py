"""The streaming validator: statistics, parallel ranges, DPO, and no crash on any input."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.datasets.make_corpus import good
from trainer.datasets.tokens import tokenizer_for
from trainer.datasets.validator import ScanConfig, scan_file

CONFIG = ScanConfig("supervised", tokenizer_for("cl100k_base"), 65_536, scan_pii=True)


def write(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(line + "\n" for line in lines))
    return path


def test_statistics_of_a_clean_file(tmp_path: Path) -> None:
    report, digests = scan_file(
        write(tmp_path / "d.jsonl", [good(i) for i in range(20)]), "b", CONFIG
    )
    assert (report.examples, report.messages, report.problems_total) == (20, 60, 0)
    assert report.tokens_exact
    assert report.tokens.min <= report.tokens.mean <= report.tokens.p95 <= report.tokens.max
    assert report.tokens.total == report.tokens.billed_per_epoch
    assert 0 < report.tokens.assistant < report.tokens.total
    assert len(digests) == 20 * 8


def test_token_count_follows_the_cookbook(tmp_path: Path) -> None:
    line = json.dumps(
        {
            "messages": [
                {"role": "user", "content": "hello world"},
                {"role": "assistant", "content": "hi"},
            ]
        }
    )
    report, _ = scan_file(write(tmp_path / "d.jsonl", [line] * 10), "b", CONFIG)
    # per message 3 + role + content; 3 to prime the reply: 3+1+2 + 3+1+1 + 3 = 14
    assert report.tokens.max == 14
    assert report.tokens.assistant == 10 * (3 + 1 + 1)


def test_parallel_ranges_report_the_same_lines_as_one_pass(tmp_path: Path) -> None:
    lines = [good(i) for i in range(300)]
    for bad in (0, 57, 150, 151, 299):
        lines[bad] = json.dumps({"messages": f"broken {bad}"})
    lines[200] = lines[10]
    path = write(tmp_path / "d.jsonl", lines)
    single, single_digests = scan_file(path, "b", CONFIG, workers=1)
    for workers in (2, 3, 7):
        parallel, digests = scan_file(path, "b", CONFIG, workers=workers, parallel_from=0)
        assert parallel == single
        assert digests == single_digests
    assert [p.line for p in single.problems] == [1, 58, 151, 152, 201, 300]
    assert single.duplicates == 1


def test_percentiles_use_nearest_rank(tmp_path: Path) -> None:
    lines = [
        json.dumps({"messages": [{"role": "assistant", "content": "word " * n}]})
        for n in range(1, 101)
    ]
    report, _ = scan_file(write(tmp_path / "d.jsonl", lines), "b", CONFIG)
    ordered = sorted(range(1, 101))
    assert report.tokens.p95 - report.tokens.min == ordered[94] - ordered[0]


def test_examples_over_the_limit_are_billed_at_the_limit(tmp_path: Path) -> None:
    small = ScanConfig("supervised", tokenizer_for("cl100k_base"), 20)
    long_line = json.dumps({"messages": [{"role": "assistant", "content": "word " * 50}]})
    report, _ = scan_file(
        write(tmp_path / "d.jsonl", [good(i) for i in range(10)] + [long_line]), "b", small
    )
    assert report.over_limit >= 1
    assert report.tokens.billed_per_epoch < report.tokens.total
    assert any(p.code == "too_long" and p.severity == "warning" for p in report.problems)


DPO = ScanConfig("dpo", tokenizer_for("cl100k_base"), 65_536)


def dpo_line(i: int, **changes: object) -> str:
    body: dict[str, object] = {
        "input": {"messages": [{"role": "user", "content": f"Help with problem {i}?"}]},
        "preferred_output": [{"role": "assistant", "content": "What have you tried so far?"}],
        "non_preferred_output": [{"role": "assistant", "content": f"The answer is {i}."}],
    }
    body.update(changes)
    return json.dumps(body)


def test_dpo_file_is_checked_as_preference_pairs(tmp_path: Path) -> None:
    lines = [dpo_line(i) for i in range(10)]
    lines.append(
        dpo_line(
            10,
            preferred_output=[
                {"role": "assistant", "content": "a"},
                {"role": "assistant", "content": "b"},
            ],
        )
    )
    lines.append(
        dpo_line(
            11,
            non_preferred_output=[{"role": "assistant", "content": "What have you tried so far?"}],
        )
    )
    lines.append(json.dumps({"input": {"messages": []}, "preferred_output": []}))
    report, _ = scan_file(write(tmp_path / "d.jsonl", lines), "b", DPO)
    found = [(p.line, p.message) for p in report.problems]
    assert found == [
        (11, "preferred_output must be a list with exactly one assistant message"),
        (12, "preferred_output and non_preferred_output are identical"),
        (13, "preferred_output must be a list with exactly one assistant message"),
        (13, "input.messages is empty"),
        (13, "missing 'non_preferred_output'"),
    ]
    assert report.examples == 13


def test_chat_lines_in_a_dpo_spec_are_explained(tmp_path: Path) -> None:
    report, _ = scan_file(write(tmp_path / "d.jsonl", [good(i) for i in range(10)]), "b", DPO)
    assert report.problems[0].message == "unknown key 'messages'"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(["messages", "role", "content", "weight", "tool_calls", "name", "x"])
            | st.text(max_size=5),
            children,
            max_size=4,
        )
    ),
    max_leaves=25,
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    values=st.lists(json_values, min_size=1, max_size=8),
    method=st.sampled_from(["supervised", "dpo"]),
)
def test_random_json_lines_never_crash_the_validator(
    tmp_path: Path, values: list[object], method: str
) -> None:
    config = ScanConfig(method, tokenizer_for("cl100k_base"), 65_536, scan_pii=True)
    path = write(tmp_path / "random.jsonl", [json.dumps(v) for v in values])
    report, _ = scan_file(path, "b", config)
    assert report.lines == len(values)


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.binary(max_size=300))
def test_random_bytes_never_crash_the_validator(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "bytes.jsonl"
    path.write_bytes(data)
    report, _ = scan_file(path, "b", CONFIG)
    assert report.examples <= report.lines
