"""`trainer demo`: the whole loop in a scratch copy of the example repository, on the emulator."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from importlib import resources
from pathlib import Path

import click

from trainer.cli.context import Settings, pass_settings
from trainer.emulator.server import background
from trainer.emulator.state import EmulatorState, Timings
from trainer.errors import EXIT_FAILED, EXIT_OK, UsageError
from trainer.providers.openai_provider import OpenAIProvider
from trainer.reconcile.runner import reconcile_until_settled
from trainer.render.status import render_summary

COPIED = ("specs", "harness")


def _scratch_repo(source: Path | None, target: Path) -> Path:
    """A new git repository at `target` holding the example (the packaged one by default)."""
    if target.exists() and any(target.iterdir()):
        raise UsageError(f"--dir {target} is not empty; name a new or empty directory")
    with resources.as_file(resources.files("trainer") / "example") as packaged:
        origin = source or packaged
        if not (origin / "specs/jobs").is_dir():
            raise UsageError(f"--example {origin} has no specs/jobs/; name a GitOps repository")
        target.mkdir(parents=True, exist_ok=True)
        for name in COPIED:
            if (origin / name).is_dir():
                shutil.copytree(
                    origin / name, target / name, ignore=shutil.ignore_patterns(".trainer")
                )
    (target / ".gitignore").write_text(".trainer/\n", encoding="utf-8")
    git = ["git", "-c", "user.name=trainer demo", "-c", "user.email=demo@trainer.invalid"]
    subprocess.run([*git, "init", "-q", "-b", "main"], cwd=target, check=True)
    subprocess.run([*git, "add", "-A"], cwd=target, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "example specs"], cwd=target, check=True)
    return target


def _registry_models(root: Path) -> set[str]:
    """Models already in the registry (made before trainer): the emulator serves them."""
    from trainer.specs.loader import load_workspace

    return {
        v.fine_tuned_model for r in load_workspace(root).registry.values() for v in r.model.versions
    }


def _section(title: str) -> None:
    click.echo(f"\n== {title} ==", err=True)


@click.command("demo")
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where to create the scratch repository (default: a new temp directory).",
)
@click.option(
    "--example",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Demo this GitOps repository instead of the packaged example.",
)
@click.option(
    "--job-seconds",
    default=4.0,
    show_default=True,
    type=click.FloatRange(min=0),
    help="How long each emulated fine-tuning job takes.",
)
@pass_settings
def demo(
    settings: Settings, directory: Path | None, example: Path | None, job_seconds: float
) -> int:
    """Copy the example repository, start the emulator, plan and reconcile until done.

    Needs no API key and no network: everything runs against the built-in emulator.
    """
    from trainer.cli.main import main as trainer

    scratch = directory or Path(tempfile.mkdtemp(prefix="trainer-demo-"))
    root = _scratch_repo(example, scratch)
    click.echo(f"scratch GitOps repository: {root}", err=True)
    emulated = EmulatorState(timings=Timings.total(job_seconds))
    emulated.imported.update(_registry_models(root))
    with background(emulated) as emulator:
        click.echo(f"emulator: {emulator.base_url} (not OpenAI)", err=True)
        os.environ["OPENAI_BASE_URL"] = emulator.base_url
        os.environ["OPENAI_API_KEY"] = "trainer-demo-key"
        state = f"file:{root / '.trainer/state.json'}"
        _section("trainer validate")
        if trainer(["--repo", str(root), "--state", state, "validate"]) != 0:
            return EXIT_FAILED
        _section("trainer plan")
        trainer(["--repo", str(root), "--state", state, "plan"])
        _section("trainer reconcile --wait")
        from trainer.cli.reconcile import Progress
        from trainer.state.store import open_store

        report = reconcile_until_settled(
            root,
            open_store(state, root),
            OpenAIProvider,
            interval=max(0.2, job_seconds / 8),
            max_interval=max(1.0, job_seconds / 2),
            on_pass=Progress(),
        )
        _section("trainer status")
        click.echo(render_summary(report), nl=False)
        if report.result.failed:
            return EXIT_FAILED
        merged = _review_and_merge(root)
        if merged is None:
            return EXIT_FAILED
        _section("trainer reconcile (after the merge)")
        trainer(["--repo", str(root), "--state", state, "reconcile"])
        _section("the promotion, as git records it")
        diff = subprocess.run(
            ["git", "log", "-1", "--stat", "--format=%h %s%n", "main"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        click.echo(diff)
        click.echo(
            subprocess.run(
                ["git", "diff", "HEAD~1", "HEAD", "--", "specs/registry/"],
                cwd=root,
                capture_output=True,
                text=True,
                check=True,
            ).stdout
        )
        click.echo(
            f"state: {root / '.trainer/state.json'}; pull requests: {root / '.trainer/prs'}",
            err=True,
        )
        return EXIT_OK


def _review_and_merge(root: Path) -> str | None:
    """Show the first promotion PR as a reviewer sees it, then merge it as a reviewer would."""
    import json

    prs = sorted((root / ".trainer/prs").glob("*.json"), key=lambda p: int(p.stem))
    if not prs:
        click.echo("no promotion pull request was opened", err=True)
        return None
    pr = json.loads(prs[0].read_text())
    _section(f"promotion pull request #{pr['number']}: {pr['title']}")
    body = (root / ".trainer/prs" / f"{pr['number']}.md").read_text().splitlines()
    click.echo("\n".join(body[:24]) + f"\n… ({len(body)} lines in {prs[0].with_suffix('.md')})")
    _section(f"a reviewer merges {pr['branch']}")
    git = ["git", "-c", "user.name=reviewer", "-c", "user.email=reviewer@trainer.invalid"]
    subprocess.run(
        [
            *git,
            "merge",
            "--no-ff",
            "-q",
            "-m",
            f"Merge promotion #{pr['number']}: {pr['title']}",
            pr["branch"],
        ],
        cwd=root,
        check=True,
    )
    return str(pr["branch"])
