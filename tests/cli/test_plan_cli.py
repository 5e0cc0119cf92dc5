"""`trainer plan` end to end: a real repository, a saved state, every output format."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from pytest_snapshot.plugin import Snapshot

from tests.conftest import Result
from tests.helpers import job, make_repo, write_yaml
from tests.state_builders import record, state_with
from trainer.phases import Phase
from trainer.planner import DesiredSpec
from trainer.revision import desired_state
from trainer.specs.loader import load_workspace
from trainer.state.file_store import FileStateStore

SNAPSHOTS = Path(__file__).parent / "snapshots"


@pytest.fixture
def scenario(tmp_path: Path) -> Path:
    """One spec of each kind of action, against a state saved before the specs changed."""
    root = make_repo(tmp_path / "repo", jobs=("alpha", "beta", "delta"))
    before = desired_state(load_workspace(root))
    removed = DesiredSpec("retired", "f" * 64, "e", "p", {"training": {}})
    state = state_with(
        ("alpha", record(before["alpha"], Phase.TRAINING)),
        ("beta", record(before["beta"], Phase.PROMOTED)),
        ("delta", record(before["delta"], Phase.PROMOTED)),
        ("retired", record(removed, Phase.TRAINING, job_id="ftjob-retired")),
    )
    FileStateStore(root / ".trainer/state.json").save(state, expected=None, message="seed")

    beta = job("beta", config={"n_epochs": 5, "batch_size": 1, "learning_rate_multiplier": 0.1})
    beta["promotion"]["alias"] = "beta"
    write_yaml(root / "specs/jobs/beta.yaml", beta)
    delta = job("delta")
    delta["promotion"]["alias"] = "delta"
    delta["policy"]["thresholds"]["pedagogy_score"] = 0.9
    write_yaml(root / "specs/jobs/delta.yaml", delta)
    gamma = job("gamma")
    gamma["promotion"]["alias"] = "gamma"
    write_yaml(root / "specs/jobs/gamma.yaml", gamma)
    return root


@pytest.mark.parametrize(
    ("fmt", "name"), [("text", "plan.txt"), ("markdown", "plan.md"), ("json", "plan.json")]
)
def test_plan_output_formats(
    scenario: Path, run: Callable[..., Result], snapshot: Snapshot, fmt: str, name: str
) -> None:
    snapshot.snapshot_dir = SNAPSHOTS
    result = run("--repo", scenario, "plan", "--format", fmt)
    assert result.code == 0, result.err
    snapshot.assert_match(result.out, name)


def test_plan_json_has_one_action_of_each_kind(scenario: Path, run: Callable[..., Result]) -> None:
    body = json.loads(run("--repo", scenario, "plan", "--format", "json").out)
    assert {a["name"]: a["action"] for a in body["actions"]} == {
        "alpha": "no-op",
        "beta": "replace",
        "delta": "re-evaluate",
        "gamma": "create",
        "retired": "cancel",
    }
    assert body["summary"] == {
        "create": 1,
        "replace": 1,
        "re-evaluate": 1,
        "promote": 0,
        "cancel": 1,
        "no-op": 1,
    }


def test_plan_changes_nothing(scenario: Path, run: Callable[..., Result]) -> None:
    state = scenario / ".trainer/state.json"
    before = state.read_bytes()
    assert run("--repo", scenario, "plan").code == 0
    assert state.read_bytes() == before
    written = sorted(p.name for p in state.parent.iterdir())
    assert written == ["cache", "state.json", "state.json.write-lock"], "only the dataset cache"


def test_plan_refuses_invalid_specs_with_exit_2(scenario: Path, run: Callable[..., Result]) -> None:
    (scenario / "specs/jobs/broken.yaml").write_text("name: broken\n")
    result = run("--repo", scenario, "plan")
    assert result.code == 2
    assert result.out == ""
    assert "specs/jobs/broken.yaml:1:1: missing required field 'baseModel'" in result.err
    assert result.err.rstrip().endswith("nothing was changed")


def test_plan_refuses_damaged_state_with_exit_2(scenario: Path, run: Callable[..., Result]) -> None:
    (scenario / ".trainer/state.json").write_text("{oops")
    result = run("--repo", scenario, "plan")
    assert result.code == 2
    assert "state.json:1:2: not valid JSON" in result.err
    assert "will not overwrite it" in result.err


def test_plan_reads_state_from_a_git_branch(tmp_path: Path, run: Callable[..., Result]) -> None:
    from tests.helpers import git

    seed = make_repo(tmp_path / "seed")
    git(tmp_path, "clone", "-q", "--bare", str(seed), str(tmp_path / "origin.git"))
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(tmp_path / "origin.git"), str(clone))
    result = run("--repo", clone, "--state", "git:trainer-state", "plan", "--format", "json")
    assert result.code == 0, result.err
    assert [a["action"] for a in json.loads(result.out)["actions"]] == ["create"]


def test_text_plan_is_coloured_only_on_a_terminal(
    scenario: Path, run: Callable[..., Result]
) -> None:
    assert "\x1b[" not in run("--repo", scenario, "plan").out


def test_state_option_from_environment(
    scenario: Path, run: Callable[..., Result], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("TRAINER_STATE", f"file:{tmp_path / 'elsewhere.json'}")
    body = json.loads(run("--repo", scenario, "plan", "--format", "json").out)
    assert {a["action"] for a in body["actions"]} == {"create"}
