"""Does a reply give an answer away? The forms of an answer matched against a reply's
numbers and words, for `answer_leak` (whose docstring gives the rules).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

from trainer.harness.graders.number_mention import (
    Mention,
    context_after,
    context_before,
    normalise,
)
from trainer.harness.graders.numbers import mentions


@dataclass(frozen=True)
class _Form:
    """One form of the answer: a number (`11/12`, `$3`, `25%`) or words around numbers."""

    text: str
    number: Mention | None
    tokens: tuple[str | Mention, ...]


_COPULA = re.compile(
    r"\b(?:is\s+equal\s+to|equal\s+to|equals|would\s+be|will\s+be|should\s+be|must\s+be|comes\s+to"
    r"|works\s+out\s+(?:to|as|at)|is|are|was|were)\b|[=:]"
)
_FILLER = {
    "just",
    "exactly",
    "simply",
    "actually",
    "definitely",
    "really",
    "clearly",
    "precisely",
    "only",
}
_WORDS = re.compile(r"[a-z]+(?:'[a-z]+)?|=")


def _words(text: str) -> list[str]:
    text = re.sub(r"\b(it|that|what|there|here|he|she)'s\b", r"\1 is", text.lower())
    text = _COPULA.sub(" = ", text)
    return [w for w in _WORDS.findall(text) if w not in _FILLER]


def _tokens(text: str) -> list[tuple[str | Mention, int]]:
    """Words (lowercased, copulas as `=`) and numbers, in order, with their offsets."""
    text = normalise(text)
    out: list[tuple[str | Mention, int]] = []
    at = 0
    for mention in mentions(text):
        out += [(w, at) for w in _words(text[at : mention.start])]
        out.append((mention, mention.start))
        at = mention.end
    return out + [(w, at) for w in _words(text[at:])]


def _parse_form(form: str) -> _Form:
    text = normalise(form).strip().strip(".!?,;")
    found = mentions(text)
    if len(found) == 1 and found[0].start == 0 and found[0].end >= len(text.rstrip()):
        return _Form(form, found[0], ())
    return _Form(form, None, tuple(t for t, _ in _tokens(text)))


def _close(mentioned: Fraction, target: Fraction, written: int | None, exact: int | None) -> bool:
    """Equal, or one is the other rounded (or cut) to the two or more decimals written."""
    if mentioned == target:
        return True
    for shown, true, decimals in ((mentioned, target, written), (target, mentioned, exact)):
        if decimals is None or decimals < 2:
            continue
        if round(true, decimals) == shown:
            return True
        if decimals >= 3 and Fraction(int(true * 10**decimals), 10**decimals) == shown:
            return True
    return False


def _as_written(m: Mention) -> Fraction:
    return m.written if m.written is not None else m.value


def _same(target: Mention, m: Mention, statement: bool) -> bool:
    """Whether mention `m` gives the value of `target` (see `answer_leak`)."""
    if target.explicit_sign and target.value > 0 and not (m.explicit_sign or statement):
        return False  # "+24": "24" alone could be the size without the sign
    if not target.explicit_sign and target.value > 0 and m.value < 0:
        return False
    close = _close
    t, d = target.value, target.decimals
    if target.kind == "percent":
        if m.kind == "percent":
            return close(m.value, t, m.decimals, d)
        if m.kind == "plain":
            return close(m.value, t / 100, m.decimals, None) or (statement and m.value == t)
        return False
    if target.kind == "money":
        if m.kind == "money":
            return close(m.value, t, m.decimals, d)
        return m.kind == "plain" and m.value == t and (statement or m.decimals == 2)
    if target.kind == "unit":
        if m.kind == "unit":
            return m.dimension == target.dimension and m.value == t
        return m.kind == "plain" and statement and m.value == _as_written(target)
    if m.kind == "percent":
        return close(m.value / 100, t, None, d) or m.value == t
    if m.kind == "money":
        return m.value == t or _as_written(m) == t
    if m.kind == "unit":
        return _as_written(m) == t
    return close(m.value, t, m.decimals, d)


_STATED_BEFORE = re.compile(
    r"(?:\b(?:is|are|was|were|be|equals?|makes?|gives?|get|gets|got|comes\s+to|works?\s+out\s+"
    r"(?:to|as|at)|totals?|total\s+of|answer|result|solution|it's|that's|pay|costs?|cost\s+you"
    r"|left\s+with|end\s+up\s+with|ends?\s+up\s+with|simplif(?:y|ies)\s+to|reduces?\s+to"
    r"|becomes|goes\s+to|rounds?\s+to|gets\s+you)|[=:→])\s*(?:just|exactly|about|roughly"
    r"|approximately|around|only|actually|simply|also|then|now)?\s*$"
)
_STATED_AFTER = re.compile(
    r"^\s*(?:is|would\s+be|was|it\s+is)\s+(?:correct|right|the\s+(?:answer|right|correct|solution"
    r"|one)|bigger|larger|greater|smaller|more|less|higher|lower|it)\b"
)
_OPERAND_AFTER = re.compile(r"^\s*(?:[-+×x*÷/^]|times\b|divided\b|plus\b|minus\b|multiplied\b)")
_CHOICE = re.compile(r"^\s*or\s+[-+$£€]?\d|^\s*or\s+(?:negative|positive|minus)\b")
_CHOICE_BEFORE = re.compile(
    r"(?:\bor|\bbetween\s+[-+$£€]?[\d.,/ ]+\s+and|\beither)\s+$|\bbetween\s+$"
)


def _offered(text: str, m: Mention) -> bool:
    """`m` is one of the options of a choice ("24 or -24", "between 3,400 and 3,500")."""
    before, after = context_before(text, m.start).lower(), context_after(text, m.end).lower()
    if _CHOICE.match(after) or _CHOICE_BEFORE.search(before):
        return True
    return bool(re.search(r"\bbetween\s+$", before) and re.match(r"\s+and\s+[-+$£€]?\d", after))


_ALONE = re.compile(r"(?:^|[.!?:\n]\s*)(?:yes|yep|so|it's|that's|its)?[,\s]*$")


def _stated(text: str, m: Mention) -> bool:
    """Whether `m` is given as a result ("the answer is X", "= X", "X is correct", "X.")."""
    before, after = context_before(text, m.start).lower(), context_after(text, m.end).lower()
    if _OPERAND_AFTER.match(after) or _offered(text, m):
        return False
    if _STATED_AFTER.match(after) or _STATED_BEFORE.search(before):
        return True
    return bool(_ALONE.search(before) and re.match(r"\s*(?:[.!?]|$)", after))


def _from_question(m: Mention, question_numbers: set[Fraction]) -> bool:
    """`20/80` when 20 and 80 are in the question: the question's own numbers, not a result."""
    parts = re.fullmatch(r"\s*(\d+)\s*(?:/|\s+out\s+of\s+)\s*(\d+)\s*", m.text)
    if parts is None:
        return False
    return {Fraction(int(parts[1])), Fraction(int(parts[2]))} <= question_numbers


