"""A plan as aligned text (coloured on a terminal), Markdown for PR comments, and JSON."""

from __future__ import annotations

import json
from typing import Any

import click

from trainer.planner import Action, ActionKind, Plan
from trainer.render.markdown import environment, show_value

PLAN_FORMAT_VERSION = 1
SHORT = 12

SYMBOLS = {
    ActionKind.CREATE: ("+", "green"),
    ActionKind.REPLACE: ("-/+", "yellow"),
    ActionKind.REEVALUATE: ("~", "cyan"),
    ActionKind.PROMOTE: ("^", "magenta"),
    ActionKind.CANCEL: ("-", "red"),
    ActionKind.NOOP: ("=", None),
}
SUMMARY_WORDS = (
    (ActionKind.CREATE, "to create"),
    (ActionKind.REPLACE, "to replace"),
    (ActionKind.REEVALUATE, "to re-evaluate"),
    (ActionKind.PROMOTE, "to promote"),
    (ActionKind.CANCEL, "to cancel"),
    (ActionKind.NOOP, "unchanged"),
)


def summary_line(plan: Plan) -> str:
    parts = [f"{plan.count(kind)} {words}" for kind, words in SUMMARY_WORDS]
    return "Plan: " + ", ".join(parts) + "."


def _short(revision: str | None) -> str:
    return revision[:SHORT] if revision else ""


def render_text(plan: Plan, *, color: bool = False) -> str:
    if not plan.actions:
        return "No specs in specs/jobs/ and nothing in state: nothing to do.\n"
    width = max(len(a.name) for a in plan.actions)
    lines = []
    for action in plan.actions:
        symbol, fg = SYMBOLS[action.kind]
        head = f"{symbol:>3} {action.kind.value:<11} {action.name:<{width}}"
        revision = _short(action.revision or action.previous_revision)
        if (
            action.previous_revision
            and action.revision
            and action.previous_revision != action.revision
        ):
            revision = f"{_short(action.previous_revision)} -> {_short(action.revision)}"
        line = f"{head}  {revision}".rstrip()
        lines.append(click.style(line, fg=fg, bold=fg is not None) if color else line)
        lines.append(f"      {action.reason}")
        for change in action.changes:
            lines.append(
                f"      {change.field}: {show_value(change.before)} -> {show_value(change.after)}"
            )
    lines.append("")
    lines.append(summary_line(plan))
    return "\n".join(lines) + "\n"


def render_markdown(plan: Plan) -> str:
    template = environment().get_template("plan.md.j2")
    return template.render(
        plan=plan,
        summary=[(plan.count(kind), words) for kind, words in SUMMARY_WORDS],
        symbols={kind: symbol for kind, (symbol, _) in SYMBOLS.items()},
        short=_short,
    )


def _action_json(action: Action) -> dict[str, Any]:
    return {
        "name": action.name,
        "action": action.kind.value,
        "reason": action.reason,
        "revision": action.revision,
        "previous_revision": action.previous_revision,
        "phase": action.phase.value if action.phase else None,
        "job_id": action.job_id,
        "changes": [
            {"field": c.field, "before": c.before, "after": c.after} for c in action.changes
        ],
    }


def render_json(plan: Plan) -> str:
    body = {
        "format_version": PLAN_FORMAT_VERSION,
        "summary": {kind.value: plan.count(kind) for kind, _ in SUMMARY_WORDS},
        "has_changes": plan.has_changes,
        "actions": [_action_json(a) for a in plan.actions],
    }
    return json.dumps(body, indent=2, ensure_ascii=False) + "\n"
