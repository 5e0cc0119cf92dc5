"""`trainer validate [PATH…]`: every problem of every spec and dataset, in one run."""

from __future__ import annotations

from pathlib import Path

import click

from trainer.cli.context import Settings, pass_settings
from trainer.errors import EXIT_INVALID, EXIT_OK, UsageError
from trainer.render.validation import validation_view
from trainer.repository import check_repository


def _selected(paths: tuple[Path, ...], root: Path) -> list[str]:
    selected = []
    for path in paths:
        try:
            selected.append(path.resolve().relative_to(root.resolve()).as_posix())
        except ValueError:
            raise UsageError(f"{path} is outside the repository {root}") from None
    return selected


@click.command("validate")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("--stats/--no-stats", default=True, help="Print per-dataset statistics.")
@pass_settings
def validate(settings: Settings, paths: tuple[Path, ...], stats: bool) -> int:
    """Check specs, datasets, datasheets, registry files and cross-references.

    Prints all problems as path:line:col: message. With PATHs, reports only problems
    in those files or folders (the rest of the repository is still read).
    """
    check = check_repository(settings.repo)
    view = validation_view(check, _selected(paths, settings.repo), stats=stats)
    if view.problems:
        click.echo(view.problems)
    if view.stats:
        click.echo(view.stats, err=True, nl=False)
    click.echo(view.verdict, err=True)
    return EXIT_INVALID if view.errors else EXIT_OK
