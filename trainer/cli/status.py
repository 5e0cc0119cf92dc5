"""`trainer status [NAME]`: where every spec stands, from the state alone (no provider call)."""

from __future__ import annotations

import click

from trainer.cli.context import Settings, pass_settings
from trainer.errors import EXIT_OK, UsageError
from trainer.render.status import (
    render_spend,
    render_status_json,
    render_status_table,
    status_rows,
    tenant_spend,
)


def _budgets(settings: Settings) -> dict[str, float]:
    """Budgets by tenant from the specs (quietly none if they do not load)."""
    from trainer.specs.loader import load_workspace

    budgets: dict[str, float] = {}
    for job in load_workspace(settings.repo).jobs.values():
        if job.spec.policy.budget_usd is not None:
            scope = job.spec.policy.scope
            budgets[scope] = budgets.get(scope, 0.0) + job.spec.policy.budget_usd
    return budgets


@click.command("status")
@click.argument("name", required=False)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
)
@pass_settings
def status(settings: Settings, name: str | None, output_format: str) -> int:
    """Phase, provider status, job, model, tokens, cost per spec."""
    document = settings.store().load().document
    rows = status_rows(document, [name] if name else None)
    if name and not rows:
        raise UsageError(f"no spec named {name!r} in the state ({settings.state_url})")
    if output_format == "json":
        click.echo(render_status_json(rows), nl=False)
    else:
        click.echo(render_status_table(rows), nl=False)
        if not name:
            click.echo(render_spend(tenant_spend(document, _budgets(settings))), nl=False)
    return EXIT_OK
