"""Follow in-flight jobs: one status call per job per pass, all jobs at once."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from trainer.datasets.pricing import Pricing
from trainer.phases import TRAINING_IN_FLIGHT, Phase, can_move
from trainer.providers.base import JobInfo, Provider, ProviderAuthError, ProviderError
from trainer.providers.status import TERMINAL_STATUSES, phase_for
from trainer.reconcile.identity import RunIdentity
from trainer.reconcile.pass_result import PassResult
from trainer.state.batch_record import BATCH_ACTIVE
from trainer.state.document import RevisionRecord, StateDocument
from trainer.state.session import StateSession

log = logging.getLogger("trainer.reconcile")
MAX_PARALLEL_POLLS = 16
EVENTS_KEPT = 10


def _when(stamp: int | None) -> datetime | None:
    return datetime.fromtimestamp(stamp, UTC) if stamp else None


def apply_job(
    record: RevisionRecord, info: JobInfo, why: str, now: datetime, pricing: Pricing
) -> None:
    """Record what the provider says of a job and move the revision's phase to match."""
    provider = record.provider
    provider.status = info.status
    provider.fine_tuned_model = info.fine_tuned_model or provider.fine_tuned_model
    provider.trained_tokens = info.trained_tokens or provider.trained_tokens
    provider.finished_at = _when(info.finished_at) or provider.finished_at
    if info.error_message:
        provider.error = info.error_message
        provider.error_code = info.error_code
        record.error = (
            f"{info.error_code}: {info.error_message}" if info.error_code else info.error_message
        )
    if provider.trained_tokens:
        price = pricing.price(record.base_model)
        if price is not None:
            provider.cost_usd = round(
                provider.trained_tokens / 1_000_000 * price.training_per_1m_tokens, 4
            )
    target = phase_for(info.status)
    if target is None:
        log.warning("unknown provider status %r for job %s", info.status, info.id)
        return
    if target is not record.phase and can_move(record.phase, target):
        detail = {
            Phase.EVALUATING: f"job succeeded: {info.fine_tuned_model}",
            Phase.FAILED: f"job failed: {record.error or 'no reason given'}",
            Phase.CANCELLED: "job cancelled at the provider",
        }.get(target, f"provider status {info.status}")
        record.move(target, f"{why}; {detail}" if why else detail, now)


def jobs_in_flight(doc: StateDocument) -> list[tuple[str, str, str]]:
    """(spec, revision, job id) of every current revision whose job may be running."""
    return [
        (name, spec.current, record.provider.job_id)
        for name, spec in doc.specs.items()
        if spec.current
        and (record := spec.revisions[spec.current]).phase in TRAINING_IN_FLIGHT
        and record.provider.job_id
        and record.intent is None
    ]


def in_flight(doc: StateDocument) -> list[tuple[str, str, str]]:
    """(spec, revision, job or batch id) of every current revision whose job may be running
    or whose evaluation waits for a batch."""
    batches = [
        (name, spec.current, batch.batch_id or "(batch)")
        for name, spec in doc.specs.items()
        if spec.current and (record := spec.revisions[spec.current]).phase is Phase.EVALUATING
        for batch in record.batches
        if batch.digest == record.evaluation_digest and batch.status in BATCH_ACTIVE
    ]
    return jobs_in_flight(doc) + batches


def _ask(provider: Provider, job_ids: list[str]) -> list[JobInfo | ProviderError]:
    def fetch(job_id: str) -> JobInfo | ProviderError:
        try:
            return provider.get_job(job_id)
        except ProviderAuthError:
            raise
        except ProviderError as exc:
            return exc

    with ThreadPoolExecutor(min(MAX_PARALLEL_POLLS, len(job_ids))) as pool:
        return list(pool.map(fetch, job_ids))


def poll_jobs(
    session: StateSession,
    provider: Provider,
    identity: RunIdentity,
    result: PassResult,
    pricing: Pricing,
) -> None:
    targets = jobs_in_flight(session.doc)
    if not targets:
        return
    answers = _ask(provider, [job_id for _, _, job_id in targets])
    events: dict[str, list[str]] = {}
    for (name, _, job_id), answer in zip(targets, answers, strict=True):
        if isinstance(answer, ProviderError):
            result.provider_errors += 1
            result.fail(name, f"could not get the status of job {job_id}: {answer}")
        elif answer.status in TERMINAL_STATUSES:
            try:
                events[job_id] = [
                    f"{e.level}: {e.message}" for e in provider.events(job_id, EVENTS_KEPT)
                ]
            except ProviderError as exc:
                log.warning("could not read the events of job %s: %s", job_id, exc)

    def record(doc: StateDocument) -> None:
        for (name, revision, job_id), answer in zip(targets, answers, strict=True):
            rec = doc.specs[name].revisions[revision]
            if isinstance(answer, ProviderError) or rec.provider.job_id != job_id:
                continue
            if rec.intent is not None or rec.phase not in TRAINING_IN_FLIGHT:
                continue  # another writer moved it on since we read it
            apply_job(rec, answer, "", identity.now(), pricing)
            if job_id in events:
                rec.provider.events = events[job_id]

    before = {name: session.doc.specs[name].revisions[rev].phase for name, rev, _ in targets}
    session.commit(record, f"reconcile: status of {len(targets)} job(s)")
    for (name, revision, job_id), answer in zip(targets, answers, strict=True):
        rec = session.doc.specs[name].revisions[revision]
        if isinstance(answer, ProviderError) or rec.phase is before[name]:
            continue
        if rec.phase is Phase.FAILED:
            result.fail(name, f"job {job_id} failed: {rec.error or 'no reason given'}")
        else:
            result.note(name, f"job {job_id}: {before[name]} -> {rec.phase} ({answer.status})")
