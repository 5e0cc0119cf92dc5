"""The emulator's Batch API (/v1/batches, /v1/files/{id}/content), through the real SDK."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import openai
import pytest

from trainer.emulator.batch_model import BatchTimings
from trainer.emulator.batches import LINE_REQUESTS
from trainer.emulator.server import RunningEmulator, background
from trainer.emulator.state import EmulatorState

MODEL = "gpt-4o-mini-2024-07-18"
START = 1_700_000_000.0
QUESTIONS = ["What's 2/3 + 1/4?", "What is 7 x 8?", "How do I solve 2x + 3 = 7?", "Is 0 even?"]


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def emu(clock: Clock) -> Iterator[RunningEmulator]:
    state = EmulatorState(clock=clock, batch_timings=BatchTimings(10, 100, 10, 10))
    with background(state) as running:
        yield running


@pytest.fixture
def client(emu: RunningEmulator) -> openai.OpenAI:
    return openai.OpenAI(api_key="sk-test", base_url=emu.base_url, max_retries=0)


def line(custom_id: str, content: str, model: str = MODEL) -> dict[str, Any]:
    body = {"model": model, "messages": [{"role": "user", "content": content}]}
    return {"custom_id": custom_id, "method": "POST", "url": "/v1/chat/completions", "body": body}


def upload(client: openai.OpenAI, lines: list[Any], purpose: str = "batch") -> str:
    text = "".join((x if isinstance(x, str) else json.dumps(x)) + "\n" for x in lines)
    return client.files.create(file=("in.jsonl", text.encode()), purpose=purpose).id  # type: ignore[arg-type]


def start(client: openai.OpenAI, lines: list[Any], **metadata: str) -> str:
    return client.batches.create(
        input_file_id=upload(client, lines),
        endpoint="/v1/chat/completions",
        completion_window="24h",
        metadata=metadata or None,
    ).id


def records(client: openai.OpenAI, file_id: str | None) -> list[dict[str, Any]]:
    assert file_id is not None
    return [json.loads(x) for x in client.files.content(file_id).text.splitlines()]


def test_batch_moves_through_statuses_and_answers_like_the_chat_route(
    emu: RunningEmulator, client: openai.OpenAI, clock: Clock
) -> None:
    lines = [line(f"q-{i}", q) for i, q in enumerate(QUESTIONS)]
    batch = client.batches.create(
        input_file_id=upload(client, lines),
        endpoint="/v1/chat/completions",
        completion_window="24h",
        metadata={"spec": "math", "role": "candidate"},
    )
    assert (batch.status, batch.object, batch.created_at) == ("validating", "batch", int(START))
    assert batch.expires_at == int(START) + 24 * 3600
    assert batch.request_counts is not None
    assert batch.request_counts.total == 0
    clock.now += 10
    running = client.batches.retrieve(batch.id)
    assert (running.status, running.in_progress_at, running.model) == (
        "in_progress",
        int(START) + 10,
        MODEL,
    )
    clock.now += 50
    halfway = client.batches.retrieve(batch.id)
    assert halfway.request_counts is not None
    assert (halfway.request_counts.total, halfway.request_counts.completed) == (4, 2)
    assert halfway.output_file_id is None
    clock.now += 50
    assert client.batches.retrieve(batch.id).status == "finalizing"
    clock.now += 10
    done = client.batches.retrieve(batch.id)
    assert done.status == "completed"
    assert (done.finalizing_at, done.completed_at) == (int(START) + 110, int(START) + 120)
    assert done.request_counts is not None
    assert (done.request_counts.completed, done.request_counts.failed) == (4, 0)
    assert done.error_file_id is None
    assert done.metadata == {"spec": "math", "role": "candidate"}
    assert done.usage is not None
    assert done.usage.input_tokens > 0
    assert done.usage.total_tokens == done.usage.input_tokens + done.usage.output_tokens
    output = records(client, done.output_file_id)
    assert [r["custom_id"] for r in output] == ["q-0", "q-1", "q-2", "q-3"]
    assert all(r["error"] is None and r["response"]["status_code"] == 200 for r in output)
    assert all(r["id"].startswith("batch_req_") for r in output)
    # batch lines are not synchronous chat completions, and are counted apart
    assert emu.state.requests["POST /v1/chat/completions"] == 0
    assert emu.state.requests[LINE_REQUESTS] == 4
    assert emu.state.usage["batch prompt_tokens"] == done.usage.input_tokens
    assert emu.state.usage["sync prompt_tokens"] == 0
    output_file = client.files.retrieve(done.output_file_id or "")
    assert (output_file.purpose, output_file.filename) == (
        "batch_output",
        f"{batch.id}_output.jsonl",
    )
    assert output_file.id in [f.id for f in client.files.list(purpose="batch_output")]
    for record, request in zip(output, lines, strict=True):
        sync = client.chat.completions.create(**request["body"])
        assert record["response"]["body"]["choices"][0]["message"]["content"] == (
            sync.choices[0].message.content
        )
        assert record["response"]["body"]["usage"] == sync.usage.model_dump(exclude_none=True)  # type: ignore[union-attr]
    assert emu.state.requests["POST /v1/chat/completions"] == 4


def test_scripted_models_and_the_judge_answer_through_batches(
    emu: RunningEmulator, client: openai.OpenAI
) -> None:
    emu.state.answerers["scripted"] = lambda messages: f"scripted: {messages[-1]['content']}"
    judge = {
        "model": "gpt-4o",
        "messages": [
            {"role": "system", "content": "[trainer-judge] Grade the answer."},
            {"role": "user", "content": "<<<ANSWER>>>\nWhat do you think?\n<<<END ANSWER>>>"},
        ],
    }
    scripted = start(client, [line("s-1", "hello", model="scripted")])
    judged = start(
        client,
        [{"custom_id": "j-1", "method": "POST", "url": "/v1/chat/completions", "body": judge}],
    )
    for batch_id in (scripted, judged):
        emu.state.finish_batch(batch_id)
    out = records(client, client.batches.retrieve(scripted).output_file_id)
    assert out[0]["response"]["body"]["choices"][0]["message"]["content"] == "scripted: hello"
    verdict = records(client, client.batches.retrieve(judged).output_file_id)[0]
    assert emu.state.judged == [judge]
    sync = client.chat.completions.create(**judge)  # type: ignore[call-overload]
    assert verdict["response"]["body"]["choices"][0]["message"]["content"] == (
        sync.choices[0].message.content
    )


@pytest.mark.parametrize(
    ("lines", "code", "line_number"),
    [
        ([line("a", "x"), line("b", "y", model="gpt-4o")], "model_mismatch", 2),
        ([line("a", "x"), line("a", "y")], "duplicate_custom_id", 2),
        ([{**line("a", "x"), "url": "/v1/embeddings"}], "url_mismatch", 1),
        ([line("a", "x"), "{not json", line("c", "z")], "invalid_json_line", 2),
        ([{**line("a", "x"), "method": "GET"}], "invalid_method", 1),
        ([{"custom_id": "a", "method": "POST", "url": "/v1/chat/completions"}], None, 1),
    ],
)
def test_invalid_input_files_fail_the_batch_naming_the_line(
    emu: RunningEmulator,
    client: openai.OpenAI,
    clock: Clock,
    lines: list[Any],
    code: str | None,
    line_number: int,
) -> None:
    batch_id = start(client, lines)
    clock.now += 10
    failed = client.batches.retrieve(batch_id)
    assert failed.status == "failed"
    assert failed.failed_at == int(START) + 10
    assert failed.errors is not None
    assert failed.errors.object == "list"
    assert failed.errors.data is not None
    first = failed.errors.data[0]
    assert first.code == (code or "missing_required_parameter")
    assert first.line == line_number
    assert first.message
    assert (failed.output_file_id, failed.error_file_id, failed.in_progress_at) == (
        None,
        None,
        None,
    )
    assert emu.state.requests[LINE_REQUESTS] == 0


def test_finish_still_fails_an_invalid_batch(emu: RunningEmulator, client: openai.OpenAI) -> None:
    batch_id = start(client, [line("a", "x"), line("b", "y", model="gpt-4o")])
    emu.state.finish_batch(batch_id)
    assert client.batches.retrieve(batch_id).status == "failed"


def test_create_is_refused_as_the_real_api_refuses(client: openai.OpenAI) -> None:
    good = upload(client, [line("a", "x")])
    tuning = upload(client, [{"messages": []}], purpose="fine-tune")

    def create(**changes: Any) -> Any:
        params = {
            "input_file_id": good,
            "endpoint": "/v1/chat/completions",
            "completion_window": "24h",
            **changes,
        }
        return client.batches.create(**params)

    with pytest.raises(openai.NotFoundError):
        create(input_file_id="file-missing")
    for changes in (
        {"input_file_id": tuning},
        {"endpoint": "/v1/embeddings"},
        {"completion_window": "1h"},
        {"metadata": {f"k{i}": "v" for i in range(17)}},
        {"metadata": {"k": "v" * 513}},
    ):
        with pytest.raises(openai.BadRequestError) as refused:
            create(**changes)
        assert refused.value.status_code == 400
    with pytest.raises(openai.NotFoundError):
        client.batches.retrieve("batch_missing")
    assert len(client.batches.list().data) == 0


def test_list_is_newest_first_paginates_and_returns_metadata(
    emu: RunningEmulator, client: openai.OpenAI, clock: Clock
) -> None:
    ids = []
    for attempt in range(3):
        ids.append(start(client, [line("a", "x")], spec="math", attempt=str(attempt)))
        clock.now += 1
    first = client.batches.list(limit=2)
    assert [b.id for b in first.data] == [ids[2], ids[1]]
    assert first.has_more
    rest = client.batches.list(limit=2, after=first.data[-1].id)
    assert [b.id for b in rest.data] == [ids[0]]
    assert not rest.has_more
    assert [b.id for b in client.batches.list(limit=1)] == list(reversed(ids))  # auto-paging
    assert [b.metadata for b in client.batches.list().data] == [
        {"spec": "math", "attempt": str(a)} for a in (2, 1, 0)
    ]
    assert emu.state.requests["GET /v1/batches"] >= 3


def test_cancel_keeps_the_lines_answered_so_far(
    emu: RunningEmulator, client: openai.OpenAI, clock: Clock
) -> None:
    batch_id = start(client, [line(f"q-{i}", q) for i, q in enumerate(QUESTIONS)])
    clock.now += 60  # validated at +10, half the lines answered by +60
    cancelling = client.batches.cancel(batch_id)
    assert (cancelling.status, cancelling.cancelling_at) == ("cancelling", int(clock.now))
    clock.now += 5
    assert client.batches.retrieve(batch_id).status == "cancelling"
    clock.now += 5
    cancelled = client.batches.retrieve(batch_id)
    assert cancelled.status == "cancelled"
    assert cancelled.cancelled_at == int(START) + 70
    assert cancelled.request_counts is not None
    assert (cancelled.request_counts.total, cancelled.request_counts.completed) == (4, 2)
    assert [r["custom_id"] for r in records(client, cancelled.output_file_id)] == ["q-0", "q-1"]
    assert cancelled.error_file_id is None
    with pytest.raises(openai.ConflictError):
        client.batches.cancel(batch_id)
    assert emu.state.requests[LINE_REQUESTS] == 2


def test_cancel_while_validating_answers_nothing(client: openai.OpenAI, clock: Clock) -> None:
    batch_id = start(client, [line("a", "x")])
    assert client.batches.cancel(batch_id).status == "cancelling"
    assert client.batches.cancel(batch_id).status == "cancelling"  # idempotent
    clock.now += 10
    cancelled = client.batches.retrieve(batch_id)
    assert (cancelled.status, cancelled.output_file_id, cancelled.error_file_id) == (
        "cancelled",
        None,
        None,
    )


def test_expiry_keeps_partial_output_and_reports_the_rest(
    emu: RunningEmulator, client: openai.OpenAI, clock: Clock
) -> None:
    batch_id = start(client, [line(f"q-{i}", q) for i, q in enumerate(QUESTIONS)])
    emu.state.expire_batch(batch_id, answered=1)
    expired = client.batches.retrieve(batch_id)
    assert (expired.status, expired.expired_at) == ("expired", int(START))
    assert expired.request_counts is not None
    assert (expired.request_counts.completed, expired.request_counts.failed) == (1, 3)
    assert [r["custom_id"] for r in records(client, expired.output_file_id)] == ["q-0"]
    errors = records(client, expired.error_file_id)
    assert [r["custom_id"] for r in errors] == ["q-1", "q-2", "q-3"]
    assert all(r["response"] is None for r in errors)
    assert {r["error"]["code"] for r in errors} == {"batch_expired"}
    # and by the clock: a batch still running 24 hours later expires at `expires_at`
    emu.state.batch_timings = BatchTimings(10, 10 * 24 * 3600, 10, 10)
    slow = client.batches.retrieve(start(client, [line("a", "x")]))
    clock.now += 25 * 3600
    late = client.batches.retrieve(slow.id)
    assert (late.status, late.expired_at) == ("expired", slow.expires_at)
    assert [r["error"]["code"] for r in records(client, late.error_file_id)] == ["batch_expired"]


def test_failing_lines_go_to_the_error_file_and_succeed_on_retry(
    emu: RunningEmulator, client: openai.OpenAI
) -> None:
    emu.state.fail_batch_lines("q-1", "q-3")
    lines = [line(f"q-{i}", q) for i, q in enumerate(QUESTIONS)]
    batch_id = start(client, lines)
    emu.state.finish_batch(batch_id)
    done = client.batches.retrieve(batch_id)
    assert done.status == "completed"
    assert done.request_counts is not None
    assert (done.request_counts.completed, done.request_counts.failed) == (2, 2)
    assert [r["custom_id"] for r in records(client, done.output_file_id)] == ["q-0", "q-2"]
    errors = records(client, done.error_file_id)
    assert [r["custom_id"] for r in errors] == ["q-1", "q-3"]
    assert {r["response"]["status_code"] for r in errors} == {500}
    assert errors[0]["response"]["body"]["error"]["type"] == "server_error"
    assert client.files.retrieve(done.error_file_id or "").purpose == "batch_output"
    retry = start(client, [lines[1], lines[3]], attempt="2")
    emu.state.finish_batch(retry)
    again = client.batches.retrieve(retry)
    assert again.error_file_id is None
    assert [r["custom_id"] for r in records(client, again.output_file_id)] == ["q-1", "q-3"]


def test_lines_the_chat_route_refuses_fail_with_its_status(
    emu: RunningEmulator, client: openai.OpenAI
) -> None:
    unknown = f"ft:{MODEL}:trainer-emulator:gone:abcdef12"
    batch_id = start(client, [line("a", "x", model=unknown), line("b", "y", model=unknown)])
    emu.state.finish_batch(batch_id)
    done = client.batches.retrieve(batch_id)
    assert (done.status, done.output_file_id) == ("completed", None)
    errors = records(client, done.error_file_id)
    assert {r["response"]["status_code"] for r in errors} == {404}
    assert errors[0]["response"]["body"]["error"]["code"] == "model_not_found"


def test_file_content_is_the_raw_bytes(client: openai.OpenAI) -> None:
    data = b'{"custom_id": "a"}\n\xc3\xa9\n'
    uploaded = client.files.create(file=("raw.jsonl", data), purpose="batch")
    assert client.files.content(uploaded.id).content == data
    with pytest.raises(openai.NotFoundError):
        client.files.content("file-missing")


def test_test_controls_win_over_instant_timings(
    emu: RunningEmulator, client: openai.OpenAI
) -> None:
    emu.state.batch_timings = BatchTimings.instant()
    instant = client.batches.retrieve(start(client, [line("a", "x")]))
    assert instant.status == "completed"
    pending = start(client, [line("a", "x"), line("b", "y")])
    emu.state.expire_batch(pending, answered=1)  # before anyone looked at it
    expired = client.batches.retrieve(pending)
    assert expired.request_counts is not None
    assert (expired.status, expired.request_counts.completed) == ("expired", 1)
