"""Whatever a spec file, a dataset line or a state file holds, trainer answers with located
diagnostics (or success), never with a traceback, a crash report, a hang or a blown stack.

The property tests run `trainer validate` in-process on one repository per test and
rewrite a single file per example, so they stay fast enough for the normal suite.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.conftest import Result
from tests.helpers import CHAT_LINE, job, make_repo
from tests.specs.test_hostile_yaml import deadline
from trainer.datasets.example_checks import MAX_JSON_DEPTH, deeper_than
from trainer.errors import StateError
from trainer.state.document import MAX_STATE_DEPTH, StateDocument, parse_state

SECONDS = 5.0
LOCATED = re.compile(r"^\S+:\d+:\d+: ", re.MULTILINE)
FUZZ = settings(
    max_examples=150,
    deadline=timedelta(seconds=SECONDS),
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

VALID_SPEC = yaml.safe_dump(job("fuzz"), sort_keys=False)
VALID_LINE = json.dumps(CHAT_LINE)


def assert_diagnosed(result: Result) -> None:
    """Success, or exit 2 with at least one `path:line:col:` diagnostic; nothing else."""
    everything = result.out + result.err
    assert "Traceback" not in everything
    assert "unexpected error" not in everything
    assert result.code in (0, 2), everything
    if result.code == 2:
        assert LOCATED.search(result.out), everything


@pytest.fixture
def fuzz_repo(tmp_path: Path) -> Path:
    """One repository for every example of a test (hypothesis runs them in one call)."""
    return make_repo(tmp_path / "repo", jobs=("fuzz",), git_init=False, judged=False)


# --- spec files -------------------------------------------------------------------------

YAML_PIECES = [
    *("name: fuzz", "config", "n_epochs", "a", "b", ":", ": ", ", ", "- ", "? ", "<<: "),
    *("&a ", "&b ", "*a", "*b", "[", "]", "{", "}", "'", '"', "#", "|\n", ">-\n", "\\"),
    *("\n", "  ", "    ", "\t", "\r\n", "---\n", "...\n", "%YAML 1.1\n", "%TAG ! x\n"),
    *("!!str ", "!!binary ", "!!timestamp ", "!!set ", "!!omap ", "!!python/object ", "!x "),
    *("null", "~", "yes", "0x1F", "0o17", "1e999", ".nan", "2001-13-01", "9" * 5000),
    *("é", "漢字", "😀", "\u2028", "\x85", "\ufeff", "\x00", "\x1b", "\ud7ff"),
]
yaml_piece = st.sampled_from(YAML_PIECES) | st.text(max_size=4)
yamlish = st.lists(yaml_piece, max_size=60).map("".join)


@st.composite
def mutated_spec(draw: st.DrawFn) -> str:
    """A valid spec with a few spans replaced by YAML-ish pieces."""
    text = VALID_SPEC
    for _ in range(draw(st.integers(1, 6))):
        start = draw(st.integers(0, len(text)))
        end = draw(st.integers(start, min(len(text), start + 30)))
        text = text[:start] + draw(yaml_piece) + text[end:]
    return text


@st.composite
def alias_chain(draw: st.DrawFn) -> str:
    """Anchors that repeat the previous one `fan` times: small, or a billion laughs."""
    fan, levels = draw(st.integers(1, 12)), draw(st.integers(1, 14))
    lines = ["name: fuzz", "l0: &l0 [lol, {k: lol}]"]
    lines += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * fan)}]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


@st.composite
def nested(draw: st.DrawFn) -> str:
    """Flow or block nesting, from harmless to thousands of levels."""
    levels = draw(st.integers(0, 3000))
    kind = draw(st.sampled_from(["flow-list", "flow-map", "block-list", "block-map"]))
    if kind == "flow-list":
        return f"name: fuzz\nconfig: {'[' * levels}x{']' * levels}\n"
    if kind == "flow-map":
        return f"name: fuzz\nconfig: {'{a: ' * levels}x{'}' * levels}\n"
    if kind == "block-list":
        return f"name: fuzz\nconfig:\n  {'- ' * levels}x\n"
    levels = min(levels, 1200)  # indentation grows with depth: keep under MAX_YAML_BYTES
    keys = "".join(f"{' ' * (i + 1)}k:\n" for i in range(levels))
    return f"name: fuzz\nconfig:\n{keys}{' ' * (levels + 1)}v\n"


spec_texts = st.one_of(yamlish, mutated_spec(), alias_chain(), nested())


@FUZZ
@given(text=spec_texts, binary=st.none() | st.binary(max_size=40))
@example(text=VALID_SPEC, binary=None)
def test_any_spec_text_is_diagnosed_never_a_crash(
    fuzz_repo: Path, run: Callable[..., Result], text: str, binary: bytes | None
) -> None:
    data = text.encode("utf-8", "surrogatepass")
    if binary is not None:
        data = data[: len(data) // 2] + binary + data[len(data) // 2 :]
    (fuzz_repo / "specs/jobs/fuzz.yaml").write_bytes(data)
    with deadline(SECONDS):  # a regression fails here instead of hanging the suite
        result = run("--repo", fuzz_repo, "validate", "--no-stats")
    assert_diagnosed(result)
    if text == VALID_SPEC and binary is None:
        assert result.code == 0


# --- dataset lines ----------------------------------------------------------------------

JSON_PIECES = [
    *("{", "}", "[", "]", '"', '\\"', "\\", "\\u00e9", "\\ud800", ":", ",", " ", "\t"),
    *('"messages"', '"role"', '"content"', '"user"', '"assistant"', '"tool"', '"weight"'),
    *('"tool_calls"', '"function"', '"arguments"', '"name"', '"id"', '"type"', '"text"'),
    *("0", "1", "-0", "1e999", "NaN", "null", "true", "é", "\u2028", "\x00", "\ufeff"),
]
json_piece = st.sampled_from(JSON_PIECES) | st.text(max_size=4)
jsonish = st.lists(json_piece, max_size=80).map("".join)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner),
    max_leaves=30,
)


@st.composite
def mutated_line(draw: st.DrawFn) -> str:
    text = VALID_LINE
    for _ in range(draw(st.integers(1, 5))):
        start = draw(st.integers(0, len(text)))
        end = draw(st.integers(start, min(len(text), start + 10)))
        text = text[:start] + draw(json_piece) + text[end:]
    return text


@st.composite
def deep_line(draw: st.DrawFn) -> str:
    """Deep arrays/objects: bare, inside messages, or in a tool call's arguments string."""
    levels = draw(st.integers(0, 120_000))
    opening, closing = draw(st.sampled_from([("[", "]"), ('{"a":', "}"), ('{"":[', "]}")]))
    deep = opening * levels + "1" + closing * levels
    where = draw(st.sampled_from(["bare", "content", "arguments", "unclosed"]))
    if where == "content":
        return json.dumps({"messages": [{"role": "user", "content": "x"}]})[:-2] + f", {deep}]}}"
    if where == "arguments":
        call = {"id": "c", "type": "function", "function": {"name": "f", "arguments": deep}}
        return json.dumps(
            {"messages": [{"role": "assistant", "tool_calls": [call]}, *CHAT_LINE["messages"]]}
        )
    if where == "unclosed":
        return '"' + deep
    return deep


