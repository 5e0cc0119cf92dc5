"""Start, adopt and end fine-tuning jobs, recording the intent before and the result after."""

from __future__ import annotations

import logging

from trainer import failpoints
from trainer.datasets.fetch import FetchError
from trainer.datasets.pricing import Pricing
from trainer.phases import ENDED, TRAINING_IN_FLIGHT, Phase
from trainer.planner import DesiredSpec
from trainer.providers.base import (
    JobInfo,
    JobRequest,
    ProviderError,
    ProviderRejected,
)
from trainer.providers.status import TERMINAL_STATUSES
from trainer.reconcile.claims import Claim, Moot, claim_revision
from trainer.reconcile.job_status import apply_job
from trainer.reconcile.pass_scope import PassScope
from trainer.reconcile.pull_requests import PromotionPullRequests
from trainer.reconcile.remote_datasets import RemoteDatasets
from trainer.reconcile.uploads import Uploads
from trainer.short_ids import short
from trainer.specs.workspace import JobSpec
from trainer.state.document import IntentOp, StateDocument

log = logging.getLogger("trainer.reconcile")


def job_tags(name: str, revision: str, attempt: int) -> dict[str, str]:
    """The metadata a job is created with, and found again by after a crash."""
    return {"trainer_spec": name, "trainer_revision": revision, "trainer_attempt": str(attempt)}


