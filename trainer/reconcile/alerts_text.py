"""What an alert is and how its issue reads: the kinds, the hidden marker that identifies
trainer's issues, the title (`trainer: …`), the body (reason and next step) and the
closing comment. Text from providers, models and callers is escaped for Markdown; secrets
are scrubbed by the backend that writes it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from trainer.logs import scrub
from trainer.render.markdown import escape_inline, fenced
from trainer.short_ids import short


class AlertKind(StrEnum):
    TRAINING_FAILED = "training_failed"
    EVALUATION_FAILED = "evaluation_failed"
    BUDGET_BLOCKED = "budget_blocked"
    PROMOTION_BLOCKED = "promotion_blocked"
    PRODUCTION_DROP = "production_drop"


_HEADLINES = {
    AlertKind.TRAINING_FAILED: "training of {} failed",
    AlertKind.EVALUATION_FAILED: "{} failed its evaluation",
    AlertKind.BUDGET_BLOCKED: "training of {} is blocked by its budget",
    AlertKind.PROMOTION_BLOCKED: "promotion of {} is blocked",
    AlertKind.PRODUCTION_DROP: "{} dropped in production",
}
_NAME = re.compile(r"[A-Za-z0-9._:/@+-]+")
MARKER = re.compile(r"<!-- trainer:alert kind=([a-z_]+) spec=(\S+) revision=(\S+) -->")
REASON_LINE = 300
"""The longest reason shown on its line; a longer or multi-line one is shown in full below."""


def alert_key(kind: AlertKind | str, subject: str) -> str:
    """How the state keeps an alert: one per kind and subject."""
    return f"{kind}:{subject}"


def split_key(key: str) -> tuple[AlertKind, str]:
    kind, subject = key.split(":", 1)
    return AlertKind(kind), subject


@dataclass(frozen=True)
class Alert:
    """A problem that holds now. One issue per (kind, subject), whatever the revision."""

    kind: AlertKind
    subject: str
    """The spec's name; for a production drop, the binding (`model:alias`)."""
    revision: str
    """The spec revision (or, for a production drop, the model version) it is about."""
    reason: str
    next_step: str
    details: str = ""
    """Verbatim text (an error, the job's last events, scores), shown in a code block."""

    def __post_init__(self) -> None:
        for what, value in (("subject", self.subject), ("revision", self.revision)):
            if not _NAME.fullmatch(value):
                raise ValueError(f"alert {what} {value!r}: letters, digits and ._:/@+- only")

    @property
    def key(self) -> str:
        return alert_key(self.kind, self.subject)

    @property
    def slug(self) -> str:
        return f"{self.kind}-{self.subject}"

    @property
    def marker(self) -> str:
        return (
            f"<!-- trainer:alert kind={self.kind} spec={self.subject} revision={self.revision} -->"
        )

    @property
    def title(self) -> str:
        return "trainer: " + _HEADLINES[self.kind].format(self.subject)

    def body(self) -> str:
        """The issue's Markdown. Secrets are scrubbed before escaping: an escaped token
        (`ghs\\_…`) would no longer look like one."""
        full = scrub(self.reason).strip()
        first, _, rest = full.partition("\n")
        reason, details, next_step = first.strip(), scrub(self.details), scrub(self.next_step)
        if rest.strip() or len(reason) > REASON_LINE:
            reason = reason[:REASON_LINE].rstrip() + " …"
            details = full + ("\n\n" + details if details else "")
        what = "Binding" if self.kind is AlertKind.PRODUCTION_DROP else "Spec"
        revision = short(self.revision) if len(self.revision) > 12 else self.revision
        headline = self.kind.replace("_", " ").capitalize()
        lines = [
            self.marker,
            f"### {headline}: {escape_inline(self.subject)}",
            "",
            f"- **{what}:** {escape_inline(self.subject)}",
            f"- **Revision:** {escape_inline(revision)}",
            f"- **Reason:** {escape_inline(reason)}",
            "",
        ]
        if details.strip():
            lines += [fenced(details.strip()), ""]
        lines += [
            f"**Next step:** {escape_inline(next_step)}",
            "",
            "<sub>Opened by trainer, which keeps this issue up to date while the problem "
            "lasts and closes it once it is gone. Keep the first line: it is how trainer "
            "finds this issue.</sub>",
            "",
        ]
        return "\n".join(lines)


def parse_marker(body: str) -> tuple[AlertKind, str, str] | None:
    """(kind, subject, revision) of a body that starts with an alert marker."""
    found = MARKER.match(body.lstrip())
    if found is None:
        return None
    try:
        return AlertKind(found[1]), found[2], found[3]
    except ValueError:
        return None


def closing_comment(why: str) -> str:
    return (
        f"Resolved: {escape_inline(scrub(why))}.\n\n"
        "trainer closes this issue; a new one opens if the problem comes back."
    )


def duplicate_comment(number: int) -> str:
    return f"Duplicate of #{number}: trainer keeps one issue per problem."
