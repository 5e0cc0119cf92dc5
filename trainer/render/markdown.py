"""Markdown helpers shared by every template: text from users or models is escaped."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import jinja2

GITHUB_BODY_LIMIT = 65_536
"""The most characters GitHub accepts in a pull request or comment body."""

_CELL = str.maketrans(
    {
        "|": "\\|",
        "`": "\\`",
        "<": "&lt;",
        ">": "&gt;",
        "&": "&amp;",
        "*": "\\*",
        "_": "\\_",
        "[": "\\[",
        "]": "\\]",
        "\n": " ",
        "\r": " ",
    }
)


def escape_inline(text: Any) -> str:
    """Text safe inside a Markdown table cell or paragraph: no HTML, links or @mentions."""
    escaped = str(text).translate(_CELL)
    return escaped.replace("@", "@\u200b").replace("#", "#\u200b")


def show_value(value: Any) -> str:
    """A spec value as people read it: strings bare, the rest as JSON, None as (unset)."""
    if value is None:
        return "(unset)"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("trainer", "templates"),
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["md"] = escape_inline
    env.filters["value"] = show_value
    return env
