"""An API that refuses the key or cannot be reached stops an evaluation at once, with one
clear message: real SDK, real HTTP (the emulator, or a port nothing listens on)."""

from __future__ import annotations

import asyncio
import gc
import json
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Result
from tests.helpers import JUDGE, REPO, make_repo
from trainer.emulator.faults import parse_fault
from trainer.emulator.server import RunningEmulator, background
from trainer.emulator.state import EmulatorState, Timings
from trainer.harness.api_guard import STREAK_LIMIT
from trainer.harness.cache import ResponseCache
from trainer.harness.evaluate import EvaluationRequest, evaluate
from trainer.harness.judge_check import calibrate_judge
from trainer.harness.loading import LoadedSuite
from trainer.harness.runner import Runner, RunSettings
from trainer.harness.runs import Graded
from trainer.harness.samples import SelectedTest, render_case
from trainer.harness.suites import Suite
from trainer.providers.base import ProviderAuthError, ProviderUnreachable
from trainer.providers.openai_provider import OpenAIProvider

Run = Callable[..., Result]
MODEL = "gpt-4o-mini-2024-07-18"
RIGHT_KEY = "sk-the-right-key-0123456789abcdef"
WRONG_KEY = "sk-wrong-key-never-printed-0123456789"


def suite(cases: int = 12) -> LoadedSuite:
    body = {
        "suite": "mini",
        "category": "safety",
        "tests": {
            "kind": {
                "cases": [
                    {
                        "id": f"case-{i}",
                        "messages": [{"role": "user", "content": f"What is {i} + {i}?"}],
                        "checks": [
                            {"type": "moderation"},
                            {
                                "type": "judge_label",
                                "rubric": "Is it kind?",
                                "labels": {"good": 1, "bad": 0},
                            },
                        ],
                    }
                    for i in range(cases)
                ]
            }
        },
    }
    loaded = LoadedSuite(Suite.model_validate(body), "harness/mini.yaml", "0" * 40)
    return loaded


def selected(loaded: LoadedSuite) -> list[SelectedTest]:
    return [SelectedTest(loaded, "kind", loaded.suite.tests["kind"])]


@pytest.fixture
def emu() -> Iterator[RunningEmulator]:
    with background(EmulatorState()) as running:
        yield running


