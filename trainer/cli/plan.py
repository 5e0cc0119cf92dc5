"""`trainer plan`: what reconcile would do, computed without touching any provider."""

from __future__ import annotations

import os
import sys

import click

from trainer.cli.context import Settings, pass_settings
from trainer.errors import EXIT_OK, SpecError
from trainer.planner import plan as make_plan
from trainer.render.plan import render_json, render_markdown, render_text
from trainer.repository import check_repository
from trainer.revision import desired_state


@click.command("plan")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "markdown", "json"]),
    default="text",
    show_default=True,
    help="text for a terminal, markdown for a PR comment, json for machines.",
)
@pass_settings
def plan(settings: Settings, output_format: str) -> int:
    """Diff the specs against the state and show one action per spec.

    Pure: reads specs, suites and state; calls no provider and changes nothing.
    """
    store = settings.store()
    check = check_repository(settings.repo)
    if not check.ok:
        raise SpecError(check.diagnostics)
    for warning in check.diagnostics:
        click.echo(str(warning), err=True)
    snapshot = store.load()
    desired = desired_state(check.ws, check.digests, check.estimates)
    result = make_plan(desired, snapshot.document)
    if output_format == "json":
        click.echo(render_json(result), nl=False)
    elif output_format == "markdown":
        click.echo(render_markdown(result), nl=False)
    else:
        color = sys.stdout.isatty() and "NO_COLOR" not in os.environ
        click.echo(render_text(result, color=color), nl=False)
    return EXIT_OK
