"""`trainer judge calibrate`: how well the judge agrees with careful human verdicts."""

from __future__ import annotations

import click

from trainer.cli.context import Settings, pass_settings
from trainer.errors import EXIT_FAILED, EXIT_OK


@click.group("judge")
def judge() -> None:
    """The judge of model-graded checks."""


@judge.command("calibrate")
@click.option("--judge", "judge_model", help="The judge model (default: the one the specs name).")
@click.option(
    "--min-kappa",
    type=click.FloatRange(-1, 1),
    default=0.6,
    show_default=True,
    help="Exit 1 when any rubric's Cohen's kappa is below this.",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
)
@click.option("--no-cache", is_flag=True, help="Ask the judge again, ignoring cached results.")
@pass_settings
def calibrate(
    settings: Settings,
    judge_model: str | None,
    min_kappa: float,
    output_format: str,
    no_cache: bool,
) -> int:
    """Run the judge over harness/calibration/ and report, per rubric, n, agreement and kappa."""
    from trainer.harness.judge_check import calibrate_judge
    from trainer.providers.openai_provider import OpenAIProvider

    report = calibrate_judge(
        settings.repo,
        OpenAIProvider(),
        judge=judge_model,
        min_kappa=min_kappa,
        use_cache=not no_cache,
    )
    click.echo(report.to_json() if output_format == "json" else report.to_text(), nl=False)
    return EXIT_OK if report.passed else EXIT_FAILED
