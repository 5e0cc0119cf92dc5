"""`trainer validate [PATH…]`: every problem of every spec file, in one run."""

from __future__ import annotations

from pathlib import Path

import click

from trainer.cli.context import Settings, pass_settings
from trainer.diagnostics import render
from trainer.errors import EXIT_INVALID, EXIT_OK, UsageError
from trainer.specs.loader import load_workspace


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


@click.command("validate")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@pass_settings
def validate(settings: Settings, paths: tuple[Path, ...]) -> int:
    """Check specs, registry files and their cross-references; print all errors.

    With PATHs, report only problems in those files or folders (the rest of the
    repository is still read, for cross-references).
    """
    ws = load_workspace(settings.repo)
    selected = _selected(paths, settings.repo)
    found = [
        d
        for d in ws.diagnostics
        if not selected
        or any(d.path == s or d.path.startswith(s.rstrip("/") + "/") or s == "." for s in selected)
    ]
    if found:
        click.echo(render(found))
        files = len({d.path for d in found})
        click.echo(
            f"{len(found)} error{'s' if len(found) != 1 else ''} in {files} "
            f"file{'s' if files != 1 else ''}",
            err=True,
        )
        return EXIT_INVALID
    click.echo(
        f"OK: {len(ws.jobs)} job spec{'s' if len(ws.jobs) != 1 else ''}, "
        f"{len(ws.registry)} registry model{'s' if len(ws.registry) != 1 else ''} valid",
        err=True,
    )
    return EXIT_OK
