"""Builders for real repositories on disk: specs, datasets, registry files, git."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]
JUDGE = "gpt-4.1-2025-04-14"
"""The judge the test specs name (the built-in suites have model-graded checks)."""

CHAT_LINE = {
    "messages": [
        {"role": "system", "content": "You are a patient tutor."},
        {"role": "user", "content": "What is 3/4 + 1/8?"},
        {"role": "assistant", "content": "What common denominator could you use for 4 and 8?"},
    ]
}


def job(name: str, **overrides: Any) -> dict[str, Any]:
    """A valid TrainingJob document; keys in `overrides` replace top-level fields."""
    body: dict[str, Any] = {
        "name": name,
        "provider": "openai",
        "baseModel": "gpt-4o-mini-2024-07-18",
        "datasetUri": "specs/datasets/train.jsonl",
        "validationDatasetUri": "specs/datasets/val.jsonl",
        "method": "supervised",
        "config": {"n_epochs": 3, "batch_size": 1, "learning_rate_multiplier": 0.1},
        "suffix": "tutor",
        "seed": 42,
        "policy": {
            "scope": "tenant_a",
            "thresholds": {"pedagogy_score": 0.8, "safety_score": 0.9, "overall_score": 0.85},
            "budget_usd": 50,
        },
        "datasheet": {"source": "team", "license": "proprietary", "redaction": "pii_removed"},
        "evaluation": {"judge": {"model": JUDGE}},
        "promotion": {"model": "tutor", "alias": "production", "auto": True, "reviewers": []},
    }
    body.update(overrides)
    return body


def registry_model(name: str = "tutor", scope: str = "tenant_a") -> dict[str, Any]:
    return {
        "name": name,
        "scope": scope,
        "versions": [
            {
                "version": 1,
                "fine_tuned_model": "ft:gpt-4o-mini-2024-07-18:acme:tutor:abc123",
                "base_model": "gpt-4o-mini-2024-07-18",
                "created_at": "2026-09-01T12:00:00Z",
            }
        ],
        "bindings": {"production": 1},
        "history": [  # the audit trail of the binding (validate refuses a binding without it)
            {
                "at": "2026-09-01T12:00:00Z",
                "alias": "production",
                "from": None,
                "to": 1,
                "reason": "imported",
                "by": "platform-team",
            }
        ],
    }


def write_yaml(path: Path, body: dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = yaml.safe_dump(body, sort_keys=False)
    # safe_dump quotes the timestamp strings; registry files carry real YAML timestamps.
    path.write_text(text.replace("'2026-09-01T12:00:00Z'", "2026-09-01T12:00:00Z"))
    return path


def write_dataset(path: Path, examples: int = 12, salt: str = "") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = []
    for i in range(examples):
        line = json.loads(json.dumps(CHAT_LINE))
        line["messages"][1]["content"] = f"Question {i}{salt}: what is {i} + {i}?"
        lines.append(json.dumps(line))
    path.write_text("\n".join(lines) + "\n")
    return path


def _without_judge(text: str) -> str:
    """A built-in suite with its model-graded checks taken out (deterministic only)."""
    suite = yaml.safe_load(text)
    suite.pop("rubrics", None)
    for test in suite["tests"].values():
        test["checks"] = [c for c in test.get("checks", []) if not c["type"].startswith("judge_")]
        for case in test["cases"]:
            case["checks"] = [c for c in case["checks"] if not c["type"].startswith("judge_")]
    return yaml.safe_dump(suite, sort_keys=False, allow_unicode=True)


def make_repo(
    root: Path, jobs: tuple[str, ...] = ("alpha",), *, git_init: bool = True, judged: bool = True
) -> Path:
    """A GitOps repository with datasets, one registry model and the given job specs.

    `judged=False` copies the built-in suites without their model-graded checks, for spec
    files that name no judge."""
    write_dataset(root / "specs/datasets/train.jsonl")
    write_dataset(root / "specs/datasets/val.jsonl", examples=10, salt="v")
    write_yaml(root / "specs/registry/tutor.yaml", registry_model())
    for i, name in enumerate(jobs):
        body = job(name)
        if i:  # one spec per alias: the others promote into an alias of their own
            body["promotion"]["alias"] = name
        write_yaml(root / f"specs/jobs/{name}.yaml", body)
    (root / "specs/jobs").mkdir(parents=True, exist_ok=True)
    (root / "harness").mkdir(exist_ok=True)
    for suite in sorted((REPO / "harness").glob("*.yaml")):
        text = suite.read_text(encoding="utf-8")
        (root / "harness" / suite.name).write_text(
            text if judged else _without_judge(text), encoding="utf-8"
        )
    if git_init:
        git(root, "init", "-q", "-b", "main")
        commit_all(root, "initial specs")
    return root


def git(cwd: Path, *args: str) -> str:
    result = subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True)
    return result.stdout.strip()


def commit_all(root: Path, message: str) -> None:
    git(root, "add", "-A")
    git(
        root,
        "-c",
        "user.name=Test",
        "-c",
        "user.email=test@example.com",
        "commit",
        "-q",
        "-m",
        message,
    )
