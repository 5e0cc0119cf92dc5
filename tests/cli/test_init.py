"""`trainer init`: a new GitOps repository that validates and plans, never overwriting."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from tests.conftest import Result
from tests.helpers import REPO, commit_all, git
from trainer import __version__

Run = Callable[..., Result]
BIN = Path(sys.executable).parent
COMMIT = "89abcdef" * 5
ACTION = f"trainer-gitops/trainer@{COMMIT}"


@pytest.fixture
def empty_repo(tmp_path: Path) -> Path:
    root = tmp_path / "gitops"
    root.mkdir()
    git(root, "init", "--quiet", "--initial-branch=main")
    return root


def test_init_then_commit_validates_and_plans(empty_repo: Path, run: Run, tmp_path: Path) -> None:
    result = run("--repo", empty_repo, "init", "--action", ACTION)
    assert result.code == 0, result.err
    created = [line.split()[1] for line in result.out.splitlines() if "created" in line]
    calibration = [name for name in created if name.startswith("harness/calibration/")]
    assert len(calibration) == 12, "the calibration sets of the default suites' rubrics"
    created = [name for name in created if name not in calibration]
    assert created == [
        "specs/datasets/example-tutor.jsonl",
        "specs/jobs/example-tutor.yaml",
        "specs/policy.yaml",
        "specs/registry/README.md",
        "harness/pedagogy.yaml",
        "harness/safety.yaml",
        ".github/workflows/trainer-plan.yml",
        ".github/workflows/trainer-reconcile.yml",
        ".gitignore",
    ]
    assert (empty_repo / ".gitignore").read_text() == ".trainer/\n"
    for suite in ("pedagogy.yaml", "safety.yaml"):
        assert (empty_repo / "harness" / suite).read_bytes() == (
            REPO / "harness" / suite
        ).read_bytes()
    commit_all(empty_repo, "Set up trainer")
    validate = run("--repo", empty_repo, "validate")
    assert validate.code == 0, validate.err
    assert validate.err.splitlines()[-1] == "OK: 1 job spec, 0 registry models, 1 dataset valid"
    plan = run(
        "--repo", empty_repo, "--state", f"file:{tmp_path / 's.json'}", "plan", "--format", "json"
    )
    assert plan.code == 0, plan.err
    assert [(a["name"], a["action"]) for a in json.loads(plan.out)["actions"]] == [
        ("example-tutor", "create")
    ]


def test_init_makes_a_git_repository_when_there_is_none(tmp_path: Path, run: Run) -> None:
    bare = tmp_path / "not-yet-git"
    bare.mkdir()
    result = run("--repo", bare, "init", "--minimal", "--action", ACTION)
    assert result.code == 0, result.err
    assert result.out.startswith(f"initialised a git repository in {bare}")
    assert (bare / ".git").is_dir()
    assert git(bare, "symbolic-ref", "--short", "HEAD").strip() == "main"


def test_init_never_overwrites_without_force(empty_repo: Path, run: Run) -> None:
    policy = empty_repo / "specs/policy.yaml"
    policy.parent.mkdir(parents=True)
    policy.write_text("default: {allowed_licenses: [MIT]}\n")
    (empty_repo / ".gitignore").write_text("node_modules/")
    first = run("--repo", empty_repo, "init", "--action", ACTION)
    assert first.code == 0, first.err
    assert "exists, left specs/policy.yaml (--force overwrites it)" in first.out
    assert policy.read_text() == "default: {allowed_licenses: [MIT]}\n"
    assert (empty_repo / ".gitignore").read_text() == (
        "node_modules/\n# trainer: state, caches, reports\n.trainer/\n"
    )
    spec = empty_repo / "specs/jobs/example-tutor.yaml"
    spec.write_text(spec.read_text().replace("budget_usd: 10", "budget_usd: 12"))

    again = run("--repo", empty_repo, "init", "--action", ACTION)
    assert again.code == 0
    assert "created" not in again.out
    assert "exists, left specs/jobs/example-tutor.yaml (--force overwrites it)" in again.out
    assert "unchanged    harness/pedagogy.yaml" in again.out
    assert "budget_usd: 12" in spec.read_text()
    assert (empty_repo / ".gitignore").read_text().count(".trainer/") == 1

    forced = run("--repo", empty_repo, "init", "--force", "--action", ACTION)
    assert forced.code == 0
    assert "overwritten  specs/jobs/example-tutor.yaml" in forced.out
    assert "overwritten  specs/policy.yaml" in forced.out
    assert "budget_usd: 10" in spec.read_text()


def test_minimal_leaves_out_the_example_and_still_validates(empty_repo: Path, run: Run) -> None:
    assert run("--repo", empty_repo, "init", "--minimal", "--action", ACTION).code == 0
    assert not (empty_repo / "specs/jobs/example-tutor.yaml").exists()
    assert not list((empty_repo / "specs/datasets").glob("*.jsonl"))
    commit_all(empty_repo, "Set up trainer")
    tracked = git(empty_repo, "ls-files").split()
    assert {"specs/jobs/.gitkeep", "specs/datasets/.gitkeep", "specs/registry/README.md"} <= set(
        tracked
    )
    validate = run("--repo", empty_repo, "validate")
    assert validate.code == 0, validate.err
    assert run("--repo", empty_repo, "plan").code == 0


def _action_repository(tmp_path: Path, tag: str, *, annotated: bool) -> tuple[str, str]:
    """A bare `trainer-gitops/trainer` under a file:// server URL; (server, tagged commit)."""
    work = tmp_path / "action-work"
    work.mkdir()
    git(work, "init", "--quiet", "--initial-branch=main")
    (work / "action.yml").write_text("name: trainer\n")
    commit_all(work, "action")
    args = ["tag", "-a", "-m", "release", tag] if annotated else ["tag", tag]
    git(work, *args)
    server = tmp_path / "server"
    (server / "trainer-gitops").mkdir(parents=True)
    git(tmp_path, "clone", "--quiet", "--bare", str(work), str(server / "trainer-gitops/trainer"))
    return server.as_uri(), git(work, "rev-parse", "HEAD").strip()


