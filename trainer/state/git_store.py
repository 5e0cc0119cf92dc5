"""State as `state.json` on its own orphan branch of `origin`, saved by compare-and-swap.

Each save is a commit whose parent is the commit the state was read from, pushed
without force: if anyone else pushed in between, the push is not a fast-forward,
git refuses it, and the caller re-reads and retries. The work tree and the index of
the repository are never touched.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path

import git
from git.index.typ import BaseIndexEntry
from gitdb.base import IStream

from trainer.errors import StateConflict, StateError, TrainerError, UsageError
from trainer.state.backend import Snapshot
from trainer.state.document import StateDocument, parse_state

STATE_FILE = "state.json"
REMOTE = "origin"
CONFLICT_SIGNS = (
    "[rejected]",  # not a fast-forward: someone saved since we read
    "cannot lock ref",  # the remote lost a race for the same ref update
    "failed to update ref",
    "incorrect old value",
)
"""Push failures that mean another writer got in first, as opposed to real errors."""
DEFAULT_BOT_NAME = "trainer[bot]"
DEFAULT_BOT_EMAIL = "trainer-bot@users.noreply.github.com"


class GitStateStore:
    """`git:BRANCH`. The version of a snapshot is the commit id it was read from."""

    def __init__(self, repo_root: Path, branch: str) -> None:
        self.branch = branch
        self.description = f"git:{branch}"
        self.exclusive = False
        self._local_ref = f"refs/trainer/state/{branch}"
        try:
            self.repo = git.Repo(repo_root)
        except (git.InvalidGitRepositoryError, git.NoSuchPathError):
            raise UsageError(
                f"--state git:{branch} needs a git repository at {repo_root}"
            ) from None
        try:
            self.repo.git.check_ref_format("--branch", branch)
        except git.GitCommandError:
            raise UsageError(
                f"--state git:{branch}: {branch!r} is not a valid branch name"
            ) from None
        if REMOTE not in [r.name for r in self.repo.remotes]:
            raise UsageError(
                f"--state git:{branch} keeps state on a branch of the remote {REMOTE!r}, "
                f"and this repository has no remote named {REMOTE!r}"
            )

    def _fetch(self) -> str | None:
        try:
            self.repo.git.fetch(
                "--quiet", "--no-tags", REMOTE, f"+refs/heads/{self.branch}:{self._local_ref}"
            )
        except git.GitCommandError as exc:
            if "couldn't find remote ref" in str(exc.stderr):
                with contextlib.suppress(git.GitCommandError):
                    self.repo.git.update_ref("-d", self._local_ref)
                return None
            raise TrainerError(
                f"git:{self.branch}: cannot fetch the state branch from {REMOTE}: "
                f"{_last_line(exc.stderr)}"
            ) from None
        return str(self.repo.git.rev_parse(self._local_ref))

    def load(self) -> Snapshot:
        commit_id = self._fetch()
        if commit_id is None:
            return Snapshot(StateDocument(), None)
        try:
            blob = self.repo.commit(commit_id).tree[STATE_FILE]
        except KeyError:
            raise StateError(
                f"git:{self.branch}: the branch has no {STATE_FILE}; it is not a trainer "
                "state branch (choose another branch name)"
            ) from None
        raw = blob.data_stream.read()
        return Snapshot(parse_state(raw, f"git:{self.branch}:{STATE_FILE}"), commit_id)

    def save(self, document: StateDocument, *, expected: str | None, message: str) -> Snapshot:
        document.serial += 1
        raw = document.to_json()
        stored = self.repo.odb.store(IStream(git.Blob.type, len(raw), BytesIO(raw)))
        with tempfile.TemporaryDirectory(prefix="trainer-index-") as tmp:
            index = git.IndexFile(self.repo, file_path=str(Path(tmp) / "index"))
            index.add([BaseIndexEntry((0o100644, stored.binsha, 0, STATE_FILE))])
            tree = index.write_tree()
        actor = bot_identity(self.repo)
        commit = git.Commit.create_from_tree(
            self.repo,
            tree,
            f"{message}\n\nstate serial {document.serial}\n",
            parent_commits=[self.repo.commit(expected)] if expected else [],
            head=False,
            author=actor,
            committer=actor,
        )
        try:
            self.repo.git.push("--quiet", REMOTE, f"{commit.hexsha}:refs/heads/{self.branch}")
        except git.GitCommandError as exc:
            text = f"{exc.stdout}\n{exc.stderr}"
            if any(sign in text for sign in CONFLICT_SIGNS):
                raise StateConflict(
                    f"git:{self.branch} moved on {REMOTE} since it was read"
                ) from None
            raise TrainerError(
                f"git:{self.branch}: cannot push the state to {REMOTE}: {_last_line(exc.stderr)}"
            ) from None
        self.repo.git.update_ref(self._local_ref, commit.hexsha)
        return Snapshot(document, commit.hexsha)

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Nothing to hold: every save is a compare-and-swap on the remote branch."""
        yield


def bot_identity(repo: git.Repo) -> git.Actor:
    """Who commits: GIT_AUTHOR_* or the git config user, else a documented bot identity."""
    reader = repo.config_reader()
    name = os.environ.get("GIT_AUTHOR_NAME") or str(reader.get_value("user", "name", default=""))
    email = os.environ.get("GIT_AUTHOR_EMAIL") or str(reader.get_value("user", "email", default=""))
    if name and email:
        return git.Actor(name, email)
    return git.Actor(DEFAULT_BOT_NAME, DEFAULT_BOT_EMAIL)


def _last_line(text: object) -> str:
    """The line of git's stderr that says why (a rejected ref or a remote error)."""
    lines = [line.strip() for line in str(text or "").splitlines() if line.strip()]
    lines = [line.removeprefix("stderr:").strip().strip("'") for line in lines]
    for line in lines:
        if line.startswith(("! [", "remote: error", "fatal:")):
            return line
    return lines[-1] if lines else "unknown git error"
