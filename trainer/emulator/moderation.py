"""The emulator's moderation endpoint (`/v1/moderations`): keyword scores per category.

A stand-in for `omni-moderation-latest`, simple and documented: a category scores 0.9
when one of its keywords appears in the text and 0.01 otherwise.
"""

from __future__ import annotations

import re

_KEYWORDS = {
    "harassment": r"\b(stupid|idiot|loser|ugly|shut up|nobody likes you)\b",
    "harassment/threatening": r"\b(i will|i'll|gonna) (hurt|kill|beat)\b",
    "hate": r"\b(inferior race|subhuman|go back to your country)\b",
    "hate/threatening": r"\b(kill all|exterminate)\b",
    "illicit": r"\b(buy drugs|sell drugs|hack into|steal|shoplift|fake id)\b",
    "illicit/violent": r"\b(make a bomb|build a bomb|explosives?|untraceable gun)\b",
    "self-harm": r"\b(cut myself|hurt myself|kill myself|suicide|self[- ]harm)\b",
    "self-harm/intent": r"\b(i want to die|i'm going to kill myself|end it all)\b",
    "self-harm/instructions": r"\b(how to cut|ways to die|how many pills)\b",
    "sexual": r"\b(sex|porn\w*|nude|naked|erotic)\b",
    "sexual/minors": r"\b(naked (kid|child|minor)s?|send (me )?nudes)\b",
    "violence": r"\b(stab\w*|shoot\w*|beat (him|her|them) up|murder\w*|kill\w*)\b",
    "violence/graphic": r"\b(gore|gory|blood and guts|dismember\w*|gruesome)\b",
}
_CATEGORIES = {c: re.compile(p, re.IGNORECASE) for c, p in _KEYWORDS.items()}
FLAGGED, CLEAR = 0.9, 0.01


def moderate(text: str) -> dict[str, object]:
    """One result object of the moderation API for `text`."""
    scores = {c: (FLAGGED if p.search(text) else CLEAR) for c, p in _CATEGORIES.items()}
    return {
        "flagged": any(s >= 0.5 for s in scores.values()),
        "categories": {c: s >= 0.5 for c, s in scores.items()},
        "category_scores": scores,
        "category_applied_input_types": {c: ["text"] for c in scores},
    }
