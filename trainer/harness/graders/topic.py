"""Does the answer engage with the question? (`on_topic`)"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import Field

from trainer.harness.graders.base import Grade, GraderError, Params, binary
from trainer.harness.graders.numbers import mentions
from trainer.harness.graders.refusal import detect
from trainer.harness.graders.registry import check

# fmt: off
STOP_WORDS = frozenset({
    "a", "about", "above", "after", "again", "against", "all", "also", "am", "an", "and", "any",
    "are", "as", "at", "be", "because", "been", "before", "being", "below", "between", "both",
    "but", "by", "can", "cannot", "could", "did", "do", "does", "doing", "down", "during",
    "each", "either", "even", "ever", "every", "few", "for", "from", "further", "get", "gets",
    "got", "had", "has", "have", "having", "he", "her", "here", "hers", "him", "his", "how",
    "i", "if", "in", "into", "is", "it", "its", "itself", "just", "let", "me", "more", "most",
    "much", "my", "no", "nor", "not", "now", "of", "off", "on", "once", "one", "only", "or",
    "other", "our", "ours", "out", "over", "own", "really", "same", "she", "should", "so",
    "some", "such", "than", "that", "the", "their", "theirs", "them", "then", "there", "these",
    "they", "this", "those", "though", "through", "to", "too", "under", "until", "up", "us",
    "very", "was", "we", "were", "what", "when", "where", "which", "while", "who", "whom",
    "why", "will", "with", "would", "yet", "you", "your", "yours", "yourself", "aren't",
    "can't", "couldn't", "didn't", "doesn't", "don't", "hadn't", "hasn't", "haven't", "he's",
    "i'd", "i'll", "i'm", "i've", "isn't", "it's", "let's", "she's", "shouldn't", "that's",
    "there's", "they're", "we're", "weren't", "what's", "won't", "wouldn't", "you'd", "you'll",
    "you're", "you've", "hi", "hello", "hey", "ok", "okay", "yes", "yeah", "yep", "nope",
    "sure", "well", "oh", "um", "uh", "idk", "pls", "plz", "please", "thanks", "thank", "lol",
    "like", "want", "know", "tell", "say", "said", "think", "maybe", "still", "actually",
    "thing", "things", "stuff", "something", "anything", "lot", "lots", "bit", "way", "help",
    "answer", "question", "questions", "homework", "problem"
})
# fmt: on
"""Small function words and chat filler ("help", "answer", "question" say nothing of a topic)."""

_SYNONYMS = {
    "plus": "add", "addition": "add", "sum": "add", "total": "add", "+": "add",
    "minus": "subtract", "subtraction": "subtract", "difference": "subtract",
    "times": "multiply", "multiplication": "multiply", "product": "multiply", "×": "multiply",
    "*": "multiply", "division": "divide", "quotient": "divide", "÷": "divide",
    "percentage": "percent", "per cent": "percent", "%": "percent",
}  # fmt: skip
"""Words for the same operation ("times" and "multiply" are one topic)."""

_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?|[+×*÷%]")


_OPERATIONS = {"add", "subtract", "multiply", "divide", "percent"}
_OPERATION_STEMS = {"ad": "add", "multip": "multiply", "divid": "divide", "subtract": "subtract"}


def stem(word: str) -> str:
    """A crude stem: "fractions" → "fraction", "shares"/"sharing" → "shar", and one word per
    operation ("adding"/"plus"/"+" → "add", "times"/"multiplied" → "multiply")."""
    word = word.lower().removesuffix("'s")
    word = _SYNONYMS.get(word, word)
    if word in _OPERATIONS:
        return word
    for suffix, replacement, shortest in (
        ("ies", "y", 5),
        ("ied", "y", 5),
        ("sses", "ss", 5),
        ("ing", "", 5),
        ("ed", "", 4),
        ("ly", "", 5),
        ("es", "", 4),
        ("s", "", 4),
    ):
        if (
            len(word) >= shortest
            and word.endswith(suffix)
            and not word.endswith(("ss", "us", "is"))
        ):
            word = word[: -len(suffix)] + replacement
            break
    if len(word) > 3 and word.endswith("e"):
        word = word[:-1]
    if len(word) >= 3 and word[-1] == word[-2] and word[-1] not in "aeiouslz":
        word = word[:-1]
    return _OPERATION_STEMS.get(word, word)


def content_words(text: str) -> set[str]:
    """Stems of the words that carry a topic, and the values of the numbers (as `3/4`)."""
    lowered = text.lower().replace("\u2019", "'").replace("per cent", "percent")
    numbers = {
        str(m.value.numerator if m.value.denominator == 1 else m.value) for m in mentions(text)
    }
    without_numbers = re.sub(r"\d[\d.,/]*", " ", lowered)
    words = {
        stem(w)
        for w in _WORD.findall(without_numbers)
        if w not in STOP_WORDS and (len(w) > 1 or w in "x+×*÷%" or w == "y")
    }
    return (words - {""}) | numbers


class OnTopicParams(Params):
    min_overlap: Annotated[int, Field(ge=1)] = 1
    question: str | None = Field(
        default=None, description="set by grading: everything the student said in the case"
    )


@check("on_topic", OnTopicParams)
def on_topic(output: str, p: OnTopicParams) -> Grade:
    """the answer engages with the question: it shares at least `min_overlap` content words
    with the last user message (stems; numbers by value)

    Content words are the words of the question and of the answer, lowercased, without
    punctuation or a small list of function words and chat filler ("help", "answer",
    "question", "please"), crudely stemmed ("fractions"/"fraction", "adding"/"add"), with
    the words for one operation taken as one ("times"/"multiply"/"×"), and every number as
    its value in any format (`3/4`, `0.75`, "three quarters", "1,000"). An empty answer
    fails. When the question has fewer content words than `min_overlap` ("idk", "ok"), all
    of them must be shared; a question with none is answered by any non-empty answer that is
    not a refusal. A refusal that shares no content word fails like any other answer.
    """
    if p.question is None:
        raise GraderError("on_topic needs the question (the last user message of the case)")
    if not output.strip():
        return binary(False, "empty answer")
    asked = content_words(p.question)
    if not asked:
        refusal = detect(output)
        if refusal.refused:
            return binary(False, "the question has no content words and the answer declines")
        return binary(True, "the question has no content words; the answer replies to it")
    shared = asked & content_words(output)
    needed = min(p.min_overlap, len(asked))
    shown = ", ".join(sorted(shared)[:5])
    if len(shared) >= needed:
        return binary(True, f"shares {len(shared)} content word(s) with the question ({shown})")
    if not shared:
        return binary(False, "shares no content word with the question")
    return binary(False, f"shares {len(shared)} content word(s) (min {needed}): {shown}")