dataset_lines = st.one_of(
    jsonish, mutated_line(), deep_line(), json_values.map(json.dumps), st.binary(max_size=60)
)


@FUZZ
@given(lines=st.lists(dataset_lines, min_size=1, max_size=3))
@example(lines=[VALID_LINE])
def test_any_dataset_line_is_diagnosed_never_a_crash(
    fuzz_repo: Path, run: Callable[..., Result], lines: list[str | bytes]
) -> None:
    good = (fuzz_repo / "specs/datasets/val.jsonl").read_bytes().splitlines()
    fuzzed = [
        line if isinstance(line, bytes) else line.encode("utf-8", "replace") for line in lines
    ]
    (fuzz_repo / "specs/datasets/train.jsonl").write_bytes(b"\n".join([*good, *fuzzed]) + b"\n")
    with deadline(SECONDS):
        assert_diagnosed(run("--repo", fuzz_repo, "validate", "--no-stats"))


def _depth(value: Any) -> int:
    """Arrays and objects inside each other in `value`, counted without recursion."""
    deepest, todo = 0, [(value, 1)]
    while todo:
        item, level = todo.pop()
        if isinstance(item, list | dict):
            deepest = max(deepest, level)
            todo += [
                (child, level + 1) for child in (item.values() if isinstance(item, dict) else item)
            ]
    return deepest


@settings(max_examples=300, deadline=None)
@given(value=json_values, limit=st.integers(0, 6), wrap=st.integers(0, 80))
def test_deeper_than_agrees_with_the_parsed_depth(value: Any, limit: int, wrap: int) -> None:
    """Brackets in keys and strings (json.dumps keeps them) never count; wrapping counts."""
    for _ in range(wrap):
        value = [value] if wrap % 2 else {'[{"': value}
    text = json.dumps(value, ensure_ascii=bool(wrap % 3))
    depth = _depth(value)
    found = deeper_than(text, limit)
    assert (found is None) == (depth <= limit)
    if found is not None:
        assert text[found] in "[{"


