"""Claiming a revision before its job is created: the one state change that decides
whether this run creates a job, takes over another run's attempt, or has nothing to do."""

from __future__ import annotations

from enum import Enum

from trainer.phases import ENDED, TRAINING_IN_FLIGHT, Phase
from trainer.planner import DesiredSpec
from trainer.reconcile.identity import RunIdentity
from trainer.state.document import (
    IntentOp,
    ProviderRecord,
    RevisionRecord,
    SpecRecord,
    StateDocument,
    Transition,
)


class Claim(Enum):
    FRESH = "fresh"
    """No job exists for this attempt: create one."""
    TAKEOVER = "takeover"
    """An earlier run intended to create the job and stopped: adopt it, or create it."""
    EXISTING = "existing"
    """The revision has (or had) its job, or is promoted: nothing to start."""
    REVIVED = "revived"
    """A superseded revision with a trained model is current again: evaluate it again."""
    BUSY = "busy"
    """Another run is creating the job right now."""

    @property
    def creates_job(self) -> bool:
        return self in (Claim.FRESH, Claim.TAKEOVER)


class Moot(Exception):
    """Raised inside a state change whose precondition no longer holds: nothing is saved."""


def desired_record(desired: DesiredSpec, reason: str, identity: RunIdentity) -> RevisionRecord:
    now = identity.now()
    return RevisionRecord(
        revision=desired.revision,
        phase=Phase.PENDING,
        fields={k: dict(v) for k, v in desired.fields.items()},
        tenant=desired.scope,
        base_model=desired.base_model,
        evaluation_digest=desired.evaluation_digest,
        promotion_digest=desired.promotion_digest,
        created_at=now,
        updated_at=now,
        history=[Transition(at=now, from_phase=None, to=Phase.PENDING, reason=reason)],
    )


def _kind(record: RevisionRecord | None, identity: RunIdentity) -> Claim:
    if record is None:
        return Claim.FRESH
    if record.intent is not None:
        return Claim.BUSY if identity.respects(record.intent) else Claim.TAKEOVER
    if record.phase is Phase.PROMOTED:  # its model serves already: never train it again
        return Claim.EXISTING
    if record.phase not in ENDED and (
        record.provider.job_id or record.phase not in TRAINING_IN_FLIGHT
    ):
        return Claim.EXISTING
    return Claim.FRESH


def claim_revision(
    doc: StateDocument, desired: DesiredSpec, reason: str, identity: RunIdentity
) -> tuple[Claim, str | None]:
    """Make `desired.revision` the spec's current one and, if a job is to be created, record
    the intent. Returns the claim and the revision it replaces (if any)."""
    spec = doc.specs.setdefault(desired.name, SpecRecord())
    previous = spec.current if spec.current != desired.revision else None
    record = spec.revisions.get(desired.revision)
    claim = _kind(record, identity)
    if claim is Claim.BUSY:
        return claim, None
    now = identity.now()
    if record is None:
        record = spec.revisions[desired.revision] = desired_record(desired, reason, identity)
    elif record.phase in ENDED and record.phase is not Phase.PROMOTED:
        if record.provider.fine_tuned_model and record.phase is Phase.SUPERSEDED:
            record.move(Phase.EVALUATING, "the spec returned to this trained revision", now)
            claim = Claim.REVIVED
        else:
            record.move(Phase.PENDING, "the spec returned to this revision; training again", now)
            record.provider = ProviderRecord()
            record.error = None
            claim = Claim.FRESH
    if claim.creates_job:
        if claim is Claim.FRESH:
            record.attempt += 1
        record.intent = identity.intent(IntentOp.CREATE_JOB)
    record.fields = {k: dict(v) for k, v in desired.fields.items()}
    record.tenant, record.base_model = desired.scope, desired.base_model
    spec.current = desired.revision
    return claim, previous
