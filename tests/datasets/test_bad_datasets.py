"""Every bad dataset in the corpus produces exactly the problems in its `.expected` file."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Result
from tests.helpers import job, make_repo, write_yaml

HERE = Path(__file__).parent / "bad"
CASES = sorted(HERE.glob("*.jsonl"))


def validate_dataset(case: Path, tmp_path: Path, run: Callable[..., Result]) -> Result:
    root = make_repo(tmp_path / "repo", jobs=(), git_init=False, judged=False)
    shutil.copyfile(case, root / "specs/datasets" / case.name)
    body = job("tutor", datasetUri=f"specs/datasets/{case.name}")
    del body["validationDatasetUri"]
    write_yaml(root / "specs/jobs/tutor.yaml", body)
    return run("--repo", root, "validate", "--no-stats")


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_bad_dataset_reports_exact_problems(
    case: Path, tmp_path: Path, run: Callable[..., Result]
) -> None:
    result = validate_dataset(case, tmp_path, run)
    assert result.out == case.with_suffix(".expected").read_text()
    has_errors = any(": warning: " not in line for line in result.out.splitlines())
    assert result.code == (2 if has_errors else 0)
    assert "Traceback" not in result.err


def test_every_case_has_an_expected_file() -> None:
    assert [c.name for c in CASES if not c.with_suffix(".expected").exists()] == []