@pytest.mark.parametrize("annotated", [True, False], ids=["annotated-tag", "lightweight-tag"])
def test_a_tag_is_pinned_to_its_commit_and_the_workflows_lint_clean(
    empty_repo: Path, run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, annotated: bool
) -> None:
    server, commit = _action_repository(tmp_path, f"v{__version__}", annotated=annotated)
    monkeypatch.setenv("GITHUB_SERVER_URL", server)
    result = run("--repo", empty_repo, "init")
    assert result.code == 0, result.err
    assert result.err == ""
    assert f"workflows use trainer-gitops/trainer@{commit} # v{__version__}" in result.out
    workflows = sorted((empty_repo / ".github/workflows").glob("*.yml"))
    for workflow in workflows:
        steps = yaml.safe_load(workflow.read_text())["jobs"]
        (job,) = steps.values()
        assert job["steps"][-1]["uses"] == f"trainer-gitops/trainer@{commit}"
    lint = subprocess.run(
        [str(BIN / "actionlint"), *map(str, workflows)], capture_output=True, text=True, check=False
    )
    assert lint.returncode == 0, lint.stdout + lint.stderr
    audit = subprocess.run(
        [str(BIN / "zizmor"), "--offline", str(empty_repo / ".github/workflows")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert audit.returncode == 0, audit.stdout + audit.stderr


def test_an_unreachable_action_repository_keeps_the_tag_and_says_so(
    empty_repo: Path, run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_SERVER_URL", (tmp_path / "no-server").as_uri())
    result = run("--repo", empty_repo, "init")
    assert result.code == 0
    assert f"could not resolve trainer-gitops/trainer@v{__version__} to a commit" in result.err
    plan = yaml.safe_load((empty_repo / ".github/workflows/trainer-plan.yml").read_text())
    assert plan["jobs"]["plan"]["steps"][-1]["uses"] == f"trainer-gitops/trainer@v{__version__}"


def test_a_bad_action_is_a_usage_error(empty_repo: Path, run: Run) -> None:
    result = run("--repo", empty_repo, "init", "--action", "not an action")
    assert result.code == 2
    assert "--action 'not an action': expected OWNER/REPO@REF" in result.err
    assert not (empty_repo / "specs").exists(), "nothing is written on a usage error"


def test_another_default_branch_is_carried_into_the_workflows(tmp_path: Path, run: Run) -> None:
    root = tmp_path / "legacy"
    root.mkdir()
    git(root, "init", "--quiet", "--initial-branch=master")
    assert run("--repo", root, "init", "--action", ACTION).code == 0
    reconcile = yaml.safe_load((root / ".github/workflows/trainer-reconcile.yml").read_text())
    assert reconcile[True]["push"]["branches"] == ["master"]
    step = reconcile["jobs"]["reconcile"]["steps"][-1]
    assert step["env"] == {"TRAINER_BASE_BRANCH": "master"}


def test_the_default_branch_of_origin_wins_over_a_feature_branch(tmp_path: Path, run: Run) -> None:
    upstream = tmp_path / "upstream"
    upstream.mkdir()
    git(upstream, "init", "--quiet", "--initial-branch=trunk")
    (upstream / "README.md").write_text("hello\n")
    commit_all(upstream, "first")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "--quiet", str(upstream), str(clone))
    git(clone, "switch", "--quiet", "-c", "set-up-trainer")
    assert run("--repo", clone, "init", "--action", ACTION).code == 0
    reconcile = yaml.safe_load((clone / ".github/workflows/trainer-reconcile.yml").read_text())
    assert reconcile[True]["push"]["branches"] == ["trunk"]
