"""Entry point: parse global options, dispatch, and turn errors into exit codes."""

from __future__ import annotations

import gc
import sys
import tempfile
import traceback
from collections.abc import Sequence
from pathlib import Path

import click

from trainer import __version__
from trainer.cli.commands import LazyGroup
from trainer.cli.context import DEFAULT_STATE, Settings, find_repo
from trainer.diagnostics import render
from trainer.errors import EXIT_FAILED, EXIT_INVALID, SpecError, TrainerError
from trainer.logs import configure, report_error, scrub, scrubbed_output


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="trainer")
@click.option(
    "--repo",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="The GitOps repository (default: the git work tree around the current directory).",
)
@click.option(
    "--state",
    "state_url",
    envvar="TRAINER_STATE",
    default=DEFAULT_STATE,
    show_default=True,
    help="Where observed state lives: file:PATH, or git:BRANCH on origin.",
)
@click.option(
    "--log-format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="json: one object per line, for log collectors.",
)
@click.option("-v", "--verbose", count=True, help="More detail (repeat for debug).")
@click.option("-q", "--quiet", is_flag=True, help="Errors only.")
@click.pass_context
def cli(
    ctx: click.Context,
    repo: Path | None,
    state_url: str,
    log_format: str,
    verbose: int,
    quiet: bool,
) -> None:
    """trainer: fine-tuning jobs as code, reconciled from git."""
    verbosity = -1 if quiet else verbose
    configure(log_format, verbosity)
    ctx.obj = Settings(find_repo(repo), state_url, log_format, verbosity)


def _crash_report() -> Path:
    """Write the traceback of an unexpected error where a user can attach it to a bug."""
    fd, name = tempfile.mkstemp(prefix="trainer-crash-", suffix=".log")
    with open(fd, "w", encoding="utf-8") as handle:
        handle.write(scrub(traceback.format_exc()))
    return Path(name)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI and return the exit code (PRODUCT.md §4) instead of raising; nothing it
    prints carries a secret (stdout and stderr are scrubbed as well as the logs)."""
    with scrubbed_output():
        return _main(argv)


def _main(argv: Sequence[str] | None) -> int:
    try:
        result = cli.main(args=list(argv) if argv is not None else None, standalone_mode=False)
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.ClickException as exc:
        exc.show()
        return EXIT_INVALID if isinstance(exc, click.UsageError) else exc.exit_code
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        return EXIT_FAILED
    except SpecError as exc:
        click.echo(render(d for d in exc.diagnostics if d.is_error), err=True)
        click.echo(f"error: {exc}; nothing was changed", err=True)
        return exc.exit_code
    except TrainerError as exc:
        report_error(str(exc))
        return exc.exit_code
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        return 130
    except Exception as exc:
        report = _crash_report()
        click.echo(
            f"trainer: unexpected error ({type(exc).__name__}: {scrub(str(exc))}). "
            f"This is a bug in trainer; the details are in {report}",
            err=True,
        )
        return EXIT_FAILED
    return int(result) if isinstance(result, int) else 0


# A command allocates much and frees little: collecting every 700 allocations took a tenth
# of `trainer eval` (mypy's setting, for the same reason). At exit: no walk over everything.
GC_THRESHOLDS = (200_000, 30, 30)


def entry() -> None:
    """The `trainer` command."""
    gc.set_threshold(*GC_THRESHOLDS)
    code = main()
    gc.freeze()
    sys.exit(code)
