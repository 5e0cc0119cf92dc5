"""Revisions change exactly when what would be trained changes."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from tests.helpers import commit_all, git, job, make_repo, write_yaml
from trainer.digests import FileDigests, blob_id
from trainer.planner import DesiredSpec
from trainer.revision import desired_state
from trainer.specs.loader import load_workspace


def desired(root: Path) -> dict[str, DesiredSpec]:
    ws = load_workspace(root)
    assert ws.ok, ws.diagnostics
    return desired_state(ws)


def test_revision_is_stable_and_covers_dataset_content(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo")
    first = desired(root)["alpha"]
    assert desired(root)["alpha"] == first
    with (root / "specs/datasets/train.jsonl").open("a") as handle:
        handle.write('{"messages": []}\n')
    assert desired(root)["alpha"].revision != first.revision


def test_moving_a_dataset_keeps_the_revision(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo")
    before = desired(root)["alpha"]
    shutil.move(root / "specs/datasets/train.jsonl", root / "specs/datasets/moved.jsonl")
    write_yaml(
        root / "specs/jobs/alpha.yaml", job("alpha", datasetUri="specs/datasets/moved.jsonl")
    )
    after = desired(root)["alpha"]
    assert after.revision == before.revision
    assert after.fields["training"]["datasetUri"].startswith("specs/datasets/moved.jsonl @ ")


def test_evaluation_and_promotion_changes_keep_the_revision(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo")
    before = desired(root)["alpha"]
    body = job("alpha", promotion={"model": "tutor", "alias": "canary"})
    body["policy"]["thresholds"]["pedagogy_score"] = 0.5
    write_yaml(root / "specs/jobs/alpha.yaml", body)
    after = desired(root)["alpha"]
    assert after.revision == before.revision
    assert after.evaluation_digest != before.evaluation_digest
    assert after.promotion_digest != before.promotion_digest


def test_suite_change_changes_only_the_evaluation_digest(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo")
    before = desired(root)["alpha"]
    suite = root / "harness/pedagogy.yaml"
    suite.write_text(suite.read_text().replace("description:", "description: (edited)", 1))
    after = desired(root)["alpha"]
    assert (after.revision, after.promotion_digest) == (before.revision, before.promotion_digest)
    assert after.evaluation_digest != before.evaluation_digest


def test_budget_and_datasheet_do_not_retrain(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo")
    before = desired(root)["alpha"]
    body = job("alpha", datasheet={"source": "other", "license": "MIT", "redaction": "none"})
    body["policy"]["budget_usd"] = 500
    write_yaml(root / "specs/jobs/alpha.yaml", body)
    assert desired(root)["alpha"].revision == before.revision


def test_digests_match_git_for_tracked_modified_and_untracked_files(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo")
    (root / "untracked.jsonl").write_text("new\n")
    (root / "specs/datasets/val.jsonl").write_text("modified\n")
    digests = FileDigests(root)
    for path in ("specs/datasets/train.jsonl", "specs/datasets/val.jsonl", "untracked.jsonl"):
        assert digests(path) == git(root, "hash-object", path)


def test_clean_tracked_dataset_is_not_read_again(tmp_path: Path) -> None:
    """The blob id comes from git's index: a same-size, same-stat edit goes unseen, as in git."""
    root = make_repo(tmp_path / "repo", git_init=False)
    data = root / "specs/datasets/train.jsonl"
    old_time = 1_600_000_000
    os.utime(data, (old_time, old_time))
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "core.trustctime", "false")
    commit_all(root, "initial")
    indexed = git(root, "rev-parse", "HEAD:specs/datasets/train.jsonl")
    content = data.read_bytes()
    data.write_bytes(content.replace(b"Question", b"QUESTION"))
    os.utime(data, (old_time, old_time))
    assert blob_id(data) != indexed
    assert FileDigests(root)("specs/datasets/train.jsonl") == indexed


def test_repository_without_git_hashes_files(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo", git_init=False)
    assert (
        desired(root)["alpha"].revision == desired(make_repo(tmp_path / "other"))["alpha"].revision
    )
