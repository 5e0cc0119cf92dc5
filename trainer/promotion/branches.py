"""Promotion branches: one commit on top of `main` that edits one registry file.

Built with git's object database (no checkout: the work tree and index are never
touched), force-pushed to `origin` so a re-run moves the branch onto the latest `main`.
"""

from __future__ import annotations

import os
import subprocess
from io import BytesIO
from pathlib import Path

import git
from git.index.typ import BaseIndexEntry
from gitdb.base import IStream

from trainer.errors import TrainerError
from trainer.state.git_store import bot_identity


def base_branch() -> str:
    """The branch promotions target and are built on: TRAINER_BASE_BRANCH, default main."""
    return os.environ.get("TRAINER_BASE_BRANCH") or "main"


def origin_default_branch(root: Path) -> str | None:
    """origin's default branch as the clone at `root` knows it (refs/remotes/origin/HEAD)."""
    done = subprocess.run(
        ["git", "symbolic-ref", "--quiet", "--short", "refs/remotes/origin/HEAD"],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    ref = done.stdout.strip()
    if done.returncode != 0 or not ref.startswith("origin/"):
        return None
    return ref.removeprefix("origin/") or None


class BranchError(TrainerError):
    pass


class PromotionRepo:
    def __init__(self, root: Path, base: str | None = None) -> None:
        self.base_branch = base or base_branch()
        try:
            self.repo = git.Repo(root)
        except (git.InvalidGitRepositoryError, git.NoSuchPathError):
            raise BranchError(f"{root} is not a git repository; promotion needs one") from None
        self.has_origin = "origin" in [r.name for r in self.repo.remotes]

    @property
    def base_ref(self) -> str:
        branch = self.base_branch
        return f"refs/remotes/origin/{branch}" if self.has_origin else f"refs/heads/{branch}"

    def refresh(self) -> None:
        if self.has_origin:
            try:
                self.repo.git.fetch(
                    "--quiet",
                    "--no-tags",
                    "origin",
                    f"+refs/heads/{self.base_branch}:refs/remotes/origin/{self.base_branch}",
                )
            except git.GitCommandError as exc:
                raise BranchError(
                    f"cannot fetch {self.base_branch} from origin: {str(exc.stderr).strip()}"
                ) from None

    def base(self) -> git.Commit:
        try:
            return self.repo.commit(self.base_ref)
        except (git.BadName, ValueError):
            raise BranchError(
                f"no branch {self.base_branch!r} to promote onto (set TRAINER_BASE_BRANCH)"
            ) from None

    def read(self, commit: git.Commit, path: str) -> str | None:
        try:
            return str(commit.tree[path].data_stream.read().decode("utf-8"))
        except KeyError:
            return None

    def commit_file(self, base: git.Commit, path: str, content: str, message: str) -> git.Commit:
        data = content.encode()
        stored = self.repo.odb.store(IStream(git.Blob.type, len(data), BytesIO(data)))
        index = git.IndexFile.from_tree(self.repo, base.tree)  # in memory, not .git/index
        index.add([BaseIndexEntry((0o100644, stored.binsha, 0, path))], write=False)
        tree = index.write_tree()
        actor = bot_identity(self.repo)
        return git.Commit.create_from_tree(
            self.repo,
            tree,
            message,
            parent_commits=[base],
            head=False,
            author=actor,
            committer=actor,
        )

    def publish(self, branch: str, commit: git.Commit) -> None:
        self.repo.git.update_ref(f"refs/heads/{branch}", commit.hexsha)
        if self.has_origin:
            try:
                self.repo.git.push(
                    "--quiet", "--force", "origin", f"{commit.hexsha}:refs/heads/{branch}"
                )
            except git.GitCommandError as exc:
                raise BranchError(
                    f"cannot push {branch} to origin: {str(exc.stderr).strip()}"
                ) from None

    def tip(self, branch: str) -> str | None:
        refs = [f"refs/heads/{branch}"]
        if self.has_origin:
            refs.insert(0, f"refs/remotes/origin/{branch}")
        for ref in refs:
            try:
                return str(self.repo.git.rev_parse("--verify", "--quiet", ref))
            except git.GitCommandError:
                continue
        return None

    def merged_into_base(self, sha: str) -> bool:
        try:
            self.repo.git.merge_base("--is-ancestor", sha, self.base_ref)
        except git.GitCommandError:
            return False
        return True

    def contains_base(self, sha: str) -> bool:
        """Whether the commit `sha` is built on the current base branch."""
        try:
            self.repo.git.merge_base("--is-ancestor", self.base_ref, sha)
        except git.GitCommandError:
            return False
        return True

    def base_sha(self) -> str:
        return str(self.base().hexsha)
