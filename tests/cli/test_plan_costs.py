"""Costs, budgets, prices and data policies, as `validate` and `plan` show them."""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Result
from tests.helpers import commit_all, git, job, make_repo, write_dataset, write_yaml
from trainer.datasets.cost import default_epochs
from trainer.repository import check_repository


@pytest.mark.parametrize(
    ("examples", "epochs"),
    [(1, 25), (10, 10), (20, 5), (34, 3), (100, 3), (8_333, 3), (8_334, 2), (30_000, 1)],
)
def test_auto_epochs_follow_the_cookbook(examples: int, epochs: int) -> None:
    assert default_epochs(examples) == epochs


def plan_json(run: Callable[..., Result], root: Path) -> dict[str, Any]:
    result = run(
        "--repo", root, "--state", f"file:{root / 'state.json'}", "plan", "--format", "json"
    )
    assert result.code == 0, result.err
    body: dict[str, Any] = json.loads(result.out)
    return body


def test_cost_is_tokens_times_epochs_times_price(
    tmp_path: Path, run: Callable[..., Result]
) -> None:
    root = make_repo(tmp_path / "repo", git_init=False)
    body = job("alpha", baseModel="gpt-3.5-turbo-0125")
    write_yaml(root / "specs/jobs/alpha.yaml", body)
    (action,) = plan_json(run, root)["actions"]
    estimate = action["estimate"]
    assert estimate["exact"] is True, "gpt-3.5 uses cl100k_base, which ships offline"
    assert estimate["epochs"] == 3
    assert estimate["billed_tokens"] == estimate["tokens_per_epoch"] * 3
    assert estimate["cost_usd"] == pytest.approx(estimate["billed_tokens"] * 8.00 / 1e6, abs=1e-4)


def test_unknown_model_cost_is_unknown_and_budget_blocks(
    tmp_path: Path, run: Callable[..., Result]
) -> None:
    root = make_repo(tmp_path / "repo", git_init=False)
    write_yaml(root / "specs/jobs/alpha.yaml", job("alpha", baseModel="gpt-9-preview"))
    (action,) = plan_json(run, root)["actions"]
    assert action["estimate"]["cost_usd"] is None
    assert "no price for gpt-9-preview" in action["estimate"]["note"]
    assert action["blocked"].startswith("policy.budget_usd is 50 but the cost is unknown")


def test_budget_exceeded_blocks_the_spec(tmp_path: Path, run: Callable[..., Result]) -> None:
    root = make_repo(tmp_path / "repo", git_init=False)
    body = job("alpha")
    body["policy"]["budget_usd"] = 0.000001
    write_yaml(root / "specs/jobs/alpha.yaml", body)
    (action,) = plan_json(run, root)["actions"]
    assert re.match(
        r"estimated \$0\.\d+( \(tokens estimated\))? exceeds policy\.budget_usd \$1e-06;",
        action["blocked"],
    )
    assert "exceeds policy.budget_usd" in action["blocked"]
    text = run("--repo", root, "--state", f"file:{root / 'state.json'}", "plan").out
    assert "BLOCKED: estimated" in text
    assert "1 blocked." in text


def test_repository_prices_override_the_builtin_table(
    tmp_path: Path, run: Callable[..., Result]
) -> None:
    root = make_repo(tmp_path / "repo", git_init=False)
    write_yaml(
        root / "specs/pricing.yaml",
        {
            "as_of": "2026-11-01",
            "source": "our contract",
            "models": {"gpt-4o-mini-2024-07-18": {"training_per_1m_tokens": 1000.0}},
        },
    )
    (action,) = plan_json(run, root)["actions"]
    assert "specs/pricing.yaml, prices as of 2026-11-01" in action["estimate"]["note"]
    assert action["estimate"]["cost_usd"] == pytest.approx(
        action["estimate"]["billed_tokens"] / 1000, abs=1e-3
    )