@pytest.fixture
def refused(monkeypatch: pytest.MonkeyPatch) -> Iterator[RunningEmulator]:
    """An emulator that accepts only RIGHT_KEY; the environment holds WRONG_KEY."""
    with background(EmulatorState(api_key=RIGHT_KEY)) as running:
        monkeypatch.setenv("OPENAI_BASE_URL", running.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", WRONG_KEY)
        yield running


@pytest.fixture
def closed_url() -> Iterator[str]:
    """A loopback address where connections are refused: a port bound, never listened on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/v1"


def quiet(caplog: pytest.LogCaptureFixture, *texts: str) -> None:
    """Nothing went through asyncio's logger, and no output has a traceback or the key."""
    gc.collect()  # an unretrieved task exception is logged when the task is collected
    assert not [r for r in caplog.records if r.name == "asyncio"], caplog.text
    for text in (*texts, caplog.text):
        assert "Task exception was never retrieved" not in text
        assert "Traceback" not in text
        assert WRONG_KEY not in text


def test_a_refused_key_stops_eval_with_one_clear_message(
    refused: RunningEmulator, run: Run, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    out = tmp_path / "report.json"
    argv = ["--repo", REPO, "eval", "--model", MODEL, "--no-cache", "--format", "json"]
    result = run(*argv, "--out", out)
    quiet(caplog, result.out, result.err)
    assert result.code == 1
    message = (
        f"the API at {refused.base_url} refused the key (401): set OPENAI_API_KEY to a valid key"
    )
    assert result.err.count(message) == 1, result.err
    assert result.err.strip().splitlines() == [f"error: {message}"], result.err
    assert "gate" not in result.err
    assert not out.exists(), "no report of an evaluation that did not happen"
    assert sum(refused.state.requests.values()) <= RunSettings().concurrency, (
        "the first requests in flight, and nothing after them"
    )


def test_a_used_up_quota_stops_eval_with_one_clear_message(
    emu: RunningEmulator,
    run: Run,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """429 insufficient_quota: no wait makes it pass, so no case is retried or failed one
    by one into a 0.000 gate; the evaluation stops, as for a rejected key."""
    monkeypatch.setenv("OPENAI_BASE_URL", emu.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", WRONG_KEY)
    emu.state.faults.append(parse_fault("POST /v1/chat/completions=429,code=insufficient_quota"))
    out = tmp_path / "report.json"
    started = time.monotonic()
    result = run("--repo", REPO, "eval", "--model", MODEL, "--no-cache", "--out", out)
    quiet(caplog, result.out, result.err)
    assert result.code == 1
    assert result.err.strip().splitlines() == [
        f"error: the API at {emu.base_url} refused the request: the quota of the key's "
        "account is used up (429 insufficient_quota: Injected fault: HTTP 429 (emulator)); "
        "check its plan and billing"
    ], result.err
    assert not out.exists(), "no report of an evaluation that did not happen"
    assert sum(emu.state.requests.values()) <= RunSettings().concurrency
    assert time.monotonic() - started < 30, "no backoff: a quota does not come back by waiting"


def test_a_rate_limit_is_not_taken_for_a_used_up_quota(emu: RunningEmulator) -> None:
    emu.state.faults.append(parse_fault("POST /v1/chat/completions=429x2,retry-after=0.01"))
    provider = OpenAIProvider(api_key=WRONG_KEY, base_url=emu.base_url)
    request = EvaluationRequest(
        model=MODEL, tests=selected(suite(4)), settings=RunSettings(concurrency=1)
    )
    result = evaluate(provider, ResponseCache(None), request)
    assert result.limits is not None
    assert result.limits.rate_limited == 2
    assert result.scores.unanswered == 0


def test_an_unreachable_api_ends_eval_at_once_saying_so(
    closed_url: str,
    run: Run,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", closed_url)
    monkeypatch.setenv("OPENAI_API_KEY", WRONG_KEY)
    started = time.monotonic()
    result = run("--repo", REPO, "eval", "--model", MODEL, "--no-cache")
    elapsed = time.monotonic() - started
    quiet(caplog, result.out, result.err)
    assert result.code == 1
    assert result.err.strip().splitlines() == [
        f"error: cannot reach the API at {closed_url}: connection refused"
    ], result.err
    assert result.out == "", "no report, no gate verdict of 0.000"
    assert elapsed < 30, f"took {elapsed:.1f} s (used to be over 100 s)"


def test_an_unreachable_api_is_known_from_the_first_requests(
    closed_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    provider = OpenAIProvider(api_key=WRONG_KEY, base_url=closed_url)
    request = EvaluationRequest(
        model=MODEL, tests=selected(suite()), settings=RunSettings(concurrency=2)
    )
    with pytest.raises(ProviderUnreachable) as raised:
        evaluate(provider, ResponseCache(None), request)
    assert str(raised.value) == f"cannot reach the API at {closed_url}: connection refused"
    assert provider.calls <= 2, "only the requests in flight when the first one failed"
    quiet(caplog)


def test_a_refused_key_stops_judging(
    emu: RunningEmulator, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    tests = selected(suite())
    provider = OpenAIProvider(api_key=WRONG_KEY, base_url=emu.base_url)
    evaluate(provider, ResponseCache(tmp_path), EvaluationRequest(model=MODEL, tests=tests))
    emu.state.faults.append(parse_fault("POST /v1/chat/completions=401"))
    emu.state.requests.clear()
    judged = EvaluationRequest(
        model=MODEL, tests=tests, settings=RunSettings(concurrency=3, judge_model=JUDGE)
    )
    with pytest.raises(ProviderAuthError, match=r"refused the key \(401\)"):
        evaluate(provider, ResponseCache(tmp_path), judged)
    assert emu.state.requests["POST /v1/chat/completions"] <= 3, "answers came from the cache"
    quiet(caplog, *(str(r.msg) for r in caplog.records))


@pytest.mark.parametrize("status", [401, 403])
def test_a_refused_key_stops_moderation(
    emu: RunningEmulator, status: int, caplog: pytest.LogCaptureFixture
) -> None:
    emu.state.faults.append(parse_fault(f"POST /v1/moderations={status}"))
    provider = OpenAIProvider(api_key=WRONG_KEY, base_url=emu.base_url)
    request = EvaluationRequest(model=MODEL, tests=selected(suite(40)))
    with pytest.raises(ProviderAuthError) as raised:
        evaluate(provider, ResponseCache(None), request)
    assert str(raised.value).startswith(f"the API at {emu.base_url} refused the key ({status}")
    assert raised.value.status == status
    quiet(caplog, str(raised.value))


def test_a_refused_key_stops_judge_calibration(
    refused: RunningEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    provider = OpenAIProvider(api_key=WRONG_KEY, base_url=refused.base_url)
    with pytest.raises(ProviderAuthError, match=r"refused the key \(401\)"):
        calibrate_judge(REPO, provider, judge=JUDGE, use_cache=False)
    assert sum(refused.state.requests.values()) <= RunSettings().concurrency
    quiet(caplog)


def test_an_api_gone_mid_run_costs_the_error_budget_then_stops_the_run() -> None:
    cases = [render_case(selected(suite())[0], c) for c in suite().suite.tests["kind"].cases]
    sides: list[Graded] = []
    with ExitStack() as stack:
        emulator = stack.enter_context(background(EmulatorState()))
        provider = OpenAIProvider(api_key="sk-test", base_url=emulator.base_url, max_retries=0)
        runner = Runner(provider, ResponseCache(None), RunSettings(concurrency=1))

        async def go() -> None:
            try:
                sides.append(await runner.answer(MODEL, cases[:2]))
                stack.close()  # the API goes away
                sides.append(await runner.answer(MODEL, cases[2:5]))
                # the first failure may be the kept-alive connection breaking (not a
                # failure to connect): the streak of refusals starts after it
                await runner.answer(MODEL, cases[5:])
                await runner.answer(MODEL, cases[5:])
            finally:
                await provider.aclose()

        with pytest.raises(ProviderUnreachable, match=f"{STREAK_LIMIT} requests in a row"):
            asyncio.run(go())
    answered, few = sides
    assert len(answered.results) == 2
    assert not answered.missing
    assert len(few.missing) == 3, "a few failures to connect are errors of those cases"
    reasons = list(few.missing.values())
    assert all("cannot reach the API at" in why or "timed out" in why for why in reasons)
    assert "cannot reach the API at" in reasons[-1]
    assert runner.guard.streak == STREAK_LIMIT, "the next seven stopped the run"


def test_reconcile_keeps_a_model_evaluating_when_the_api_stops_its_evaluation(
    tmp_path: Path,
    run: Run,
    monkeypatch: pytest.MonkeyPatch,
    closed_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    root = make_repo(tmp_path / "repo", jobs=("alpha",))
    slow = Timings(3600, 3600, 3600)
    with background(EmulatorState(timings=slow)) as emu:
        monkeypatch.setenv("OPENAI_BASE_URL", emu.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", WRONG_KEY)
        assert run("--repo", root, "reconcile").code == 0
        for job_id in list(emu.state.jobs):
            emu.state.finish(job_id)
        emu.state.faults.append(parse_fault("POST /v1/chat/completions=401"))
        refused = run("--repo", root, "reconcile")
        assert refused.code == 1
        assert f"the API at {emu.base_url} refused the key (401)" in refused.err
        assert _alpha(root)["phase"] == "evaluating"
        assert _alpha(root)["evaluation"] is None, "no verdict of an evaluation not made"

        monkeypatch.setenv("OPENAI_BASE_URL", closed_url)
        unreachable = run("--repo", root, "reconcile")
        assert unreachable.code == 1
        assert (
            "alpha: evaluation not done (tried again next pass): "
            f"cannot reach the API at {closed_url}: connection refused"
        ) in unreachable.out + unreachable.err
        assert (_alpha(root)["phase"], _alpha(root)["evaluation"]) == ("evaluating", None)
        quiet(caplog, refused.out, refused.err, unreachable.out, unreachable.err)

        monkeypatch.setenv("OPENAI_BASE_URL", emu.base_url)
        emu.state.faults.clear()
        run("--repo", root, "reconcile")
        assert _alpha(root)["evaluation"]["requests"] > 0, "evaluated once the API is back"


def _alpha(root: Path) -> dict[str, Any]:
    spec = json.loads((root / ".trainer/state.json").read_text())["specs"]["alpha"]
    record: dict[str, Any] = spec["revisions"][spec["current"]]
    return record
