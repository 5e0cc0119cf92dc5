"""Hostile YAML (alias bombs, deep nesting, huge files) ends in a located error, fast.

Every YAML file trainer reads goes through `load_yaml_mapping`, so a spec stands for all of
them. A regression must fail these tests, not hang the suite or exhaust the machine: the
in-process runs have a deadline, the subprocess runs an address-space and a CPU limit.
"""

from __future__ import annotations

import re
import resource
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import yaml

from tests.conftest import Result
from tests.helpers import job, make_repo
from trainer.specs import yaml_source
from trainer.specs.yaml_source import (
    MAX_YAML_BYTES,
    MAX_YAML_DEPTH,
    MAX_YAML_NODES,
    YamlLoadError,
    load_yaml_mapping,
)

_SCRIPT = Path(sys.executable).with_name("trainer")
TRAINER = (
    [str(_SCRIPT)]
    if _SCRIPT.exists()  # .venv/bin/trainer, beside the interpreter running the tests
    else [sys.executable, "-c", "from trainer.cli.main import entry; entry()"]
)
SECONDS = 5.0
MEMORY = 300 * 1024 * 1024
ADDRESS_SPACE = 1536 * 1024 * 1024
"""RLIMIT_AS of the subprocess: a regression dies of MemoryError instead of eating RAM."""

LOL = '["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'
BOMB = f"name: bomb\na: &a {LOL}\n" + "".join(
    f"{c}: &{c} [{','.join([f'*{p}'] * 9)}]\n" for p, c in zip("abcdefgh", "bcdefghi", strict=True)
)
"""The classic "billion laughs": 353 bytes, 9^9 (about 10^9) strings once expanded."""

LOADERS = {"libyaml": yaml_source._Loader, "pure-python": yaml.SafeLoader}


def flow_nested(levels: int) -> str:
    return f"name: deep\nconfig: {'[' * levels}{']' * levels}\n"


def block_nested(levels: int) -> str:
    """Block sequences nest on one line (`- - - x`); libyaml itself stops at 1,000 levels."""
    return f"name: deep\nconfig:\n  {'- ' * levels}x\n"


def mixed_nested(levels: int) -> str:
    half = levels // 2
    return f"name: deep\nconfig:\n  {'- ' * half}{'[' * half}{']' * half}\n"


class _Hung(BaseException):
    """Raised by the deadline; a BaseException so the CLI's crash handler lets it through."""


@contextmanager
def deadline(seconds: float) -> Iterator[None]:
    def expire(signum: int, frame: object) -> None:
        raise _Hung

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    except _Hung:
        pytest.fail(f"still running after {seconds} s")
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def located(out: str, rel: str) -> list[tuple[int, int, str]]:
    return [
        (int(m[1]), int(m[2]), m[3])
        for m in re.finditer(rf"^{re.escape(rel)}:(\d+):(\d+): (.*)$", out, re.MULTILINE)
    ]


def spec_repo(tmp_path: Path, text: str, name: str = "hostile") -> tuple[Path, str]:
    root = make_repo(tmp_path / "repo", jobs=(), git_init=False, judged=False)
    rel = f"specs/jobs/{name}.yaml"
    (root / rel).write_text(text, encoding="utf-8")
    return root, rel


def validate_in_process(run: Callable[..., Result], root: Path) -> tuple[Result, float]:
    start = time.perf_counter()
    with deadline(SECONDS * 2):
        result = run("--repo", root, "validate", "--no-stats")
    return result, time.perf_counter() - start


