"""`trainer eval`: the harness on a model, outside reconcile (imported on use: quick --help)."""

from __future__ import annotations

import gc
from pathlib import Path

import click

from trainer.cli.context import Settings, pass_settings
from trainer.errors import EXIT_FAILED, EXIT_OK


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
    "--concurrency",
    type=click.IntRange(1, 256),
    help="Requests in flight at most (default: the spec's max_concurrency, else 8); "
    "fewer while the API answers 429.",
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
@click.option("--batch", is_flag=True, help="Through the Batch API: half the price; waits.")
@pass_settings
def eval_command(
    settings: Settings,
    model: str,
    baseline: str | None,
    suites: tuple[str, ...],
    spec_name: str | None,
    judge: str | None,
    concurrency: int | None,
    output_format: str,
    out: Path | None,
    no_cache: bool,
    batch: bool,
) -> int:
    """Evaluate MODEL on the pedagogy and safety suites; exit 1 if the gate fails."""
    from trainer.github_actions import write_step_summary
    from trainer.harness.cache import ResponseCache
    from trainer.harness.evaluate import evaluate
    from trainer.harness.progress import Progress
    from trainer.harness.report import render_json, render_junit, render_markdown
    from trainer.harness.standalone import standalone_request
    from trainer.logs import scrub
    from trainer.paths import RESPONSE_CACHE

    request = standalone_request(
        settings.repo,
        model,
        baseline=baseline,
        suites=suites,
        spec_name=spec_name,
        judge=judge,
        concurrency=concurrency,
        note=lambda message: click.echo(message, err=True),
    )
    from trainer.providers.openai_provider import OpenAIProvider

    cache = ResponseCache(None if no_cache else settings.repo / RESPONSE_CACHE)
    progress = Progress()
    gc.freeze()  # what is loaded by now stays: full collections need not walk it each time
    try:
        # a rejected key or an API out of reach stops the evaluation: one error, no verdict
        if batch:  # its imports are for batches only
            from trainer.reconcile.batch_standalone import run_batch_eval_blocking
        run = run_batch_eval_blocking if batch else evaluate
        result = run(OpenAIProvider(), cache, request, progress)
    finally:
        gc.unfreeze()
        progress.clear()
    render = {"markdown": render_markdown, "json": render_json, "junit": render_junit}
    text = render[output_format](result)
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(scrub(text), encoding="utf-8")
        click.echo(f"report written to {out}", err=True)
    else:
        click.echo(text, nl=False)
    write_step_summary(text if output_format == "markdown" else lambda: render_markdown(result))
    limits = result.limits
    if limits is not None and limits.rate_limited:
        click.echo(
            f"rate limited: {limits.rate_limited} answers of 429; concurrency lowered from "
            f"{limits.ceiling} to {limits.lowest}, back at {limits.limit} by the end",
            err=True,
        )
    verdict = "passed" if result.gate.passed else "FAILED"
    click.echo(
        f"gate {verdict}: overall {result.scores.overall.value:.3f}; "
        f"{result.run.requests} requests, {result.run.cache_hits} answers from cache",
        err=True,
    )
    return EXIT_OK if result.gate.passed else EXIT_FAILED
