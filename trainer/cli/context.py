"""Options every command shares (PRODUCT.md §4, global options)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import click

from trainer.paths import STATE_FILE

if TYPE_CHECKING:
    from trainer.state.backend import StateStore

DEFAULT_STATE = f"file:{STATE_FILE}"


@dataclass
class Settings:
    repo: Path
    state_url: str
    log_format: str
    verbosity: int

    def store(self) -> StateStore:
        from trainer.state.store import open_store  # the state's models: for commands using it

        return open_store(self.state_url, self.repo)


def find_repo(explicit: Path | None) -> Path:
    """--repo, else the git work tree around the current directory, else the directory."""
    if explicit is not None:
        return explicit.resolve()
    import git  # GitPython is slow to import; only this needs it here

    start = Path.cwd()
    try:
        tree = git.Repo(start, search_parent_directories=True).working_tree_dir
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        tree = None
    return Path(tree) if tree else start.resolve()


pass_settings = click.make_pass_decorator(Settings)
