"""Open the state backend a `--state` URL names."""

from __future__ import annotations

from pathlib import Path

from trainer.errors import UsageError
from trainer.state.backend import StateStore
from trainer.state.file_store import FileStateStore


def open_store(url: str, repo_root: Path) -> StateStore:
    """`file:PATH` (relative to the repository) or `git:BRANCH` (on `origin`)."""
    kind, _, target = url.partition(":")
    if kind == "file" and target:
        path = Path(target)
        return FileStateStore(path if path.is_absolute() else repo_root / path)
    if kind == "git" and target:
        from trainer.state.git_store import GitStateStore  # GitPython is slow to import

        return GitStateStore(repo_root, target)
    raise UsageError(
        f"--state {url!r}: expected file:PATH (e.g. file:.trainer/state.json) or "
        "git:BRANCH (e.g. git:trainer-state)"
    )
