"""Markdown helpers shared by every template: text from users or models is escaped.

GitHub renders a body with cmark-gfm (CommonMark, tables, strikethrough, autolink literals, raw
HTML), then links @mentions, `#12` / `GH-12` / `owner/repo#12` references and SHAs in the text.
Markdown punctuation is escaped with a backslash where the snapshots pin that form (`\\|`, ``\\` ``,
`\\*`, `\\_`), else with a character reference: literal in Markdown and decoded in raw HTML such as
`<summary>` too. Autolinks (`scheme://`, `www.`, e-mail, `mailto:`, `xmpp:`), mentions and
references are broken by a zero-width space after `://`, `www`, `@`, `#` and `GH-`; a reference
does not break them (cmark-gfm links `a&#64;b.example` and `https&#58;//x.example`).
"""

from __future__ import annotations

import json
import re
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import jinja2

GITHUB_BODY_LIMIT = 65_536
"""The most characters GitHub accepts in a pull request or comment body."""

ZERO_WIDTH_SPACE = "\u200b"

_INLINE = str.maketrans(
    {
        "\\": "&#92;",
        "|": "\\|",
        "`": "\\`",
        "<": "&lt;",
        ">": "&gt;",
        "&": "&amp;",
        "*": "\\*",
        "_": "\\_",
        "[": "&#91;",
        "]": "&#93;",
        "@": "@" + ZERO_WIDTH_SPACE,
        "#": "#" + ZERO_WIDTH_SPACE,
        "\n": " ",
        "\r": " ",
    }
)

# Where a zero-width space goes so that GitHub does not autolink: after the `:` of `://`
# (every scheme), between `www` and `.` (any case), and after `GH-` before a number.
_AUTOLINK_BREAK = re.compile(r"(?<=:)(?=//)|(?i:(?<=www)(?=\.))|(?i:(?<=gh-)(?=[0-9]))")
_LINE_START = re.compile(r"\A(?:([ \t\-+=])|([0-9]{1,9})([.)])(?=[ \t]|\Z))")
_LINE_END = re.compile(r"\r\n|\r|\n")


def _tilde(match: re.Match[str]) -> str:
    """`~` stays bare only where it can open but never close a strikethrough."""
    text, i = match.string, match.start()
    after = text[i + 1 : i + 2]
    # Before the text is the template's: a `~` followed by a letter or digit can close only
    # after a letter or digit, and no template puts one right before a value.
    bare = after.isalnum() if i == 0 else text[i - 1] in " \t" and after != "~"
    return "~" if bare else "&#126;"


def escape_inline(text: Any) -> str:
    """Text safe inside a Markdown table cell or on one line.

    GitHub shows the original characters (line breaks become spaces, and zero-width spaces are
    added) and forms no link, autolink, mention, issue reference, emphasis, strikethrough, code,
    HTML, image, footnote, heading, list or hard line break from it.
    """
    escaped = _AUTOLINK_BREAK.sub(ZERO_WIDTH_SPACE, str(text)).translate(_INLINE)
    # At the start of a line these could begin a list, a thematic break, a setext underline or
    # indented code; at its end, two spaces would be a hard line break.
    escaped = _LINE_START.sub(lambda m: f"{m[2] or ''}&#{ord(m[1] or m[3])};", escaped)
    escaped = re.sub(r"[ \t]\Z", lambda m: f"&#{ord(m[0])};", escaped)
    return re.sub("~", _tilde, escaped)  # last: what precedes each `~` is what GitHub sees


def escape_block(text: Any, prefix: str = "") -> str:
    """Multi-line text (a model answer) as Markdown lines, each escaped as by `escape_inline`.

    Line breaks stay (as hard breaks), blank lines separate paragraphs, and every line starts
    with the container `prefix` ("> " in a quote). One line gives `prefix + escape_inline(text)`.
    """
    lines = _LINE_END.split(str(text))
    while len(lines) > 1 and not lines[-1].strip(" \t"):
        lines.pop()
    blank = [not line.strip(" \t") for line in lines] + [True]
    hard_break = ["" if blank[i + 1] else "\\" for i in range(len(lines))]
    return "\n".join(
        prefix.rstrip() if blank[i] else prefix + escape_inline(line) + hard_break[i]
        for i, line in enumerate(lines)
    )


