"""Start, adopt and cancel fine-tuning jobs, recording intent before and result after."""

from __future__ import annotations

import logging
from typing import Literal

from trainer import failpoints
from trainer.phases import ENDED, TRAINING_IN_FLIGHT, Phase
from trainer.planner import DesiredSpec
from trainer.providers.base import JobInfo, JobRequest, ProviderRejected
from trainer.providers.status import TERMINAL_STATUSES
from trainer.reconcile.polling import apply_job
from trainer.reconcile.run import Run
from trainer.reconcile.uploads import ensure_uploaded
from trainer.specs.loader import JobSpec
from trainer.state.document import (
    Intent,
    ProviderRecord,
    RevisionRecord,
    SpecRecord,
    StateDocument,
    Transition,
)

log = logging.getLogger("trainer.reconcile")


class Moot(Exception):
    """Raised inside a state change whose precondition no longer holds: nothing is saved."""


Claim = Literal["fresh", "takeover", "existing", "revived", "busy"]


def job_tags(name: str, revision: str, attempt: int) -> dict[str, str]:
    return {"trainer_spec": name, "trainer_revision": revision, "trainer_attempt": str(attempt)}


def _claim(
    doc: StateDocument, run: Run, desired: DesiredSpec, reason: str
) -> tuple[Claim, str | None]:
    """Make `desired.revision` the spec's current one and mark that a job is being created."""
    spec = doc.specs.setdefault(desired.name, SpecRecord())
    previous = spec.current if spec.current != desired.revision else None
    record = spec.revisions.get(desired.revision)
    now = run.now()
    if record is not None and record.intent is not None:
        if run.foreign_intent_is_live(record.intent.run_id, record.intent.at):
            return "busy", None
        mode: Claim = "takeover"
    elif record is not None and (
        record.phase is Phase.PROMOTED  # its model serves already: never train it again
        or (
            record.phase not in ENDED
            and (record.provider.job_id or record.phase not in TRAINING_IN_FLIGHT)
        )
    ):
        mode = "existing"
    else:
        mode = "fresh"
    if record is None:
        record = RevisionRecord(
            revision=desired.revision,
            phase=Phase.PENDING,
            fields={k: dict(v) for k, v in desired.fields.items()},
            evaluation_digest=desired.evaluation_digest,
            promotion_digest=desired.promotion_digest,
            created_at=now,
            updated_at=now,
            history=[Transition(at=now, from_phase=None, to=Phase.PENDING, reason=reason)],
        )
        spec.revisions[desired.revision] = record
    elif record.phase in ENDED and record.phase is not Phase.PROMOTED:
        if record.provider.fine_tuned_model and record.phase is Phase.SUPERSEDED:
            record.move(Phase.EVALUATING, "the spec returned to this trained revision", now)
            mode = "revived"
        else:
            record.move(Phase.PENDING, "the spec returned to this revision; training again", now)
            record.provider = ProviderRecord()
            record.error = None
            mode = "fresh"
    if mode in ("fresh", "takeover"):
        if mode == "fresh":
            record.attempt += 1
        record.intent = Intent(op="create_job", run_id=run.run_id, at=now)
    record.fields = {k: dict(v) for k, v in desired.fields.items()}
    spec.current = desired.revision
    return mode, previous


def start_training(run: Run, desired: DesiredSpec, job: JobSpec, reason: str) -> None:
    name, revision = desired.name, desired.revision
    mode, previous = run.session.commit(
        lambda doc: _claim(doc, run, desired, reason),
        f"reconcile: {name} wants revision {revision[:12]} ({reason})",
    )
    if mode == "busy":
        run.result.skipped.append((name, "another reconciler is starting this revision"))
        return
    failpoints.hit("after_claim")
    if previous:
        retire(run, name, previous, Phase.SUPERSEDED, f"replaced by revision {revision[:12]}")
    if mode in ("existing", "revived"):
        run.result.note(
            name,
            f"revision {revision[:12]} is {run.session.doc.specs[name].revisions[revision].phase}",
        )
        return
    record = run.session.doc.specs[name].revisions[revision]
    tags = job_tags(name, revision, record.attempt)
    info: JobInfo | None = None
    if mode == "takeover":
        found = run.provider.find_jobs(tags)
        info = found[0] if found else None
        if info:
            log.info("adopted job %s created by an earlier run", info.id, extra={"spec": name})
    if info is None:
        files = {role: ensure_uploaded(run, ref) for role, ref in job.datasets.items()}
        spec = job.spec
        hyper = spec.config.model_dump(exclude_none=True)
        request = JobRequest(
            base_model=spec.base_model,
            training_file=files["training"],
            validation_file=files.get("validation"),
            method=spec.method,
            hyperparameters=hyper,
            suffix=spec.suffix,
            seed=spec.seed,
            metadata=tags,
        )

        def confirm(doc: StateDocument) -> None:
            """Still ours? (Another run may have taken over after the lease.) Renew it."""
            rec = doc.specs[name].revisions[revision]
            if rec.intent is None or rec.intent.run_id != run.run_id:
                raise Moot
            rec.files.update(files)
            rec.intent.at = run.now()

        try:
            run.session.commit(confirm, f"reconcile: {name} datasets uploaded")
        except Moot:
            run.result.skipped.append((name, "another reconciler took over starting this job"))
            return
        try:
            info = run.provider.create_job(request)
        except ProviderRejected as exc:
            _record_rejection(run, name, revision, str(exc), exc.code)
            return
        failpoints.hit("after_create_job")
    created = info
    run.session.commit(
        lambda doc: _record_created(doc, run, name, revision, created, adopted=mode == "takeover"),
        f"reconcile: {name} job {created.id}",
    )
    run.result.note(
        name,
        f"{'adopted' if mode == 'takeover' else 'started'} job {created.id} "
        f"for revision {revision[:12]}",
    )


