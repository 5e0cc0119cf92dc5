"""Alerts as GitHub issues, end to end: real git repositories, the emulator, and the fake
GitHub over HTTP. One issue per problem, kept single across passes, edited only when its
text changes, closed with a comment once the problem is gone."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import Result
from tests.helpers import REPO
from tests.promotion.conftest import World
from tests.promotion.github_server import TOKEN, FakeGitHub
from trainer.promotion.issues import GitHubIssues

Run = Callable[..., Result]
SPEC = "math-socratic-tutor"
ISSUES = "/repos/acme/models/issues"


def state(root: Path) -> dict[str, Any]:
    value: dict[str, Any] = json.loads((root / ".trainer/state.json").read_text())
    return value


def current(root: Path) -> str:
    revision: str = state(root)["specs"][SPEC]["current"]
    return revision


def edit_spec(world: World, old: str, new: str) -> None:
    spec = world.clone / f"specs/jobs/{SPEC}.yaml"
    assert old in spec.read_text()
    spec.write_text(spec.read_text().replace(old, new))


def calls(github: FakeGitHub, method: str, prefix: str = ISSUES) -> int:
    return sum(1 for c in github.calls if c.startswith(f"{method} {prefix}"))


def reconcile(world: World, run: Run, *, wait: bool = False) -> Result:
    args = ["--repo", world.clone, "reconcile"] + (["--wait", "--interval", "0"] if wait else [])
    return run(*args)


def test_a_failed_job_opens_one_alert_that_stays_single_and_closes_on_a_new_revision(
    world: World, run: Run
) -> None:
    gh = world.github
    assert gh is not None
    echo = f"line 3 has no assistant message; cc @octocat; token {TOKEN}"
    world.emulator.state.fail_next_jobs.append(("invalid_training_file", echo))
    reconcile(world, run, wait=True)
    failed = current(world.clone)
    (issue,) = gh.alert_issues()
    assert issue["title"] == f"trainer: training of {SPEC} failed"
    assert issue["body"].startswith(
        f"<!-- trainer:alert kind=training_failed spec={SPEC} revision={failed} -->\n"
    )
    assert [label["name"] for label in issue["labels"]] == ["trainer-alert"]
    assert gh.labels["trainer-alert"]["color"] == "d93f0b", "the label was created first"
    body = issue["body"]
    assert "line 3 has no assistant message" in body
    assert "@\u200boctocat" in body, "mentions are broken: nobody is pinged"
    assert TOKEN not in body
    assert "testtoken" not in body, "scrubbed before it was escaped"
    assert "GITHUB\\_TOKEN redacted" in body
    assert "**Next step:**" in body
    assert f"specs/jobs/{SPEC}.yaml" in body
    record = state(world.clone)["alerts"][f"training_failed:{SPEC}"]
    assert (record["number"], record["state"], record["claim"]) == (issue["number"], "open", None)

    for _ in range(3):
        before = list(gh.calls)
        assert reconcile(world, run).code == 0, "a failure is reported once; its alert stays"
        new = gh.calls[len(before) :]
        assert [c for c in new if c.startswith(("POST", "PATCH"))] == [], "nothing changed"
        assert sum(1 for c in new if c.startswith(f"GET {ISSUES}")) == 1, "one list call"
    assert len(gh.alert_issues()) == 1
    assert calls(gh, "POST", ISSUES) == 1

    edit_spec(world, "seed: 42", "seed: 43")
    assert reconcile(world, run).code == 0
    assert gh.alert_issues() == []
    closed = gh.issues[issue["number"]]
    assert (closed["state"], closed["state_reason"]) == ("closed", "completed")
    (comment,) = gh.comments[issue["number"]]
    assert comment.startswith(f"Resolved: revision {current(world.clone)[:12]} ")
    record = state(world.clone)["alerts"][f"training_failed:{SPEC}"]
    assert record["state"] == "closed"
    assert record["resolution"].startswith("revision ")

    seen = len(gh.calls)
    assert reconcile(world, run, wait=True).code == 0
    assert not [c for c in gh.calls[seen:] if c.startswith(f"GET {ISSUES}")], (
        "with no problem and no open alert, a pass makes no issue call"
    )
    assert len(gh.issues) == 1


def test_an_evaluation_alert_closes_when_a_threshold_change_makes_it_pass(
    world: World, run: Run
) -> None:
    gh = world.github
    assert gh is not None
    edit_spec(world, "pedagogy_score: 0.65", "pedagogy_score: 0.99")
    assert reconcile(world, run, wait=True).code == 1
    (issue,) = gh.alert_issues()
    assert issue["title"] == f"trainer: {SPEC} failed its evaluation"
    assert "kind=evaluation_failed" in issue["body"]
    assert "below thresholds: pedagogy\\_score" in issue["body"]
    assert f"trainer promote {SPEC} --force" in issue["body"]

    edit_spec(world, "pedagogy_score: 0.99", "pedagogy_score: 0.65")
    assert reconcile(world, run).code == 0
    assert gh.alert_issues() == []
    assert gh.comments[issue["number"]][0].startswith("Resolved: the evaluation of revision")
    assert gh.pulls[1]["state"] == "open", "and the promotion pull request follows"


def test_a_budget_block_opens_an_alert_and_raising_the_budget_closes_it(
    world: World, run: Run
) -> None:
    gh = world.github
    assert gh is not None
    edit_spec(world, "budget_usd: 50", "budget_usd: 0.0001")
    assert reconcile(world, run).code == 1
    assert reconcile(world, run).code == 1
    (issue,) = gh.alert_issues()
    assert issue["title"] == f"trainer: training of {SPEC} is blocked by its budget"
    assert "exceeds policy.budget\\_usd" in issue["body"]
    assert calls(gh, "PATCH") == 0
    edit_spec(world, "budget_usd: 0.0001", "budget_usd: 50")
    assert reconcile(world, run).code == 0
    assert gh.alert_issues() == []
    assert "the budget no longer blocks training" in gh.comments[issue["number"]][0]


def test_a_pasted_marker_and_pull_requests_in_the_issue_list_are_not_trainers(
    world: World, run: Run
) -> None:
    gh = world.github
    assert gh is not None
    marker = f"<!-- trainer:alert kind=training_failed spec={SPEC} revision=abc -->"
    pasted = gh.add_issue(
        "trainer: training failed", f"{marker}\nmine now", ["trainer-alert"], "mallory"
    )
    gh.pulls[1] = {
        "number": 1,
        "state": "open",
        "title": "a pull request with a marker",
        "body": f"{marker}\n",
        "head": {"ref": "feature"},
        "labels": [{"name": "trainer-alert"}],
        "html_url": "https://github.test/acme/models/pull/1",
    }
    world.emulator.state.fail_next_jobs.append(("invalid_training_file", "bad line 3"))
    reconcile(world, run, wait=True)
    ours = [i for i in gh.alert_issues() if i["user"]["login"] == gh.token_login]
    assert len(ours) == 1
    assert pasted["body"] == f"{marker}\nmine now", "someone else's issue is never edited"
    assert gh.pulls[1]["body"] == f"{marker}\n"
    edit_spec(world, "seed: 42", "seed: 43")
    assert reconcile(world, run).code == 0
    assert pasted["state"] == "open", "nor closed"
    assert gh.pulls[1]["state"] == "open"
    assert gh.issues[ours[0]["number"]]["state"] == "closed"


def test_the_alert_is_found_past_the_first_page_of_issues(world: World, run: Run) -> None:
    gh = world.github
    assert gh is not None
    world.emulator.state.fail_next_jobs.append(("invalid_training_file", "bad line 3"))
    reconcile(world, run, wait=True)
    (ours,) = gh.alert_issues()
    for n in range(150):  # newer issues come first: ours is on the second page
        gh.add_issue(f"flaky test {n}", "", ["trainer-alert"], "ci-bot[bot]")
    assert reconcile(world, run).code == 0
    assert [i for i in gh.alert_issues() if i["user"]["login"] == gh.token_login] == [ours]
    assert sum(1 for c in gh.calls if c.startswith(f"GET {ISSUES}")) == 3, "2 pages, 2 passes"
    assert calls(gh, "POST", ISSUES) == 1


def test_a_502_after_the_issue_was_created_adopts_it(world: World, run: Run) -> None:
    gh = world.github
    assert gh is not None
    gh.fault("POST", "/issues", status=502, apply=True)
    world.emulator.state.fail_next_jobs.append(("invalid_training_file", "bad line 3"))
    reconcile(world, run, wait=True)
    (issue,) = gh.alert_issues()
    assert calls(gh, "POST", ISSUES) == 1, "the create is not repeated: it is found by its marker"
    assert state(world.clone)["alerts"][f"training_failed:{SPEC}"]["number"] == issue["number"]


def test_a_run_that_dies_after_opening_the_issue_is_adopted_by_the_next(
    world: World, run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    gh = world.github
    assert gh is not None
    real = GitHubIssues.create

    def dies_after(self: GitHubIssues, *args: Any) -> Any:
        real(self, *args)
        raise SystemExit(137)  # like kill -9 before the issue number is recorded

    monkeypatch.setattr(GitHubIssues, "create", dies_after)
    world.emulator.state.fail_next_jobs.append(("invalid_training_file", "bad line 3"))
    with pytest.raises(SystemExit):
        reconcile(world, run, wait=True)
    record = state(world.clone)["alerts"][f"training_failed:{SPEC}"]
    assert record["number"] is None
    assert record["claim"] is not None, "the opening was claimed before the issue was created"
    monkeypatch.setattr(GitHubIssues, "create", real)
    assert reconcile(world, run).code == 0
    (issue,) = gh.alert_issues()
    record = state(world.clone)["alerts"][f"training_failed:{SPEC}"]
    assert (record["number"], record["claim"]) == (issue["number"], None)
    assert calls(gh, "POST", ISSUES) == 1


def test_duplicates_are_closed_and_a_hand_closed_alert_stays_closed(world: World, run: Run) -> None:
    gh = world.github
    assert gh is not None
    world.emulator.state.fail_next_jobs.append(("invalid_training_file", "bad line 3"))
    reconcile(world, run, wait=True)
    (first,) = gh.alert_issues()
    twin = gh.add_issue(first["title"], first["body"], ["trainer-alert"], gh.token_login)
    assert reconcile(world, run).code == 0
    assert [i["number"] for i in gh.alert_issues()] == [first["number"]]
    assert gh.comments[twin["number"]] == [
        f"Duplicate of #{first['number']}: trainer keeps one issue per problem."
    ]
    gh.issues[first["number"]]["state"] = "closed"  # a person closes it; the job still failed
    assert reconcile(world, run).code == 0
    assert reconcile(world, run).code == 0
    assert gh.alert_issues() == [], "trainer does not reopen what a person closed"
    assert state(world.clone)["alerts"][f"training_failed:{SPEC}"]["state"] == "dismissed"


def test_an_unpushable_promotion_branch_opens_an_alert_until_it_can_be_built(
    world: World, run: Run
) -> None:
    gh = world.github
    assert gh is not None
    hook = world.origin / "hooks/pre-receive"
    hook.write_text(
        "#!/bin/sh\nwhile read old new ref; do\n  case $ref in refs/heads/trainer/promote/*) echo 'protected branch' >&2; exit 1;; esac\ndone\n"
    )
    hook.chmod(0o755)
    assert reconcile(world, run, wait=True).code == 1
    (issue,) = gh.alert_issues()
    assert issue["title"] == f"trainer: promotion of {SPEC} is blocked"
    assert "cannot push trainer/promote/" in issue["body"]
    assert gh.pulls == {}
    hook.unlink()
    assert reconcile(world, run).code == 0
    assert gh.alert_issues() == []
    assert gh.comments[issue["number"]] == [
        "Resolved: promotion pull request #\u200b1 is open and up to date.\n\n"
        "trainer closes this issue; a new one opens if the problem comes back."
    ]


def test_a_token_without_issues_write_warns_once_and_the_pass_goes_on(
    world: World, run: Run
) -> None:
    gh = world.github
    assert gh is not None
    gh.forbid_issues = True
    world.emulator.state.fail_next_jobs.append(("invalid_training_file", "bad line 3"))
    failed = reconcile(world, run, wait=True)
    assert "This is a bug" not in failed.err
    assert failed.err.count("issues: write") == 1, failed.err
    assert gh.issues == {}
    assert state(world.clone)["specs"][SPEC]["revisions"][current(world.clone)]["phase"] == "failed"
    edit_spec(world, "seed: 42", "seed: 43")
    done = reconcile(world, run, wait=True)
    assert done.code == 0, done.err
    assert state(world.clone)["specs"][SPEC]["revisions"][current(world.clone)]["phase"] == (
        "awaiting_review"
    )


def test_the_workflows_grant_issues_write_to_reconcile() -> None:
    workflow = yaml.safe_load((REPO / ".github/workflows/reconcile.yml").read_text())
    assert workflow["permissions"]["issues"] == "write"
    template = (REPO / "trainer/scaffold/workflows/trainer-reconcile.yml.j2").read_text()
    assert "\n  issues: write " in template


def test_a_job_that_fails_before_its_first_poll_fails_the_pass(world: World, run: Run) -> None:
    """The provider reports the job failed already in the pass that creates it."""
    world.emulator.state.fail_next_jobs.append(("invalid_training_file", "line 3 is empty"))
    result = reconcile(world, run)
    assert result.code == 1
    assert f"FAILED   {SPEC}: job ftjob-" in result.out
    assert "failed: invalid_training_file: line 3 is empty" in result.out
