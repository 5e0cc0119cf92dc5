"""Remote datasets go through exactly the checks a repository file gets, before anything is
uploaded: a real https server (a throwaway CA), the real SDK, the emulator."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import Result
from tests.helpers import CHAT_LINE, job, write_yaml
from tests.https_server import Files, https_files
from trainer.emulator.server import RunningEmulator

Run = Callable[..., Result]
SECRET = "sv=2026&sig=SeCrEtSiGnAtUrE0123456789"


def lines(count: int, salt: str = "") -> bytes:
    out = []
    for i in range(count):
        line = json.loads(json.dumps(CHAT_LINE))
        line["messages"][1]["content"] = f"Remote question {i}{salt}: what is {i} + {i}?"
        out.append(json.dumps(line))
    return ("\n".join(out) + "\n").encode()


@pytest.fixture
def files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Files]:
    with https_files(tmp_path) as served:
        monkeypatch.setenv("SSL_CERT_FILE", str(served.ca))
        monkeypatch.setenv("TRAINER_DATASET_ALLOW_PRIVATE", "1")
        yield served


def remote_spec(gitops: Path, url: str, **policy: object) -> None:
    body = job("alpha", datasetUri=url)
    body.pop("validationDatasetUri")
    body["policy"].update(policy)
    write_yaml(gitops / "specs/jobs/alpha.yaml", body)
    (gitops / "specs/jobs/beta.yaml").unlink()


def everything_written(gitops: Path) -> str:
    """The state file and every commit message of the repository."""
    log = subprocess.run(
        ["git", "-C", str(gitops), "log", "--all", "--format=%B"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    return (gitops / ".trainer/state.json").read_text() + log


def test_good_remote_data_is_fetched_once_checked_and_trained(
    gitops: Path, env: RunningEmulator, run: Run, files: Files
) -> None:
    files.content["/train.jsonl?" + SECRET] = lines(12)
    remote_spec(gitops, f"{files.url}/train.jsonl?{SECRET}")
    result = run("--repo", gitops, "reconcile")
    assert result.code == 0, result.out + result.err
    assert "alpha: remote data checked: " in result.err + result.out
    (stored,) = env.state.files.values()
    assert stored.data == files.content["/train.jsonl?" + SECRET]
    assert stored.filename.endswith("-train.jsonl")
    assert len(env.state.jobs) == 1
    for _ in range(2):
        assert run("--repo", gitops, "reconcile").code == 0
    assert len(files.requests) == 1, "fetched once per revision"
    written = everything_written(gitops)
    assert "SeCrEtSiGnAtUrE" not in written + result.out + result.err
    assert "train.jsonl?sv=***&sig=***" in written


def test_invalid_lines_and_pii_in_remote_data_refuse_the_revision_with_located_errors(
    gitops: Path, env: RunningEmulator, run: Run, files: Files
) -> None:
    bad = lines(12).splitlines()
    bad[2] = b'{"messages": "not a list"}'
    pii = json.loads(bad[5])
    pii["messages"][1]["content"] = "My SSN is 078-05-1120, can you help with fractions?"
    bad[5] = json.dumps(pii).encode()
    files.content["/bad.jsonl"] = b"\n".join(bad) + b"\n"
    remote_spec(gitops, f"{files.url}/bad.jsonl")
    result = run("--repo", gitops, "reconcile")
    assert result.code == 1
    output = result.out + result.err
    assert "the remote data failed the dataset checks" in output
    assert f"{files.url}/bad.jsonl:3:" in output
    assert f"{files.url}/bad.jsonl:6:" in output
    assert env.state.files == {}, "nothing uploaded"
    assert env.state.jobs == {}
    again = run("--repo", gitops, "reconcile")
    assert env.state.files == {}
    assert len(files.requests) == 1, "a refused revision stays refused, fetched once"
    assert "alpha: the remote data failed the dataset checks (2 errors)" in again.out
    assert "alpha  failed" in run("--repo", gitops, "status").out


def test_the_budget_is_checked_again_with_the_real_token_count(
    gitops: Path, env: RunningEmulator, run: Run, files: Files
) -> None:
    files.content["/train.jsonl"] = lines(40)
    remote_spec(gitops, f"{files.url}/train.jsonl", budget_usd=0.01)
    spec = gitops / "specs/jobs/alpha.yaml"
    spec.write_text(spec.read_text().replace("n_epochs: 3", "n_epochs: 50"))
    plan = run("--repo", gitops, "plan")
    assert "BLOCKED" not in plan.out, "plan cannot count remote data"
    result = run("--repo", gitops, "reconcile")
    assert result.code == 1
    assert "with the remote data counted, estimated" in result.out + result.err
    assert "exceeds policy.budget_usd $0.01" in result.out + result.err
    assert env.state.files == {}
    assert env.state.jobs == {}


def test_an_unreachable_remote_dataset_fails_its_spec_and_the_next_pass_retries_at_once(
    gitops: Path, env: RunningEmulator, run: Run, files: Files
) -> None:
    body = job("beta")
    body["promotion"]["alias"] = "beta"
    write_yaml(gitops / "specs/jobs/beta.yaml", body)
    write_yaml(
        gitops / "specs/jobs/alpha.yaml", job("alpha", datasetUri=f"{files.url}/later.jsonl")
    )
    result = run("--repo", gitops, "reconcile")
    assert result.code == 1
    assert f"alpha: {files.url}/later.jsonl: HTTP 404" in result.out
    assert [j.metadata["trainer_spec"] for j in env.state.jobs.values()] == ["beta"]
    files.content["/later.jsonl"] = lines(12)
    retried = run("--repo", gitops, "reconcile")
    assert retried.code == 0, retried.out + retried.err
    assert sorted(j.metadata["trainer_spec"] for j in env.state.jobs.values()) == ["alpha", "beta"]


def test_a_connection_error_is_a_failed_spec_not_a_crashed_pass(
    gitops: Path, env: RunningEmulator, run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRAINER_DATASET_ALLOW_PRIVATE", "1")
    write_yaml(
        gitops / "specs/jobs/alpha.yaml", job("alpha", datasetUri="https://127.0.0.1:9/t.jsonl")
    )
    result = run("--repo", gitops, "reconcile")
    assert result.code == 1
    assert "FAILED   alpha: https://127.0.0.1:9/t.jsonl: ConnectError" in result.out
    assert "unexpected error" not in result.err
    assert [j.metadata["trainer_spec"] for j in env.state.jobs.values()] == ["beta"]


def test_a_licence_the_scope_forbids_is_refused_before_anything_is_fetched(
    gitops: Path, env: RunningEmulator, run: Run, files: Files
) -> None:
    files.content["/train.jsonl"] = lines(12)
    (gitops / "specs/policy.yaml").write_text(
        "default: {allowed_licenses: [CC-BY-4.0]}\n", encoding="utf-8"
    )
    remote_spec(gitops, f"{files.url}/train.jsonl")
    result = run("--repo", gitops, "reconcile")
    assert result.code == 2
    assert "datasheet.license: 'proprietary' is not allowed" in result.err
    assert files.requests == []
    assert env.state.files == {}
