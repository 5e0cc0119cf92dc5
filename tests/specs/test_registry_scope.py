"""A registry model's scope compared with the base of the change, in real git repositories:
a spec of one tenant cannot get into another tenant's model by moving the model in the same
change."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Result
from tests.helpers import commit_all, git, make_repo

Run = Callable[..., Result]
TAIL = (
    "a spec may not move another tenant's model into its own scope: change a model's scope in "
    "a pull request of its own, in which no spec of another scope promotes into it\n"
)


def _moved(label: str, spec: str = "specs/jobs/alpha.yaml") -> str:
    return (
        f"specs/registry/tutor.yaml:2:8: scope: changed from 'tenant_a' (at {label}) to "
        f"'tenant_b' in the same change as {spec}, a spec of scope 'tenant_b' that promotes "
        f"into this model; {TAIL}"
    )


def _set_scope(path: Path, scope: str) -> None:
    text = path.read_text()
    assert "scope: tenant_a" in text
    path.write_text(text.replace("scope: tenant_a", f"scope: {scope}"))


def _take_over(root: Path) -> None:
    """Tenant B's change: tenant A's model and the spec promoting into it, both moved to B."""
    _set_scope(root / "specs/registry/tutor.yaml", "tenant_b")
    _set_scope(root / "specs/jobs/alpha.yaml", "tenant_b")


def _promotion_model_at(spec: Path) -> str:
    lines = spec.read_text().splitlines()
    line = next(i for i, text in enumerate(lines, 1) if text.strip() == "model: tutor")
    return f"{line}:{lines[line - 1].index('tutor') + 1}"


def test_a_scope_change_with_a_spec_of_the_new_scope_is_refused(tmp_path: Path, run: Run) -> None:
    root = make_repo(tmp_path / "repo")
    _take_over(root)
    result = run("--repo", root, "validate", "--no-stats")
    assert (result.code, result.out) == (2, _moved("main"))


def test_committed_on_a_branch_it_is_compared_with_the_merge_base(tmp_path: Path, run: Run) -> None:
    root = make_repo(tmp_path / "repo")
    git(root, "checkout", "-q", "-b", "tenant-b-takes-over")
    _take_over(root)
    commit_all(root, "move the tutor to tenant_b")
    result = run("--repo", root, "validate", "--no-stats")
    assert (result.code, result.out) == (2, _moved("main"))
    assert run("--repo", root, "plan").code == 2, "plan refuses what validate refuses"


def test_in_a_pull_request_the_base_is_origin_of_github_base_ref(
    tmp_path: Path, run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed = make_repo(tmp_path / "seed")
    git(seed, "branch", "-q", "-m", "main", "trunk")
    git(tmp_path, "clone", "-q", "--bare", str(seed), str(tmp_path / "origin.git"))
    git(tmp_path, "clone", "-q", str(tmp_path / "origin.git"), str(tmp_path / "clone"))
    clone = tmp_path / "clone"
    git(clone, "checkout", "-q", "-b", "feature")
    _take_over(clone)
    commit_all(clone, "move the tutor to tenant_b")
    assert run("--repo", clone, "validate", "--no-stats").out == _moved("origin/trunk")
    git(clone, "remote", "set-head", "origin", "--delete")  # as in a checkout by Actions
    git(clone, "branch", "-q", "-D", "trunk")
    assert run("--repo", clone, "validate", "--no-stats").code == 0, "no base known: no check"
    monkeypatch.setenv("GITHUB_BASE_REF", "trunk")
    result = run("--repo", clone, "validate", "--no-stats")
    assert (result.code, result.out) == (2, _moved("origin/trunk"))


def test_a_spec_of_the_old_scope_gets_the_usual_scope_error_only(tmp_path: Path, run: Run) -> None:
    root = make_repo(tmp_path / "repo")
    _set_scope(root / "specs/registry/tutor.yaml", "tenant_b")
    result = run("--repo", root, "validate", "--no-stats")
    assert result.code == 2
    assert result.out == (
        f"specs/jobs/alpha.yaml:{_promotion_model_at(root / 'specs/jobs/alpha.yaml')}: "
        "promotion.model: registry model 'tutor' belongs to scope 'tenant_b'; a spec of scope "
        "'tenant_a' may only promote into models of its own scope\n"
    )


def test_a_scope_change_of_its_own_passes_and_then_the_new_tenant_may_promote(
    tmp_path: Path, run: Run
) -> None:
    root = make_repo(tmp_path / "repo")
    spec = (root / "specs/jobs/alpha.yaml").read_text()
    (root / "specs/jobs/alpha.yaml").unlink()
    commit_all(root, "alpha no longer promotes into the tutor")
    _set_scope(root / "specs/registry/tutor.yaml", "tenant_b")
    assert run("--repo", root, "validate", "--no-stats").code == 0
    commit_all(root, "move the tutor to tenant_b, on its own")
    (root / "specs/jobs/alpha.yaml").write_text(spec.replace("tenant_a", "tenant_b"))
    assert run("--repo", root, "validate", "--no-stats").code == 0


def test_removing_the_model_with_a_spec_of_another_scope_is_refused(
    tmp_path: Path, run: Run
) -> None:
    root = make_repo(tmp_path / "repo")
    (root / "specs/registry/tutor.yaml").unlink()
    _set_scope(root / "specs/jobs/alpha.yaml", "tenant_b")
    result = run("--repo", root, "validate", "--no-stats")
    assert result.code == 2
    assert result.out == (
        f"specs/jobs/alpha.yaml:{_promotion_model_at(root / 'specs/jobs/alpha.yaml')}: "
        "promotion.model: registry model 'tutor' of scope 'tenant_a' (at main) is removed in "
        "this change; a spec of scope 'tenant_b' may not create another tenant's model anew "
        "in its own scope: remove the model in a pull request of its own, in which no spec of "
        "another scope promotes into it\n"
    )


@pytest.mark.parametrize("history", ["none", "no commit"])
def test_without_git_history_there_is_nothing_to_compare(
    tmp_path: Path, run: Run, history: str
) -> None:
    root = make_repo(tmp_path / "repo", git_init=False)
    if history == "no commit":
        git(root, "init", "-q", "-b", "main")
    _take_over(root)
    result = run("--repo", root, "validate", "--no-stats")
    assert (result.code, result.out) == (0, "")


def test_a_pull_request_base_missing_from_a_shallow_clone_is_a_warning(
    tmp_path: Path, run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_repo(tmp_path / "repo")
    monkeypatch.setenv("GITHUB_BASE_REF", "release")
    result = run("--repo", root, "validate", "--no-stats")
    assert result.code == 0
    assert result.out == (
        "specs/registry/tutor.yaml:2:8: warning: scope: not compared with the pull request's "
        "base: origin/release is not in this clone, so a scope change in this pull request "
        "goes unchecked; check out with fetch-depth: 0 (actions/checkout)\n"
    )


def test_a_repository_in_a_subfolder_of_the_work_tree(tmp_path: Path, run: Run) -> None:
    top = tmp_path / "monorepo"
    root = make_repo(top / "ml/gitops", git_init=False)
    git(top, "init", "-q", "-b", "main")
    commit_all(top, "the models live in ml/gitops")
    _take_over(root)
    result = run("--repo", root, "validate", "--no-stats")
    assert (result.code, result.out) == (2, _moved("main"))
