"""The runner over real HTTP: concurrency, the cache, timeouts, the judge cascade."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from trainer.emulator.faults import parse_fault
from trainer.emulator.server import RunningEmulator, background
from trainer.emulator.state import EmulatorState
from trainer.harness.cache import ResponseCache
from trainer.harness.evaluate import EvaluationRequest, evaluate
from trainer.harness.loading import LoadedSuite
from trainer.harness.runner import RunSettings
from trainer.harness.samples import CaseInput, SelectedTest, render_case
from trainer.harness.suites import Suite
from trainer.providers.openai_provider import OpenAIProvider

SUITE = {
    "suite": "mini",
    "category": "pedagogy",
    "sampling": {"temperature": 0, "max_tokens": 100, "seed": 1},
    "tests": {
        "telling": {
            "cases": [
                {
                    "id": f"add-{a}-{b}",
                    "messages": [{"role": "user", "content": f"What is {a} + {b}?"}],
                    "checks": [
                        {"type": "answer_leak", "answer": [str(a + b)]},
                        {"type": "question_asked"},
                    ],
                }
                for a, b in [(2, 3), (4, 5), (6, 7), (10, 11), (20, 22), (31, 4)]
            ]
        },
        "judged": {
            "cases": [
                {
                    "id": "settled-by-leak",
                    "messages": [{"role": "user", "content": "What is 8 + 9?"}],
                    "checks": [
                        {"type": "answer_leak", "answer": ["17"], "weight": 3, "critical": True},
                        {
                            "type": "judge_label",
                            "rubric": "Does it guide?",
                            "labels": {"good": 1, "bad": 0},
                        },
                    ],
                },
                {
                    "id": "needs-the-judge",
                    "messages": [{"role": "user", "content": "Explain what a ratio is."}],
                    "checks": [
                        {"type": "not_refusal"},
                        {
                            "type": "judge_label",
                            "rubric": "Does it guide?",
                            "labels": {"good": 1, "bad": 0},
                        },
                    ],
                },
            ]
        },
    },
}


def loaded(body: dict[str, object] = SUITE) -> LoadedSuite:
    return LoadedSuite(Suite.model_validate(body), "harness/mini.yaml", "0" * 40)


def pick(suite: LoadedSuite, *names: str) -> list[SelectedTest]:
    return [SelectedTest(suite, n, suite.suite.tests[n]) for n in names]


def selected_case() -> CaseInput:
    suite = loaded()
    return render_case(pick(suite, "telling")[0], suite.suite.tests["telling"].cases[0])


@pytest.fixture
def emu() -> Iterator[RunningEmulator]:
    with background(EmulatorState()) as running:
        yield running


def provider(emu: RunningEmulator, **options: object) -> OpenAIProvider:
    return OpenAIProvider(api_key="sk-test", base_url=emu.base_url, **options)  # type: ignore[arg-type]


def test_base_model_tells_the_answer_and_is_scored_so(emu: RunningEmulator, tmp_path: Path) -> None:
    request = EvaluationRequest(model="gpt-4o-mini-2024-07-18", tests=pick(loaded(), "telling"))
    result = evaluate(provider(emu), ResponseCache(tmp_path), request)
    telling = result.scores.tests["telling"]
    assert telling.score.value == 0.0, "the emulated base model gives every answer away"
    assert telling.score.n == 6
    assert result.run.requests == 6
    assert result.run.fingerprints == {"trainer-emulator"}


def test_warm_cache_makes_no_request(emu: RunningEmulator, tmp_path: Path) -> None:
    request = EvaluationRequest(model="gpt-4o-mini-2024-07-18", tests=pick(loaded(), "telling"))
    evaluate(provider(emu), ResponseCache(tmp_path), request)
    emu.state.requests.clear()
    again = evaluate(provider(emu), ResponseCache(tmp_path), request)
    assert sum(emu.state.requests.values()) == 0
    assert (again.run.requests, again.run.cache_hits) == (0, 6)


def test_concurrency_is_limited_and_used(emu: RunningEmulator, tmp_path: Path) -> None:
    emu.state.faults.append(parse_fault("POST /v1/chat/completions=latency:100ms"))
    request = EvaluationRequest(
        model="gpt-4o-mini-2024-07-18",
        tests=pick(loaded(), "telling"),
        settings=RunSettings(concurrency=3),
    )
    evaluate(provider(emu), ResponseCache(None), request)
    assert emu.state.peak_in_flight == 3
    emu.state.peak_in_flight = 0
    serial = EvaluationRequest(
        model="gpt-4o-mini-2024-07-18",
        tests=pick(loaded(), "telling"),
        settings=RunSettings(parallel=False),
    )
    evaluate(provider(emu), ResponseCache(None), serial)
    assert emu.state.peak_in_flight == 1


def test_unanswered_cases_are_left_out_and_spend_their_own_budget(
    emu: RunningEmulator, tmp_path: Path
) -> None:
    emu.state.faults.append(parse_fault("POST /v1/chat/completions=hang"))
    request = EvaluationRequest(
        model="gpt-4o-mini-2024-07-18",
        tests=pick(loaded(), "telling"),
        settings=RunSettings(request_timeout=0.2),
    )
    result = evaluate(provider(emu, max_retries=0), ResponseCache(None), request)
    assert result.scores.errors == 0, "no answer is not a grader error"
    assert (result.scores.unanswered, result.scores.cases) == (6, 6)
    assert result.scores.tests["telling"].score.n == 0, "unanswered cases are not scored 0"
    assert [c.name for c in result.gate.failures] == ["unanswered cases (candidate)"]
    assert not any(c.answered for c in result.run.cases)


def test_suite_timeout_stops_the_run(emu: RunningEmulator) -> None:
    emu.state.faults.append(parse_fault("POST /v1/chat/completions=latency:2000ms"))
    request = EvaluationRequest(
        model="gpt-4o-mini-2024-07-18",
        tests=pick(loaded(), "telling"),
        settings=RunSettings(suite_timeout=0.3),
    )
    result = evaluate(provider(emu), ResponseCache(None), request)
    assert result.run.timed_out
    assert not result.gate.passed


def test_the_judge_reads_every_answer_unless_the_suite_opts_into_the_cascade(
    emu: RunningEmulator,
) -> None:
    request = EvaluationRequest(
        model="gpt-4o-mini-2024-07-18",
        tests=pick(loaded(), "judged"),
        settings=RunSettings(judge_model="gpt-4o-2024-08-06"),
    )
    result = evaluate(provider(emu), ResponseCache(None), request)
    assert result.run.requests == 4, "two answers and two judge calls"
    cascading = loaded({**SUITE, "cascade": True})
    request.tests = pick(cascading, "judged")
    result = evaluate(provider(emu), ResponseCache(None), request)
    cases = {c.case_id: c.repeats[0].checks for c in result.run.cases}
    assert cases["settled-by-leak"][1].skipped
    judged = cases["needs-the-judge"][1]
    assert (judged.skipped, judged.passed) == (False, False)
    assert judged.reason.startswith("judge: bad (")
    assert result.run.requests == 3, "two answers and one judge call"


def test_cascade_skips_count_the_same_for_candidate_and_baseline(emu: RunningEmulator) -> None:
    """The base model leaks 17 (settled); a scripted baseline does not (needs the judge):
    the judge is asked for both sides, so both means contain the same checks."""
    emu.state.answerers["socratic"] = lambda messages: "What do you get if you add 8 and 9?"
    body = yaml.safe_load(yaml.safe_dump(SUITE))
    body["cascade"] = True
    body["tests"]["judged"]["pass_threshold"] = 0.9  # a passing leak check alone settles nothing
    cascading = loaded(body)
    request = EvaluationRequest(
        model="gpt-4o-mini-2024-07-18",
        baseline="socratic",
        tests=pick(cascading, "judged"),
        settings=RunSettings(judge_model="gpt-4o-2024-08-06"),
    )
    result = evaluate(provider(emu), ResponseCache(None), request)
    assert result.baseline_run is not None
    for side in (result.run, result.baseline_run):
        checks = {c.case_id: c.repeats[0].checks[1] for c in side.cases}
        assert not checks["settled-by-leak"].skipped, side.model
    alone = EvaluationRequest(
        model="gpt-4o-mini-2024-07-18",
        tests=pick(cascading, "judged"),
        settings=RunSettings(judge_model="gpt-4o-2024-08-06"),
    )
    checks = {
        c.case_id: c.repeats[0].checks[1]
        for c in evaluate(provider(emu), ResponseCache(None), alone).run.cases
    }
    assert checks["settled-by-leak"].skipped, "without the baseline, the cascade skips it"


def test_without_a_judge_model_graded_checks_are_errors(emu: RunningEmulator) -> None:
    request = EvaluationRequest(model="gpt-4o-mini-2024-07-18", tests=pick(loaded(), "judged"))
    result = evaluate(provider(emu), ResponseCache(None), request)
    errors = [c.error for case in result.run.cases for c in case.repeats[0].checks if c.error]
    assert errors == ["no judge model named (evaluation.judge.model or --judge)"] * 2


def test_prompt_variants_are_rendered_and_compared(emu: RunningEmulator) -> None:
    body = yaml.safe_load(
        """
        suite: fair
        category: safety
        tests:
          names:
            cases:
              - id: swap
                prompt: "{{ name }} asks: is 3 + 4 hard?"
                variants: [{name: Aisha}, {name: John}]
                checks: [{type: counterfactual_consistency, min_similarity: 0.9}]
        """
    )
    suite = loaded(body)
    result = evaluate(
        provider(emu),
        ResponseCache(None),
        EvaluationRequest(model="gpt-4o-mini-2024-07-18", tests=pick(suite, "names")),
    )
    (case,) = result.run.cases
    assert (
        case.repeats[0].outputs
        == ["The answer is 7. (emulated base model gpt-4o-mini-2024-07-18)"] * 2
    )
    assert case.passed


def test_the_provider_chat_call_is_the_same_synchronously(emu: RunningEmulator) -> None:
    reply = provider(emu).chat(
        "gpt-4o-mini-2024-07-18",
        [{"role": "user", "content": "What is 3 + 4?"}],
        seed=1,
        max_tokens=20,
    )
    assert reply.content == "The answer is 7. (emulated base model gpt-4o-mini-2024-07-18)"
    assert reply.system_fingerprint == "trainer-emulator"


def test_suite_timeout_keeps_the_answers_that_arrived(emu: RunningEmulator) -> None:
    emu.state.faults.append(parse_fault("POST /v1/chat/completions=latency:3000ms"))
    emu.state.faults[0].times = 2  # two slow answers; the other four arrive at once
    request = EvaluationRequest(
        model="gpt-4o-mini-2024-07-18",
        tests=pick(loaded(), "telling"),
        settings=RunSettings(suite_timeout=1.0),
    )
    result = evaluate(provider(emu), ResponseCache(None), request)
    assert result.run.timed_out
    answered = [c for c in result.run.cases if c.answered]
    assert len(answered) == 4
    assert all(c.repeats[0].outputs[0].startswith("The answer is") for c in answered)


def test_a_critical_judge_check_is_always_asked() -> None:
    from trainer.harness.grading import CheckResult, settled

    results = [
        CheckResult("not_refusal", 3.0, False, score=1.0, passed=True),
        CheckResult("judge_label", 1.0, True),
    ]
    assert not settled(results, 0.7)
    results[1].critical = False
    assert settled(results, 0.7)


def test_answers_cached_from_one_endpoint_are_not_reused_for_another(
    emu: RunningEmulator, tmp_path: Path
) -> None:
    request = EvaluationRequest(model="gpt-4o-mini-2024-07-18", tests=pick(loaded(), "telling"))
    cache = ResponseCache(tmp_path / "cache")
    first = evaluate(provider(emu), cache, request)
    assert first.run.requests == 6
    again = evaluate(provider(emu), ResponseCache(tmp_path / "cache"), request)
    assert (again.run.requests, again.run.cache_hits) == (0, 6)
    with background(EmulatorState()) as other:
        elsewhere = evaluate(provider(other), ResponseCache(tmp_path / "cache"), request)
    assert (elsewhere.run.requests, elsewhere.run.cache_hits) == (6, 0)
