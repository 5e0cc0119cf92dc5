"""`trainer status` rows (table and JSON) and the summary printed after a reconcile."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from trainer.datasets.cost import usd
from trainer.short_ids import short
from trainer.state.document import StateDocument

if TYPE_CHECKING:
    from trainer.reconcile.passes import PassReport


def status_rows(doc: StateDocument, names: list[str] | None = None) -> list[dict[str, Any]]:
    """One row per spec (its current revision, or the last one it had), as PRODUCT.md §4."""
    rows = []
    for name in sorted(doc.specs):
        if names and name not in names:
            continue
        spec = doc.specs[name]
        record = spec.current_record() or (
            max(spec.revisions.values(), key=lambda r: r.updated_at) if spec.revisions else None
        )
        if record is None:
            continue
        provider = record.provider
        rows.append(
            {
                "name": name,
                "phase": record.phase.value,
                "revision": record.revision,
                "provider_status": provider.status,
                "job_id": provider.job_id,
                "fine_tuned_model": provider.fine_tuned_model,
                "trained_tokens": provider.trained_tokens,
                "cost_usd": provider.cost_usd,
                "scores": record.evaluation.scores if record.evaluation else None,
                "passed": record.evaluation.passed if record.evaluation else None,
                "promotion": (
                    {
                        "number": record.promotion.number,
                        "url": record.promotion.url,
                        "state": record.promotion.state,
                    }
                    if record.promotion
                    else None
                ),
                "updated_at": record.updated_at.isoformat(),
                "error": record.error,
                "batches": [
                    {
                        "batch_id": b.batch_id,
                        "role": b.role,
                        "round": b.round,
                        "model": b.model,
                        "status": b.status,
                        "completed": b.completed,
                        "failed": b.failed,
                        "total": b.total or b.lines,
                    }
                    for b in record.batches
                    if b.digest == record.evaluation_digest
                ],
                "watch": [
                    {
                        "binding": key,
                        "version": watch.version,
                        "passed": watch.passed,
                        "overall_score": watch.scores.get("overall_score"),
                        "at": watch.at.isoformat(),
                        "drops": watch.drops,
                        "batches": [
                            {"round": b.round, "role": b.role, "status": b.status}
                            | {"completed": b.completed, "total": b.total or b.lines}
                            for b in watch.batches
                            if b.digest == watch.pending
                        ],
                    }
                    for key, watch in sorted(doc.watch.items())
                    if watch.spec == name
                ],
            }
        )
    return rows


def render_status_json(rows: list[dict[str, Any]]) -> str:
    return json.dumps(rows, indent=2, ensure_ascii=False) + "\n"


def _verdict(row: dict[str, Any]) -> str:
    if not row["scores"]:
        return "-"
    return f"{row['scores'].get('overall_score', 0):.3f} {'pass' if row['passed'] else 'FAIL'}"


def _watch(row: dict[str, Any]) -> str:
    """The production watch of the bindings this spec judges: `production ok 0.861`."""
    shown = []
    for watch in row.get("watch") or []:
        alias = watch["binding"].split(":", 1)[1]
        if watch["passed"] is None:
            text = f"{alias} watching"
        else:
            verdict = "ok" if watch["passed"] else "DROP"
            overall = watch["overall_score"]
            text = f"{alias} {verdict}" + (f" {overall:.3f}" if overall is not None else "")
        latest = max((b["round"] for b in watch.get("batches") or []), default=0)
        flight = [b for b in watch.get("batches") or [] if b["round"] == latest]
        if flight:  # evaluated again through the Batch API
            done, total = sum(b["completed"] for b in flight), sum(b["total"] for b in flight)
            text += f" (batch {done}/{total})"
        shown.append(text)
    return ", ".join(shown) or "-"


def _batch_progress(row: dict[str, Any]) -> str:
    """`batch 120/141 (candidate), 0/141 (judge)` while an evaluation waits for batches."""
    if row["phase"] != "evaluating":
        return ""
    latest = max((b["round"] for b in row.get("batches") or []), default=0)
    shown = [
        f"{b['completed']}/{b['total']} ({b['role']}, {b['status']})"
        for b in row.get("batches") or []
        if b["round"] == latest
    ]
    return "batch " + ", ".join(shown) if shown else ""


def render_status_table(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "No spec has been reconciled yet; run `trainer reconcile`.\n"
    header = (
        "spec",
        "phase",
        "revision",
        "provider",
        "job",
        "model",
        "tokens",
        "cost",
        "overall",
        "watch",
    )
    table = [header]
    for r in rows:
        table.append(
            (
                r["name"],
                r["phase"],
                short(r["revision"]),
                r["provider_status"] or "-",
                r["job_id"] or "-",
                r["fine_tuned_model"] or "-",
                f"{r['trained_tokens']:,}" if r["trained_tokens"] else "-",
                usd(r["cost_usd"]) if r["cost_usd"] is not None else "-",
                _verdict(r),
                _watch(r),
            )
        )
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    lines = [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in table
    ]
    progress = [f"  {r['name']}: {text}" for r in rows if (text := _batch_progress(r))]
    if progress:
        lines += ["", "evaluation batches (requests completed/total):", *progress]
    errors = [f"  {r['name']}: {r['error']}" for r in rows if r["error"]]
    if errors:
        lines += ["", "errors:", *errors]
    return "\n".join(lines) + "\n"


def tenant_spend(
    doc: StateDocument, budgets: dict[str, float]
) -> list[tuple[str, float, float | None]]:
    """(tenant, spent on all jobs, sum of its specs' budget_usd or None) per tenant."""
    spent = doc.spend_by_tenant()
    return [
        (t, round(spent.get(t, 0.0), 4), budgets.get(t)) for t in sorted(set(spent) | set(budgets))
    ]


def render_spend(rows: list[tuple[str, float, float | None]]) -> str:
    if not rows:
        return ""
    lines = ["", "spend by tenant (all jobs) against the sum of its specs' policy.budget_usd:"]
    for tenant, spent, budget in rows:
        if budget is None:
            lines.append(f"  {tenant}: {usd(spent)} (no budget set)")
        else:
            flag = "  OVER BUDGET" if spent > budget else ""
            lines.append(
                f"  {tenant}: {usd(spent)} of {usd(budget)} ({100 * spent / budget:.0f}%){flag}"
            )
    return "\n".join(lines) + "\n"


def render_summary(report: PassReport) -> str:
    """Failures first, then what is blocked or skipped, then where every spec stands."""
    result = report.result
    lines = []
    for name, message in result.failures:
        lines.append(f"FAILED   {name}: {message}")
    for name, message in result.blocked:
        lines.append(f"BLOCKED  {name}: {message}")
    for name, message in result.skipped:
        lines.append(f"SKIPPED  {name}: {message}")
    for name, message in result.warnings:
        lines.append(f"WARNING  {name}: {message}")
    if lines:
        lines.append("")
    lines.append(render_status_table(status_rows(report.state)).rstrip("\n"))
    if report.in_flight:
        lines.append("")
        lines.append(
            f"{len(report.in_flight)} job(s) still in flight; run `trainer reconcile` again "
            "(or with --wait) to follow them."
        )
    return "\n".join(lines) + "\n"
