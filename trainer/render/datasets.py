"""Per-dataset statistics as an aligned table for the terminal."""

from __future__ import annotations

from trainer.repository import RepositoryCheck


def render_dataset_stats(check: RepositoryCheck) -> str:
    header = (
        "dataset",
        "examples",
        "messages",
        "tokens min/mean/p95/max",
        "assistant",
        "over limit",
        "duplicates",
    )
    rows: list[tuple[str, ...]] = []
    notes: set[str] = set()
    seen: set[tuple[str, str]] = set()
    for result in check.datasets.values():
        r = result.report
        if (result.path, r.tokenizer) in seen:
            continue
        seen.add((result.path, r.tokenizer))
        approx = "" if r.tokens_exact else "~"
        if not r.tokens_exact:
            notes.add(f"~ {r.tokenizer}")
        t = r.tokens
        rows.append(
            (
                result.path,
                f"{r.examples:,}",
                f"{r.messages:,}",
                f"{approx}{t.min:,}/{t.mean:,.0f}/{t.p95:,}/{t.max:,}",
                f"{approx}{t.assistant:,}",
                f"{r.over_limit:,}",
                f"{r.duplicates:,}",
            )
        )
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]
    lines = []
    for row in (header, *rows):
        cells = [
            row[0].ljust(widths[0]),
            *(c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)),
        ]
        lines.append("  ".join(cells).rstrip())
    lines += sorted(notes)
    return "\n".join(lines) + "\n"
