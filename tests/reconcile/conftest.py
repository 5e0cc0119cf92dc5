from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import make_repo
from trainer.emulator.server import RunningEmulator, background
from trainer.emulator.state import EmulatorState, Timings

SLOW = Timings(3600, 3600, 3600)
"""Jobs stay in flight until a test moves them with `state.finish(job_id)`."""


@pytest.fixture
def emulator() -> Iterator[RunningEmulator]:
    with background(EmulatorState(timings=SLOW)) as running:
        yield running


@pytest.fixture
def env(emulator: RunningEmulator, monkeypatch: pytest.MonkeyPatch) -> RunningEmulator:
    """The environment a user sets: the SDK's own variables, pointing at the emulator."""
    monkeypatch.setenv("OPENAI_BASE_URL", emulator.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-emulator-key-0000000000")
    return emulator


@pytest.fixture
def gitops(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "repo", jobs=("alpha", "beta"))
