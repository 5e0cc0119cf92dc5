"""Every bad input in the corpus produces exactly the errors in its `.expected` file."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Result
from tests.helpers import make_repo

HERE = Path(__file__).parent
JOB_CASES = sorted((HERE / "bad_jobs").glob("*.yaml"))
REGISTRY_CASES = sorted((HERE / "bad_registry").glob("*.yaml"))


def _check(case: Path, folder: str, tmp_path: Path, run: Callable[..., Result]) -> None:
    root = make_repo(tmp_path / "repo", jobs=(), git_init=False, judged=False)
    shutil.copyfile(case, root / folder / case.name)
    result = run("--repo", root, "validate")
    expected = case.with_suffix(".expected").read_text()
    assert result.out == expected
    assert result.code == 2
    assert "Traceback" not in result.out + result.err


@pytest.mark.parametrize("case", JOB_CASES, ids=[c.stem for c in JOB_CASES])
def test_bad_job_spec_reports_exact_errors(
    case: Path, tmp_path: Path, run: Callable[..., Result]
) -> None:
    _check(case, "specs/jobs", tmp_path, run)


@pytest.mark.parametrize("case", REGISTRY_CASES, ids=[c.stem for c in REGISTRY_CASES])
def test_bad_registry_file_reports_exact_errors(
    case: Path, tmp_path: Path, run: Callable[..., Result]
) -> None:
    _check(case, "specs/registry", tmp_path, run)


def test_every_case_has_an_expected_file() -> None:
    missing = [
        c.name for c in [*JOB_CASES, *REGISTRY_CASES] if not c.with_suffix(".expected").exists()
    ]
    assert missing == []
