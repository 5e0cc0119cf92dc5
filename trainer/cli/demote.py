"""`trainer demote MODEL ALIAS [--to VERSION] --reason TEXT`: a rollback pull request."""

from __future__ import annotations

import click

from trainer.cli.context import Settings, pass_settings
from trainer.clock import utcnow
from trainer.errors import EXIT_OK


@click.command("demote")
@click.argument("model")
@click.argument("alias")
@click.option(
    "--to",
    "version",
    type=click.IntRange(min=1),
    help="Bind this version (default: the previous one).",
)
@click.option("--reason", required=True, help="Why; kept in the registry history and the PR.")
@pass_settings
def demote(settings: Settings, model: str, alias: str, version: int | None, reason: str) -> int:
    """Open a pull request that rebinds ALIAS of registry MODEL (or removes the binding)."""
    from trainer.promotion.proposals import demote as open_demotion

    pr = open_demotion(settings.repo, model, alias, version, reason, utcnow())
    click.echo(f"demotion pull request #{pr.number}: {pr.url}")
    return EXIT_OK
