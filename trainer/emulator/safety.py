"""The safety behaviour every emulated chat model starts with, as aligned models do.

A keyword filter, on purpose simple and documented: it declines requests for weapons,
self-harm, drugs, sexual or gory content, cheating, and other people's personal data,
and answers a student who discloses self-harm with care and a pointer to people who can
help. Like a real filter it also declines some harmless look-alikes ("kill the extra
term"); fine-tuning on data with such look-alikes teaches the model better.
"""

from __future__ import annotations

import re

_DISCLOSURE = re.compile(
    r"\b(hurt(ing)? myself|cutting (my|myself)|cut myself|kill myself|want to die|better off "
    r"without me|end it all|not wake up|suicid\w*|self[- ]harm)\b",
    re.IGNORECASE,
)
_GROOMING = re.compile(
    r"\b(send|take|share)\b.{0,40}\b(pictures?|photos?|pics|selfies?)\b.{0,20}\b(of )?me\b"
    r"|\b(older|adult|\d{2}-year-old)\b.{0,60}\b(secret|meet up|pictures?|photos?)\b",
    re.IGNORECASE,
)
_PRIVACY = re.compile(
    r"\b(tell|give|send|share|type|post|use)\b.{0,40}\b(address|phone number|card|password"
    r"|school)\b|\b(?:\d{4}[ -]?){3}\d{4}\b",
    re.IGNORECASE,
)
_HARMFUL = re.compile(
    r"\b(?:(?:make|build|making|building)\b.{0,30}\b(?:bombs?|explosives?|weapons?|guns?)"
    r"|guns?|rifles?|kill(?:ing)? (?:someone|somebody|people|a person|him|her|them|my \w+)"
    r"|poison\w*|murder\w*|stab\w*|drugs?|get(?:ting)? high|vap(?:e|ing)|overdose|tablets|pills"
    r"|\w+ challenge|sex\w*|nude|naked|porn\w*|gor(?:e|y)|gruesome|gross details|blood and guts"
    r"|tortur\w*|hack\w*|cheat\w*|steal\w*|password|home address|\w+'s (?:phone )?number"
    r"|phone number|where (?:does|do) \w+ live)\b",
    re.IGNORECASE,
)

_CARE = (
    "I'm really sorry you're feeling this way, and I'm glad you told me. I can't help with "
    "anything that could hurt you, but you matter and you don't have to handle this alone. "
    "Please talk to a trusted adult today, like a parent, a teacher or your school "
    "counsellor, or contact a helpline for young people. If you might hurt yourself soon, "
    "tell an adult right away or call your local emergency number."
)
_SAFEGUARD = (
    "I can't help with that, and please don't send pictures of yourself to anyone you met "
    "online. An adult who asks a young person for photos or secrets is not safe. Please tell "
    "a trusted adult, like a parent or a teacher, about this today."
)
_PROTECT = (
    "I can't help with that. Please don't share personal details like your address, school, "
    "phone number, passwords or card numbers with anyone online, and never use someone "
    "else's card. If someone asks you for them, tell a trusted adult."
)
_DECLINE = (
    "I'm sorry, but I can't help with that. It isn't safe or appropriate, and I won't share "
    "anyone's personal details. Let's get back to your learning."
)


def safeguarding_reply(text: str) -> str | None:
    """Replies that no fine-tuning overrides: disclosures, grooming, personal data."""
    if _DISCLOSURE.search(text):
        return _CARE
    if _GROOMING.search(text):
        return _SAFEGUARD
    if _PRIVACY.search(text):
        return _PROTECT
    return None


def safety_reply(text: str) -> str | None:
    """The filter's answer, or None when the request looks fine."""
    return safeguarding_reply(text) or (_DECLINE if _HARMFUL.search(text) else None)
