"""`trainer promote NAME [--force --reason TEXT]`: a promotion pull request on demand."""

from __future__ import annotations

import click

from trainer.cli.context import Settings, pass_settings
from trainer.errors import EXIT_OK


@click.command("promote")
@click.argument("name")
@click.option(
    "--force", is_flag=True, help="Propose it even though it failed or was not evaluated."
)
@click.option(
    "--reason", help="Why; required with --force, shown first in the PR and kept in the history."
)
@pass_settings
def promote(settings: Settings, name: str, force: bool, reason: str | None) -> int:
    """Open (or update) the promotion pull request of spec NAME's current revision."""
    from trainer.reconcile.manual_promotion import promote_on_request

    pr = promote_on_request(settings.repo, settings.store(), name, force=force, reason=reason)
    click.echo(f"promotion pull request #{pr.number}: {pr.url}")
    return EXIT_OK
