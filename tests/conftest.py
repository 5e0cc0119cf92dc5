from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.helpers import make_repo
from trainer.cli.main import main


@dataclass
class Result:
    code: int
    out: str
    err: str


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]) -> Callable[..., Result]:
    """Run the trainer CLI in-process, exactly as the console script does."""

    def invoke(*args: str | Path) -> Result:
        capsys.readouterr()
        code = main([str(a) for a in args])
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return invoke


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A committed GitOps repository with two valid specs."""
    return make_repo(tmp_path / "repo", jobs=("alpha", "beta"))


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "TRAINER_STATE",
        "OPENAI_API_KEY",
        "GITHUB_TOKEN",
        "NO_COLOR",
        "GITHUB_BASE_REF",
        "TRAINER_BASE_BRANCH",
    ):
        monkeypatch.delenv(name, raising=False)
