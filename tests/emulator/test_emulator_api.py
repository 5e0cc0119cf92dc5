"""The emulator answers like the real API where trainer depends on it, through the real SDK."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import pytest

from trainer.emulator.faults import parse_fault
from trainer.emulator.server import RunningEmulator, background
from trainer.emulator.state import EmulatorState, Timings
from trainer.errors import UsageError

DATA = Path(__file__).resolve().parents[2] / "specs/datasets/math-socratic.jsonl"


@pytest.fixture
def emu() -> Iterator[RunningEmulator]:
    with background(EmulatorState(timings=Timings(3600, 3600, 3600))) as running:
        yield running


@pytest.fixture
def client(emu: RunningEmulator) -> openai.OpenAI:
    return openai.OpenAI(api_key="sk-test", base_url=emu.base_url, max_retries=0)


@pytest.fixture
def file_id(client: openai.OpenAI) -> str:
    with DATA.open("rb") as handle:
        return client.files.create(file=("math.jsonl", handle), purpose="fine-tune").id


def test_job_moves_through_statuses_and_learns_from_its_data(
    emu: RunningEmulator, client: openai.OpenAI, file_id: str
) -> None:
    job = client.fine_tuning.jobs.create(
        model="gpt-4o-mini-2024-07-18", training_file=file_id, suffix="math"
    )
    assert job.status == "validating_files"
    assert job.fine_tuned_model is None
    emu.state.finish(job.id)
    done = client.fine_tuning.jobs.retrieve(job.id)
    assert done.status == "succeeded"
    assert done.fine_tuned_model == f"ft:gpt-4o-mini-2024-07-18:trainer-emulator:math:{job.id[-8:]}"
    assert done.trained_tokens is not None
    assert done.trained_tokens > 0
    events = client.fine_tuning.jobs.list_events(job.id).data
    assert events[0].message.endswith("successfully completed (emulated)")
    assert client.fine_tuning.jobs.checkpoints.list(job.id).data[0].fine_tuning_job_id == job.id
    tuned = client.chat.completions.create(
        model=done.fine_tuned_model,
        messages=[{"role": "user", "content": "What's 2/3 + 1/4? I got 3/7."}],
    )
    base = client.chat.completions.create(
        model="gpt-4o-mini-2024-07-18",
        messages=[{"role": "user", "content": "What's 2/3 + 1/4? I got 3/7."}],
    )
    assert "?" in (tuned.choices[0].message.content or ""), "learned to ask a guiding question"
    assert "emulated base model" in (base.choices[0].message.content or "")
    assert tuned.system_fingerprint == "trainer-emulator"
    assert done.fine_tuned_model in [m.id for m in client.models.list()]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"model": "gpt-9"}, "Model gpt-9 is not available for fine-tuning"),
        ({"training_file": "file-missing"}, "File file-missing not found"),
        ({"suffix": "x" * 65}, "suffix must be a string of 1 to 64 characters"),
        ({"seed": -1}, "seed must be an integer"),
        (
            {"method": {"type": "supervised", "supervised": {"hyperparameters": {"n_epochs": 0}}}},
            "Invalid value for n_epochs",
        ),
        (
            {"method": {"type": "supervised", "supervised": {"hyperparameters": {"beta": 0.1}}}},
            "Unrecognized hyperparameter: beta",
        ),
        ({"metadata": {f"k{i}": "v" for i in range(17)}}, "at most 16 keys"),
    ],
)
def test_job_parameters_are_validated_as_the_real_api_does(
    client: openai.OpenAI, file_id: str, change: dict[str, object], message: str
) -> None:
    params: dict[str, object] = {
        "model": "gpt-4o-mini-2024-07-18",
        "training_file": file_id,
        **change,
    }
    with pytest.raises(openai.BadRequestError, match=message):
        client.fine_tuning.jobs.create(**params)  # type: ignore[arg-type]


def test_list_filters_by_metadata_and_paginates(client: openai.OpenAI, file_id: str) -> None:
    for i in range(25):
        client.fine_tuning.jobs.create(
            model="gpt-4o-mini-2024-07-18",
            training_file=file_id,
            metadata={"team": "a" if i % 2 else "b", "n": str(i)},
        )
    page = client.fine_tuning.jobs.list(limit=10)
    assert len(page.data) == 10
    assert page.has_more
    assert len(list(client.fine_tuning.jobs.list(limit=10))) == 25, "the SDK follows the cursor"
    team_a = list(client.fine_tuning.jobs.list(metadata={"team": "a"}))
    assert len(team_a) == 12
    assert [j.metadata["n"] for j in team_a][:2] == ["23", "21"], "newest first"  # type: ignore[index]


def test_cancel_and_cannot_cancel_twice(client: openai.OpenAI, file_id: str) -> None:
    job = client.fine_tuning.jobs.create(model="gpt-4o-mini-2024-07-18", training_file=file_id)
    assert client.fine_tuning.jobs.cancel(job.id).status == "cancelled"
    with pytest.raises(openai.BadRequestError, match="already cancelled"):
        client.fine_tuning.jobs.cancel(job.id)


def test_wrong_key_is_401(emu: RunningEmulator) -> None:
    emu.state.api_key = "right"
    wrong = openai.OpenAI(api_key="wrong", base_url=emu.base_url, max_retries=0)
    with pytest.raises(openai.AuthenticationError):
        wrong.models.list()


def test_faults_return_errors_then_recover(emu: RunningEmulator, client: openai.OpenAI) -> None:
    emu.state.faults.append(parse_fault("GET /v1/models=503x2,retry-after=0.01"))
    with pytest.raises(openai.InternalServerError):
        client.models.list()
    retrying = openai.OpenAI(api_key="sk", base_url=emu.base_url, max_retries=3)
    assert retrying.models.list().data
    assert emu.state.requests["GET /v1/models"] == 3


def test_hang_fault_hits_the_client_timeout(emu: RunningEmulator) -> None:
    emu.state.faults.append(parse_fault("GET /v1/models=hang"))
    impatient = openai.OpenAI(api_key="sk", base_url=emu.base_url, max_retries=0, timeout=0.3)
    with pytest.raises(openai.APITimeoutError):
        impatient.models.list()


def test_injected_job_failure(emu: RunningEmulator, client: openai.OpenAI, file_id: str) -> None:
    emu.state.fail_next_jobs.append(("invalid_training_file", "bad line 3"))
    job = client.fine_tuning.jobs.create(model="gpt-4o-mini-2024-07-18", training_file=file_id)
    emu.state.finish(job.id)
    failed = client.fine_tuning.jobs.retrieve(job.id)
    assert failed.status == "failed"
    assert failed.error is not None
    assert (failed.error.code, failed.error.message) == ("invalid_training_file", "bad line 3")


@pytest.mark.parametrize("spec", ["GET /v1/models", "POST /x=abc", "=500"])
def test_bad_fault_specs_are_usage_errors(spec: str) -> None:
    with pytest.raises(UsageError):
        parse_fault(spec)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_trainer_emulator_command_serves_until_stopped() -> None:
    port = _free_port()
    exe = str(Path(sys.executable).with_name("trainer"))
    server = subprocess.Popen(
        [exe, "emulator", "--port", str(port)], stderr=subprocess.PIPE, text=True
    )
    try:
        assert server.stderr is not None
        assert "trainer emulator on http://127.0.0.1:" in server.stderr.readline()
        deadline = time.monotonic() + 30
        while True:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        assert health.json()["emulator"] == "trainer"
    finally:
        server.terminate()
        server.wait(timeout=10)
