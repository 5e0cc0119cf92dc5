"""How many requests an evaluation has in flight: `--concurrency`, the spec's
`max_concurrency`, and the adaptive limit under 429s (real SDK, real HTTP, the emulator).

Behaviour is asserted through counters (the emulator's, the limiter's), never through
wall-clock timings."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import Result
from tests.helpers import JUDGE, commit_all, job, make_repo, write_yaml
from trainer.emulator.faults import parse_fault
from trainer.emulator.server import RunningEmulator, background
from trainer.emulator.state import EmulatorState
from trainer.harness.api_guard import ApiGuard
from trainer.harness.cache import ResponseCache
from trainer.harness.evaluate import EvaluationRequest, evaluate
from trainer.harness.limiter import FIRST_BACKOFF, RATE_LIMIT_RETRIES, AdaptiveLimiter
from trainer.harness.loading import LoadedSuite
from trainer.harness.runner import RunSettings
from trainer.harness.samples import SelectedTest
from trainer.harness.suites import Suite
from trainer.providers.base import ProviderRateLimited
from trainer.providers.openai_errors import retry_after
from trainer.providers.openai_provider import OpenAIProvider

Run = Callable[..., Result]
MODEL = "gpt-4o-mini-2024-07-18"
CHAT = "POST /v1/chat/completions"


def suite_of(cases: int) -> list[SelectedTest]:
    body = {
        "suite": "mini",
        "category": "pedagogy",
        "tests": {
            "sums": {
                "cases": [
                    {
                        "id": f"case-{i}",
                        "messages": [{"role": "user", "content": f"What is {i} + {i}?"}],
                        "checks": [{"type": "word_count", "max": 200}],
                    }
                    for i in range(cases)
                ]
            }
        },
    }
    loaded = LoadedSuite(Suite.model_validate(body), "harness/mini.yaml", "0" * 40)
    return [SelectedTest(loaded, "sums", loaded.suite.tests["sums"])]


@pytest.fixture
def emu(monkeypatch: pytest.MonkeyPatch) -> Iterator[RunningEmulator]:
    with background(EmulatorState()) as running:
        monkeypatch.setenv("OPENAI_BASE_URL", running.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-concurrency-test-0000000000")
        yield running


def provider(emu: RunningEmulator) -> OpenAIProvider:
    return OpenAIProvider(api_key="sk-test", base_url=emu.base_url)


# --- the command line and the spec ------------------------------------------------------


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_repo(tmp_path_factory.mktemp("concurrency") / "repo")


@pytest.mark.parametrize("given", ["0", "-3", "257", "many"])
def test_concurrency_out_of_range_is_a_usage_error(
    emu: RunningEmulator, run: Run, repo: Path, given: str
) -> None:
    result = run("--repo", repo, "eval", "--model", MODEL, "--concurrency", given)
    assert result.code == 2
    assert "Invalid value for '--concurrency'" in result.err, result.err
    assert sum(emu.state.requests.values()) == 0, "nothing is asked of the API"


def spec_repo(root: Path, max_concurrency: int) -> Path:
    make_repo(root, jobs=("alpha",))
    evaluation = {
        "harness_config": {
            "pedagogy_tests": ["curriculum_alignment"],
            "safety_tests": [],
            "max_concurrency": max_concurrency,
        },
        "judge": {"model": JUDGE},
    }
    write_yaml(root / "specs/jobs/alpha.yaml", job("alpha", evaluation=evaluation))
    commit_all(root, "alpha: at most a few requests at once")
    return root


def test_the_spec_max_concurrency_is_used_and_the_option_overrides_it(
    emu: RunningEmulator, run: Run, tmp_path: Path
) -> None:
    root = spec_repo(tmp_path / "repo", max_concurrency=2)
    emu.state.faults.append(parse_fault(f"{CHAT}=latency:30ms"))
    argv = ["--repo", root, "eval", "--model", MODEL, "--spec", "alpha", "--no-cache"]
    result = run(*argv)
    assert result.code in (0, 1), result.err
    assert emu.state.requests[CHAT] > 6
    assert emu.state.peak_in_flight == 2, "the spec's max_concurrency"
    emu.state.peak_in_flight = 0
    result = run(*argv, "--concurrency", "5")
    assert result.code in (0, 1), result.err
    assert emu.state.peak_in_flight == 5, "--concurrency wins over the spec"


def test_concurrency_option_sets_the_requests_in_flight(
    emu: RunningEmulator, run: Run, repo: Path
) -> None:
    emu.state.faults.append(parse_fault(f"{CHAT}=429x2,retry-after=0.05"))
    emu.state.faults.append(parse_fault(f"{CHAT}=latency:30ms"))
    argv = ["--repo", repo, "eval", "--model", MODEL, "--suite", "safety"]
    result = run(*argv, "--no-cache", "--concurrency", "3")
    assert result.code in (0, 1), result.err
    assert emu.state.peak_in_flight == 3
    assert "rate limited: 2 answers of 429; concurrency lowered from 3 to 1" in result.err


def test_the_connection_pool_is_sized_to_the_concurrency(emu: RunningEmulator) -> None:
    """A run of 60 requests at 6 at a time: 6 in flight at most, over a pool of 6."""
    emu.state.faults.append(parse_fault(f"{CHAT}=latency:10ms"))
    chat = provider(emu)
    request = EvaluationRequest(
        model=MODEL, tests=suite_of(60), settings=RunSettings(concurrency=6)
    )
    evaluate(chat, ResponseCache(None), request)
    assert emu.state.requests[CHAT] == 60
    assert emu.state.peak_in_flight == 6
    assert chat._channel.connections == 6


# --- 429s: the adaptive limit ------------------------------------------------------------


def test_429s_lower_the_concurrency_the_run_waits_as_told_and_completes(
    emu: RunningEmulator,
) -> None:
    emu.state.faults.append(parse_fault(f"{CHAT}=429x4,retry-after=0.2"))
    request = EvaluationRequest(
        model=MODEL, tests=suite_of(60), settings=RunSettings(concurrency=8)
    )
    result = evaluate(provider(emu), ResponseCache(None), request)
    assert result.scores.unanswered == 0
    assert not result.run.timed_out
    assert result.scores.tests["sums"].score.n == 60, "every case answered"
    assert result.run.requests == 60, "a request sent again is still one request"
    assert emu.state.requests[CHAT] == 64, "each 429 seen by the limiter, none retried by the SDK"
    limits = result.limits
    assert limits is not None
    assert limits.rate_limited == 4
    assert 1 <= limits.decreases <= 4
    assert limits.lowest <= 4, "halved"
    assert limits.limit == 8, "grown back to the requested concurrency, never above"
    assert limits.pauses, "paused"
    assert set(limits.pauses) == {0.2}, "for the Retry-After the API gave"
    assert limits.waited > 0, "senders held back until then"


def test_without_retry_after_the_run_waits_for_the_limit_the_429_says_is_used_up(
    emu: RunningEmulator,
) -> None:
    """OpenAI's x-ratelimit headers: the requests limit is at 0 until it resets in 0.3 s."""
    emu.state.faults.append(parse_fault(f"{CHAT}=429x2,reset=300ms"))
    request = EvaluationRequest(model=MODEL, tests=suite_of(6), settings=RunSettings())
    result = evaluate(provider(emu), ResponseCache(None), request)
    assert result.scores.unanswered == 0
    limits = result.limits
    assert limits is not None
    assert limits.rate_limited == 2
    assert set(limits.pauses) == {0.3}, "the reset the API gave, not a guessed backoff"


