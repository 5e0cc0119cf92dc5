"""Checks of one parsed JSONL example, in chat (supervised) or DPO format.

Pure functions: an example in, problems out. Codes follow OpenAI's data-preparation
cookbook where it has one (data_type, missing_messages_list, message_missing_key,
message_unrecognized_key, unrecognized_role, missing_content,
example_missing_assistant_message), so people who know it recognise them.
"""

from __future__ import annotations

import json
import re
from typing import Any

ROLES = ("system", "user", "assistant", "tool", "function")
MESSAGE_KEYS = ("role", "content", "name", "weight", "tool_calls", "function_call", "tool_call_id")
CHAT_KEYS = ("messages", "tools", "parallel_tool_calls", "functions")
DPO_KEYS = ("input", "preferred_output", "non_preferred_output")
DPO_INPUT_KEYS = ("messages", "tools", "parallel_tool_calls")

Problem = tuple[str, str]
"""(code, message)."""

MAX_JSON_DEPTH = 64
"""Arrays and objects inside each other in one line (chat examples: under 10). The checks
and token counting recurse: a line nested deeper is reported, not checked."""
TOO_DEEP = f"arrays and objects nested more than {MAX_JSON_DEPTH} levels deep"
_TOKENS = re.compile(r'"[^"\\]*+(?:\\.[^"\\]*+)*+"?|[\[\]{}]', re.DOTALL)
"""Strings (an unclosed one runs to the end; possessive, so linear) and brackets."""


def deeper_than(text: str, limit: int) -> int | None:
    """The offset in JSON `text` of the first array or object nested deeper than `limit`
    (brackets inside strings do not count), or None. To say where, once it is known."""
    depth = 0
    for token in _TOKENS.finditer(text):
        depth += {"[": 1, "{": 1, "]": -1, "}": -1}.get(token[0], 0)
        if depth > limit:
            return token.start()
    return None


def depth_problem(text: str, example: Any) -> str | None:
    """Why the parsed line `text` nests too deep to check (None if it does not); counted
    without recursion, and only for lines with more brackets than MAX_JSON_DEPTH."""
    if text.count("[") + text.count("{") <= MAX_JSON_DEPTH:
        return None
    todo = [(example, 1)] if isinstance(example, list | dict) else []
    while todo:
        value, level = todo.pop()
        if level > MAX_JSON_DEPTH:
            return too_deep_at(text)
        children = value.values() if isinstance(value, dict) else value
        todo += [(child, level + 1) for child in children if isinstance(child, list | dict)]
    return None


def too_deep_at(text: str) -> str:
    """TOO_DEEP, saying from which column, for a line known to nest that deep."""
    at = deeper_than(text, MAX_JSON_DEPTH)
    return TOO_DEEP if at is None else f"{TOO_DEEP} (from column {at + 1})"


def _unknown(keys: Any, allowed: tuple[str, ...], where: str, code: str) -> list[Problem]:
    if all(key in allowed for key in keys):
        return []
    from trainer.specs.messages import did_you_mean  # only for a problem; spares the import

    return [
        (code, f"{where}unknown key {key!r}{did_you_mean(str(key), list(allowed))}")
        for key in keys
        if key not in allowed
    ]


def _content_ok(content: Any, role: Any) -> bool:
    if isinstance(content, str):
        return True
    if not isinstance(content, list) or not content:
        return False
    for part in content:
        if not isinstance(part, dict):
            return False
        if part.get("type") == "text" and isinstance(part.get("text"), str):
            continue
        if (
            part.get("type") == "image_url"
            and role == "user"
            and isinstance(part.get("image_url"), dict)
        ):
            continue
        return False
    return True