def test_bad_pricing_file_is_a_validation_error(tmp_path: Path, run: Callable[..., Result]) -> None:
    root = make_repo(tmp_path / "repo", git_init=False)
    (root / "specs/pricing.yaml").write_text(
        "as_of: x\nsource: y\nmodels:\n  m: {training_per_1m: 3}\n"
    )
    result = run("--repo", root, "validate")
    assert result.code == 2
    assert (
        "specs/pricing.yaml:4:7: models.m.training_per_1m: unknown field 'training_per_1m' "
        "(did you mean 'training_per_1m_tokens'?)" in result.out
    )


def test_licence_outside_the_scope_policy_fails(tmp_path: Path, run: Callable[..., Result]) -> None:
    root = make_repo(tmp_path / "repo", git_init=False)
    write_yaml(
        root / "specs/policy.yaml", {"scopes": {"tenant_a": {"allowed_licenses": ["CC-BY-4.0"]}}}
    )
    result = run("--repo", root, "validate")
    assert result.code == 2
    assert (
        "specs/jobs/alpha.yaml:22:12: datasheet.license: 'proprietary' is not allowed for "
        "scope 'tenant_a' (allowed: CC-BY-4.0; see specs/policy.yaml)"
    ) in result.out


def test_pii_allowlist_in_the_datasheet(tmp_path: Path, run: Callable[..., Result]) -> None:
    root = make_repo(tmp_path / "repo", git_init=False)
    data = root / "specs/datasets/train.jsonl"
    data.write_text(data.read_text().replace("Question 3", "Ask support@acme.io about question 3"))
    assert "looks like personal data (email" in run("--repo", root, "validate").out
    body = job("alpha")
    body["datasheet"]["pii_allowlist"] = ["support@acme.io"]
    write_yaml(root / "specs/jobs/alpha.yaml", body)
    assert run("--repo", root, "validate").code == 0


def test_no_pii_scan_when_the_datasheet_claims_no_redaction(
    tmp_path: Path, run: Callable[..., Result]
) -> None:
    root = make_repo(tmp_path / "repo", git_init=False)
    data = root / "specs/datasets/train.jsonl"
    data.write_text(data.read_text().replace("Question 3", "Ask sam@gmail.com about question 3"))
    body = job("alpha", datasheet={"source": "s", "license": "l", "redaction": "none"})
    write_yaml(root / "specs/jobs/alpha.yaml", body)
    assert run("--repo", root, "validate").code == 0


def test_validation_examples_seen_in_training_are_a_warning(
    tmp_path: Path, run: Callable[..., Result]
) -> None:
    root = make_repo(tmp_path / "repo", git_init=False)
    shutil.copyfile(root / "specs/datasets/train.jsonl", root / "specs/datasets/val.jsonl")
    result = run("--repo", root, "validate")
    assert result.code == 0
    assert result.out == (
        "specs/datasets/val.jsonl:1:1: warning: 12 examples also appear in the training file "
        "specs/datasets/train.jsonl; validation metrics on them measure memory, not learning\n"
    )


def test_unchanged_dataset_is_served_from_the_cache(tmp_path: Path) -> None:
    """Same trick as git: a same-size, same-stat edit is not seen, proving nothing was read."""
    root = make_repo(tmp_path / "repo", git_init=False)
    data = root / "specs/datasets/train.jsonl"
    os.utime(data, (1_600_000_000, 1_600_000_000))
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "core.trustctime", "false")
    commit_all(root, "initial")
    first = check_repository(root)
    assert first.ok
    data.write_bytes(
        data.read_bytes().replace(b'"Question 3', b'["Question 3').replace(b"3?", b"?")
    )
    os.utime(data, (1_600_000_000, 1_600_000_000))
    assert check_repository(root).ok, "served from the cache, keyed by the blob id git has"
    assert not check_repository(root, use_cache=False).ok


def test_remote_dataset_cost_is_known_at_reconcile(
    tmp_path: Path, run: Callable[..., Result]
) -> None:
    root = make_repo(tmp_path / "repo", git_init=False)
    write_dataset(root / "specs/datasets/val.jsonl")
    write_yaml(
        root / "specs/jobs/alpha.yaml", job("alpha", datasetUri="https://data.example.com/t.jsonl")
    )
    (action,) = plan_json(run, root)["actions"]
    assert action["estimate"]["billed_tokens"] is None
    assert action["blocked"] is None
    assert "counted when reconcile fetches it" in action["estimate"]["note"]
