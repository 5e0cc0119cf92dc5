"""Escaping and truncation of text that goes into pull request bodies (issue #13, item 7).

What GitHub shows of an escaped text is modelled by `shown`: backslash escapes and character
references decoded, as cmark-gfm does. Autolinks, mentions and issue references are found by
GitHub in that decoded text, so the checks for them run on it.
"""

from __future__ import annotations

import html
import re

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

try:
    import cmarkgfm
    from cmarkgfm.cmark import Options

    CMARK_OPT_UNSAFE = Options.CMARK_OPT_UNSAFE
except ImportError:  # not a dependency: the test that renders runs where it is installed
    cmarkgfm = None
    CMARK_OPT_UNSAFE = 0

from trainer.render.markdown import (
    ZERO_WIDTH_SPACE,
    environment,
    escape_block,
    escape_inline,
    fenced,
    truncate,
)

ZW = ZERO_WIDTH_SPACE
_DECODE = re.compile(
    r"\\([!-/:-@\[-`{-~])|&(?:#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6}|[A-Za-z][A-Za-z0-9]{0,31});"
)
_MARKER = re.compile(r"… \(truncated, ([0-9,]+) more characters?\)\Z")


def shown(markdown: str) -> str:
    """The characters GitHub displays for inline Markdown that has no markup left."""
    return _DECODE.sub(
        lambda m: m.group(1) if m.group(1) is not None else html.unescape(m.group(0)), markdown
    )


def assert_inert(text: str) -> None:
    """escape_inline(text) shows text and can form nothing on GitHub."""
    out = escape_inline(text)
    seen = shown(out)
    # The same characters, on one line, with zero-width spaces added.
    assert seen.replace(ZW, "") == re.sub("[\r\n]", " ", text).replace(ZW, "")
    # No HTML, link, image or footnote syntax, no line break.
    assert "<" not in out
    assert "](" not in out
    assert "[" not in out
    assert "]" not in out
    assert "\n" not in out
    assert "\r" not in out
    # Every backslash escapes the character after it (the text's own are references), and
    # every & starts one of our references.
    assert not re.search(r"[\\`*_|]", re.sub(r"\\[|`*_]", "", out))
    assert "&" not in re.sub(r"&(?:amp|lt|gt|#[0-9]+);", "", out)
    # A bare ~ can open a strikethrough but never close one.
    for m in re.finditer("~", out):
        i, after = m.start(), out[m.start() + 1 : m.start() + 2]
        assert (i == 0 and after.isalnum()) or (i > 0 and out[i - 1] in " \t" and after != "~")
    # Nothing GitHub would link or notify: mentions, issue references, autolinks.
    assert not re.search(r"@[A-Za-z0-9]", seen)
    assert not re.search(r"#[0-9]", seen)
    assert not re.search(r"(?i)gh-[0-9]", seen)
    assert "://" not in seen
    assert not re.search(r"(?i)www\.", seen)
    # Nothing that starts a block if a template puts the value at the start of a line.
    assert not re.match(r"[ \t\-+=>]|[0-9]+[.)]([ \t]|\Z)|#+([ \t]|\Z)", out)
    assert not re.search(r"[ \t]\Z", out)


# --- escape_inline --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "absent"),
    [
        ("\\[x\\](https://evil.example)", ["](", "https://"]),
        ("[click](https://evil.example)", ["](", "https://"]),
        ("see https://evil.example now", ["https://"]),
        ("see http://evil.example now", ["http://"]),
        ("ftp://evil.example", ["ftp://"]),
        ("www.evil.example", ["www."]),
        ("WWW.EVIL.EXAMPLE", ["WWW."]),
        ("(www.evil.example)", ["www."]),
        ("write to someone@evil.example", ["someone@evil"]),
        ("mailto:someone@evil.example", ["@evil"]),
        ("xmpp:someone@evil.example/x", ["@evil"]),
        ("@team please look", ["@team"]),
        ("@octocat/reviewers", ["@octocat"]),
        ("closes #123", ["#123"]),
        ("fixes owner/repo#1", ["#1"]),
        ("see GH-26 and gh-7", ["GH-26", "gh-7"]),
        ("a@b.example sha jlord@a5c3785", ["@a5c3785"]),
        ("<img src=x onerror=alert(1)>", ["<img"]),
        ("&amp; &lt;b&gt; &#64;team", ["&#64;", "&lt;b"]),
        ("![x](https://evil.example/pixel.png)", ["![", "]("]),
        ("text[^1]\n\n[^1]: https://evil.example", ["[^1]"]),
        ("<!-- the rest of the body is hidden", ["<!--"]),
        ("<details><summary>hidden</summary>", ["<details>", "<summary>"]),
        ("</details> escape the collapsed block", ["</details>"]),
        ("*emphasis* **strong** _under_ __dunder__", []),
        ("a ~strike~ b ~~strike~~", ["~strike~"]),
        ("`code` and ```fence```", []),
        ("# heading", []),
        ("- item", ["- "]),
        ("+ item", ["+ "]),
        ("1. item", ["1. "]),
        ("12) item", ["12) "]),
        ("---", ["---"]),
        ("===", ["==="]),
        ("> quote", ["> "]),
        ("    indented code", ["    "]),
        ("~~~", ["~~~"]),
        ("trailing hard break  ", []),
        ("a | b | c", [" | "]),
        ("back\\slash \\\\ \\", []),
        ("line\nbreak\r\nand\rreturn", ["\n", "\r"]),
    ],
)
def test_attack_is_inert(text: str, absent: list[str]) -> None:
    out = escape_inline(text)
    for fragment in absent:
        assert fragment not in out
    assert_inert(text)


