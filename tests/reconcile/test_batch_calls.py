"""Batch lines of evaluation calls: deterministic custom_ids, and outcomes read back."""

from __future__ import annotations

import json

from trainer.harness.call_label import CALL_LABEL
from trainer.reconcile.batch_calls import MAX_LINE_ATTEMPTS, Call, Outcomes

MESSAGES = [{"role": "user", "content": "What is 7 x 8?"}]


def test_custom_ids_are_deterministic_and_carry_the_runner_label() -> None:
    plain = Call.of("gpt-4o-mini", MESSAGES, {"temperature": 0.0, "seed": 1})
    assert plain == Call.of("gpt-4o-mini", MESSAGES, {"temperature": 0.0, "seed": 1})
    assert plain.custom_id("candidate") == f"candidate-{plain.key[:24]}"
    token = CALL_LABEL.set("pedagogy/content accuracy/case 3/0/1")
    try:
        labelled = Call.of("gpt-4o-mini", MESSAGES, {"temperature": 0.0, "seed": 1})
    finally:
        CALL_LABEL.reset(token)
    assert labelled.key != plain.key, "repeats with a label of their own are lines of their own"
    assert labelled.custom_id("candidate") == (
        f"pedagogy/content_accuracy/case_3/0/1#{labelled.key[:24]}"
    )
    line = json.loads(labelled.line("candidate"))
    assert line["body"] == {
        "model": "gpt-4o-mini",
        "messages": MESSAGES,
        "temperature": 0.0,
        "seed": 1,
    }


def _record(custom_id: str, status: int | None, content: str = "56") -> str:
    if status is None:
        body = {"custom_id": custom_id, "response": None, "error": {"code": "batch_expired"}}
        return json.dumps(body)
    payload = (
        {"choices": [{"message": {"content": content}}], "model": "m", "usage": {}}
        if status == 200
        else {"error": {"message": "server error"}}
    )
    response = {"status_code": status, "body": payload}
    return json.dumps({"custom_id": custom_id, "response": response, "error": None})


def test_outcomes_count_failures_and_leave_expired_lines_to_be_sent_again() -> None:
    ok, bad, late = (Call.of("m", [{"role": "user", "content": t}], {}) for t in "abc")
    outcomes = Outcomes()
    text = "\n".join(
        [
            _record(ok.custom_id("candidate"), 200),
            _record(bad.custom_id("candidate"), 500),
            _record(late.custom_id("candidate"), None),
        ]
    )
    outcomes.add_output(text)
    assert outcomes.answers[ok.ref]["content"] == "56"
    assert outcomes.failures == {bad.ref: 1}
    assert outcomes.expired == {late.ref}
    for _ in range(MAX_LINE_ATTEMPTS - 1):
        assert not outcomes.exhausted(bad.ref)
        outcomes.add_output(_record(bad.custom_id("candidate"), 500))
    assert outcomes.exhausted(bad.ref)
    assert not outcomes.exhausted(late.ref)