# --- datasets and state: the deterministic hostile cases --------------------------------


def test_a_dataset_line_of_100000_nested_brackets_is_a_located_error(
    tmp_path: Path, run: Callable[..., Result]
) -> None:
    root = make_repo(tmp_path / "repo", git_init=False)
    dataset = root / "specs/datasets/train.jsonl"
    lines = dataset.read_text().splitlines()
    lines[4] = "[" * 100_000 + "]" * 100_000
    dataset.write_text("\n".join(lines) + "\n")
    start = time.perf_counter()
    result = run("--repo", root, "validate", "--no-stats")
    assert time.perf_counter() - start < SECONDS
    assert result.code == 2
    assert (
        f"specs/datasets/train.jsonl:5:1: arrays and objects nested more than {MAX_JSON_DEPTH} "
        f"levels deep (from column {MAX_JSON_DEPTH + 1})"
    ) in result.out
    assert "Traceback" not in result.out + result.err


def test_deep_tool_call_arguments_are_a_located_error(
    tmp_path: Path, run: Callable[..., Result]
) -> None:
    root = make_repo(tmp_path / "repo", git_init=False)
    call = {"id": "c", "type": "function", "function": {"name": "f", "arguments": "[" * 50_000}}
    line = {"messages": [{"role": "assistant", "tool_calls": [call]}, *CHAT_LINE["messages"]]}
    with (root / "specs/datasets/train.jsonl").open("a") as dataset:
        dataset.write(json.dumps(line) + "\n")
    result = run("--repo", root, "validate", "--no-stats")
    assert result.code == 2
    assert "specs/datasets/train.jsonl:13:1: messages[0]: tool_calls[0]: function.arguments: " in (
        result.out
    )


def test_brackets_inside_strings_do_not_count(tmp_path: Path, run: Callable[..., Result]) -> None:
    root = make_repo(tmp_path / "repo", git_init=False)
    line = json.loads(VALID_LINE)
    line["messages"][1]["content"] = 'Why is "[" * 500 ' + "[{" * 500 + '\\"['
    with (root / "specs/datasets/train.jsonl").open("a") as dataset:
        dataset.write(json.dumps(line) + "\n")
    result = run("--repo", root, "validate", "--no-stats")
    assert result.code == 0, result.out


def test_the_depth_scan_is_linear_on_unclosed_strings() -> None:
    """An escaped quote after an unclosed quote, 200,000 times: no regex backtracking."""
    text = '"\\"' * 200_000 + "[" * (MAX_JSON_DEPTH + 1)
    start = time.perf_counter()
    assert deeper_than(text, MAX_JSON_DEPTH) is None  # the unclosed string runs to the end
    assert deeper_than("[" * 100 + text, MAX_JSON_DEPTH) == MAX_JSON_DEPTH
    assert time.perf_counter() - start < 1.0


def _state(body: str) -> bytes:
    return ('{"schema_version": 1,\n  "specs": ' + body + "\n}\n").encode()


@pytest.mark.parametrize("levels", [MAX_STATE_DEPTH, 1_500, 100_000])
def test_a_deeply_nested_state_file_is_a_state_error_naming_the_file(levels: int) -> None:
    with pytest.raises(StateError) as caught:
        parse_state(_state('{"a": ' * levels + "1" + "}" * levels), ".trainer/state.json")
    # The top object is level 1, so the MAX_STATE_DEPTH-th nested object is one too many.
    col = len('  "specs": ') + 1 + len('{"a": ') * (MAX_STATE_DEPTH - 1)
    assert str(caught.value).startswith(f".trainer/state.json:2:{col}: arrays and objects nested")


def test_a_state_file_just_within_the_depth_limit_reads(tmp_path: Path) -> None:
    levels = MAX_STATE_DEPTH - 1
    with pytest.raises(StateError) as caught:  # readable, but not a state: the schema says so
        parse_state(_state('{"a": ' * levels + "1" + "}" * levels), "state.json")
    assert "does not match the state schema" in str(caught.value)
    assert parse_state(StateDocument().to_json(), "state.json").specs == {}


def test_status_on_a_deeply_nested_state_file_is_an_error_not_a_crash(
    tmp_path: Path, run: Callable[..., Result]
) -> None:
    root = make_repo(tmp_path / "repo", git_init=False)
    state = tmp_path / "state.json"
    state.write_bytes(_state("[" * 100_000 + "]" * 100_000))
    result = run("--repo", root, "--state", f"file:{state}", "status")
    assert result.code == 2
    assert f"{state}:2:" in result.err
    assert f"nested more than {MAX_STATE_DEPTH} levels deep" in result.err
    assert "unexpected error" not in result.err
    assert "Traceback" not in result.out + result.err
