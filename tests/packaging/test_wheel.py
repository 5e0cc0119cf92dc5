"""The wheel works outside this checkout: built from the tracked files, installed into a
fresh virtualenv, run from unrelated directories (`make wheel`, part of `make test`)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from email.parser import HeaderParser
from pathlib import Path

import pytest
import yaml

from tests.helpers import REPO
from trainer import __version__

pytestmark = pytest.mark.wheel
PIP = ["-m", "pip", "--disable-pip-version-check", "--no-input"]


def _tracked_files() -> list[str]:
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=REPO,
        capture_output=True,
        check=True,
    ).stdout
    return sorted(name for name in listed.decode().split("\0") if name and (REPO / name).exists())


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build from a copy of what git tracks, as a clean clone would (no stray build files)."""
    source = tmp_path_factory.mktemp("source")
    for name in _tracked_files():
        target = source / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, target, follow_symlinks=False)
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [
            sys.executable,
            *PIP,
            "wheel",
            "--quiet",
            "--no-deps",
            "--wheel-dir",
            str(out),
            str(source),
        ],
        check=True,
        capture_output=True,
    )
    (built,) = out.glob("*.whl")
    return built


@pytest.fixture(scope="module")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtualenv with only the wheel and its dependencies; returns its bin/."""
    home = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", str(home)], check=True)
    subprocess.run(
        [str(home / "bin/python"), *PIP, "install", "--quiet", str(wheel)],
        check=True,
        capture_output=True,
    )
    return home / "bin"


def _env(tmp_path: Path) -> dict[str, str]:
    """No API keys, no tokens, git identity set; PATH with the venv only for git."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("OPENAI_", "GITHUB_", "TRAINER_", "VIRTUAL_ENV", "PYTHON"))
    }
    env.update(
        GIT_AUTHOR_NAME="new user",
        GIT_AUTHOR_EMAIL="new.user@example.com",
        GIT_COMMITTER_NAME="new user",
        GIT_COMMITTER_EMAIL="new.user@example.com",
        HOME=str(tmp_path / "home"),
        GIT_CONFIG_NOSYSTEM="1",
    )
    (tmp_path / "home").mkdir(exist_ok=True)
    return env


def _trainer(
    venv: Path, cwd: Path, env: dict[str, str], *args: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(venv / "trainer"), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def test_the_wheel_carries_every_runtime_file(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    runtime = [n for n in _tracked_files() if n.startswith("trainer/") and not n.endswith(".py")]
    assert "trainer/data/pricing.yaml" in runtime, "the list of runtime files is not empty"
    missing = [n for n in runtime if n not in names]
    assert missing == [], f"runtime files not in the wheel: {missing}"
    python = [n for n in _tracked_files() if n.startswith("trainer/") and n.endswith(".py")]
    assert [n for n in python if n not in names] == []
    assert not [n for n in names if n.startswith(("tests/", "benchmarks/", "specs/"))]
    for needed in (
        "trainer/example/specs/jobs/math-socratic-tutor.yaml",
        "trainer/example/specs/policy.yaml",
        "trainer/example/harness/pedagogy.yaml",
        "trainer/scaffold/workflows/trainer-plan.yml.j2",
        "trainer/templates/report.md.j2",
    ):
        assert needed in names


def test_the_distribution_is_not_called_trainer_and_has_one_version(wheel: Path) -> None:
    archive = zipfile.ZipFile(wheel)
    (metadata,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
    headers = HeaderParser().parsestr(archive.read(metadata).decode())
    assert headers["Name"] == "trainer-gitops"
    assert headers["Version"] == __version__
    assert headers["License-Expression"] == "Apache-2.0"
    (entry_points,) = [n for n in archive.namelist() if n.endswith(".dist-info/entry_points.txt")]
    assert "trainer = trainer.cli.main:entry" in archive.read(entry_points).decode()


def test_version_from_the_installed_command(venv: Path, tmp_path: Path) -> None:
    done = _trainer(venv, tmp_path, _env(tmp_path), "--version")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"trainer, version {__version__}"


def test_demo_reaches_promoted_from_an_unrelated_directory(venv: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "somewhere-else"
    elsewhere.mkdir()
    env = _env(tmp_path)
    done = _trainer(
        venv, elsewhere, env, "demo", "--dir", str(tmp_path / "demo"), "--job-seconds", "0.3"
    )
    assert done.returncode == 0, done.stderr
    status = _trainer(
        venv, elsewhere, env, "--repo", str(tmp_path / "demo"), "status", "--format", "json"
    )
    assert status.returncode == 0, status.stderr
    phases = {row["name"]: row["phase"] for row in json.loads(status.stdout)}
    assert phases == {
        "math-socratic-tutor": "promoted",
        "reading-comprehension-coach": "eval_failed",
    }
    assert list(elsewhere.iterdir()) == [], "the demo writes only into its scratch repository"


def test_init_validate_plan_in_a_new_repository(venv: Path, tmp_path: Path) -> None:
    env = _env(tmp_path)
    repo = tmp_path / "my-gitops"
    repo.mkdir()
    subprocess.run(
        ["git", "init", "--quiet", "--initial-branch=main"], cwd=repo, env=env, check=True
    )
    action = "trainer-gitops/trainer@" + "0123456789abcdef" * 2 + "01234567"
    init = _trainer(venv, repo, env, "init", "--action", action)
    assert init.returncode == 0, init.stderr
    assert "created      specs/jobs/example-tutor.yaml" in init.stdout
    subprocess.run(["git", "add", "-A"], cwd=repo, env=env, check=True)
    subprocess.run(
        ["git", "commit", "--quiet", "-m", "Set up trainer"], cwd=repo, env=env, check=True
    )
    validate = _trainer(venv, repo / "specs", env, "validate")
    assert validate.returncode == 0, validate.stderr
    assert validate.stderr.splitlines()[-1] == "OK: 1 job spec, 0 registry models, 1 dataset valid"
    plan = _trainer(venv, repo, env, "plan", "--format", "json")
    assert plan.returncode == 0, plan.stderr
    actions = [(a["name"], a["action"]) for a in json.loads(plan.stdout)["actions"]]
    assert actions == [("example-tutor", "create")]
    workflow = yaml.safe_load((repo / ".github/workflows/trainer-reconcile.yml").read_text())
    assert workflow["jobs"]["reconcile"]["steps"][-1]["uses"] == action
    assert (
        subprocess.run(
            ["git", "status", "--porcelain"],
            cwd=repo,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        == ""
    )
