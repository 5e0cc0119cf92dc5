"""State as `state.json` on its own orphan branch of `origin`, saved by compare-and-swap.

Each save is a commit whose parent is the commit the state was read from, pushed
without force: if anyone else pushed in between, the push is not a fast-forward,
git refuses it, and the caller re-reads and retries. The work tree and the index of
the repository are never touched, and every store fetches into a ref of its own
(`read_refs`), so any number of runs can share one clone.

When another writer got in first, the store waits before it reports the conflict:
until the branch has stood still for longer than a push takes (so the retry is not lost
to the same writer's next commit), with jittered, growing delays (so writers that
collided spread apart), for up to a minute while the others make progress.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
import weakref
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path

import git
from git.index.typ import BaseIndexEntry
from gitdb.base import IStream

from trainer.errors import StateConflict, StateError, TrainerError, UsageError
from trainer.state.backend import Snapshot
from trainer.state.backoff import PATIENCE, Backoff
from trainer.state.document import StateDocument, parse_state
from trainer.state.read_refs import anchor_ref, new_read_ref, prune_read_refs, release_read_ref

STATE_FILE = "state.json"
REMOTE = "origin"
CONFLICT_SIGNS = (
    "[rejected]",  # not a fast-forward: someone saved since we read
    "cannot lock ref",  # the remote lost a race for the same ref update
    "failed to update ref",
    "incorrect old value",
)
"""Push failures that mean another writer got in first, as opposed to real errors."""
FIRST_WAIT = 0.05
"""Seconds of the first wait after a lost push, at least (three pushes' time, if longer)."""
MAX_WAIT = 2.0
DEFAULT_BOT_NAME = "trainer[bot]"
DEFAULT_BOT_EMAIL = "trainer-bot@users.noreply.github.com"


class GitStateStore:
    """`git:BRANCH`. The version of a snapshot is the commit id it was read from."""

    def __init__(self, repo_root: Path, branch: str, *, patience: float = PATIENCE) -> None:
        self.branch = branch
        self.description = f"git:{branch}"
        self.exclusive = False
        self.patience = patience
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
        self._read_ref = new_read_ref()
        self._pruned = False
        self._push_seconds = 0.0
        self._contention: Backoff | None = None
        self._release = weakref.finalize(
            self, release_read_ref, self.repo.git, self._read_ref, anchor_ref(branch)
        )

    def close(self) -> None:
        """Give up this store's read ref (also done when it is collected, or at exit)."""
        self._release()

    def _fetch(self) -> str | None:
        if not self._pruned:
            self._pruned = True
            with contextlib.suppress(git.GitCommandError):
                prune_read_refs(self.repo.git)
        for _ in range(3):  # a run that pruned our ref as we read it makes us fetch again
            try:
                self.repo.git.fetch(
                    "--quiet",
                    "--no-tags",
                    "--refmap=",  # do not also update refs/remotes/origin/<branch>
                    REMOTE,
                    f"+refs/heads/{self.branch}:{self._read_ref}",
                )
            except git.GitCommandError as exc:
                if "couldn't find remote ref" in str(exc.stderr):
                    with contextlib.suppress(git.GitCommandError):
                        self.repo.git.update_ref("-d", self._read_ref)
                    return None
                raise self._error("cannot fetch the state branch from", exc) from None
            with contextlib.suppress(git.GitCommandError):
                return str(self.repo.git.rev_parse("--verify", "--quiet", self._read_ref))
        raise TrainerError(f"git:{self.branch}: {self._read_ref} vanished after every fetch")

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
        commit = self._commit(document, expected, message)
        retry = Backoff(first=FIRST_WAIT, cap=MAX_WAIT, patience=self.patience)
        while (refused := self._push(commit)) is not None:
            tip = self._remote_tip()
            if tip == commit:  # it did land; only the report was lost
                break
            if tip != expected:
                self._wait_until_still(tip)
                raise StateConflict(f"git:{self.branch} moved on {REMOTE} since it was read")
            if not retry.wait():  # the branch has not moved: the remote was busy, try again
                raise TrainerError(
                    f"git:{self.branch}: cannot push the state to {REMOTE} "
                    f"(still refused after {self.patience:g} s): {refused}"
                )
            retry.grow()
        self._contention = None
        with contextlib.suppress(git.GitCommandError):  # only a head start for the next fetch
            self.repo.git.update_ref(self._read_ref, commit)
        return Snapshot(document, commit)

    def _commit(self, document: StateDocument, parent: str | None, message: str) -> str:
        """Write the commit of `document` on top of `parent` (objects only, no ref)."""
        raw = document.to_json()
        stored = self.repo.odb.store(IStream(git.Blob.type, len(raw), BytesIO(raw)))
        with tempfile.TemporaryDirectory(prefix="trainer-index-") as tmp:
            index = git.IndexFile(self.repo, file_path=str(Path(tmp) / "index"))
            index.add([BaseIndexEntry((0o100644, stored.binsha, 0, STATE_FILE))])
            tree = index.write_tree()
        actor = bot_identity(self.repo)
        created = git.Commit.create_from_tree(
            self.repo,
            tree,
            f"{message}\n\nstate serial {document.serial}\n",
            parent_commits=[self.repo.commit(parent)] if parent else [],
            head=False,
            author=actor,
            committer=actor,
        )
        return str(created.hexsha)

    def _push(self, commit: str) -> str | None:
        """None once `commit` is the branch; git's reason when another writer was in the way.

        Pushed by remote name, so git also moves `refs/remotes/origin/<branch>` when it
        can; when another process holds that ref, git says so and the push still succeeds.
        """
        started = time.monotonic()
        try:
            self.repo.git.push("--quiet", REMOTE, f"{commit}:refs/heads/{self.branch}")
        except git.GitCommandError as exc:
            text = f"{exc.stdout}\n{exc.stderr}"
            if any(sign in text for sign in CONFLICT_SIGNS):
                return _last_line(text)
            raise self._error("cannot push the state to", exc) from None
        finally:
            self._push_seconds = time.monotonic() - started
        return None

    def _remote_tip(self) -> str | None:
        """The commit the branch is at on the remote now (None: no branch), without a fetch."""
        ref = f"refs/heads/{self.branch}"
        try:
            listing = str(self.repo.git.ls_remote(REMOTE, ref))
        except git.GitCommandError as exc:
            raise self._error("cannot read the state branch on", exc) from None
        for line in listing.splitlines():
            sha, _, name = line.partition("\t")
            if name == ref:
                return sha
        return None

    def _wait_until_still(self, tip: str | None) -> None:
        """Wait until the branch stops moving, then let the caller re-read and retry.

        "Still" means unchanged over a jittered window of about three pushes' time, so
        that a writer saving several changes in a row is not interrupted between two of
        them. A push lost after such a window collided with another waiting writer: the
        window doubles, and the writers spread apart. It starts again after a save; once
        the run has waited `patience` seconds, conflicts are reported at once (and the
        session gives up after its attempts).
        """
        if self._contention is None:
            first = max(FIRST_WAIT, 3 * self._push_seconds)
            cap = max(MAX_WAIT, 4 * first)
            self._contention = Backoff(first=first, cap=cap, patience=self.patience)
        else:
            self._contention.grow()
        while self._contention.wait():
            latest = self._remote_tip()
            if latest == tip:
                return
            tip = latest

    def _error(self, doing: str, exc: git.GitCommandError) -> TrainerError:
        return TrainerError(f"git:{self.branch}: {doing} {REMOTE}: {_last_line(exc.stderr)}")

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
