"""`trainer plan`: what reconcile would do, computed without touching any provider."""

from __future__ import annotations

import os
import sys

import click

from trainer.cli.context import Settings, pass_settings
from trainer.errors import EXIT_OK, SpecError
from trainer.github_actions import head_branch, pull_request_number, write_step_summary
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
@click.option(
    "--comment",
    is_flag=True,
    help="Also upsert one sticky comment with the plan on the current pull request.",
)
@pass_settings
def plan(settings: Settings, output_format: str, comment: bool) -> int:
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
    markdown = render_markdown(result)
    write_step_summary(markdown)
    if comment:
        _comment(markdown)
    if output_format == "json":
        click.echo(render_json(result), nl=False)
    elif output_format == "markdown":
        click.echo(markdown, nl=False)
    else:
        color = sys.stdout.isatty() and "NO_COLOR" not in os.environ
        click.echo(render_text(result, color=color), nl=False)
    return EXIT_OK


PLAN_MARKER = "<!-- trainer:plan -->"


def _comment(markdown: str) -> None:
    """Upsert the sticky plan comment; say why not when it cannot, and go on."""
    from trainer.promotion.github import GitHubBackend
    from trainer.promotion.github_http import GitHubError

    github = GitHubBackend.from_environment()
    if github is None:
        click.echo(
            "--comment: no GITHUB_TOKEN and GITHUB_REPOSITORY; the plan is not commented", err=True
        )
        return
    number = pull_request_number()
    try:
        if number is None and (branch := head_branch()):
            number = github.find_number(branch)
        if number is None:
            click.echo(
                "--comment: no pull request for this run (GITHUB_EVENT_PATH); not commented",
                err=True,
            )
            return
        author = os.environ.get("TRAINER_COMMENT_AUTHOR", "github-actions[bot]")
        url = github.upsert_comment(number, PLAN_MARKER, author, markdown)
    except GitHubError as exc:
        click.echo(
            f"--comment: cannot comment on #{number} ({exc}); a pull request from a fork gets a "
            "read-only token. The plan is above and in the job summary.",
            err=True,
        )
        return
    click.echo(f"plan commented on #{number}: {url}", err=True)
