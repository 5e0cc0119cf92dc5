"""Regenerate the bad-dataset corpus: `python -m tests.datasets.make_corpus`.

Each file holds ten good examples and one defect (or, for `mixture`, several), so
each `.expected` file shows exactly what that defect produces.
"""

from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).parent / "bad"


def good(i: int) -> str:
    return json.dumps(
        {
            "messages": [
                {"role": "system", "content": "You are a Socratic maths tutor."},
                {"role": "user", "content": f"How would I start on problem {i}?"},
                {"role": "assistant", "content": f"What do you already know about problem {i}?"},
            ]
        }
    )


def chat(*messages: dict[str, object], **extra: object) -> str:
    return json.dumps({"messages": list(messages), **extra})


U = {"role": "user", "content": "What is 3/4 + 1/8?"}
A = {"role": "assistant", "content": "What common denominator could you use?"}

DEFECTS: dict[str, str | bytes] = {
    "not-json": '{"messages": [',
    "data-type": "[1, 2]",
    "legacy-prompt-completion": json.dumps({"prompt": "2+2?", "completion": "4"}),
    "unknown-message-key": chat(U, {"role": "assistant", "contnet": "Hi?"}),
    "unrecognized-role": chat({"role": "bot", "content": "Hello"}, A),
    "missing-content": chat(U, {"role": "assistant", "content": ""}),
    "no-assistant": chat(U),
    "all-assistant-weight-zero": chat(U, {**A, "weight": 0}),
    "weight-on-user": chat({**U, "weight": 1}, A),
    "weight-not-0-or-1": chat(U, {**A, "weight": 0.5}),
    "bad-tool-call": chat(
        U,
        {
            "role": "assistant",
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "calc", "arguments": "{x"},
                }
            ],
        },
        {"role": "tool", "content": "7/8"},
        A,
    ),
    "content-parts": chat(
        {"role": "user", "content": [{"type": "text", "text": "Hi"}, {"type": "audio"}]}, A
    ),
    "blank-line": "",
    "duplicate": good(3),
    "pii": chat(
        {"role": "user", "content": "Email me at sam.jones@gmail.com or call (415) 555-2671."},
        {"role": "assistant", "content": "Card 4111 1111 1111 1111 noted? Also 42 Maple Street?"},
    ),
    "too-long": chat(U, {"role": "assistant", "content": "think " * 70_000 + "?"}),
}


def main() -> None:
    HERE.mkdir(exist_ok=True)
    lines = [good(i) for i in range(10)]
    for name, defect in DEFECTS.items():
        body = [*lines[:5], defect, *lines[5:]]
        (HERE / f"{name}.jsonl").write_text("\n".join(body) + "\n")
    (HERE / "bom.jsonl").write_bytes(b"\xef\xbb\xbf" + ("\n".join(lines) + "\n").encode())
    (HERE / "not-utf8.jsonl").write_bytes(
        ("\n".join(lines[:5]) + "\n").encode()
        + b'{"messages": [{"role": "user", "content": "caf\xe9"}]}\n'
        + ("\n".join(lines[5:]) + "\n").encode()
    )
    (HERE / "too-few.jsonl").write_text("\n".join(lines[:4]) + "\n")
    (HERE / "empty.jsonl").write_text("")
    mixture = [lines[0], "", "[]", lines[0], chat(U), '{"messages": "hi"}', *lines[1:10]]
    (HERE / "mixture.jsonl").write_text("\n".join(mixture) + "\n")
    many = [*lines, *(chat({"role": "bot", "content": f"x{i}"}, A) for i in range(60))]
    (HERE / "capped.jsonl").write_text("\n".join(many) + "\n")


if __name__ == "__main__":
    main()
