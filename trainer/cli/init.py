"""`trainer init`: scaffold a GitOps repository in the current git work tree."""

from __future__ import annotations

import click

from trainer.cli.context import Settings, pass_settings
from trainer.errors import EXIT_OK
from trainer.scaffolding import default_action, init_repository, resolve_action


@click.command("init")
@click.option("--minimal", is_flag=True, help="Leave out the example job spec and its dataset.")
@click.option("--force", is_flag=True, help="Overwrite files that exist (default: leave them).")
@click.option(
    "--action",
    default=default_action,
    show_default="trainer-gitops/trainer@v<version>",
    metavar="OWNER/REPO@REF",
    help="The composite action the workflows use; a tag or branch is pinned to its commit.",
)
@pass_settings
def init(settings: Settings, minimal: bool, force: bool, action: str) -> int:
    """Write specs/, harness/, the policy, the workflows and .gitignore; never overwrite
    without --force. Afterwards: commit, then `trainer validate` and `trainer plan`."""
    pinned, warning = resolve_action(action)
    result = init_repository(settings.repo, pinned, minimal=minimal, force=force)
    if result.git_initialised:
        click.echo(f"initialised a git repository in {result.root}")
    click.echo(f"trainer init in {result.root}")
    for name in result.created:
        click.echo(f"  created      {name}")
    for name in result.overwritten:
        click.echo(f"  overwritten  {name}")
    for name in result.unchanged:
        click.echo(f"  unchanged    {name}")
    for name in result.kept:
        click.echo(f"  exists, left {name} (--force overwrites it)")
    if result.gitignore:
        click.echo(f"  {result.gitignore:<12} .gitignore (.trainer/: local state, caches, reports)")
    written = {*result.created, *result.overwritten}
    if any(name.startswith(".github/workflows/") for name in written):
        click.echo(f"workflows use {pinned.uses}{pinned.comment}")
    if warning:
        click.echo(f"warning: {warning}", err=True)
    click.echo(
        "\nnext:\n"
        "  git add -A && git commit -m 'Set up trainer'\n"
        "  trainer validate && trainer plan\n"
        "  then add the repository secret OPENAI_API_KEY (and TRAINER_PR_TOKEN, a GitHub App or\n"
        "  fine-grained token, so that promotion pull requests run your checks) and open a pull\n"
        "  request that adds a spec under specs/jobs/."
    )
    return EXIT_OK
