"""`file:` state: atomic, compare-and-swap saves, one run at a time, never overwrites damage."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from trainer.errors import StateConflict, StateError, StateLocked
from trainer.state.document import SCHEMA_VERSION, SpecRecord, StateDocument
from trainer.state.file_store import FileStateStore
from trainer.state.session import ATTEMPTS, StateSession


def test_missing_file_is_an_empty_state(tmp_path: Path) -> None:
    snapshot = FileStateStore(tmp_path / "state.json").load()
    assert snapshot.version is None
    assert snapshot.document.specs == {}


def test_save_then_load_round_trips_and_counts_serial(tmp_path: Path) -> None:
    store = FileStateStore(tmp_path / ".trainer/state.json")
    doc = StateDocument()
    doc.specs["tutor"] = SpecRecord()
    saved = store.save(doc, expected=None, message="add tutor")
    loaded = store.load()
    assert loaded.version == saved.version
    assert loaded.document == doc
    assert loaded.document.serial == 1
    assert [p.name for p in (tmp_path / ".trainer").iterdir() if p.name.endswith(".tmp")] == []


def test_stale_save_is_a_conflict_and_changes_nothing(tmp_path: Path) -> None:
    store = FileStateStore(tmp_path / "state.json")
    first = store.load()
    store.save(StateDocument(), expected=first.version, message="one")
    before = (tmp_path / "state.json").read_bytes()
    with pytest.raises(StateConflict):
        store.save(StateDocument(), expected=first.version, message="stale")
    assert (tmp_path / "state.json").read_bytes() == before


def test_second_run_is_refused_while_the_first_holds_the_lock(tmp_path: Path) -> None:
    store = FileStateStore(tmp_path / "state.json")
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(
                f"""
                import sys
                from pathlib import Path
                from trainer.state.file_store import FileStateStore
                with FileStateStore(Path({str(tmp_path / "state.json")!r})).lock():
                    print("locked", flush=True)
                    sys.stdin.readline()
                """
            ),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None
    assert holder.stdin is not None
    assert holder.stdout.readline().strip() == "locked"
    try:
        with pytest.raises(StateLocked, match=rf"locked by trainer pid {holder.pid}"), store.lock():
            pass
    finally:
        holder.stdin.write("\n")
        holder.stdin.flush()
        holder.wait(timeout=30)
    with store.lock():
        pass


def test_racing_writers_lose_nothing(tmp_path: Path) -> None:
    script = textwrap.dedent(
        f"""
        import sys
        from pathlib import Path
        from trainer.state.document import SpecRecord
        from trainer.state.file_store import FileStateStore
        from trainer.state.session import StateSession
        store = FileStateStore(Path({str(tmp_path / "state.json")!r}))
        session = StateSession(store, attempts=50)
        for i in range(20):
            name = f"{{sys.argv[1]}}-{{i}}"
            session.commit(lambda d: d.specs.__setitem__(name, SpecRecord()), "add")
        """
    )
    writers = [subprocess.Popen([sys.executable, "-c", script, w]) for w in ("a", "b", "c")]
    assert [w.wait(timeout=60) for w in writers] == [0, 0, 0]
    doc = FileStateStore(tmp_path / "state.json").load().document
    assert len(doc.specs) == 60
    assert doc.serial == 60


def test_writer_gives_up_after_too_many_conflicts_and_loses_nothing(tmp_path: Path) -> None:
    store = FileStateStore(tmp_path / "state.json")
    rival = FileStateStore(tmp_path / "state.json")
    session = StateSession(store, patience=0)  # keeps trying while patient, then gives up

    def change(doc: StateDocument) -> None:
        """Another writer saves between every read and save of this one."""
        latest = rival.load()
        latest.document.specs[f"rival-{latest.document.serial}"] = SpecRecord()
        rival.save(latest.document, expected=latest.version, message="rival")
        doc.specs["mine"] = SpecRecord()

    with pytest.raises(
        StateConflict,
        match=rf"^{re.escape(store.description)}: other writers kept changing the state; "
        rf"gave up after {ATTEMPTS} attempts at: add mine$",
    ):
        session.commit(change, "add mine")
    doc = store.load().document
    assert sorted(doc.specs) == sorted(f"rival-{i}" for i in range(ATTEMPTS))
    assert doc.serial == ATTEMPTS


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'{"schema_version": 1, "specs": {', "not valid JSON"),
        (json.dumps({"schema_version": SCHEMA_VERSION + 1}).encode(), "written by a newer trainer"),
        (b"[]", "expected a JSON object"),
        (b'{"specs": {}}', "schema_version is missing"),
        (
            json.dumps({"schema_version": 1, "specs": {"t": {"current": "nope"}}}).encode(),
            "current revision 'nope' has no record",
        ),
        (
            json.dumps({"schema_version": 1, "serial": "many"}).encode(),
            "does not match the state schema",
        ),
    ],
)
def test_damaged_state_is_reported_and_never_overwritten(
    tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "state.json"
    path.write_bytes(content)
    store = FileStateStore(path)
    with pytest.raises(StateError, match=message):
        store.load()
    with pytest.raises(StateError):
        StateSession(store).commit(lambda d: None, "anything")
    assert path.read_bytes() == content