def _tool_calls(calls: Any, where: str) -> list[Problem]:
    if not isinstance(calls, list) or not calls:
        return [("tool_calls", f"{where}tool_calls must be a non-empty list")]
    problems: list[Problem] = []
    for j, call in enumerate(calls):
        here = f"{where}tool_calls[{j}]: "
        function = call.get("function") if isinstance(call, dict) else None
        if not isinstance(call, dict) or not isinstance(call.get("id"), str):
            problems.append(("tool_calls", f"{here}needs a string id"))
        if isinstance(call, dict) and call.get("type", "function") != "function":
            problems.append(("tool_calls", f'{here}type must be "function"'))
        if not isinstance(function, dict) or not isinstance(function.get("name"), str):
            problems.append(("tool_calls", f"{here}needs function.name"))
            continue
        arguments = function.get("arguments")
        if not isinstance(arguments, str):
            problems.append(("tool_calls", f"{here}function.arguments must be a JSON string"))
            continue
        try:
            json.loads(arguments)
        except ValueError:
            problems.append(("tool_calls", f"{here}function.arguments is not valid JSON"))
        except RecursionError:  # parsed only to be checked: no depth limit short of this
            problems.append(("tool_calls", f"{here}function.arguments: {TOO_DEEP}"))
    return problems


_PLAIN_ROLES = frozenset({"system", "user", "assistant"})


def _message(message: Any, where: str) -> list[Problem]:
    if type(message) is dict and len(message) == 2:  # the common case, checked cheaply
        content = message.get("content")
        role = message.get("role")
        if type(role) is str and role in _PLAIN_ROLES and type(content) is str and content:
            return []
    if not isinstance(message, dict):
        return [("data_type", f"{where}must be an object with role and content")]
    problems = _unknown(message, MESSAGE_KEYS, where, "message_unrecognized_key")
    role = message.get("role")
    if "role" not in message:
        problems.append(("message_missing_key", f"{where}has no role"))
    elif role not in ROLES:
        problems.append(
            ("unrecognized_role", f"{where}role {role!r} is not one of {', '.join(ROLES)}")
        )
    calls = message.get("tool_calls") or message.get("function_call")
    content = message.get("content")
    if "content" not in message and not calls:
        problems.append(("message_missing_key", f"{where}has no content"))
    elif content in (None, "", []) and not calls:
        problems.append(("missing_content", f"{where}content is empty"))
    elif content not in (None, "") and not _content_ok(content, role):
        problems.append(
            ("content_type", f"{where}content must be a string or a list of text parts")
        )
    if "weight" in message:
        weight = message["weight"]
        if role != "assistant":
            problems.append(("weight", f"{where}weight is only allowed on assistant messages"))
        elif isinstance(weight, bool) or weight not in (0, 1):
            problems.append(("weight", f"{where}weight must be 0 or 1 (got {weight!r})"))
    if "tool_calls" in message:
        if role != "assistant":
            problems.append(
                ("tool_calls", f"{where}tool_calls are only allowed on assistant messages")
            )
        else:
            problems += _tool_calls(message["tool_calls"], where)
    if role == "tool" and not isinstance(message.get("tool_call_id"), str):
        problems.append(("message_missing_key", f"{where}a tool message needs tool_call_id"))
    if "name" in message and not isinstance(message["name"], str):
        problems.append(("data_type", f"{where}name must be a string"))
    return problems


def _messages(messages: Any, where: str) -> list[Problem]:
    if messages is None:
        return [("missing_messages_list", f"missing {where.rstrip('.')!r} list")]
    if not isinstance(messages, list):
        return [("missing_messages_list", f"{where.rstrip('.')} must be a list of messages")]
    if not messages:
        return [("missing_messages_list", f"{where.rstrip('.')} is empty")]
    problems: list[Problem] = []
    for i, message in enumerate(messages):
        problems += _message(message, f"{where.rstrip('.')}[{i}]: ")
    return problems