@pytest.mark.parametrize(
    ("headers", "wait"),
    [
        ({"retry-after-ms": "250", "retry-after": "1"}, 0.25),
        ({"retry-after": "2"}, 2.0),
        ({"x-ratelimit-remaining-tokens": "0", "x-ratelimit-reset-tokens": "6m0s"}, 360.0),
        (
            {
                **{"x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "1.5s"},
                **{"x-ratelimit-remaining-tokens": "0", "x-ratelimit-reset-tokens": "120ms"},
            },
            1.5,
        ),
        ({"x-ratelimit-remaining-requests": "7", "x-ratelimit-reset-requests": "20s"}, None),
        ({"x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "soon"}, None),
        ({}, None),
    ],
)
def test_the_wait_a_429_asks_for(headers: dict[str, str], wait: float | None) -> None:
    found = retry_after(headers)
    if wait is None:
        assert found is None
    else:
        assert found == pytest.approx(wait)


def test_a_request_rate_limited_too_often_fails_alone(emu: RunningEmulator) -> None:
    emu.state.faults.append(parse_fault(f"{CHAT}=429x{RATE_LIMIT_RETRIES + 1},retry-after=0.01"))
    request = EvaluationRequest(model=MODEL, tests=suite_of(1), settings=RunSettings())
    result = evaluate(provider(emu), ResponseCache(None), request)
    assert result.scores.unanswered == 1
    assert "rate limited (429)" in result.run.cases[0].repeats[0].unanswered  # type: ignore[operator]
    assert emu.state.requests[CHAT] == RATE_LIMIT_RETRIES + 1


# --- the limiter on its own -------------------------------------------------------------


def rate_limited(retry_after: float | None = None) -> ProviderRateLimited:
    return ProviderRateLimited("rate limited (429)", retry_after)


def test_a_round_of_429s_halves_the_limit_once_and_successes_grow_it_back() -> None:
    async def go() -> AdaptiveLimiter:
        limiter = AdaptiveLimiter(8)
        rounds = [await limiter.acquire() for _ in range(8)]
        for sent in rounds:  # all eight answered 429 together: one signal, not eight
            limiter.release()
            limiter.rate_limited(sent, 0.001)
        assert (limiter.slots, limiter.stats.decreases, limiter.stats.rate_limited) == (4, 1, 8)
        await asyncio.sleep(0.002)
        sent = await limiter.acquire()  # a request of the new round: halves again
        limiter.release()
        limiter.rate_limited(sent, 0.001)
        assert limiter.slots == 2
        for _ in range(3):
            limiter.rate_limited(limiter._round, 0.001)
        assert limiter.slots == 1, "never below one"
        for _ in range(200):
            limiter.succeeded()
        return limiter

    limiter = asyncio.run(go())
    assert limiter.slots == 8, "additive increase, up to the requested concurrency"
    assert limiter.stats.lowest == 1
    assert limiter.stats.limit == 8


def test_additive_increase_is_one_per_round() -> None:
    """From 8 back to 12: each step up takes about as many successes as there are slots
    (a round of requests)."""
    limiter = AdaptiveLimiter(12)
    limiter.rate_limited(0, 0.001)
    assert limiter.slots == 6
    steps = []
    while limiter.slots < 12:
        slots, successes = limiter.slots, 0
        while limiter.slots == slots:
            limiter.succeeded()
            successes += 1
        steps.append((slots, successes))
    assert [slots for slots, _ in steps] == [6, 7, 8, 9, 10, 11]
    assert all(slots - 1 <= successes <= slots + 1 for slots, successes in steps), steps
    for _ in range(50):
        limiter.succeeded()
    assert limiter.slots == 12, "never above the requested concurrency"


def test_a_pause_holds_every_sender_and_the_backoff_applies_without_retry_after() -> None:
    order: list[str] = []

    async def go() -> AdaptiveLimiter:
        limiter = AdaptiveLimiter(4)
        limiter.rate_limited(0, 0.05)

        async def sender(name: str) -> None:
            await limiter.acquire()
            order.append(name)
            limiter.release()

        async def watcher() -> None:
            await asyncio.sleep(0)
            order.append("still paused")

        await asyncio.gather(sender("a"), sender("b"), watcher())
        return limiter

    limiter = asyncio.run(go())
    assert order[0] == "still paused", "no request before the Retry-After is over"
    assert sorted(order[1:]) == ["a", "b"]
    assert limiter.stats.pauses == [0.05]
    limiter.rate_limited(limiter._round, None)
    limiter.rate_limited(limiter._round, None)
    assert limiter.stats.pauses[1:] == [FIRST_BACKOFF, 2 * FIRST_BACKOFF]


def test_send_retries_429s_and_raises_other_errors_at_once() -> None:
    calls: list[int] = []

    async def flaky() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise rate_limited(0.001)
        return "answer"

    async def go() -> tuple[str, AdaptiveLimiter]:
        limiter = AdaptiveLimiter(2)
        return await limiter.send(ApiGuard(), flaky), limiter

    answer, limiter = asyncio.run(go())
    assert (answer, len(calls), limiter.stats.rate_limited, limiter.in_flight) == (
        "answer",
        3,
        2,
        0,
    )

    async def quota() -> str:
        raise rate_limited(3600)

    async def once() -> None:
        await AdaptiveLimiter(2).send(ApiGuard(), quota)

    with pytest.raises(ProviderRateLimited):
        asyncio.run(once())
