"""A plan as aligned text (coloured on a terminal), Markdown for PR comments, and JSON."""

from __future__ import annotations

import json
from typing import Any

import click

from trainer.datasets.cost import usd
from trainer.planner import Action, ActionKind, Plan
from trainer.render.markdown import environment, show_value
from trainer.short_ids import short

PLAN_FORMAT_VERSION = 1

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
    blocked = f" {plan.blocked} blocked." if plan.blocked else ""
    return "Plan: " + ", ".join(parts) + "." + blocked


def cost_line(plan: Plan) -> str:
    total, complete = plan.total_cost()
    approx = any(a.estimate and not a.estimate.exact for a in plan.actions if a.estimate)
    sign = "~" if approx else ""
    more = " plus training whose cost is not known yet" if not complete else ""
    return f"Estimated training cost of this plan: {sign}{usd(total)}{more}."


def _short(revision: str | None) -> str:
    return short(revision)


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
        if action.estimate is not None:
            lines.append(f"      cost: {action.estimate.summary()}")
        if action.blocked:
            blocked = f"      BLOCKED: {action.blocked}"
            lines.append(click.style(blocked, fg="red", bold=True) if color else blocked)
        for change in action.changes:
            lines.append(
                f"      {change.field}: {show_value(change.before)} -> {show_value(change.after)}"
            )
    lines.append("")
    lines.append(summary_line(plan))
    lines.append(cost_line(plan))
    return "\n".join(lines) + "\n"


def render_markdown(plan: Plan) -> str:
    template = environment().get_template("plan.md.j2")
    return template.render(
        plan=plan,
        summary=[(plan.count(kind), words) for kind, words in SUMMARY_WORDS],
        cost_line=cost_line(plan),
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
        "estimate": _estimate_json(action),
        "blocked": action.blocked,
    }


def _estimate_json(action: Action) -> dict[str, Any] | None:
    e = action.estimate
    if e is None:
        return None
    return {
        "tokens_per_epoch": e.tokens_per_epoch,
        "epochs": e.epochs,
        "epochs_auto": e.epochs_auto,
        "billed_tokens": e.billed_tokens,
        "cost_usd": e.cost_usd,
        "exact": e.exact,
        "note": e.note,
    }


def render_json(plan: Plan) -> str:
    body = {
        "format_version": PLAN_FORMAT_VERSION,
        "summary": {kind.value: plan.count(kind) for kind, _ in SUMMARY_WORDS},
        "has_changes": plan.has_changes,
        "blocked": plan.blocked,
        "estimated_cost_usd": plan.total_cost()[0],
        "estimated_cost_complete": plan.total_cost()[1],
        "actions": [_action_json(a) for a in plan.actions],
    }
    return json.dumps(body, indent=2, ensure_ascii=False) + "\n"
