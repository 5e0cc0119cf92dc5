"""What the state keeps of a batch (/v1/batches) of evaluation requests: which requests
(round, role, model), the provider's id and progress, and where its answers are."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict


class BatchRecord(BaseModel):
    """One batch of one model's requests for one evaluation of a revision."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    digest: str
    """The evaluation digest it answers for; batches of another digest are stale."""
    round: int
    """Submissions of this evaluation so far, this one included (answers, judge, retries)."""
    role: str
    """candidate, baseline or judge: who `model` is in this evaluation."""
    model: str
    lines: int
    """Requests in its input file."""
    batch_id: str | None = None
    input_file_id: str | None = None
    claim: str | None = None
    """The run creating it (written before the batch is created, cleared after it is
    recorded): a later run adopts the batch by its metadata instead of creating another."""
    claimed_at: datetime | None = None
    status: str = "pending"
    """The provider's status (validating, in_progress, finalizing, completed, expired,
    failed, cancelling, cancelled), or `pending` before it is created."""
    completed: int = 0
    failed: int = 0
    total: int = 0
    output_file_id: str | None = None
    error_file_id: str | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    created_at: datetime
    updated_at: datetime


BATCH_ACTIVE = frozenset({"pending", "validating", "in_progress", "finalizing", "cancelling"})
"""Statuses of a batch that will still change (`pending`: claimed, not created yet)."""
