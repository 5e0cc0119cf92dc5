"""`trainer promote NAME [--force --reason TEXT]`: a promotion pull request on demand."""

from __future__ import annotations

import click

from trainer.cli.context import Settings, pass_settings
from trainer.errors import EXIT_OK, SpecError, UsageError
from trainer.phases import Phase
from trainer.reconcile.run import Run
from trainer.repository import check_repository
from trainer.state.session import StateSession


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
    from trainer.providers.openai_provider import OpenAIProvider

    if force and not (reason and reason.strip()):
        raise UsageError("--force needs --reason: the override is recorded with its reason")
    check = check_repository(settings.repo)
    if not check.ok:
        raise SpecError(check.diagnostics)
    job = check.ws.jobs.get(name)
    if job is None:
        raise UsageError(f"no spec named {name!r} in specs/jobs/")
    if job.spec.promotion is None:
        raise UsageError(
            f"{name} has no promotion section: nothing says which model and alias to promote into"
        )
    store = settings.store()
    with store.lock():
        run = Run(StateSession(store), check, OpenAIProvider)
        spec = run.session.doc.specs.get(name)
        record = spec.current_record() if spec else None
        if record is None or not record.provider.fine_tuned_model:
            raise UsageError(f"{name} has no trained model yet; run `trainer reconcile` first")
        if record.phase is Phase.PROMOTED:
            raise UsageError(f"{name} revision {record.revision[:12]} is promoted already")
        passed = record.evaluation is not None and record.evaluation.passed
        if not passed and not force:
            state = "failed its evaluation" if record.evaluation else "has not been evaluated"
            raise UsageError(
                f"{name} revision {record.revision[:12]} {state}; "
                "use --force --reason TEXT to propose it anyway"
            )
        run.promoter.open(
            name, record.revision, forced=reason.strip() if force and reason else None
        )
        promotion = run.session.doc.specs[name].revisions[record.revision].promotion
        assert promotion is not None
        click.echo(f"promotion pull request #{promotion.number}: {promotion.url}")
    return EXIT_OK
