"""`trainer demo`: the whole loop in a scratch copy of the example repository, on the emulator."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import click

from trainer.cli.context import Settings, pass_settings
from trainer.cli.progress import Progress
from trainer.errors import EXIT_FAILED, EXIT_OK
from trainer.reconcile.passes import PassReport


class _Console:
    """Prints the demo's narration; a fresh progress display per section."""

    def __init__(self) -> None:
        self.color = sys.stdout.isatty() and "NO_COLOR" not in os.environ
        self._progress = Progress()

    def section(self, title: str) -> None:
        click.echo(f"\n== {title} ==", err=True)
        self._progress = Progress()

    def out(self, text: str) -> None:
        click.echo(text, nl=False)

    def err(self, text: str) -> None:
        click.echo(text, err=True)

    def progress(self, report: PassReport, wait: float) -> None:
        self._progress(report, wait)


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
    from trainer.demo import run_demo, scratch_repository

    scratch = directory or Path(tempfile.mkdtemp(prefix="trainer-demo-"))
    root = scratch_repository(scratch, example)
    click.echo(f"scratch GitOps repository: {root}", err=True)
    return EXIT_OK if run_demo(_Console(), root, job_seconds) else EXIT_FAILED
