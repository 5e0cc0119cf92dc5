"""Datasets uploaded once per content, recorded before and after, adopted after a crash."""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

from trainer import failpoints
from trainer.datasets.fetch import fetch_dataset
from trainer.reconcile.run import Run
from trainer.specs.dataset_uri import DatasetRef
from trainer.state.document import Intent, StateDocument, UploadRecord


def content_key(ref: DatasetRef, run: Run) -> str:
    if ref.kind == "repo" and ref.path is not None:
        return f"git-blob:{run.check.digests(ref.path)}"
    return f"uri:{ref.uri}"


def upload_name(key: str, ref: DatasetRef) -> str:
    """The file name at the provider: carries the content key, so a lost upload is found."""
    base = Path(ref.path or ref.uri.rsplit("/", 1)[-1]).name or "dataset.jsonl"
    return f"trainer-{hashlib.sha256(key.encode()).hexdigest()[:16]}-{base}"


def ensure_uploaded(run: Run, ref: DatasetRef) -> str:
    """The provider file id of this dataset's content, uploading it at most once."""
    key = content_key(ref, run)
    filename = upload_name(key, ref)
    known = run.session.doc.uploads.get(key)
    if known and known.file_id:
        return known.file_id
    if known and known.intent and known.intent.run_id != run.run_id:
        found = run.provider.find_file(filename)
        if found:
            _record(run, key, filename, found)
            return found

    def intend(doc: StateDocument) -> None:
        doc.uploads[key] = UploadRecord(
            filename=filename, intent=Intent(op="upload", run_id=run.run_id, at=run.now())
        )

    run.session.commit(intend, f"reconcile: uploading {ref.uri}")
    if ref.kind == "repo" and ref.path is not None:
        file_id = run.provider.upload(run.check.ws.root / ref.path, filename)
    else:
        with tempfile.TemporaryDirectory(prefix="trainer-fetch-") as tmp:
            local = fetch_dataset(ref.uri, Path(tmp) / "dataset.jsonl")
            file_id = run.provider.upload(local, filename)
    failpoints.hit("after_upload")
    _record(run, key, filename, file_id)
    return file_id


def _record(run: Run, key: str, filename: str, file_id: str) -> None:
    def done(doc: StateDocument) -> None:
        doc.uploads[key] = UploadRecord(filename=filename, file_id=file_id)

    run.session.commit(done, f"reconcile: uploaded {filename} as {file_id}")
