"""Creating evaluation batches the reconcile way: claim in the state (write-ahead), upload
the input file, create the batch with metadata tags, record its id. A claim left by a run
that died is settled by looking the batch up by those tags: adopted if it exists, dropped
(and its requests sent again) if it does not. So a kill never submits requests twice."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta

from trainer import failpoints
from trainer.providers.base import ProviderError
from trainer.providers.batches import BatchClient, BatchInfo
from trainer.reconcile.batch_calls import Call
from trainer.reconcile.claims import Moot
from trainer.reconcile.identity import LEASE, RunIdentity
from trainer.short_ids import short
from trainer.state.batch_record import BatchRecord
from trainer.state.document import StateDocument
from trainer.state.session import StateSession

CLOCK_SKEW = timedelta(days=1)
"""How far the API's clock may be from ours: a claimed batch was created after its claim,
so adopting it reads the batch list back to the claim, less this, not the whole list."""

log = logging.getLogger("trainer.reconcile")


def _no_attempt(doc: StateDocument) -> int:
    return 0


@dataclass(frozen=True)
class BatchHome:
    """Where the state keeps an evaluation's batches, and the names they are tagged with:
    a spec revision's evaluation, or the production watch of an alias binding."""

    name: str
    """The spec, or the watched binding (`watch:model:alias`)."""
    revision: str
    records: Callable[[StateDocument], list[BatchRecord]]
    attempt: Callable[[StateDocument], int] = _no_attempt


def revision_batches(name: str, revision: str) -> BatchHome:
    """The batches of the evaluation of one spec revision."""
    return BatchHome(
        name,
        revision,
        lambda doc: doc.specs[name].revisions[revision].batches,
        lambda doc: doc.specs[name].revisions[revision].attempt,
    )


def batch_tags(
    name: str, revision: str, digest: str, round_: int, role: str, attempt: int
) -> dict[str, str]:
    """The metadata a batch is created with, and found again by after a crash."""
    return {
        "trainer_spec": name,
        "trainer_revision": revision,
        "trainer_evaluation": digest[:16],
        "trainer_round": str(round_),
        "trainer_role": role,
        "trainer_attempt": str(attempt),
    }


class BatchSubmitter:
    def __init__(
        self,
        session: StateSession,
        identity: RunIdentity,
        client: Callable[[], BatchClient],
        home: BatchHome,
        digest: str,
    ) -> None:
        self._session, self._identity, self._client = session, identity, client
        self._home, self._name, self._revision = home, home.name, home.revision
        self._digest = digest

    def _batches(self, doc: StateDocument) -> list[BatchRecord]:
        return self._home.records(doc)

    def _tags(self, batch: BatchRecord) -> dict[str, str]:
        attempt = self._home.attempt(self._session.doc)
        return batch_tags(
            self._name, self._revision, self._digest, batch.round, batch.role, attempt
        )

    def _live(self, batch: BatchRecord) -> bool:
        """Another run's fresh claim: it may be creating this batch right now."""
        me = self._identity
        return (
            batch.claim is not None
            and batch.claim != me.run_id
            and not me.exclusive
            and batch.claimed_at is not None
            and me.now() - batch.claimed_at < LEASE
        )

    def settle_claims(self) -> bool:
        """Adopt or drop the claims dead runs left; False while another run's is live."""
        doc = self._session.doc
        claimed = [
            b
            for b in self._batches(doc)
            if b.digest == self._digest and b.batch_id is None and b.claim is not None
        ]
        if any(self._live(b) for b in claimed):
            return False
        for batch in claimed:
            since = (batch.claimed_at - CLOCK_SKEW).timestamp() if batch.claimed_at else None
            found = self._client().find(self._tags(batch), since)
            key = (batch.round, batch.role)
            if found:
                log.info("adopted batch %s created by an earlier run", found[0].id)
                self._record(key, found[0], f"adopted batch {found[0].id}")
            else:
                self._session.commit(
                    functools.partial(self._drop, key=key),
                    f"reconcile: {self._name} batch claim dropped (never created)",
                )
        return True

    def _drop(self, doc: StateDocument, key: tuple[int, str]) -> None:
        batches = self._batches(doc)
        batches[:] = [
            b
            for b in batches
            if not (b.digest == self._digest and (b.round, b.role) == key and not b.batch_id)
        ]

    def submit(self, round_: int, groups: Mapping[str, tuple[str, list[Call]]]) -> str:
        """One batch per model (role → model, calls); returns what was submitted."""
        done = []
        for role, (model, calls) in sorted(groups.items()):
            info = self._create(round_, role, model, calls)
            if info is not None:
                done.append(f"{role} batch {info.id}")
        return ", ".join(done) or "nothing"

    def _create(self, round_: int, role: str, model: str, calls: list[Call]) -> BatchInfo | None:
        now = self._identity.now()
        claim = BatchRecord(
            digest=self._digest,
            round=round_,
            role=role,
            model=model,
            lines=len(calls),
            claim=self._identity.run_id,
            claimed_at=now,
            created_at=now,
            updated_at=now,
        )

        def intend(doc: StateDocument) -> None:
            batches = self._batches(doc)
            if any(
                b.digest == self._digest and (b.round, b.role) == (round_, role) for b in batches
            ):
                raise Moot  # another writer got there first
            batches.append(claim.model_copy())

        try:
            self._session.commit(intend, f"reconcile: {self._name} submitting {role} batch")
        except Moot:
            return None
        text = "".join(call.line(role) + "\n" for call in calls)
        name = self._name.replace(":", "-")
        filename = f"trainer-{name}-{short(self._revision)}-r{round_}-{role}.jsonl"
        try:
            file_id = self._client().upload(filename, text.encode("utf-8"))
            info = self._client().create(file_id, self._tags(claim))
        except ProviderError:
            self._release((round_, role))
            raise
        failpoints.hit("after_create_batch")
        self._record((round_, role), info, f"created batch {info.id}")
        return info

    def _release(self, key: tuple[int, str]) -> None:
        """The create failed (and may have happened): any run settles the claim at once."""

        def release(doc: StateDocument) -> None:
            for b in self._batches(doc):
                if b.digest == self._digest and (b.round, b.role) == key and not b.batch_id:
                    b.claimed_at = None
                    b.claim = "released"

        self._session.commit(release, f"reconcile: {self._name} batch creation failed")

    def _record(self, key: tuple[int, str], info: BatchInfo, what: str) -> None:
        now = self._identity.now()

        def record(doc: StateDocument) -> None:
            for b in self._batches(doc):
                if b.digest == self._digest and (b.round, b.role) == key:
                    b.batch_id, b.input_file_id, b.claim, b.claimed_at = (
                        info.id,
                        info.input_file_id,
                        None,
                        None,
                    )
                    b.status, b.total, b.updated_at = info.status, info.total, now

        self._session.commit(record, f"reconcile: {self._name} {what}")
