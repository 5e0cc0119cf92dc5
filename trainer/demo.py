"""The demo: the whole GitOps loop in a scratch copy of the example repository, on the
built-in emulator, with no API key. Validate, plan, reconcile until settled, show the
promotion pull request, merge it as a reviewer would, reconcile again, show the change.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from functools import partial
from importlib import resources
from pathlib import Path
from typing import Protocol

import git

from trainer.emulator.server import background
from trainer.emulator.state import EmulatorState, Timings
from trainer.errors import UsageError
from trainer.paths import LOCAL_DIR, LOCAL_PRS, STATE_FILE
from trainer.planner import plan
from trainer.promotion.backend import PRBackend
from trainer.promotion.branches import PromotionRepo
from trainer.promotion.local import LocalBackend
from trainer.providers.openai_provider import OpenAIProvider
from trainer.reconcile.passes import PassReport, reconcile_once, reconcile_until_settled
from trainer.render.plan import render_text
from trainer.render.status import render_summary
from trainer.render.validation import validation_view
from trainer.repository import check_repository
from trainer.revision import desired_state
from trainer.specs.loader import load_workspace
from trainer.state.file_store import FileStateStore

COPIED = ("specs", "harness")
DEMO_KEY = "trainer-demo-key"
BODY_LINES_SHOWN = 24


class DemoView(Protocol):
    """Where the demo's narration goes (the CLI prints it)."""

    color: bool

    def section(self, title: str) -> None: ...

    def out(self, text: str) -> None: ...

    def err(self, text: str) -> None: ...

    def progress(self, report: PassReport, wait: float) -> None: ...


def scratch_repository(target: Path, example: Path | None = None) -> Path:
    """A new git repository at `target` holding the example (the packaged one by default)."""
    if target.exists() and any(target.iterdir()):
        raise UsageError(f"--dir {target} is not empty; name a new or empty directory")
    with resources.as_file(resources.files("trainer") / "example") as packaged:
        origin = example or packaged
        if not (origin / "specs/jobs").is_dir():
            raise UsageError(f"--example {origin} has no specs/jobs/; name a GitOps repository")
        target.mkdir(parents=True, exist_ok=True)
        for name in COPIED:
            if (origin / name).is_dir():
                ignore = shutil.ignore_patterns(LOCAL_DIR)
                shutil.copytree(origin / name, target / name, ignore=ignore)
    (target / ".gitignore").write_text(f"{LOCAL_DIR}/\n", encoding="utf-8")
    repo = git.Repo.init(target, initial_branch="main")
    repo.git.add("-A")
    someone = git.Actor("trainer demo", "demo@trainer.invalid")
    repo.index.commit("example specs", author=someone, committer=someone)
    return target


def _local_backend(root: Path, repo: PromotionRepo) -> PRBackend:
    """The demo never opens pull requests on GitHub, whatever the environment says."""
    return LocalBackend(root, repo)


def run_demo(view: DemoView, root: Path, job_seconds: float) -> bool:
    """Run the loop in the scratch repository `root`; False if a step failed."""
    emulated = EmulatorState(timings=Timings.total(job_seconds))
    registry = load_workspace(root).registry.values()
    emulated.imported.update(v.fine_tuned_model for r in registry for v in r.model.versions)
    with background(emulated) as emulator:
        view.err(f"emulator: {emulator.base_url} (not OpenAI)")
        provider: Callable[[], OpenAIProvider] = partial(
            OpenAIProvider, api_key=DEMO_KEY, base_url=emulator.base_url
        )
        store = FileStateStore(root / STATE_FILE)
        if not _validate_and_plan(view, root, store):
            return False
        view.section("trainer reconcile --wait")
        report = reconcile_until_settled(
            root,
            store,
            provider,
            interval=max(0.2, job_seconds / 8),
            max_interval=max(1.0, job_seconds / 2),
            on_pass=view.progress,
            backend=_local_backend,
        )
        view.section("trainer status")
        view.out(render_summary(report))
        # A model that fails its gate is part of the story (no PR for it); the loop works
        # when at least one model passed and its promotion PR can be merged.
        if not _review_and_merge(view, root):
            return False
        view.section("trainer reconcile (after the merge)")
        after = reconcile_once(root, store, provider, backend=_local_backend)
        view.progress(after, 0)
        view.out(render_summary(after))
    _show_promotion(view, root)
    return True


def _validate_and_plan(view: DemoView, root: Path, store: FileStateStore) -> bool:
    view.section("trainer validate")
    check = check_repository(root)
    validation = validation_view(check)
    if validation.problems:
        view.out(validation.problems + "\n")
    if validation.stats:
        view.err(validation.stats.rstrip("\n"))
    view.err(validation.verdict)
    if validation.errors:
        return False
    view.section("trainer plan")
    desired = desired_state(check.ws, check.digests, check.estimates)
    view.out(render_text(plan(desired, store.load().document), color=view.color))
    return True


def _review_and_merge(view: DemoView, root: Path) -> bool:
    """Show the first promotion PR as a reviewer sees it, then merge it as a reviewer would."""
    backend = LocalBackend(root, PromotionRepo(root))
    prs = backend.pull_requests()
    if not prs:
        view.err("no promotion pull request was opened")
        return False
    pr = prs[0]
    view.section(f"promotion pull request #{pr.number}: {pr.title}")
    body = backend.body(pr.number).splitlines()
    path = root / LOCAL_PRS / f"{pr.number}.md"
    view.out("\n".join(body[:BODY_LINES_SHOWN]) + f"\n… ({len(body)} lines in {path})\n")
    view.section(f"a reviewer merges {pr.branch}")
    repo = git.Repo(root)
    reviewer = ("-c", "user.name=reviewer", "-c", "user.email=reviewer@trainer.invalid")
    message = f"Merge promotion #{pr.number}: {pr.title}"
    repo.git.execute(["git", *reviewer, "merge", "--no-ff", "-q", "-m", message, pr.branch])
    return True


def _show_promotion(view: DemoView, root: Path) -> None:
    view.section("the promotion, as git records it")
    repo = git.Repo(root)
    view.out(repo.git.log("-1", "--stat", "--format=%h %s%n", "main") + "\n\n")
    view.out(repo.git.diff("HEAD~1", "HEAD", "--", "specs/registry/") + "\n\n")
    view.err(f"state: {root / STATE_FILE}; pull requests: {root / LOCAL_PRS}")