class TrainingJobs:
    def __init__(
        self,
        scope: PassScope,
        uploads: Uploads,
        pull_requests: PromotionPullRequests,
        pricing: Pricing,
        remote: RemoteDatasets,
    ) -> None:
        self._session = scope.session
        self._remote = remote
        self._provider = scope.provider
        self._identity = scope.identity
        self._result = scope.result
        self._uploads = uploads
        self._pull_requests = pull_requests
        self._pricing = pricing

    def start(self, desired: DesiredSpec, job: JobSpec, reason: str) -> None:
        """Make `desired` the spec's revision and see that exactly one job trains it."""
        name, revision = desired.name, desired.revision
        claim, previous = self._session.commit(
            lambda doc: claim_revision(doc, desired, reason, self._identity),
            f"reconcile: {name} wants revision {short(revision)} ({reason})",
        )
        if claim is Claim.BUSY:
            self._adopt_orphan(name, revision)
            return
        failpoints.hit("after_claim")
        if previous:
            self.retire(name, previous, Phase.SUPERSEDED, f"replaced by revision {short(revision)}")
        record = self._session.doc.specs[name].revisions[revision]
        if not claim.creates_job:
            self._result.note(name, f"revision {short(revision)} is {record.phase}")
            return
        tags = job_tags(name, revision, record.attempt)
        info = self._adopt(name, tags) if claim is Claim.TAKEOVER else None
        adopted = info is not None
        if info is None:
            info = self._create(name, revision, job, tags)
            if info is None:
                return
        created = info
        self._session.commit(
            lambda doc: self._record_created(doc, name, revision, created, adopted=adopted),
            f"reconcile: {name} job {created.id}",
        )
        verb = "adopted" if adopted else "started"
        self._result.note(name, f"{verb} job {created.id} for revision {short(revision)}")
        ended = self._session.doc.specs[name].revisions[revision]
        if ended.phase is Phase.FAILED:  # it failed before the first poll could see it
            self._result.fail(name, f"job {created.id} failed: {ended.error or 'no reason given'}")

    def _adopt_orphan(self, name: str, revision: str) -> None:
        """Another run intends to create this revision's job and may still be live. Looking
        the job up by its tags is a read: if it exists (that run died after creating it, or
        is about to record it), record it now instead of waiting for the lease."""
        record = self._session.doc.specs[name].revisions[revision]
        found = self._adopt(name, job_tags(name, revision, record.attempt))
        if found is None:
            self._result.skip(name, "another reconciler is starting this revision")
            return
        orphan = found
        self._session.commit(
            lambda doc: self._record_created(doc, name, revision, orphan, adopted=True),
            f"reconcile: {name} job {orphan.id}",
        )
        self._result.note(name, f"adopted job {orphan.id} for revision {short(revision)}")

    def _adopt(self, name: str, tags: dict[str, str]) -> JobInfo | None:
        found = self._provider.find_jobs(tags)
        if found:
            log.info("adopted job %s created by an earlier run", found[0].id, extra={"spec": name})
        return found[0] if found else None

    def _create(
        self, name: str, revision: str, job: JobSpec, tags: dict[str, str]
    ) -> JobInfo | None:
        try:
            checked = self._remote.check(name, revision, job)
        except FetchError:
            self._release(name, revision)  # the next pass fetches again
            raise
        if checked is not None:
            if checked.refusal:
                self._refuse(name, revision, checked.refusal)
                return None
            self._result.note(name, checked.summary)
        try:
            files = {
                role: self._uploads.ensure(ref, revision) for role, ref in job.datasets.items()
            }
        except FetchError:
            self._release(name, revision)
            raise
        spec = job.spec
        request = JobRequest(
            base_model=spec.base_model,
            training_file=files["training"],
            validation_file=files.get("validation"),
            method=spec.method,
            hyperparameters=spec.config.model_dump(exclude_none=True),
            suffix=spec.suffix,
            seed=spec.seed,
            metadata=tags,
        )

        def confirm(doc: StateDocument) -> None:
            """Still ours? (Another run may have taken over after the lease.) Renew it."""
            rec = doc.specs[name].revisions[revision]
            if not self._identity.owns(rec.intent):
                raise Moot
            assert rec.intent is not None
            rec.files.update(files)
            rec.intent.at = self._identity.now()

        try:
            self._session.commit(confirm, f"reconcile: {name} datasets uploaded")
        except Moot:
            self._result.skip(name, "another reconciler took over starting this job")
            return None
        try:
            info = self._provider.create_job(request)
        except ProviderRejected as exc:
            self._record_rejection(name, revision, str(exc), exc.code)
            return None
        except ProviderError:
            self._release(name, revision)
            raise
        failpoints.hit("after_create_job")
        return info

    def _release(self, name: str, revision: str) -> None:
        """The create failed with an error this run handles (and may or may not have been
        applied): let the next run take over at once; it looks the job up by its tags."""

        def release(doc: StateDocument) -> None:
            rec = doc.specs[name].revisions[revision]
            if self._identity.owns(rec.intent):
                assert rec.intent is not None
                rec.intent.released = True

        self._session.commit(release, f"reconcile: {name} job creation failed; intent released")

    def _record_created(
        self, doc: StateDocument, name: str, revision: str, info: JobInfo, *, adopted: bool
    ) -> None:
        record = doc.specs[name].revisions[revision]
        record.intent = None
        record.provider.job_id = info.id
        record.provider.created_at = self._identity.now()
        word = "adopted (created by an earlier run)" if adopted else "created"
        apply_job(record, info, f"job {info.id} {word}", self._identity.now(), self._pricing)

    def _refuse(self, name: str, revision: str, message: str) -> None:
        """The revision must not train (its remote data failed the checks or the budget)."""

        def refuse(doc: StateDocument) -> None:
            record = doc.specs[name].revisions[revision]
            record.intent = None
            record.error = message
            record.move(Phase.FAILED, message.split("\n", 1)[0], self._identity.now())

        self._session.commit(refuse, f"reconcile: {name} revision {short(revision)} refused")
        self._result.fail(name, message)

    def _record_rejection(self, name: str, revision: str, message: str, code: str | None) -> None:
        def fail(doc: StateDocument) -> None:
            record = doc.specs[name].revisions[revision]
            record.intent = None
            record.error = message
            record.provider.error = message
            record.provider.error_code = code
            record.move(
                Phase.FAILED, f"the provider refused the job: {message}", self._identity.now()
            )

        self._session.commit(fail, f"reconcile: {name} job refused")
        self._result.fail(name, f"the provider refused the job: {message}")

    def retire(self, name: str, revision: str, final: Phase, reason: str) -> None:
        """End a revision: cancel its job if one may be running, then record why."""
        record = self._session.doc.specs[name].revisions[revision]
        if record.phase is Phase.PROMOTED or record.phase in ENDED:
            return
        if self._identity.respects(record.intent):
            return
        if record.phase is Phase.AWAITING_REVIEW:
            self._pull_requests.close(
                name,
                revision,
                f"Superseded: the spec moved on ({reason}); a new promotion pull request follows "
                "if the new revision passes its evaluation.",
                reason,
            )
            return
        if record.phase not in TRAINING_IN_FLIGHT:
            self._supersede(name, revision, reason)
            return
        job_id = record.provider.job_id
        if job_id is None and record.intent is not None:  # a create that may have happened
            found = self._provider.find_jobs(job_tags(name, revision, record.attempt))
            job_id = found[0].id if found else None
        ended: JobInfo | None = None
        if job_id is not None:
            try:
                ended = self._cancel(name, revision, job_id)
            except Moot:
                return
        self._record_end(name, revision, final, reason, ended)
        what = (
            f"cancelled job {job_id}"
            if job_id and (ended is None or ended.status not in TERMINAL_STATUSES - {"cancelled"})
            else "recorded"
        )
        self._result.note(name, f"{what}: {reason}")

    def _supersede(self, name: str, revision: str, reason: str) -> None:
        def supersede(doc: StateDocument) -> None:
            rec = doc.specs[name].revisions[revision]
            if rec.phase in ENDED:
                return  # another writer ended it first
            rec.intent = None
            rec.move(Phase.SUPERSEDED, reason, self._identity.now())

        self._session.commit(supersede, f"reconcile: {name} revision {short(revision)} superseded")

    def _cancel(self, name: str, revision: str, job_id: str) -> JobInfo:
        def intend(doc: StateDocument) -> None:
            rec = doc.specs[name].revisions[revision]
            if rec.phase not in TRAINING_IN_FLIGHT or self._identity.respects(rec.intent):
                raise Moot  # another run ended it meanwhile, or is ending it now
            rec.intent = self._identity.intent(IntentOp.CANCEL_JOB)

        self._session.commit(intend, f"reconcile: cancelling job {job_id} of {name}")
        try:
            info = self._provider.cancel_job(job_id)
        except ProviderRejected:  # it ended meanwhile; record how
            info = self._provider.get_job(job_id)
        failpoints.hit("after_cancel_job")
        return info

    def _record_end(
        self, name: str, revision: str, final: Phase, reason: str, ended: JobInfo | None
    ) -> None:
        def record_end(doc: StateDocument) -> None:
            rec = doc.specs[name].revisions[revision]
            rec.intent = None
            if rec.phase in ENDED:
                return  # someone recorded the end first
            if ended is not None:
                rec.provider.job_id = ended.id
                rec.provider.status = ended.status
                rec.provider.fine_tuned_model = ended.fine_tuned_model
            rec.move(final, reason, self._identity.now())

        self._session.commit(record_end, f"reconcile: {name} revision {short(revision)} {final}")