def test_known_forms() -> None:
    assert escape_inline("\\[x\\](https://e.example)") == (
        "&#92;&#91;x&#92;&#93;(https:" + ZW + "//e.example)"
    )
    assert escape_inline("@team #1 www.e.example") == f"@{ZW}team #{ZW}1 www{ZW}.e.example"
    assert escape_inline("a ~b~ c") == "a ~b&#126; c"
    assert escape_inline("- x") == "&#45; x"
    assert escape_inline("x  ") == "x &#32;"


@pytest.mark.parametrize(
    "text",
    [
        "pedagogy_score",
        '{"max_tokens": 100, "seed": 1, "temperature": 0.0}',
        "The answer is 5. (emulated base model gpt-4o-mini-2024-07-18)",
        "~552 tokens x 5 epochs = ~2,760 billed, ~$0.0083",
        "training (job ftjob-abc123)",
        "gives the answer away ('5')",
        "harness/mini.yaml",
        "0.8",
        "3",
    ],
)
def test_ordinary_text_is_unchanged_but_for_underscores(text: str) -> None:
    """What the pinned reports contain keeps its form (only `_` was and is escaped)."""
    assert escape_inline(text) == text.replace("_", "\\_")


@given(st.text())
@example("\\[x\\](https://evil.example)")
@example("~a~ ~~b~~ x~y~ ~")
@example(" \t-")
@example("1)")
@example("&#91;@&#35;")
@example("wwW.x.y hTTps://x.y GH-1 a@b.c")
@settings(max_examples=500)
def test_escaped_text_is_inert(text: str) -> None:
    assert_inert(text)


SOUP = st.lists(
    st.sampled_from([*"\\`*_[]()<>&!@#~:/.wWhHtTpPsS-+=|^ \t\n1aZ", "www.", "://", "@a"]),
    max_size=40,
).map("".join)
"""Markdown punctuation and pieces of autolinks, densely."""


@given(SOUP)
@settings(max_examples=500)
def test_escaped_markdown_soup_is_inert(text: str) -> None:
    assert_inert(text)


@pytest.mark.skipif(cmarkgfm is None, reason="needs cmarkgfm, GitHub's cmark-gfm for Python")
@given(st.one_of(st.text(), SOUP))
@example("\\[x\\](https://evil.example) ~a~ *b* www.c.example d@e.example")
@settings(max_examples=300)
def test_cmark_gfm_renders_escaped_text_as_plain_text(text: str) -> None:
    """Where cmark-gfm is installed: no element at all, whatever the context."""
    assert cmarkgfm is not None
    out = escape_inline(text)
    for context in (f"{out}", f"para\n{out}", f"> **model:** {out}", f"| a |\n| - |\n| {out} |"):
        rendered = cmarkgfm.github_flavored_markdown_to_html(context, options=CMARK_OPT_UNSAFE)
        tags = set(re.findall(r"</?([a-z0-9]+)", rendered))
        assert tags <= {"p", "blockquote", "strong", "table", "thead", "tbody", "tr", "th", "td"}
        if out.strip() and context == out:
            assert re.fullmatch(r"<p>[^<]*</p>\n", rendered)
            assert html.unescape(rendered[3:-5]) == shown(out).replace("\x00", "\ufffd")


# --- escape_block and fenced -----------------------------------------------------------------


