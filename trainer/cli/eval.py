"""`trainer eval`: run the evaluation harness on a model, outside of any reconcile."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from trainer.cli.context import Settings, pass_settings
from trainer.errors import EXIT_FAILED, EXIT_OK
from trainer.github_actions import write_step_summary
from trainer.harness.cache import ResponseCache
from trainer.harness.evaluate import evaluate
from trainer.harness.report import render_json, render_junit, render_markdown
from trainer.harness.standalone import standalone_request
from trainer.logs import scrub
from trainer.paths import RESPONSE_CACHE


class Progress:
    """A live counter on a terminal; nothing otherwise (the report is the output)."""

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
        self.open = False
        """A counter is on the screen without its line ended."""

    def __call__(self, what: str, done: int, total: int) -> None:
        if self.tty and (done == total or done % 10 == 0):
            end = "\n" if done == total else ""
            click.echo(f"\r\x1b[2K{what}: {done}/{total}{end}", err=True, nl=False)
            self.open = done != total

    def clear(self) -> None:
        """Erase an unfinished counter (before an error that stopped the evaluation)."""
        if self.open:
            click.echo("\r\x1b[2K", err=True, nl=False)
            self.open = False


@click.command("eval")
@click.option("--model", required=True, help="The model to evaluate.")
@click.option("--baseline", help="A model to compare with, on the same cases.")
@click.option(
    "--suite", "suites", multiple=True, help="Only these suites (default: all of harness/)."
)
@click.option(
    "--spec", "spec_name", help="Take tests, thresholds, judge and weights from this spec."
)
@click.option(
    "--judge", help="The judge model for model-graded checks (never the model under test)."
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["markdown", "json", "junit"]),
    default="markdown",
    show_default=True,
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the report here instead of stdout.",
)
@click.option(
    "--no-cache", is_flag=True, help="Ask the model again even for answers already cached."
)
@pass_settings
def eval_command(
    settings: Settings,
    model: str,
    baseline: str | None,
    suites: tuple[str, ...],
    spec_name: str | None,
    judge: str | None,
    output_format: str,
    out: Path | None,
    no_cache: bool,
) -> int:
    """Evaluate MODEL on the pedagogy and safety suites; exit 1 if the gate fails."""
    request = standalone_request(
        settings.repo,
        model,
        baseline=baseline,
        suites=suites,
        spec_name=spec_name,
        judge=judge,
        note=lambda message: click.echo(message, err=True),
    )
    from trainer.providers.openai_provider import OpenAIProvider

    cache = ResponseCache(None if no_cache else settings.repo / RESPONSE_CACHE)
    progress = Progress()
    try:
        # a rejected key or an API out of reach stops the evaluation: one error, no verdict
        result = evaluate(OpenAIProvider(), cache, request, progress)
    finally:
        progress.clear()
    text = {"markdown": render_markdown, "json": render_json, "junit": render_junit}[output_format](
        result
    )
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(scrub(text), encoding="utf-8")
        click.echo(f"report written to {out}", err=True)
    else:
        click.echo(text, nl=False)
    write_step_summary(text if output_format == "markdown" else render_markdown(result))
    verdict = "passed" if result.gate.passed else "FAILED"
    click.echo(
        f"gate {verdict}: overall {result.scores.overall.value:.3f}; "
        f"{result.run.requests} requests, {result.run.cache_hits} answers from cache",
        err=True,
    )
    return EXIT_OK if result.gate.passed else EXIT_FAILED
