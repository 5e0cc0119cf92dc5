"""`git:` state: a branch of origin, saved by compare-and-swap, safe with racing writers,
whether they share a clone or not."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tests.helpers import git, make_repo
from trainer.errors import StateConflict, StateError, TrainerError, UsageError
from trainer.state.document import SpecRecord
from trainer.state.git_store import GitStateStore
from trainer.state.read_refs import READS, STALE_AFTER, stale_read_refs, this_host
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


WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from trainer.state.document import SpecRecord
    from trainer.state.git_store import GitStateStore
    from trainer.state.session import StateSession
    clone, tag, count = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    session = StateSession(GitStateStore(clone, "trainer-state"))
    print("ready", flush=True)
    sys.stdin.readline()  # every writer starts at once
    for i in range(count):
        name = f"{tag}-{i}"
        session.reload()  # a fresh read before each change, as a pass or a status does
        session.commit(lambda d: d.specs.__setitem__(name, SpecRecord()), f"add {name}")
    """
)


def race(writers: list[tuple[Path, str]], count: int) -> list[tuple[int, str]]:
    """One process per (clone, tag), each adding `count` specs, all released together once
    every one has started; their exit codes and stderr."""
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(clone), tag, str(count)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for clone, tag in writers
    ]
    for proc in procs:
        assert proc.stdout is not None
        assert proc.stdout.readline() == "ready\n"
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.flush()
    return [(proc.wait(timeout=120), proc.communicate()[1]) for proc in procs]


def assert_all_landed(origin: Path, clone: Path, tags: str, count: int) -> None:
    doc = GitStateStore(clone, "trainer-state").load().document
    assert sorted(doc.specs) == sorted(f"{t}-{i}" for t in tags for i in range(count))
    assert doc.serial == len(tags) * count
    assert git(origin, "rev-list", "--count", "trainer-state") == str(len(tags) * count)


def test_racing_processes_on_two_clones_lose_nothing(clones: tuple[Path, Path, Path]) -> None:
    origin, a, b = clones
    results = race([(a, "a"), (b, "b")], 6)
    assert [code for code, _ in results] == [0, 0], "\n".join(err for _, err in results)
    assert_all_landed(origin, a, "ab", 6)


def test_racing_processes_in_one_clone_lose_nothing(clones: tuple[Path, Path, Path]) -> None:
    """Two runs in one clone used to lock the same fetched ref and abort mid-pass."""
    origin, a, _ = clones
    results = race([(a, "x"), (a, "y")], 25)
    assert [code for code, _ in results] == [0, 0], "\n".join(err for _, err in results)
    assert not any("cannot lock ref" in err for _, err in results)
    assert_all_landed(origin, a, "xy", 25)
    assert git(a, "for-each-ref", READS) == ""  # each run deleted its own read ref


def test_refs_another_process_in_the_clone_holds_do_not_stop_a_run(
    clones: tuple[Path, Path, Path],
) -> None:
    """What a second run in the clone (or the user's `git fetch`) may hold at any moment:
    the remote-tracking ref and the shared anchor. Reading and saving need neither."""
    origin, a, _ = clones
    held = [a / ".git/refs/remotes/origin/trainer-state.lock", a / ".git/refs/trainer/state"]
    held[0].touch()
    held[1].mkdir(parents=True)
    (held[1] / "trainer-state.lock").touch()
    store = GitStateStore(a, "trainer-state")
    session = StateSession(store)
    session.commit(lambda d: d.specs.__setitem__("tutor", SpecRecord()), "record tutor")
    session.reload()
    store.close()
    assert list(session.doc.specs) == ["tutor"]
    assert git(origin, "rev-list", "--count", "trainer-state") == "1"


