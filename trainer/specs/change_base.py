"""The base of the change being validated: the commit its files are compared with.

In a pull request on GitHub Actions (GITHUB_BASE_REF) that is the merge base with
`origin/<base branch>`; elsewhere the merge base with TRAINER_BASE_BRANCH, origin's default
branch or `main` (its origin copy first, then the local branch), so that commits not yet on
the base branch and uncommitted edits both count as the change. Files are read from git's
object database: nothing is checked out, the work tree and index are not touched.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from trainer.specs.yaml_source import MAX_YAML_BYTES

if TYPE_CHECKING:  # GitPython is imported when a base is read, not by every command
    import git


@dataclass(frozen=True)
class BaseFiles:
    """Files as they were at the base of the change."""

    label: str
    """How messages name the base: `origin/main`, `main`, or `HEAD` when no base branch
    shares history with HEAD (then only uncommitted edits are the change)."""
    files: dict[str, str]
    """Repo-relative path → text, for the asked-for paths the base has (as UTF-8 text
    within the YAML size limit)."""
    unresolved: str | None = None
    """In a pull request: the base branch that could not be found (a shallow checkout)."""


def _text(blob: Any) -> str | None:
    import git

    if blob is None or blob.type != "blob" or blob.size > MAX_YAML_BYTES:
        return None
    try:
        return str(blob.data_stream.read().decode("utf-8"))
    except (UnicodeDecodeError, ValueError, git.GitError):
        return None


def _entries(tree: Any, folder: str) -> dict[str, Any]:
    """The entries of `folder` in `tree` by name ({} if it is not a folder there)."""
    try:
        sub = tree / folder if folder not in ("", ".") else tree
    except KeyError:
        return {}
    return {item.name: item for item in sub} if sub.type == "tree" else {}


def _merge_base(repo: git.Repo, head: Any, ref: str) -> Any:
    import git

    try:
        tip = repo.commit(ref)
        found = repo.merge_base(head, tip)
    except (git.BadName, git.GitCommandError, ValueError):
        return None
    return found[0] if found else None


def _base(repo: git.Repo, root: Path, head: Any) -> tuple[str, Any, str | None]:
    from trainer.promotion.branches import base_branch, origin_default_branch

    pull_request = os.environ.get("GITHUB_BASE_REF")
    branch = (
        pull_request
        or os.environ.get("TRAINER_BASE_BRANCH")
        or origin_default_branch(root)
        or base_branch()
    )
    for label, ref in (
        (f"origin/{branch}", f"refs/remotes/origin/{branch}"),
        (branch, f"refs/heads/{branch}"),
    ):
        commit = _merge_base(repo, head, ref)
        if commit is not None:
            return label, commit, None
    return "HEAD", head, f"origin/{pull_request}" if pull_request else None


def read_base_files(root: Path, paths: list[str]) -> BaseFiles | None:
    """`paths` (repo-relative) at the base of the change; None when `root` is not in a git
    work tree or it has no commit yet: then there is no base and nothing to compare."""
    import git

    try:
        repo = git.Repo(root, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        return None
    with repo:
        if repo.working_tree_dir is None:  # a bare repository: no work tree to compare
            return None
        try:
            head = repo.head.commit
            top = Path(repo.working_tree_dir).resolve()
            prefix = PurePosixPath(root.resolve().relative_to(top).as_posix())
        except ValueError:  # no commit yet, or `root` outside the work tree
            return None
        label, commit, unresolved = _base(repo, root, head)
        folders: dict[str, dict[str, Any]] = {}
        files = {}
        for path in paths:
            where = prefix / path
            parent = where.parent.as_posix()
            if parent not in folders:
                folders[parent] = _entries(commit.tree, parent)
            text = _text(folders[parent].get(where.name))
            if text is not None:
                files[path] = text
        return BaseFiles(label, files, unresolved)
