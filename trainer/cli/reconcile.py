"""`trainer reconcile` (alias `apply`): make the world match the specs, once or until settled."""

from __future__ import annotations

import click

from trainer.cli.context import Settings, pass_settings
from trainer.cli.progress import Progress
from trainer.errors import EXIT_FAILED, EXIT_OK
from trainer.github_actions import write_step_summary
from trainer.providers.openai_provider import OpenAIProvider
from trainer.reconcile.passes import PassReport, reconcile_once, reconcile_until_settled
from trainer.render.markdown import escape_inline
from trainer.render.status import render_summary


@click.command("reconcile")
@click.option("--wait", is_flag=True, help="Repeat passes until no job is in flight.")
@click.option(
    "--interval",
    type=click.FloatRange(min=0),
    default=10.0,
    show_default=True,
    help="Seconds before the second pass with --wait; grows x1.5 up to 60.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0),
    default=None,
    help="Give up waiting after this many seconds (jobs keep running).",
)
@pass_settings
def reconcile(settings: Settings, wait: bool, interval: float, timeout: float | None) -> int:
    """One idempotent pass: start, poll and cancel jobs, and record everything in state.

    Safe to run on a schedule and from a laptop at once: every side effect is recorded
    before and after it happens, so a crash never duplicates or forgets work.
    """
    store = settings.store()
    if wait:
        report = reconcile_until_settled(
            settings.repo,
            store,
            OpenAIProvider,
            interval=interval,
            max_interval=max(interval, 60.0),
            timeout=timeout,
            on_pass=Progress(),
        )
    else:
        report = reconcile_once(settings.repo, store, OpenAIProvider)
        Progress()(report, 0)
    summary = render_summary(report)
    click.echo(summary, nl=False)
    write_step_summary(_summary_markdown(report, summary))
    return EXIT_FAILED if report.result.failed else EXIT_OK


def _summary_markdown(report: PassReport, text: str) -> str:
    """The job summary: the verdict in one line (failures first), then the status table."""
    result = report.result
    if result.failed:
        counts = f"{len(result.failures)} failed, {len(result.blocked)} blocked"
        head = f"### ❌ trainer reconcile: {counts}"
        reasons = [
            f"- **{escape_inline(n)}**: {escape_inline(m)}"
            for n, m in result.failures + result.blocked
        ]
    else:
        head, reasons = "### ✅ trainer reconcile", []
    reasons += [f"- ⚠️ **{escape_inline(n)}**: {escape_inline(m)}" for n, m in result.warnings]
    return "\n".join([head, "", *reasons, "", "```", text.rstrip(), "```"])
