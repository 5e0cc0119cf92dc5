"""Datasets uploaded once per content, recorded before and after, adopted after a crash."""

from __future__ import annotations

import hashlib

from trainer import failpoints
from trainer.digests import FileDigests
from trainer.reconcile.pass_scope import PassScope
from trainer.reconcile.remote_datasets import RemoteDatasets
from trainer.revision import dataset_identity
from trainer.specs.dataset_uri import DatasetRef
from trainer.state.document import IntentOp, StateDocument, UploadRecord


def upload_name(key: str, ref: DatasetRef) -> str:
    """The file name at the provider: carries the content key, so a lost upload is found."""
    base = ref.basename or "dataset.jsonl"
    return f"trainer-{hashlib.sha256(key.encode()).hexdigest()[:16]}-{base}"


class Uploads:
    """Provider file ids of dataset contents, each uploaded at most once."""

    def __init__(self, scope: PassScope, digests: FileDigests, remote: RemoteDatasets) -> None:
        self._session = scope.session
        self._provider = scope.provider
        self._identity = scope.identity
        self._root = scope.root
        self._digests = digests
        self._remote = remote

    def ensure(self, ref: DatasetRef, revision: str) -> str:
        """The provider file id of this dataset's content, uploading it if no run has.

        Repository files are known by their blob id; remote files by the content this
        revision fetched (and checked), never by a URI whose content may change."""
        if ref.kind == "repo" and ref.path is not None:
            key, local = dataset_identity(ref, self._digests), self._root / ref.path
        else:
            copy = self._remote.copy(revision, ref)
            key, local = f"sha256:{copy.sha256}", copy.path
        filename = upload_name(key, ref)
        known = self._session.doc.uploads.get(key)
        if known and known.file_id:
            return known.file_id
        if known and known.intent and not self._identity.owns(known.intent):
            found = self._provider.find_file(filename)
            if found:
                self._record(key, filename, found)
                return found
        intent = self._identity.intent(IntentOp.UPLOAD)

        def intend(doc: StateDocument) -> None:
            doc.uploads[key] = UploadRecord(filename=filename, intent=intent)

        self._session.commit(intend, f"reconcile: uploading {ref.display}")
        file_id = self._provider.upload(local, filename)
        failpoints.hit("after_upload")
        self._record(key, filename, file_id)
        return file_id

    def _record(self, key: str, filename: str, file_id: str) -> None:
        def done(doc: StateDocument) -> None:
            doc.uploads[key] = UploadRecord(filename=filename, file_id=file_id)

        self._session.commit(done, f"reconcile: uploaded {filename} as {file_id}")
