"""The live counter `trainer eval` shows on a terminal while answers come in."""

from __future__ import annotations

import sys

import click


class Progress:
    """A live counter on a terminal; nothing otherwise (the report is the output)."""

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
        self.open = False
        """A counter is on the screen without its line ended."""

    def __call__(self, what: str, done: int, total: int) -> None:
        if self.tty and (done == total or done % 10 == 0):
            end = "\n" if done == total else ""
            click.echo(f"\r\x1b[2K{what}: {done}/{total}{end}", err=True, nl=False)
            self.open = done != total

    def clear(self) -> None:
        """Erase an unfinished counter (before an error that stopped the evaluation)."""
        if self.open:
            click.echo("\r\x1b[2K", err=True, nl=False)
            self.open = False