def test_three_writers_on_three_clones_all_succeed(
    clones: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    """Three writers used to give up after 8 attempts; losers now wait out the winner."""
    origin, a, b = clones
    c = tmp_path / "c"
    git(tmp_path, "clone", "-q", str(origin), str(c))
    results = race([(a, "a"), (b, "b"), (c, "c")], 15)
    assert [code for code, _ in results] == [0, 0, 0], "\n".join(err for _, err in results)
    assert_all_landed(origin, a, "abc", 15)


def test_reads_leave_the_remote_tracking_refs_alone(clones: tuple[Path, Path, Path]) -> None:
    _, a, b = clones
    StateSession(GitStateStore(b, "trainer-state")).commit(
        lambda d: d.specs.__setitem__("tutor", SpecRecord()), "record tutor"
    )
    tracking = git(a, "for-each-ref", "refs/remotes")
    store = GitStateStore(a, "trainer-state")
    assert "tutor" in store.load().document.specs
    assert git(a, "for-each-ref", "refs/remotes") == tracking


def test_closing_deletes_the_read_ref_and_keeps_the_commit_seen(
    clones: tuple[Path, Path, Path],
) -> None:
    """The shared anchor lets the next run's fetch download only what is new."""
    origin, a, _ = clones
    store = GitStateStore(a, "trainer-state")
    session = StateSession(store)
    session.commit(lambda d: d.specs.__setitem__("tutor", SpecRecord()), "record tutor")
    assert len(git(a, "for-each-ref", "--format=%(refname)", READS).split()) == 1
    store.close()
    assert git(a, "for-each-ref", READS) == ""
    tip = git(origin, "rev-parse", "trainer-state")
    assert git(a, "rev-parse", "refs/trainer/state/trainer-state") == tip


def test_a_killed_runs_read_ref_is_pruned_by_the_next_run(
    clones: tuple[Path, Path, Path],
) -> None:
    _, a, b = clones
    StateSession(GitStateStore(b, "trainer-state")).commit(
        lambda d: d.specs.__setitem__("tutor", SpecRecord()), "record tutor"
    )
    killed = textwrap.dedent(
        """
        import os, signal, sys
        from pathlib import Path
        from trainer.state.git_store import GitStateStore
        store = GitStateStore(Path(sys.argv[1]), "trainer-state")
        store.load()
        os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    run = subprocess.run([sys.executable, "-c", killed, str(a)], check=False)
    assert run.returncode == -signal.SIGKILL
    left = git(a, "for-each-ref", "--format=%(refname)", READS).split()
    assert len(left) == 1
    store = GitStateStore(a, "trainer-state")
    assert "tutor" in store.load().document.specs
    assert left[0] not in git(a, "for-each-ref", "--format=%(refname)", READS).split()


def test_read_refs_of_gone_or_old_runs_are_stale() -> None:
    now = time.time()
    host, me = this_host(), os.getpid()
    fresh = int(now)
    old = int(now - STALE_AFTER - 60)
    refs = {
        "mine": f"{READS}/{fresh}-{host}-{me}-0a1b2c3d",
        "dead": f"{READS}/{fresh}-{host}-4242-0a1b2c3d",
        "elsewhere": f"{READS}/{fresh}-otherhost-4242-0a1b2c3d",
        "old": f"{READS}/{old}-otherhost-4242-0a1b2c3d",
        "foreign": f"{READS}/not-ours",
    }
    stale = stale_read_refs(refs.values(), now=now, host=host, alive=lambda pid: pid == me)
    assert sorted(stale) == sorted([refs["dead"], refs["old"]])


def test_a_push_refused_while_the_branch_stays_put_gives_up_with_a_message(
    clones: tuple[Path, Path, Path],
) -> None:
    """A remote that cannot update the branch (here, a lock left by a crashed push) is
    retried, then reported as an error, not as a conflict for the session to retry."""
    origin, a, _ = clones
    store = GitStateStore(a, "trainer-state", patience=0.3)
    session = StateSession(store)
    session.commit(lambda d: d.specs.__setitem__("tutor", SpecRecord()), "record tutor")
    (origin / "refs" / "heads" / "trainer-state.lock").touch()
    started = time.monotonic()
    with pytest.raises(TrainerError, match=r"cannot push the state to origin .*0\.3 s") as raised:
        session.commit(lambda d: d.specs.__setitem__("other", SpecRecord()), "record other")
    assert not isinstance(raised.value, StateConflict)
    assert time.monotonic() - started < 5
    assert git(origin, "rev-list", "--count", "trainer-state") == "1"


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
