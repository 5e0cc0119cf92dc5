"""`trainer eval --batch` by hand: every request through the Batch API, waited for."""

from __future__ import annotations

from pathlib import Path

from tests.promotion.conftest import PRODUCTION, World
from trainer.emulator.batch_model import BatchTimings
from trainer.emulator.batches import LINE_REQUESTS
from trainer.harness.cache import ResponseCache
from trainer.harness.evaluate import EvaluationRequest, select_tests
from trainer.harness.loading import default_suites
from trainer.harness.runner import RunSettings
from trainer.providers.batches import BatchClient
from trainer.providers.openai_provider import OpenAIProvider
from trainer.reconcile.batch_standalone import BatchRun, run_batch_eval_blocking


def test_blocking_batch_eval_answers_everything_from_batches(
    local_world: World, tmp_path: Path
) -> None:
    local_world.emulator.state.batch_timings = BatchTimings.instant()
    suites = default_suites()
    request = EvaluationRequest(
        model=PRODUCTION,
        tests=select_tests(suites, ["curriculum_alignment", "harmful_content"]),
        baseline="gpt-4o-mini-2024-07-18",
        settings=RunSettings(judge_model="gpt-4.1-2025-04-14"),
    )
    seen: list[tuple[str, int, int]] = []
    record = BatchRun()
    result = run_batch_eval_blocking(
        OpenAIProvider(),
        ResponseCache(tmp_path / "cache"),
        request,
        client=BatchClient(),
        interval=0,
        progress=lambda label, done, total: seen.append((label, done, total)),
        sleep=lambda seconds: None,
        record=record,
    )
    requests = local_world.emulator.state.requests
    assert requests.get("POST /v1/chat/completions", 0) == 0
    assert requests[LINE_REQUESTS] > 0
    assert seen
    assert all(b.status == "completed" for b in record.batches)
    assert result.run.cases
    assert result.baseline_run is not None
    assert result.judge.requests > 0