def fenced(text: Any, prefix: str = "") -> str:
    """Multi-line text verbatim in a fenced code block, every line starting with `prefix`.

    The fence is longer than any backtick run in the text (at least three) and has no info
    string: no line can close it, and GitHub links or renders nothing inside it.
    """
    body = _LINE_END.sub("\n", str(text)).removesuffix("\n")
    longest = max((len(run) for run in re.findall("`+", body)), default=0)
    fence = "`" * max(3, longest + 1)
    lines = [fence, *(body.split("\n") if body else []), fence]
    return "\n".join(prefix + line if line else prefix.rstrip() for line in lines)


# --- truncation ---------------------------------------------------------------------------

_UNITS = re.compile("[\ud800-\udbff][\udc00-\udfff]|\r\n")
_INLINE_UNIT = re.compile(
    r"\\[\s\S]|`+|&(?:#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6}|[A-Za-z][A-Za-z0-9]{0,31});"
    r"|<!--|<(/?)([A-Za-z][A-Za-z0-9-]*)(?:[\s/][^<>]*)?>"
)
_QUOTE = re.compile(r"(?:[ ]{0,3}>[ ]?)*")
_FENCE_OPEN = re.compile(r"[ ]{0,3}(`{3,}|~{3,})(.*)")
_FENCE_CLOSE = re.compile(r"[ ]{0,3}(`{3,}|~{3,})[ \t]*")
_TABLE_ROW = re.compile(r"[ ]{0,3}\|")


class _Layout:
    """Where a Markdown text of our templates may be cut, and what is open at each place.

    Never cut inside `atomic` spans: surrogate pairs, CRLF, fence lines, escapes, code spans,
    character references, HTML comments and tags, `<details><summary>…</summary>` heads.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.atomic = [m.span() for m in _UNITS.finditer(text)]
        self.fences: list[tuple[int, int, str]] = []
        self.details: list[tuple[int, int]] = []
        regions: list[list[int]] = []  # paragraphs (lines that join) and table rows
        fence: tuple[int, str, int, str] | None = None  # quote depth, marker, open end, closer
        joins = False  # whether the next line of text continues the last region
        for start, end in _lines(text):
            line = text[start:end]
            quote = len(_QUOTE.match(line).group(0))  # type: ignore[union-attr]
            depth, rest = line.count(">", 0, quote), line[quote:]
            if fence is not None:
                open_depth, marker, open_end, closer = fence
                close = _FENCE_CLOSE.fullmatch(rest)
                closes = depth >= open_depth and bool(close and close[1].startswith(marker))
                if depth >= open_depth and not closes:
                    continue
                self.fences.append((open_end, start, closer))  # closed, or its quote ended
                fence = None
                if closes:
                    self.atomic.append((start, end))
                    continue
            opening = _FENCE_OPEN.fullmatch(rest)
            row = _TABLE_ROW.match(rest) is not None
            if opening is not None:
                self.atomic.append((start, end))  # a part of it may open a fence
                if not (opening[1][0] == "`" and "`" in opening[2]):
                    # Only spaces and `>` precede the marker: the closing fence repeats them.
                    fence = (depth, opening[1], end, line[: quote + opening.start(1)] + opening[1])
                joins = False
            elif not rest.strip(" \t"):
                joins = False
            elif joins and not row:
                regions[-1][1] = end
            else:
                regions.append([start, end])
                joins = not row
        if fence is not None:
            self.fences.append((fence[2], len(text), fence[3]))
        self._inline(regions)

    def _inline(self, regions: list[list[int]]) -> None:
        text, opened, head, summary = self.text, list[int](), (-1, -1), -1
        for start, end in regions:
            pos = start
            while unit := _INLINE_UNIT.search(text, pos, min(end + 1, len(text))):
                token, pos = unit.group(0), unit.end()
                name = (unit.group(2) or "").lower()
                if token[0] == "`":
                    pos = _closing_run(text, pos, end, len(token)) or pos
                elif token == "<!--":
                    close = text.find("-->", pos)
                    pos = len(text) if close < 0 else close + 3
                elif name == "details" and not unit.group(1):
                    opened.append(pos)
                    head = unit.span()
                elif name == "details" and opened:
                    self.details.append((opened.pop(), unit.start()))
                elif name == "summary" and not unit.group(1):
                    # `<details><summary>` stay together: no details without its summary.
                    together = head[1] >= 0 and not text[head[1] : unit.start()].strip()
                    summary = head[0] if together else unit.start()
                elif name == "summary" and summary >= 0:
                    self.atomic.append((summary, pos))
                    summary = -1
                self.atomic.append((unit.start(), pos))
        self.details.extend((o, len(text)) for o in opened)
        if summary >= 0:
            self.atomic.append((summary, len(text)))

    def safe_cut(self, cut: int) -> int:
        """The greatest place at or before `cut` that is inside nothing atomic."""
        moved = True
        while moved:
            moved = False
            for start, end in self.atomic:
                if start < cut < end:
                    cut, moved = start, True
        return cut

    def closers(self, cut: int, inline: bool) -> str:
        """What closes the code fence and the `<details>` elements still open at `cut`."""
        kept, out = self.text[:cut], ""
        for open_end, close_start, closer in self.fences:
            if open_end <= cut <= close_start:
                out += ("" if kept.endswith(("\n", "\r")) else "\n") + closer
        for _ in (d for d in self.details if d[0] <= cut <= d[1]):
            out += _gap(kept + out, inline) + "</details>"
        return out


def _lines(text: str) -> list[tuple[int, int]]:
    """Each line's start and the end of its text (before the line ending)."""
    spans, start = [], 0
    for ending in _LINE_END.finditer(text):
        spans.append((start, ending.start()))
        start = ending.end()
    return [*spans, (start, len(text))]