def _record_created(
    doc: StateDocument, run: Run, name: str, revision: str, info: JobInfo, *, adopted: bool
) -> None:
    record = doc.specs[name].revisions[revision]
    record.intent = None
    record.provider.job_id = info.id
    record.provider.created_at = run.now()
    word = "adopted (created by an earlier run)" if adopted else "created"
    apply_job(doc, run, name, revision, info, f"job {info.id} {word}")


def _record_rejection(run: Run, name: str, revision: str, message: str, code: str | None) -> None:
    def fail(doc: StateDocument) -> None:
        record = doc.specs[name].revisions[revision]
        record.intent = None
        record.error = message
        record.provider.error = message
        record.provider.error_code = code
        record.move(Phase.FAILED, f"the provider refused the job: {message}", run.now())

    run.session.commit(fail, f"reconcile: {name} job refused")
    run.result.fail(name, f"the provider refused the job: {message}")


def retire(run: Run, name: str, revision: str, final: Phase, reason: str) -> None:
    """End a revision: cancel its job if one may be running, then record why."""
    record = run.session.doc.specs[name].revisions[revision]
    if record.phase is Phase.PROMOTED or record.phase in ENDED:
        return
    if record.intent and run.foreign_intent_is_live(record.intent.run_id, record.intent.at):
        return
    if record.phase is Phase.AWAITING_REVIEW:
        run.promoter.close_pr(
            name,
            revision,
            f"Superseded: the spec moved on ({reason}); a new promotion pull request follows "
            "if the new revision passes its evaluation.",
            reason,
        )
        return
    if record.phase not in TRAINING_IN_FLIGHT:

        def supersede(doc: StateDocument) -> None:
            rec = doc.specs[name].revisions[revision]
            if rec.phase in ENDED:
                return  # another writer ended it first
            rec.intent = None
            rec.move(Phase.SUPERSEDED, reason, run.now())

        run.session.commit(supersede, f"reconcile: {name} revision {revision[:12]} superseded")
        return
    job_id = record.provider.job_id
    if job_id is None and record.intent is not None:  # a create that may have happened
        found = run.provider.find_jobs(job_tags(name, revision, record.attempt))
        job_id = found[0].id if found else None
    info: JobInfo | None = None
    if job_id is not None:

        def intend(doc: StateDocument) -> None:
            rec = doc.specs[name].revisions[revision]
            if rec.phase not in TRAINING_IN_FLIGHT or (
                rec.intent and run.foreign_intent_is_live(rec.intent.run_id, rec.intent.at)
            ):
                raise Moot  # another run ended it meanwhile, or is ending it now
            rec.intent = Intent(op="cancel_job", run_id=run.run_id, at=run.now())

        try:
            run.session.commit(intend, f"reconcile: cancelling job {job_id} of {name}")
        except Moot:
            return
        try:
            info = run.provider.cancel_job(job_id)
        except ProviderRejected:  # it ended meanwhile; record how
            info = run.provider.get_job(job_id)
        failpoints.hit("after_cancel_job")
    ended = info

    def record_end(doc: StateDocument) -> None:
        rec = doc.specs[name].revisions[revision]
        rec.intent = None
        if rec.phase in ENDED:
            return  # someone recorded the end first
        if ended is not None:
            rec.provider.job_id = ended.id
            rec.provider.status = ended.status
            rec.provider.fine_tuned_model = ended.fine_tuned_model
        rec.move(final, reason, run.now())

    run.session.commit(record_end, f"reconcile: {name} revision {revision[:12]} {final}")
    what = (
        f"cancelled job {job_id}"
        if job_id and (ended is None or ended.status not in TERMINAL_STATUSES - {"cancelled"})
        else "recorded"
    )
    run.result.note(name, f"{what}: {reason}")
