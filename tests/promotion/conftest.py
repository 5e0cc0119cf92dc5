from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.helpers import REPO, commit_all, git
from tests.promotion.github_server import TOKEN, FakeGitHub, serve
from trainer.emulator.server import RunningEmulator, background
from trainer.emulator.state import EmulatorState, Timings

PRODUCTION = "ft:gpt-4o-mini-2024-07-18:trainer-demo:math-tutor:v1base"


@dataclass
class World:
    clone: Path
    origin: Path
    emulator: RunningEmulator
    github: FakeGitHub | None


def _world(tmp_path: Path) -> tuple[Path, Path]:
    seed = tmp_path / "seed"
    for name in ("specs", "harness"):
        shutil.copytree(REPO / name, seed / name)
    (seed / "specs/jobs/reading-comprehension-coach.yaml").unlink()
    git(seed, "init", "-q", "-b", "main")
    commit_all(seed, "example")
    origin = tmp_path / "origin.git"
    git(tmp_path, "clone", "-q", "--bare", str(seed), str(origin))
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(origin), str(clone))
    return clone, origin


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    """A clone of a bare origin holding the math spec, the emulator, and a fake GitHub."""
    clone, origin = _world(tmp_path)
    state = EmulatorState(timings=Timings(0, 0, 0))
    state.imported.add(PRODUCTION)
    with background(state) as emulator, serve(FakeGitHub(origin)) as github:
        monkeypatch.setenv("OPENAI_BASE_URL", emulator.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-promotion-test-0000000")
        monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
        monkeypatch.setenv("GITHUB_REPOSITORY", "acme/models")
        monkeypatch.setenv("GITHUB_API_URL", github.url)
        monkeypatch.setenv("GITHUB_ACTOR", "trainer-bot")
        yield World(clone, origin, emulator, github)


@pytest.fixture
def local_world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    """No GITHUB_TOKEN: pull requests are local branches plus bodies under .trainer/prs/."""
    clone, origin = _world(tmp_path)
    state = EmulatorState(timings=Timings(0, 0, 0))
    state.imported.add(PRODUCTION)
    with background(state) as emulator:
        monkeypatch.setenv("OPENAI_BASE_URL", emulator.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-promotion-test-0000000")
        for name in ("GITHUB_TOKEN", "GH_TOKEN", "GITHUB_REPOSITORY"):
            monkeypatch.delenv(name, raising=False)
        yield World(clone, origin, emulator, None)