def _closing_run(text: str, start: int, end: int, length: int) -> int | None:
    """The end of the next run of exactly `length` backticks in text[start:end], if any."""
    for run in re.finditer("`+", text[start:end]):
        if len(run.group(0)) == length:
            return start + run.end()
    return None


def _gap(before: str, inline: bool) -> str:
    """What separates our addition from `before`: a space on one line, else a blank line."""
    if inline:
        return " " if before and before[-1] not in " \t" else ""
    endings = _LINE_END.findall(before[len(before.rstrip("\r\n")) :])
    if not before or len(endings) >= 2:
        return ""
    return "\n\n" if endings in ([], ["\r"]) else "\n"  # "\r" + "\n" is one line ending


def truncate(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters, still well-formed Markdown.

    Unchanged when it fits. Otherwise cut where nothing is split (see `_Layout`); a code fence
    and `<details>` elements still open are closed, and a visible "… (truncated, N more
    characters)" marker follows: on the same line for one-line text, else as its own paragraph.
    """
    if limit < 0:
        raise ValueError(f"limit must not be negative, got {limit}")
    if len(text) <= limit:
        return text
    layout, inline, cut = _Layout(text), _LINE_END.search(text) is None, limit
    while True:
        cut = layout.safe_cut(cut)
        kept = text[:cut] + layout.closers(cut, inline)
        omitted = len(text) - cut
        marker = f"… (truncated, {omitted} more character{'' if omitted == 1 else 's'})"
        result = kept + _gap(kept, inline) + marker
        if len(result) <= limit:
            return result
        if cut == 0:
            return next((m for m in ("… (truncated)", "…") if len(m) <= limit), "")
        cut = max(0, min(cut - 1, limit - (len(result) - cut)))


def show_value(value: Any) -> str:
    """A spec value as people read it: strings bare, the rest as JSON, None as (unset)."""
    if value is None:
        return "(unset)"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


@cache
def environment() -> jinja2.Environment:
    import jinja2  # when a first report is rendered: JSON and JUnit reports never need it

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("trainer", "templates"),
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["md"] = escape_inline
    env.filters["md_block"] = escape_block
    env.filters["md_fenced"] = fenced
    env.filters["value"] = show_value
    return env
