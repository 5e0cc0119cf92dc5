"""`git:` state: a branch of origin, saved by compare-and-swap, safe with racing writers."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.helpers import git, make_repo
from trainer.errors import StateConflict, StateError, UsageError
from trainer.state.document import SpecRecord
from trainer.state.git_store import GitStateStore
from trainer.state.session import StateSession
from trainer.state.store import open_store


@pytest.fixture
def clones(tmp_path: Path) -> tuple[Path, Path, Path]:
    """A bare origin with the example specs on main, and two independent clones."""
    seed = make_repo(tmp_path / "seed")
    origin = tmp_path / "origin.git"
    git(tmp_path, "clone", "-q", "--bare", str(seed), str(origin))
    a, b = tmp_path / "a", tmp_path / "b"
    git(tmp_path, "clone", "-q", str(origin), str(a))
    git(tmp_path, "clone", "-q", str(origin), str(b))
    return origin, a, b


def test_first_save_creates_an_orphan_branch_without_touching_the_work_tree(
    clones: tuple[Path, Path, Path],
) -> None:
    origin, a, _ = clones
    head_before = git(a, "rev-parse", "HEAD")
    store = GitStateStore(a, "trainer-state")
    snapshot = store.load()
    assert snapshot.version is None
    snapshot.document.specs["tutor"] = SpecRecord()
    store.save(snapshot.document, expected=None, message="record tutor")
    assert git(origin, "log", "--format=%s", "trainer-state") == "record tutor"
    assert git(origin, "rev-list", "--count", "trainer-state") == "1"
    assert git(origin, "ls-tree", "--name-only", "trainer-state") == "state.json"
    assert git(a, "rev-parse", "HEAD") == head_before
    assert git(a, "status", "--porcelain") == ""


def test_stale_writer_gets_a_conflict_then_commit_retries(clones: tuple[Path, Path, Path]) -> None:
    _, a, b = clones
    store_a, store_b = GitStateStore(a, "trainer-state"), GitStateStore(b, "trainer-state")
    seen_by_b = store_b.load()
    session_b = StateSession(store_b)
    StateSession(store_a).commit(lambda d: d.specs.__setitem__("from-a", SpecRecord()), "a writes")
    seen_by_b.document.specs["from-b"] = SpecRecord()
    with pytest.raises(StateConflict):
        store_b.save(seen_by_b.document, expected=seen_by_b.version, message="b is stale")
    session_b.commit(lambda d: d.specs.__setitem__("from-b", SpecRecord()), "b retries")
    assert sorted(store_a.load().document.specs) == ["from-a", "from-b"]


def test_racing_processes_on_two_clones_lose_nothing(clones: tuple[Path, Path, Path]) -> None:
    origin, a, b = clones
    script = textwrap.dedent(
        """
        import sys
        from pathlib import Path
        from trainer.state.document import SpecRecord
        from trainer.state.git_store import GitStateStore
        from trainer.state.session import StateSession
        session = StateSession(GitStateStore(Path(sys.argv[1]), "trainer-state"))
        for i in range(6):
            name = f"{sys.argv[2]}-{i}"
            add = lambda d: d.specs.__setitem__(name, SpecRecord())
            session.commit(add, f"add {name}")
        """
    )
    writers = [
        subprocess.Popen([sys.executable, "-c", script, str(clone), tag])
        for clone, tag in ((a, "a"), (b, "b"))
    ]
    assert [w.wait(timeout=120) for w in writers] == [0, 0]
    doc = GitStateStore(a, "trainer-state").load().document
    assert len(doc.specs) == 12
    assert doc.serial == 12
    assert git(origin, "rev-list", "--count", "trainer-state") == "12"


def test_branch_without_state_file_is_refused(clones: tuple[Path, Path, Path]) -> None:
    _, a, _ = clones
    git(a, "push", "-q", "origin", "main:not-state")
    with pytest.raises(StateError, match="not a trainer state branch"):
        GitStateStore(a, "not-state").load()


def test_repository_without_origin_is_a_usage_error(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo")
    with pytest.raises(UsageError, match="no remote named 'origin'"):
        open_store("git:trainer-state", root)


@pytest.mark.parametrize("url", ["git:", "s3:bucket", "state.json", "git:bad..name"])
def test_unknown_state_urls_are_usage_errors(clones: tuple[Path, Path, Path], url: str) -> None:
    with pytest.raises(UsageError):
        open_store(url, clones[1])
