"""What goes into a pull request body is escaped or checked: reasons, report paths."""

from __future__ import annotations

import json
from collections.abc import Callable

from tests.conftest import Result
from tests.promotion.conftest import World

Run = Callable[..., Result]
SPEC = "math-socratic-tutor"


def test_a_forced_reason_cannot_hide_the_report_mention_or_close_issues(
    world: World, run: Run
) -> None:
    assert world.github is not None
    spec = world.clone / f"specs/jobs/{SPEC}.yaml"
    spec.write_text(spec.read_text().replace("pedagogy_score: 0.65", "pedagogy_score: 0.99"))
    assert run("--repo", world.clone, "reconcile", "--wait", "--interval", "0").code == 1
    reason = "<!-- hidden @platform-team fixes #5 [x](https://evil.test)"
    result = run("--repo", world.clone, "promote", SPEC, "--force", "--reason", reason)
    assert result.code == 0, result.err
    body = world.github.pulls[1]["body"]
    assert "<!-- hidden" not in body
    assert "@platform-team" not in body
    assert "#5" not in body
    assert "](https://evil.test)" not in body
    assert "❌ FAIL" in body, "the verdict is still there for the reviewer"


def test_a_report_path_from_the_state_outside_the_reports_is_never_read(
    world: World, run: Run
) -> None:
    assert world.github is not None
    assert run("--repo", world.clone, "reconcile", "--wait", "--interval", "0").code == 0
    state_file = world.clone / ".trainer/state.json"
    state = json.loads(state_file.read_text())
    record = state["specs"][SPEC]["revisions"][state["specs"][SPEC]["current"]]
    record["evaluation"]["report"] = ".git/config"
    state_file.write_text(json.dumps(state))
    assert run("--repo", world.clone, "promote", SPEC).code == 0
    body = world.github.pulls[1]["body"]
    assert "[core]" not in body
    assert "has no evaluation report" in body
