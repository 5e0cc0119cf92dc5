"""`trainer emulator`: serve the built-in OpenAI-compatible emulator until stopped."""

from __future__ import annotations

import click

from trainer.emulator.faults import parse_fault
from trainer.emulator.server import serve
from trainer.emulator.state import EmulatorState, Timings
from trainer.errors import EXIT_OK


@click.command("emulator")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8321, show_default=True, type=int)
@click.option(
    "--job-seconds",
    default=3.0,
    show_default=True,
    type=click.FloatRange(min=0),
    help="How long a fine-tuning job takes from creation to success.",
)
@click.option("--api-key", default=None, help="Accept only this key (default: any non-empty key).")
@click.option(
    "--fault",
    "faults",
    multiple=True,
    metavar="SPEC",
    help="Inject a fault, e.g. 'POST /v1/fine_tuning/jobs=429x3,retry-after=1', "
    "'* /v1/*=latency:50ms', 'GET /v1/files=hang'. Repeatable.",
)
@click.option(
    "--fail-jobs",
    default=0,
    show_default=True,
    type=click.IntRange(min=0),
    help="Make the next N jobs fail while running.",
)
@click.option(
    "--import-model",
    "imported",
    multiple=True,
    metavar="ID",
    help="Serve a fine-tuned model made elsewhere (like its base model). Repeatable.",
)
@click.option(
    "--judge",
    type=click.Choice(["rubric", "approve", "disapprove"]),
    default="rubric",
    show_default=True,
    help="The stand-in judge: apply each rubric's rule, or approve/disapprove everything.",
)
def emulator(
    host: str,
    port: int,
    job_seconds: float,
    api_key: str | None,
    faults: tuple[str, ...],
    fail_jobs: int,
    imported: tuple[str, ...],
    judge: str,
) -> int:
    """Serve an OpenAI-compatible API on HOST:PORT (files, fine-tuning, chat, models).

    Point trainer at it with OPENAI_BASE_URL=http://HOST:PORT/v1 and any OPENAI_API_KEY.
    """
    state = EmulatorState(timings=Timings.total(job_seconds), api_key=api_key, judge=judge)
    state.faults.extend(parse_fault(f) for f in faults)
    state.imported.update(imported)
    state.fail_next_jobs.extend(
        [("emulated_failure", "the emulator was told to fail this job")] * fail_jobs
    )
    click.echo(
        f"trainer emulator on http://{host}:{port}/v1 (not OpenAI; Ctrl-C to stop)", err=True
    )
    serve(state, host, port)
    return EXIT_OK
