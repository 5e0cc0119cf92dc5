"""State records built from what a spec asks for, in a chosen phase."""

from __future__ import annotations

from datetime import UTC, datetime

from trainer.phases import Phase
from trainer.planner import DesiredSpec
from trainer.state.document import ProviderRecord, RevisionRecord, SpecRecord, StateDocument

AT = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def record(
    desired: DesiredSpec, phase: Phase, job_id: str | None = "ftjob-abc123", **provider: object
) -> RevisionRecord:
    return RevisionRecord(
        revision=desired.revision,
        phase=phase,
        fields={group: dict(values) for group, values in desired.fields.items()},
        evaluation_digest=desired.evaluation_digest,
        promotion_digest=desired.promotion_digest,
        created_at=AT,
        updated_at=AT,
        provider=ProviderRecord(job_id=job_id, **provider),  # type: ignore[arg-type]
    )


def state_with(*records: tuple[str, RevisionRecord]) -> StateDocument:
    doc = StateDocument(lineage="00000000-0000-0000-0000-000000000000")
    for name, rec in records:
        spec = doc.specs.setdefault(name, SpecRecord())
        spec.revisions[rec.revision] = rec
        spec.current = rec.revision
    return doc