@pytest.fixture(params=sorted(LOADERS))
def loader(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Both parsers: libyaml (the default) and PyYAML's own, used when libyaml is missing."""
    monkeypatch.setattr(yaml_source, "_Loader", LOADERS[request.param])
    return str(request.param)


HOSTILE = {
    "billion-laughs": (BOMB, "alias *"),
    "flow-2000": (flow_nested(2000), f"more than {MAX_YAML_DEPTH} levels"),
    "block-2000": (block_nested(2000), f"more than {MAX_YAML_DEPTH} levels"),
    "mixed-2000": (mixed_nested(2000), f"more than {MAX_YAML_DEPTH} levels"),
    "flow-600": (flow_nested(600), f"more than {MAX_YAML_DEPTH} levels"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_spec_is_a_located_error_within_seconds(
    case: str, loader: str, tmp_path: Path, run: Callable[..., Result]
) -> None:
    text, words = HOSTILE[case]
    root, rel = spec_repo(tmp_path, text)
    result, elapsed = validate_in_process(run, root)
    assert result.code == 2, result.out + result.err
    errors = located(result.out, rel)
    assert errors, result.out
    assert any(words in message for _, _, message in errors), errors
    assert elapsed < SECONDS
    assert "Traceback" not in result.out + result.err
    assert "unexpected error" not in result.err


def test_the_bomb_is_small_and_points_at_the_alias_that_overflows(tmp_path: Path) -> None:
    assert len(BOMB.encode()) == 353
    file = tmp_path / "bomb.yaml"
    file.write_text(BOMB)
    with deadline(SECONDS), pytest.raises(YamlLoadError) as caught:
        load_yaml_mapping(file, "bomb.yaml")
    diagnostic = caught.value.diagnostic
    line = BOMB.splitlines()[diagnostic.line - 1]
    assert line[diagnostic.col - 1] == "*"
    assert f"{MAX_YAML_NODES:,}" in diagnostic.message


def _limited() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))
    resource.setrlimit(resource.RLIMIT_CPU, (60, 60))


MEASURED = """
import resource, subprocess, sys
done = subprocess.run(sys.argv[2:])
with open(sys.argv[1], "w") as out:
    out.write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))
sys.exit(done.returncode)
"""
"""Runs a command and writes its peak RSS (KiB). The command is a child of this small
process, not a fork of pytest, so pytest's own memory does not count in its peak."""


def validate_subprocess(root: Path, tmp_path: Path) -> tuple[int, str, float, int]:
    """(exit code, output, seconds, peak RSS in bytes) of `trainer validate`, run with
    limits on address space and CPU time (inherited from the measuring process)."""
    peak = tmp_path / "peak-rss"
    start = time.perf_counter()
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            MEASURED,
            str(peak),
            *TRAINER,
            "--repo",
            str(root),
            "validate",
            "--no-stats",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        preexec_fn=_limited,
        timeout=120,
        check=False,
    )
    elapsed = time.perf_counter() - start
    return done.returncode, done.stdout, elapsed, int(peak.read_text()) * 1024


@pytest.mark.parametrize("case", ["billion-laughs", "flow-2000", "mixed-2000"])
def test_hostile_spec_costs_little_time_and_memory_in_a_real_process(
    case: str, tmp_path: Path
) -> None:
    root, rel = spec_repo(tmp_path, HOSTILE[case][0])
    code, output, elapsed, peak = validate_subprocess(root, tmp_path)
    assert code == 2, output
    assert located(output, rel), output
    assert elapsed < SECONDS
    assert peak < MEMORY, f"peak RSS {peak / 2**20:.0f} MiB"


def test_biggest_expansion_allowed_still_loads_fast(tmp_path: Path) -> None:
    """Just under the node limit, aliases still work (and load within the time budget)."""
    # 10 * 99 strings, repeated 99 times: about 99,000 values after expansion.
    row = "[" + ",".join(["x"] * 9) + "]"
    text = "name: wide\na: &a [" + ",".join([row] * 99) + "]\nb: [" + ",".join(["*a"] * 99) + "]\n"
    file = tmp_path / "wide.yaml"
    file.write_text(text)
    start = time.perf_counter()
    with deadline(SECONDS * 2):
        doc, problems = load_yaml_mapping(file, "wide.yaml")
    assert time.perf_counter() - start < SECONDS
    assert problems == []
    assert len(doc.data["b"]) == 99
    assert doc.data["b"][98][98] == ["x"] * 9


