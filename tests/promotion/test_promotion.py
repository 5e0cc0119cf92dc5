"""Promotion pull requests end to end: spec → job → evaluation → PR → merge → promoted."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from tests.conftest import Result
from tests.helpers import commit_all, git
from tests.promotion.conftest import PRODUCTION, World

Run = Callable[..., Result]
SPEC = "math-socratic-tutor"


def record(root: Path) -> dict[str, Any]:
    spec = json.loads((root / ".trainer/state.json").read_text())["specs"][SPEC]
    value: dict[str, Any] = spec["revisions"][spec["current"]]
    return value


def merge_local_pr(clone: Path, number: int) -> None:
    """What a reviewer does with a local promotion PR: merge its branch and push main."""
    branch = json.loads((clone / f".trainer/prs/{number}.json").read_text())["branch"]
    git(
        clone,
        "-c",
        "user.name=r",
        "-c",
        "user.email=r@x",
        "merge",
        "--no-ff",
        "-q",
        "-m",
        "merge",
        branch,
    )
    git(clone, "push", "-q", "origin", "main")


def origin_file(world: World, ref: str, path: str) -> str:
    return git(world.origin, "show", f"{ref}:{path}")


def test_full_loop_on_github(world: World, run: Run) -> None:
    assert world.github is not None
    result = run("--repo", world.clone, "reconcile", "--wait", "--interval", "0")
    assert result.code == 0, result.out + result.err
    (pr,) = world.github.pulls.values()
    current = record(world.clone)
    fine_tuned = current["provider"]["fine_tuned_model"]
    branch = f"trainer/promote/{SPEC}-{current['revision'][:8]}"
    assert pr["title"] == f"Promote math-tutor:production → {fine_tuned}"
    assert pr["head"]["ref"] == branch
    assert pr["body"].startswith(
        f"<!-- trainer:promotion spec={SPEC} revision={current['revision']} -->\n## ✅ PASS"
    )
    assert [label["name"] for label in pr["labels"]] == ["trainer", "promotion"]
    changed = git(world.origin, "diff", "--name-only", "main", branch)
    assert changed == "specs/registry/math-tutor.yaml", "a promotion edits only the registry file"
    registry = yaml.safe_load(origin_file(world, branch, "specs/registry/math-tutor.yaml"))
    assert registry["bindings"] == {"production": 2}
    assert registry["versions"][1]["fine_tuned_model"] == fine_tuned
    assert registry["history"][-1] | {"at": None} == {
        "at": None,
        "alias": "production",
        "from": 1,
        "to": 2,
        "forced": False,
        "pr": 1,
        "by": "trainer-bot",
        "reason": f"{SPEC} revision {current['revision'][:12]} passed its evaluation "
        f"(overall {current['evaluation']['scores']['overall_score']:.3f})",
    }
    assert current["phase"] == "awaiting_review"
    assert current["promotion"]["url"] == "https://github.test/acme/models/pull/1"

    sha = world.github.merge(1)
    assert run("--repo", world.clone, "reconcile").code == 0
    promoted = record(world.clone)
    assert promoted["phase"] == "promoted"
    assert promoted["promotion"]["merge_commit"] == sha
    status = json.loads(run("--repo", world.clone, "status", "--format", "json").out)
    assert status[0]["promotion"] == {
        "number": 1,
        "url": "https://github.test/acme/models/pull/1",
        "state": "merged",
    }


def test_reruns_never_open_a_second_pr_and_follow_main(world: World, run: Run) -> None:
    assert world.github is not None
    run("--repo", world.clone, "reconcile", "--wait", "--interval", "0")
    run("--repo", world.clone, "reconcile")
    assert len(world.github.pulls) == 1
    branch = world.github.pulls[1]["head"]["ref"]
    old_tip = git(world.origin, "rev-parse", branch)
    other = world.clone.parent / "other"
    git(world.clone.parent, "clone", "-q", str(world.origin), str(other))
    (other / "README.md").write_text("moved on\n")
    commit_all(other, "main moves on")
    git(other, "push", "-q", "origin", "main")
    assert run("--repo", world.clone, "reconcile").code == 0
    assert len(world.github.pulls) == 1
    new_tip = git(world.origin, "rev-parse", branch)
    assert new_tip != old_tip
    assert git(world.origin, "merge-base", "--is-ancestor", "main", branch) == ""
    assert (
        git(world.origin, "diff", "--name-only", "main", branch) == "specs/registry/math-tutor.yaml"
    )


def test_closing_the_pr_declines(world: World, run: Run) -> None:
    assert world.github is not None
    run("--repo", world.clone, "reconcile", "--wait", "--interval", "0")
    world.github.close(1)
    assert run("--repo", world.clone, "reconcile").code == 0
    assert record(world.clone)["phase"] == "declined"
    assert record(world.clone)["history"][-1]["reason"] == "pull request #1 closed without merging"


def test_a_new_revision_closes_the_old_pr_with_a_comment(world: World, run: Run) -> None:
    assert world.github is not None
    run("--repo", world.clone, "reconcile", "--wait", "--interval", "0")
    spec = world.clone / f"specs/jobs/{SPEC}.yaml"
    spec.write_text(spec.read_text().replace("n_epochs: 3", "n_epochs: 4"))
    run("--repo", world.clone, "reconcile", "--wait", "--interval", "0")
    assert world.github.pulls[1]["state"] == "closed"
    assert "Superseded" in world.github.comments[1][0]
    assert world.github.pulls[2]["state"] == "open"
    assert record(world.clone)["promotion"]["number"] == 2


def test_forced_promotion_of_a_failed_evaluation(world: World, run: Run) -> None:
    assert world.github is not None
    spec = world.clone / f"specs/jobs/{SPEC}.yaml"
    spec.write_text(spec.read_text().replace("pedagogy_score: 0.65", "pedagogy_score: 0.99"))
    assert run("--repo", world.clone, "reconcile", "--wait", "--interval", "0").code == 1
    assert record(world.clone)["phase"] == "eval_failed"
    assert world.github.pulls == {}
    refused = run("--repo", world.clone, "promote", SPEC)
    assert refused.code == 2
    assert "use --force --reason" in refused.err
    assert run("--repo", world.clone, "promote", SPEC, "--force").code == 2
    result = run(
        "--repo",
        world.clone,
        "promote",
        SPEC,
        "--force",
        "--reason",
        "exam week hotfix, reviewed by hand",
    )
    assert result.code == 0, result.err
    assert result.out.strip() == "promotion pull request #1: https://github.test/acme/models/pull/1"
    body = world.github.pulls[1]["body"]
    lines = body.splitlines()
    assert lines[1:3] == [
        "> [!WARNING]",
        "> **Forced promotion.** This model is proposed despite its evaluation. Reason given: exam week hotfix, reviewed by hand",
    ]
    assert "## ❌ FAIL" in body
    branch = world.github.pulls[1]["head"]["ref"]
    history = yaml.safe_load(origin_file(world, branch, "specs/registry/math-tutor.yaml"))[
        "history"
    ][-1]
    assert (history["forced"], history["reason"]) == (True, "exam week hotfix, reviewed by hand")
    assert record(world.clone)["phase"] == "awaiting_review"
    assert record(world.clone)["promotion"]["forced"] is True


def test_demote_opens_a_rollback_pr(world: World, run: Run) -> None:
    assert world.github is not None
    run("--repo", world.clone, "reconcile", "--wait", "--interval", "0")
    world.github.merge(1)
    run("--repo", world.clone, "reconcile")
    result = run(
        "--repo",
        world.clone,
        "demote",
        "math-tutor",
        "production",
        "--reason",
        "complaints about tone",
    )
    assert result.code == 0, result.err
    pr = world.github.pulls[2]
    assert pr["title"] == "Demote math-tutor:production → version 1"
    registry = yaml.safe_load(
        origin_file(world, pr["head"]["ref"], "specs/registry/math-tutor.yaml")
    )
    assert registry["bindings"] == {"production": 1}
    assert registry["history"][-1] | {"at": None} == {
        "at": None,
        "alias": "production",
        "from": 2,
        "to": 1,
        "reason": "complaints about tone",
        "forced": False,
        "pr": None,
        "by": "trainer-bot",
    }
    assert run("--repo", world.clone, "demote", "math-tutor", "staging", "--reason", "x").code == 2


def test_scope_is_checked_again_before_a_pr(world: World, run: Run) -> None:
    assert world.github is not None
    other = world.clone.parent / "other"
    git(world.clone.parent, "clone", "-q", str(world.origin), str(other))
    registry = other / "specs/registry/math-tutor.yaml"
    registry.write_text(
        registry.read_text().replace("scope: tenant_mathworks", "scope: tenant_other")
    )
    commit_all(other, "someone moves the model to another tenant")
    git(other, "push", "-q", "origin", "main")
    result = run("--repo", world.clone, "reconcile", "--wait", "--interval", "0")
    assert result.code == 1
    assert (
        "FAILED   math-socratic-tutor: promotion: specs/registry/math-tutor.yaml belongs to scope 'tenant_other'"
        in result.out
    )
    assert world.github.pulls == {}


def test_github_errors_say_what_to_fix(world: World, run: Run) -> None:
    assert world.github is not None
    world.github.forbid_pull_requests = True
    result = run("--repo", world.clone, "reconcile", "--wait", "--interval", "0")
    assert result.code == 1
    assert "Allow GitHub Actions to create and approve pull requests" in result.out + result.err
    world.github.forbid_pull_requests = False
    world.github.rate_limited = True
    result = run("--repo", world.clone, "reconcile")
    assert "GitHub rate limit exhausted; it resets at" in result.out + result.err
    world.github.rate_limited = False
    assert run("--repo", world.clone, "reconcile").code == 0
    assert len(world.github.pulls) == 1


def test_local_backend_sees_a_local_merge(local_world: World, run: Run) -> None:
    clone = local_world.clone
    assert run("--repo", clone, "reconcile", "--wait", "--interval", "0").code == 0
    assert (clone / ".trainer/prs/1.md").read_text().startswith("<!-- trainer:promotion")
    merge_local_pr(clone, 1)
    assert run("--repo", clone, "reconcile").code == 0
    assert record(clone)["phase"] == "promoted"
    assert PRODUCTION in (clone / "specs/registry/math-tutor.yaml").read_text()


def test_local_backend_declines_a_deleted_branch(local_world: World, run: Run) -> None:
    clone = local_world.clone
    run("--repo", clone, "reconcile", "--wait", "--interval", "0")
    branch = json.loads((clone / ".trainer/prs/1.json").read_text())["branch"]
    git(clone, "branch", "-D", branch)
    git(clone, "push", "-q", "origin", "--delete", branch)
    git(clone, "update-ref", "-d", f"refs/remotes/origin/{branch}")
    assert run("--repo", clone, "reconcile").code == 0
    assert record(clone)["phase"] == "declined"


def test_a_binding_changed_on_main_is_reported_not_undone(local_world: World, run: Run) -> None:
    clone = local_world.clone
    run("--repo", clone, "reconcile", "--wait", "--interval", "0")
    merge_local_pr(clone, 1)
    assert run("--repo", clone, "reconcile").code == 0
    assert record(clone)["phase"] == "promoted"
    registry = clone / "specs/registry/math-tutor.yaml"
    by_hand = registry.read_text().replace("production: 2", "production: 1")
    registry.write_text(by_hand)
    refused = run("--repo", clone, "reconcile")
    assert refused.code == 2, "a binding without its history entry is not on the record"
    assert (
        "bindings.production: bound to version 1, but the last history entry for production "
        "(history[1]) binds it to version 2; a binding changed by hand leaves no audit trail"
    ) in refused.err
    registry.write_text(
        by_hand + "  - at: 2026-09-02T12:00:00Z\n    alias: production\n    from: 2\n"
        "    to: 1\n    reason: rolled back by hand during an outage\n    by: on-call\n"
    )
    commit_all(clone, "someone rolls back by hand, with the history entry")
    result = run("--repo", clone, "reconcile")
    assert "math-tutor:production was rebound on main to version 1" in result.err
    assert "production: 1" in registry.read_text()
    assert record(clone)["phase"] == "promoted"


def test_a_new_alias_for_a_promoted_model_opens_a_rebinding_pr(world: World, run: Run) -> None:
    assert world.github is not None
    run("--repo", world.clone, "reconcile", "--wait", "--interval", "0")
    world.github.merge(1)
    git(world.clone, "pull", "-q", "origin", "main")
    run("--repo", world.clone, "reconcile")
    spec = world.clone / f"specs/jobs/{SPEC}.yaml"
    spec.write_text(spec.read_text().replace("alias: production", "alias: canary"))
    assert "^ promote" in run("--repo", world.clone, "plan").out
    assert run("--repo", world.clone, "reconcile").code == 0
    pr = world.github.pulls[2]
    assert pr["title"].startswith("Promote math-tutor:canary → ft:")
    registry = yaml.safe_load(
        origin_file(world, pr["head"]["ref"], "specs/registry/math-tutor.yaml")
    )
    assert registry["bindings"] == {"production": 2, "canary": 2}
    assert len(registry["versions"]) == 2, "the same model: a binding, not a new version"


def test_returning_to_the_promoted_revision_trains_nothing(local_world: World, run: Run) -> None:
    clone = local_world.clone
    run("--repo", clone, "reconcile", "--wait", "--interval", "0")
    merge_local_pr(clone, 1)
    run("--repo", clone, "reconcile")
    promoted = record(clone)
    assert promoted["phase"] == "promoted"
    spec = clone / f"specs/jobs/{SPEC}.yaml"
    original = spec.read_text()
    spec.write_text(original.replace("n_epochs: 3", "n_epochs: 4"))
    run("--repo", clone, "reconcile")
    spec.write_text(original)
    run("--repo", clone, "reconcile")
    back = record(clone)
    assert back["revision"] == promoted["revision"]
    assert back["phase"] == "promoted"
    assert back["attempt"] == 1
    jobs = local_world.emulator.state.jobs_for(
        trainer_spec=SPEC, trainer_revision=promoted["revision"]
    )
    assert len(jobs) == 1, "the promoted revision is not trained again"


def test_reevaluation_replaces_the_open_pr(world: World, run: Run) -> None:
    assert world.github is not None
    run("--repo", world.clone, "reconcile", "--wait", "--interval", "0")
    spec = world.clone / f"specs/jobs/{SPEC}.yaml"
    spec.write_text(spec.read_text().replace("overall_score: 0.78", "overall_score: 0.77"))
    assert run("--repo", world.clone, "reconcile").code == 0
    assert world.github.pulls[1]["state"] == "closed"
    assert "evaluated again" in world.github.comments[1][0]
    assert world.github.pulls[2]["state"] == "open"
    current = record(world.clone)
    assert (current["phase"], current["promotion"]["number"]) == ("awaiting_review", 2)


def test_a_pr_merged_before_the_spec_moved_on_still_counts(world: World, run: Run) -> None:
    assert world.github is not None
    run("--repo", world.clone, "reconcile", "--wait", "--interval", "0")
    first = record(world.clone)["revision"]
    world.github.merge(1)
    spec = world.clone / f"specs/jobs/{SPEC}.yaml"
    spec.write_text(spec.read_text().replace("n_epochs: 3", "n_epochs: 4"))
    run("--repo", world.clone, "reconcile")
    revisions = json.loads((world.clone / ".trainer/state.json").read_text())["specs"][SPEC][
        "revisions"
    ]
    assert revisions[first]["phase"] == "promoted"
    assert world.github.comments.get(1) is None, "a merged PR is not closed or commented"
