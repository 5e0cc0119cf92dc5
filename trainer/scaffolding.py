"""`trainer init`: the files of a new GitOps repository, written without overwriting.

The default suites come from the packaged example repository (`trainer/example/harness`),
the rest from `trainer/scaffold/`. Workflows use the composite action pinned to a commit:
a tag is resolved with `git ls-remote` when the network allows.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

import jinja2

from trainer import __version__
from trainer.atomic import atomic_write
from trainer.distribution import ACTION_REPOSITORY
from trainer.errors import UsageError
from trainer.paths import LOCAL_DIR
from trainer.promotion.branches import origin_default_branch

GITIGNORE_ENTRY = f"{LOCAL_DIR}/"
DEFAULT_STATE_BRANCH = "trainer-state"
WORKFLOWS = ("trainer-plan.yml", "trainer-reconcile.yml")
EXAMPLE_FILES = ("specs/jobs/example-tutor.yaml", "specs/datasets/example-tutor.jsonl")
"""What `--minimal` leaves out."""
KEEP = ("specs/jobs/.gitkeep", "specs/datasets/.gitkeep")
"""Empty files that keep the folders in git when `--minimal` leaves them empty."""

_ACTION = re.compile(r"^(?P<repo>[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+)@(?P<ref>[A-Za-z0-9_./-]+)$")
_COMMIT = re.compile(r"^[0-9a-f]{40}$")
LS_REMOTE_SECONDS = 8.0


@dataclass(frozen=True)
class ActionRef:
    """The `uses:` of the workflows: a repository and a ref, ideally a full commit id."""

    repository: str
    ref: str
    tag: str | None = None
    """The tag or branch the commit was resolved from, shown as a comment."""

    @property
    def pinned(self) -> bool:
        return bool(_COMMIT.match(self.ref))

    @property
    def uses(self) -> str:
        return f"{self.repository}@{self.ref}"

    @property
    def comment(self) -> str:
        return f" # {self.tag}" if self.tag else ""


def default_action() -> str:
    return f"{ACTION_REPOSITORY}@v{__version__}"


def parse_action(text: str) -> tuple[str, str]:
    match = _ACTION.match(text.strip())
    if not match:
        raise UsageError(
            f"--action {text!r}: expected OWNER/REPO@REF, such as {default_action()} or "
            "OWNER/REPO@<40-character commit id>"
        )
    return match["repo"], match["ref"]


def resolve_action(text: str, *, server_url: str | None = None) -> tuple[ActionRef, str | None]:
    """Pin `OWNER/REPO@REF` to a commit; (the action, a warning if it could not be pinned).

    Asks `git ls-remote` on GITHUB_SERVER_URL (default https://github.com), briefly and
    without prompting for credentials, so an offline machine gets the tag and a warning.
    """
    repository, ref = parse_action(text)
    if _COMMIT.match(ref):
        return ActionRef(repository, ref), None
    server = (server_url or os.environ.get("GITHUB_SERVER_URL") or "https://github.com").rstrip("/")
    url = f"{server}/{repository}"
    wanted = [f"refs/tags/{ref}", f"refs/tags/{ref}^{{}}", f"refs/heads/{ref}"]
    try:
        done = subprocess.run(
            ["git", "ls-remote", url, *wanted],
            capture_output=True,
            text=True,
            timeout=LS_REMOTE_SECONDS,
            env={**os.environ, "GIT_TERMINAL_PROMPT": "0"},
            check=False,
        )
        rows = (line.split("\t", 1) for line in done.stdout.splitlines() if "\t" in line)
        found: dict[str, str] = {name: commit for commit, name in rows}
    except (OSError, subprocess.TimeoutExpired):
        found = {}
    # An annotated tag's own object is not a commit: prefer the peeled `^{}` entry.
    for name in (wanted[1], wanted[0], wanted[2]):
        commit = found.get(name)
        if commit and _COMMIT.match(commit):
            return ActionRef(repository, commit, ref), None
    warning = (
        f"could not resolve {repository}@{ref} to a commit (no network, or no such tag at {url}); "
        f"the workflows use the tag. Pin it with `trainer init --force --action "
        f"{repository}@<commit id>` or edit the `uses:` lines"
    )
    return ActionRef(repository, ref), warning


@dataclass
class InitResult:
    root: Path
    action: ActionRef
    created: list[str] = field(default_factory=list)
    overwritten: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    """Present already and left alone (without --force)."""
    unchanged: list[str] = field(default_factory=list)
    """Present already with the same content."""
    gitignore: str | None = None
    """"created" or "updated" when the `.trainer/` line was added."""
    git_initialised: bool = False


def _files(tree: Traversable, prefix: str) -> Iterator[tuple[str, Traversable]]:
    for entry in sorted(tree.iterdir(), key=lambda e: e.name):
        name = f"{prefix}/{entry.name}" if prefix else entry.name
        if entry.is_dir():
            yield from _files(entry, name)
        elif entry.is_file() and not entry.name.startswith("."):
            yield name, entry


def _render_workflow(template: str, action: ActionRef, base_branch: str) -> bytes:
    environment = jinja2.Environment(
        variable_start_string="<<",
        variable_end_string=">>",
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # YAML, not HTML; every value is checked by the callers
        trim_blocks=True,
        lstrip_blocks=True,
    )
    text = environment.from_string(template).render(
        action=action.uses,
        action_comment=action.comment,
        version=__version__,
        state_branch=DEFAULT_STATE_BRANCH,
        base_branch=base_branch,
    )
    return text.encode("utf-8")


def scaffold_files(action: ActionRef, *, minimal: bool, base_branch: str) -> dict[str, bytes]:
    """Repo-relative path → content of every file `trainer init` writes."""
    package = resources.files("trainer")
    scaffold = package / "scaffold"
    files: dict[str, bytes] = {}
    for name, entry in _files(scaffold / "specs", "specs"):
        if minimal and name in EXAMPLE_FILES:
            continue
        files[name] = entry.read_bytes()
    if minimal:
        files.update(dict.fromkeys(KEEP, b""))
    for name, entry in _files(package / "example" / "harness", "harness"):
        files[name] = entry.read_bytes()
    for workflow in WORKFLOWS:
        template = (scaffold / "workflows" / f"{workflow}.j2").read_text("utf-8")
        files[f".github/workflows/{workflow}"] = _render_workflow(template, action, base_branch)
    return files


def _git_root(start: Path) -> Path | None:
    top = _git_line(start, "rev-parse", "--show-toplevel")
    return Path(top) if top else None


def _git_line(root: Path, *args: str) -> str | None:
    done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=False)
    line = done.stdout.strip()
    return line if done.returncode == 0 and line else None


def default_branch(root: Path) -> str:
    """The branch promotion PRs target: origin's default branch, else the current one."""
    return (
        origin_default_branch(root)
        or _git_line(root, "symbolic-ref", "--quiet", "--short", "HEAD")
        or "main"
    )


def _ensure_gitignore(root: Path) -> str | None:
    path = root / ".gitignore"
    if not path.exists():
        atomic_write(path, f"{GITIGNORE_ENTRY}\n".encode(), durable=False)
        return "created"
    text = path.read_text("utf-8", errors="replace")
    entries = {line.strip() for line in text.splitlines()}
    if entries & {".trainer", ".trainer/", "/.trainer", "/.trainer/"}:
        return None
    separator = "" if text.endswith("\n") or not text else "\n"
    addition = f"{separator}# trainer: state, caches, reports\n{GITIGNORE_ENTRY}\n"
    atomic_write(path, (text + addition).encode("utf-8"), durable=False)
    return "updated"


def init_repository(
    start: Path, action: ActionRef, *, minimal: bool = False, force: bool = False
) -> InitResult:
    """Write the scaffold into the git work tree around `start` (made if there is none)."""
    root = _git_root(start)
    initialised = False
    if root is None:
        done = subprocess.run(
            ["git", "init", "--quiet", "--initial-branch=main", str(start)],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise UsageError(
                f"{start} is not in a git work tree and `git init` failed: {done.stderr.strip()}"
            )
        root, initialised = start.resolve(), True
    result = InitResult(root=root, action=action, git_initialised=initialised)
    for name, content in scaffold_files(
        action, minimal=minimal, base_branch=default_branch(root)
    ).items():
        target = root / name
        if target.exists() or target.is_symlink():
            if target.is_file() and target.read_bytes() == content:
                result.unchanged.append(name)
                continue
            if not force or target.is_dir():
                result.kept.append(name)
                continue
            result.overwritten.append(name)
        else:
            result.created.append(name)
        atomic_write(target, content, durable=False)
    result.gitignore = _ensure_gitignore(root)
    return result
