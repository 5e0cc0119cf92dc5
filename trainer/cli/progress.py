"""The progress lines of reconcile passes on a terminal (reconcile --wait, the demo)."""

from __future__ import annotations

import sys
import time

import click

from trainer.reconcile.passes import PassReport


class Progress:
    """Plain lines per pass; on a terminal, also a live line while waiting."""

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
        self.shown = 0
        self.started = time.monotonic()

    def __call__(self, report: PassReport, wait: float) -> None:
        new = report.result.done[self.shown :]
        self.shown = len(report.result.done)
        stamp = time.strftime("%H:%M:%S")
        for name, message in new:
            click.echo(f"[{stamp}] {name}: {message}", err=True)
        if report.in_flight and wait:
            names = ", ".join(name for name, _, _ in report.in_flight)
            line = f"[{stamp}] next check in {wait:.1f}s; in flight: {names}"
            if self.tty:
                click.echo(f"\r\x1b[2K{line}", err=True, nl=False)
            else:
                click.echo(line, err=True)
        elif self.tty:
            click.echo("\r\x1b[2K", err=True, nl=False)