def test_block_of_one_line_is_the_inline_form() -> None:
    text = "The answer is 5. (emulated) @team"
    assert escape_block(text) == escape_inline(text)
    assert escape_block(text, "> ") == "> " + escape_inline(text)


def test_block_keeps_lines_and_paragraphs() -> None:
    text = "one @team\ntwo [x](https://e.example)\n\n- three\n---\n"
    assert escape_block(text, "> ").split("\n") == [
        f"> one @{ZW}team\\",
        f"> two &#91;x&#93;(https:{ZW}//e.example)",
        ">",
        "> &#45; three\\",
        "> &#45;--",
    ]


@given(st.text())
def test_every_block_line_is_inert(text: str) -> None:
    for line in escape_block(text).split("\n"):
        body = line.removesuffix("\\")
        assert "<" not in body
        assert "](" not in body
        assert not re.search(r"@[A-Za-z0-9]|#[0-9]|://|(?i:www\.)", shown(body))


def test_fence_is_longer_than_any_backtick_run() -> None:
    text = "a ``` b\n````\n</details>\n@team #1"
    assert fenced(text) == "`````\na ``` b\n````\n</details>\n@team #1\n`````"
    assert fenced("x") == "```\nx\n```"
    assert fenced("x\n\ny", "> ") == "> ```\n> x\n>\n> y\n> ```"
    assert fenced("") == "```\n```"


@given(st.text())
def test_fenced_text_cannot_close_its_fence(text: str) -> None:
    lines = fenced(text).split("\n")
    fence = lines[0]
    assert set(fence) == {"`"}
    assert len(fence) >= 3
    assert lines[-1] == fence
    for run in re.findall("`+", text):
        assert len(run) < len(fence)
    assert "\n".join(lines[1:-1]) == re.sub(r"\r\n|\r", "\n", text).removesuffix("\n")


def test_filters_are_registered() -> None:
    env = environment()
    assert env.filters["md"] is escape_inline
    assert env.filters["md_block"] is escape_block
    assert env.filters["md_fenced"] is fenced


# --- truncate -------------------------------------------------------------------------------


def split_result(text: str, result: str) -> tuple[str, str] | None:
    """(kept part of text, what was added before the marker), None for a bare fallback."""
    marker = _MARKER.search(result)
    if marker is None:
        assert result in ("", "…", "… (truncated)")
        return None
    omitted = int(marker.group(1).replace(",", ""))
    kept = text[: len(text) - omitted]
    assert result.startswith(kept)
    return kept, result[len(kept) : marker.start()]


def test_short_text_is_unchanged() -> None:
    assert truncate("abc", 3) == "abc"
    assert truncate("<details>", 100) == "<details>"
    assert truncate("", 0) == ""
    with pytest.raises(ValueError, match="negative"):
        truncate("abc", -1)


def test_one_line_gets_the_marker_on_the_line() -> None:
    text = "word " * 40
    result = truncate(text, 60)
    assert len(result) <= 60
    assert result == text[:25] + "… (truncated, 175 more characters)"


def test_marker_counts_one_character() -> None:
    text = "x" * 40 + "\n" + "y"
    result = truncate(text, len(text) - 1)
    assert "more character" in result or result in ("…", "… (truncated)")


def test_tiny_limits_fall_back_to_short_markers() -> None:
    assert truncate("x" * 100, 0) == ""
    assert truncate("x" * 100, 5) == "…"
    assert truncate("x" * 100, 13) == "… (truncated)"


@pytest.mark.parametrize(
    ("text", "inside"),
    [
        (escape_inline("a*b " * 20), "\\*"),
        (escape_inline("a & b " * 20), "&amp;"),
        (escape_inline("[x] " * 20), "&#91;"),
        ("\ud83d\ude00" * 60, "\ud83d\ude00"),
        ("see `some code here` " * 10, "`some code here`"),
    ],
)
def test_never_cuts_inside_an_escape_a_reference_a_pair_or_a_span(text: str, inside: str) -> None:
    for limit in range(40, 80):
        result = truncate(text, limit)
        assert len(result) <= limit
        parts = split_result(text, result)
        assert parts is not None
        kept, _ = parts
        # No occurrence of the unit straddles the cut.
        starts = [m.start() for m in re.finditer(re.escape(inside), text)]
        assert all(not (s < len(kept) < s + len(inside)) for s in starts)


def test_closes_an_open_fence_and_details() -> None:
    text = (
        "<!-- trainer:plan -->\n### report\n\n<details><summary>case</summary>\n\n"
        + fenced("line\n" * 40, "> ")
        + "\n\n</details>\n"
    )
    result = truncate(text, 200)
    assert len(result) <= 200
    parts = split_result(text, result)
    assert parts is not None
    kept, added = parts
    assert "> ```\n> line\n> line" in kept
    assert re.fullmatch(r"\n?> ```\n\n</details>\n\n", added)


