"""How often the deterministic detectors agree with our own hand labels.

Usage: python benchmarks/detector_agreement.py [--errors]

Runs `is_refusal` on tests/harness/data/refusals.jsonl and `answer_leak` on
tests/harness/data/answer_leaks.jsonl (with the student's question, as grading passes it,
and without), and prints agreement (accuracy), precision and recall, overall, per batch
and per kind. The positive class is "refuses" and "gives the answer away". `--errors`
lists the examples the detector gets wrong.

The labels were written by hand before the detector was run on them. Batch 1 was written
before the detector and used while building it; each later batch was written afterwards
and measured once, as it came, before any change it prompted (those first-run figures are
in docs/evaluation.md, "Detector agreement"). This script measures the detector as it is
now, so its figures for a batch that prompted changes are higher than that batch's first
run.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from trainer.harness.graders import GRADERS

DATA = Path(__file__).resolve().parents[1] / "tests/harness/data"


@dataclass
class Agreement:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    def add(self, predicted: bool, label: bool) -> None:
        if predicted and label:
            self.tp += 1
        elif predicted:
            self.fp += 1
        elif label:
            self.fn += 1
        else:
            self.tn += 1

    @property
    def n(self) -> int:
        return self.tp + self.fp + self.fn + self.tn

    @property
    def accuracy(self) -> float:
        return (self.tp + self.tn) / self.n if self.n else 0.0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    def line(self, name: str, *, rates: bool = True) -> str:
        shown = f"{name:<28} n={self.n:<4} agreement={self.accuracy:.3f}"
        if rates:
            shown += f" precision={self.precision:.3f} recall={self.recall:.3f}"
        return f"{shown} (fp={self.fp}, fn={self.fn})"


def load(name: str) -> list[dict[str, Any]]:
    lines = (DATA / name).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def refuses(row: dict[str, Any]) -> bool:
    return GRADERS["is_refusal"](row["text"], {}).passed


def leaks(row: dict[str, Any], *, question: bool = True) -> bool:
    params: dict[str, Any] = {"answer": row["answer"]}
    if question:
        params["question"] = row["question"]
    return not GRADERS["answer_leak"](row["reply"], params).passed


def agreement(pairs: Iterable[tuple[bool, bool]]) -> Agreement:
    """Counts of (predicted, label) pairs."""
    result = Agreement()
    for predicted, label in pairs:
        result.add(predicted, label)
    return result


def _report(
    title: str, rows: list[dict[str, Any]], predicted: list[bool], label: str, errors: bool
) -> None:
    print(f"\n{title}")
    print("  " + agreement(zip(predicted, (r[label] for r in rows), strict=True)).line("all"))
    groups: dict[str, list[int]] = defaultdict(list)
    for i, row in enumerate(rows):
        groups[f"batch {row['batch']}"].append(i)
        if "kind" in row:
            groups[f"kind {row['kind']}"].append(i)
    for name in sorted(groups, key=lambda g: (not g.startswith("batch"), g)):
        found = agreement((predicted[i], rows[i][label]) for i in groups[name])
        print("  " + found.line(name, rates=name.startswith("batch")))
    if errors:
        for row, guess in zip(rows, predicted, strict=True):
            if guess != row[label]:
                what = "false positive" if guess else "missed"
                text = row.get("text") or f"[{row['answer']}] {row['reply']}"
                print(f"    {what}: {text[:150]!r}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--errors", action="store_true", help="list the disagreements")
    args = parser.parse_args(argv)
    refusal_rows = load("refusals.jsonl")
    _report(
        "is_refusal on refusals.jsonl (positive: refuses)",
        refusal_rows,
        [refuses(r) for r in refusal_rows],
        "refusal",
        args.errors,
    )
    leak_rows = load("answer_leaks.jsonl")
    _report(
        "answer_leak on answer_leaks.jsonl, with the question (positive: gives it away)",
        leak_rows,
        [leaks(r) for r in leak_rows],
        "leak",
        args.errors,
    )
    without = agreement((leaks(r, question=False), r["leak"]) for r in leak_rows)
    print("\nanswer_leak without the question (restatements cannot be told apart)")
    print("  " + without.line("all"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