def test_nesting_up_to_the_limit_is_fine_and_one_more_is_not(tmp_path: Path) -> None:
    file = tmp_path / "deep.yaml"
    # The top mapping is level 1, so `config` may nest MAX_YAML_DEPTH - 1 more.
    file.write_text(flow_nested(MAX_YAML_DEPTH - 1))
    doc, _ = load_yaml_mapping(file, "deep.yaml")
    assert doc.data["config"] is not None
    file.write_text(flow_nested(MAX_YAML_DEPTH))
    with deadline(SECONDS), pytest.raises(YamlLoadError) as caught:
        load_yaml_mapping(file, "deep.yaml")
    assert (caught.value.diagnostic.line, caught.value.diagnostic.col) == (
        2,
        9 + MAX_YAML_DEPTH - 1,
    )


def test_aliases_cannot_smuggle_depth_past_the_limit(tmp_path: Path) -> None:
    half = MAX_YAML_DEPTH // 2 + 1
    text = f"name: x\na: &a {'[' * half}{']' * half}\nb: {'[' * half}*a{']' * half}\n"
    file = tmp_path / "alias-depth.yaml"
    file.write_text(text)
    with deadline(SECONDS), pytest.raises(YamlLoadError) as caught:
        load_yaml_mapping(file, "alias-depth.yaml")
    assert caught.value.diagnostic.line == 3
    assert "alias *a" in caught.value.diagnostic.message


def test_a_huge_file_is_refused_before_it_is_read(
    tmp_path: Path, run: Callable[..., Result]
) -> None:
    root, rel = spec_repo(tmp_path, "name: big\n" + "# padding\n" * (MAX_YAML_BYTES // 10 + 1))
    result, _ = validate_in_process(run, root)
    assert result.code == 2
    assert [message for _, _, message in located(result.out, rel) if "bytes" in message]


def test_a_device_is_refused_without_being_read(tmp_path: Path) -> None:
    """A symlink to /dev/zero has size 0 to stat() and never ends when read."""
    link = tmp_path / "zero.yaml"
    link.symlink_to("/dev/zero")
    with deadline(SECONDS), pytest.raises(YamlLoadError) as caught:
        load_yaml_mapping(link, "zero.yaml")
    assert "not a regular file" in caught.value.diagnostic.message


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("name: x\nwhen: 2001-13-01\n", "month must be in 1..12"),
        ("name: x\nseed: " + "1" * 5000 + "\n", "digits"),
    ],
)
def test_a_value_yaml_cannot_convert_is_a_located_error(
    text: str, words: str, tmp_path: Path
) -> None:
    file = tmp_path / "value.yaml"
    file.write_text(text)
    with pytest.raises(YamlLoadError) as caught:
        load_yaml_mapping(file, "value.yaml")
    assert caught.value.diagnostic.line == 2
    assert words in caught.value.diagnostic.message


def test_recursive_alias_and_merge_keys_still_work(tmp_path: Path) -> None:
    file = tmp_path / "merge.yaml"
    file.write_text(
        "name: x\nbase: &base {a: 1, b: 2}\nmerged: {<<: *base, c: 3}\nloop: &loop [*loop]\n"
    )
    doc, problems = load_yaml_mapping(file, "merge.yaml")
    assert doc.data["merged"] == {"a": 1, "b": 2, "c": 3}
    assert [(p.line, p.message) for p in problems] == [(4, "recursive alias")]


def test_a_real_spec_is_far_below_every_limit(tmp_path: Path) -> None:
    file = tmp_path / "spec.yaml"
    file.write_text(yaml.safe_dump(job("tutor"), sort_keys=False))
    doc, problems = load_yaml_mapping(file, "spec.yaml")
    assert problems == []
    assert doc.data["name"] == "tutor"