def _tools(example: dict[str, Any], where: str) -> list[Problem]:
    problems: list[Problem] = []
    tools = example.get("tools")
    if tools is not None:
        if not isinstance(tools, list):
            problems.append(("tools", f"{where}tools must be a list"))
        else:
            for i, tool in enumerate(tools):
                function = tool.get("function") if isinstance(tool, dict) else None
                if not isinstance(function, dict) or not isinstance(function.get("name"), str):
                    problems.append(("tools", f"{where}tools[{i}] needs function.name"))
    if "parallel_tool_calls" in example and not isinstance(example["parallel_tool_calls"], bool):
        problems.append(("tools", f"{where}parallel_tool_calls must be true or false"))
    return problems


def _plain(messages: list[Any]) -> bool:
    """Only role and content, each message with content, and an assistant message: the
    shape of most examples, which the full checks find nothing in."""
    trained = False
    for message in messages:
        if type(message) is not dict or len(message) != 2:
            return False
        role, content = message.get("role"), message.get("content")
        if type(role) is not str or role not in _PLAIN_ROLES:
            return False
        if type(content) is not str or not content:
            return False
        trained = trained or role == "assistant"
    return trained


def check_chat(example: Any) -> list[Problem]:
    """A supervised fine-tuning example: {"messages": [...], "tools"?, ...}."""
    if type(example) is dict and len(example) == 1:  # the common case, checked cheaply
        messages = example.get("messages")
        if type(messages) is list and messages and _plain(messages):
            return []
    if not isinstance(example, dict):
        return [("data_type", f"each line must be a JSON object, not {type(example).__name__}")]
    if "messages" not in example and {"prompt", "completion"} <= example.keys():
        return [
            (
                "legacy_format",
                'prompt/completion is the legacy format; chat models train on {"messages": '
                '[{"role": "user", ...}, {"role": "assistant", ...}]}',
            )
        ]
    problems = _unknown(example, CHAT_KEYS, "", "message_unrecognized_key")
    messages = example.get("messages")
    problems += _messages(messages, "messages.")
    problems += _tools(example, "")
    if isinstance(messages, list) and not any(
        isinstance(m, dict) and m.get("role") == "assistant" and m.get("weight", 1) != 0
        for m in messages
    ):
        problems.append(
            (
                "example_missing_assistant_message",
                "no assistant message with weight 1: the example teaches nothing",
            )
        )
    return problems


def _output(value: Any, where: str) -> list[Problem]:
    if (
        not isinstance(value, list)
        or len(value) != 1
        or not isinstance(value[0], dict)
        or value[0].get("role") != "assistant"
    ):
        return [("dpo_output", f"{where} must be a list with exactly one assistant message")]
    return _message(value[0], f"{where}[0]: ")


def check_dpo(example: Any) -> list[Problem]:
    """A preference example: {"input": {"messages": [...]}, "preferred_output": [...], ...}."""
    if not isinstance(example, dict):
        return [("data_type", f"each line must be a JSON object, not {type(example).__name__}")]
    problems = _unknown(example, DPO_KEYS, "", "message_unrecognized_key")
    given = example.get("input")
    if not isinstance(given, dict):
        problems.append(("missing_messages_list", "input must be an object with messages"))
    else:
        problems += _unknown(given, DPO_INPUT_KEYS, "input: ", "message_unrecognized_key")
        problems += _messages(given.get("messages"), "input.messages.")
        problems += _tools(given, "input: ")
    for key in ("preferred_output", "non_preferred_output"):
        if key not in example:
            problems.append(("missing_output", f"missing {key!r}"))
        else:
            problems += _output(example[key], key)
    if "preferred_output" in example and example.get("preferred_output") == example.get(
        "non_preferred_output"
    ):
        problems.append(
            ("dpo_identical", "preferred_output and non_preferred_output are identical")
        )
    return problems


def trained_messages(example: dict[str, Any], method: str) -> list[Any]:
    """The messages whose tokens count: the conversation (and, for DPO, both outputs)."""
    if method == "dpo":
        given = example.get("input") or {}
        return [
            *given.get("messages", []),
            *example.get("preferred_output", []),
            *example.get("non_preferred_output", []),
        ]
    messages = example.get("messages")
    return messages if isinstance(messages, list) else []
