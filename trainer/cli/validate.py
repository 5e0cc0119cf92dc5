"""`trainer validate [PATH…]`: every problem of every spec and dataset, in one run."""

from __future__ import annotations

from pathlib import Path

import click

from trainer.cli.context import Settings, pass_settings
from trainer.diagnostics import render
from trainer.errors import EXIT_INVALID, EXIT_OK, UsageError
from trainer.render.datasets import render_dataset_stats
from trainer.repository import check_repository


def _selected(paths: tuple[Path, ...], root: Path) -> list[str]:
    selected = []
    for path in paths:
        try:
            selected.append(path.resolve().relative_to(root.resolve()).as_posix())
        except ValueError:
            raise UsageError(f"{path} is outside the repository {root}") from None
    return selected


def _covers(selected: list[str], path: str) -> bool:
    return any(s in (".", path) or path.startswith(s.rstrip("/") + "/") for s in selected)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'s' if count != 1 else ''}"


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
    selected = _selected(paths, settings.repo)
    found = [d for d in check.diagnostics if not selected or _covers(selected, d.path)]
    if found:
        click.echo(render(found))
    errors = sum(1 for d in found if d.is_error)
    warnings = len(found) - errors
    if stats and check.datasets:
        click.echo(render_dataset_stats(check), err=True, nl=False)
    if errors:
        files = len({d.path for d in found if d.is_error})
        click.echo(
            f"{_plural(errors, 'error')} in {_plural(files, 'file')}, "
            f"{_plural(warnings, 'warning')}",
            err=True,
        )
        return EXIT_INVALID
    ws = check.ws
    click.echo(
        f"OK: {_plural(len(ws.jobs), 'job spec')}, {_plural(len(ws.registry), 'registry model')}, "
        f"{_plural(len({r.path for r in check.datasets.values()}), 'dataset')} valid"
        + (f" ({_plural(warnings, 'warning')})" if warnings else ""),
        err=True,
    )
    return EXIT_OK