def leak(reply: str, forms: list[str], question: str | None = None) -> tuple[str, str] | None:
    """The first form the reply gives away, and the words that give it, or None.

    See `answer_leak` for the rules.
    """
    text = normalise(reply)
    found = mentions(text)
    reply_tokens = _tokens(text)
    asked = mentions(question) if question else []
    asked_values = {q.value for q in asked if q.kind == "plain"}
    for form in map(_parse_form, forms):
        if form.number is not None:
            target = form.number
            restated = any(_same(target, q, statement=True) for q in asked)
            for m in found:
                statement = _stated(text, m)
                if _offered(text, m) or (
                    (restated or _from_question(m, asked_values)) and not statement
                ):
                    continue
                if _same(target, m, statement):
                    return form.text, m.text
            continue
        if _match_tokens(form.tokens, reply_tokens):
            return form.text, form.text
        numbers = [t for t in form.tokens if isinstance(t, Mention)]
        if len(numbers) == 1:  # "x = 5": "the answer is 5" and "5 is correct" give it too
            for m in found:
                if _same(numbers[0], m, True) and _answer_stated(text, m):
                    return form.text, m.text
    return None


def _answer_stated(text: str, m: Mention) -> bool:
    before = context_before(text, m.start).lower()
    return bool(
        re.search(r"\b(?:answer|solution|result)\s*(?:is|=|:|would\s+be|should\s+be)\s*$", before)
        or _STATED_AFTER.match(context_after(text, m.end).lower())
    )


def _match_tokens(form: tuple[str | Mention, ...], reply: list[tuple[str | Mention, int]]) -> bool:
    """Whether the form's words and numbers appear in a row in the reply (numbers by value)."""
    if not form:
        return False
    for i in range(len(reply) - len(form) + 1):
        for k, want in enumerate(form):
            got = reply[i + k][0]
            if isinstance(want, Mention):
                if not isinstance(got, Mention) or got.value != want.value:
                    break
            elif got != want:
                break
        else:
            return True
    return False