@pytest.mark.parametrize(
    "text",
    [
        "<!-- trainer:plan -->\n" + "x" * 100,
        "<details><summary>a long summary line here</summary>\n\nbody\n\n</details>\n" + "x" * 50,
    ],
)
def test_never_cuts_inside_a_comment_or_a_summary(text: str) -> None:
    for limit in range(35, 60):
        result = truncate(text, limit)
        assert len(result) <= limit
        assert "<!--" not in result or "-->" in result
        assert result.count("<summary>") == result.count("</summary>")
        assert result.count("<details>") == result.count("</details>")


def outside_fences(markdown: str) -> tuple[str, bool]:
    """The lines of `markdown` outside fenced code, and whether a fence is left open."""
    fence: str | None = None
    kept = []
    for line in re.split(r"\r\n|\r|\n", markdown):
        body = line.removeprefix("> ").removeprefix(">")
        if fence is None:
            if re.fullmatch("`{3,}", body):
                fence = body
            else:
                kept.append(line)
        elif body == fence:
            fence = None
    return "\n".join(kept), fence is not None


INLINE = st.text(max_size=30)


@st.composite
def documents(draw: st.DrawFn, depth: int = 0) -> str:
    """Markdown as our templates write it: escaped text in paragraphs, quotes, tables,
    fenced blocks, code spans of our own, comments, and <details> blocks."""
    kinds = ["paragraph", "quote", "span", "fence", "quoted fence", "table", "comment"]
    if depth < 2:
        kinds.append("details")
    blocks = []
    for kind in draw(st.lists(st.sampled_from(kinds), min_size=1, max_size=6)):
        if kind == "paragraph":
            blocks.append(escape_inline(draw(INLINE) + draw(st.sampled_from(["", "\ud83d\ude00"]))))
        elif kind == "quote":
            blocks.append(escape_block(draw(INLINE) + "\n" + draw(INLINE), "> "))
        elif kind == "span":
            word = draw(st.from_regex(r"[a-z0-9 ]{1,12}", fullmatch=True))
            blocks.append(f"- ❌ `{word}`: {escape_inline(draw(INLINE))}")
        elif kind == "fence":
            blocks.append(fenced(draw(st.text(max_size=60))))
        elif kind == "quoted fence":
            blocks.append(fenced(draw(st.text(max_size=60)), "> "))
        elif kind == "table":
            cells = [escape_inline(draw(INLINE)) for _ in range(2)]
            blocks.append(f"| a | b |\n| --- | --- |\n| {cells[0]} | {cells[1]} |")
        elif kind == "comment":
            blocks.append("<!-- trainer:plan -->")
        else:
            summary = escape_inline(draw(INLINE))
            inner = draw(documents(depth + 1))
            blocks.append(f"<details><summary>{summary}</summary>\n\n{inner}\n\n</details>")
    return "\n\n".join(blocks) + "\n"


@given(documents(), st.integers(min_value=0, max_value=600))
@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
def test_truncated_document_is_balanced(text: str, limit: int) -> None:
    result = truncate(text, limit)
    assert len(result) <= limit
    if len(text) <= limit:
        assert result == text
        return
    parts = split_result(text, result)
    if parts is None:
        return
    kept, _ = parts
    # Fences and <details> are closed, HTML comments and summaries are whole.
    outside, still_open = outside_fences(result)
    assert not still_open
    assert outside.count("<details>") == outside.count("</details>")
    assert outside.count("<summary>") == outside.count("</summary>")
    assert outside.count("<!--") == outside.count("-->")
    # Where the cut is in Markdown text (not fenced code), nothing is split.
    kept_outside, in_fence = outside_fences(kept)
    assert not (kept and "\ud800" <= kept[-1] <= "\udbff")
    if not in_fence:
        last = kept_outside.rsplit("\n", 1)[-1]
        assert not kept.endswith("\\")
        assert not re.search(r"&[#0-9A-Za-z]*\Z", kept)
        assert re.sub(r"\\.", "", last).count("`") % 2 == 0


@given(st.text(), st.integers(min_value=0, max_value=200))
@settings(max_examples=400)
def test_truncated_any_text_fits(text: str, limit: int) -> None:
    result = truncate(text, limit)
    assert len(result) <= limit
    if len(text) <= limit:
        assert result == text
    else:
        split_result(text, result)
