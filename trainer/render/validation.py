"""What `trainer validate` shows: the problems (stdout), dataset statistics and a verdict
line (stderr)."""

from __future__ import annotations

from dataclasses import dataclass

from trainer.diagnostics import Diagnostic, render
from trainer.render.datasets import render_dataset_stats
from trainer.repository import RepositoryCheck


@dataclass(frozen=True)
class ValidationView:
    problems: str
    """Every diagnostic as path:line:col: message ("" when there is none)."""
    stats: str
    verdict: str
    errors: int


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'s' if count != 1 else ''}"


def covered(selected: list[str], path: str) -> bool:
    """Whether a diagnostic's path lies in one of the selected repo-relative paths."""
    return any(s in (".", path) or path.startswith(s.rstrip("/") + "/") for s in selected)


def validation_view(
    check: RepositoryCheck, selected: list[str] | None = None, *, stats: bool = True
) -> ValidationView:
    found: list[Diagnostic] = [
        d for d in check.diagnostics if not selected or covered(selected, d.path)
    ]
    errors = sum(1 for d in found if d.is_error)
    warnings = len(found) - errors
    if errors:
        files = len({d.path for d in found if d.is_error})
        verdict = (
            f"{_plural(errors, 'error')} in {_plural(files, 'file')}, "
            f"{_plural(warnings, 'warning')}"
        )
    else:
        ws = check.ws
        datasets = len({r.path for r in check.datasets.values()})
        verdict = (
            f"OK: {_plural(len(ws.jobs), 'job spec')}, "
            f"{_plural(len(ws.registry), 'registry model')}, "
            f"{_plural(datasets, 'dataset')} valid"
            + (f" ({_plural(warnings, 'warning')})" if warnings else "")
        )
    return ValidationView(
        problems=render(found) if found else "",
        stats=render_dataset_stats(check) if stats and check.datasets else "",
        verdict=verdict,
        errors=errors,
    )
