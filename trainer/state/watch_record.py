"""What the state keeps of the production watch of one alias binding (`model:alias`)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from trainer.state.batch_record import BatchRecord


class WatchRecord(BaseModel):
    """The last verdict on the model bound to an alias (trainer.reconcile.watch)."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    model: str = ""
    alias: str = ""
    version: int = 0
    fine_tuned_model: str = ""
    spec: str = ""
    """The spec whose suites, thresholds and judge judge it."""
    digest: str = ""
    """The evaluation settings and judge calibration of the verdict: a change re-evaluates."""
    at: datetime
    passed: bool | None = None
    """None: watched since `at`, not evaluated yet (no verdict under these settings)."""
    scores: dict[str, float] = Field(default_factory=dict)
    recorded: dict[str, float] = Field(default_factory=dict)
    """The scores the registry recorded at promotion."""
    drops: list[str] = Field(default_factory=list)
    report: str | None = None
    source: str = ""
    """Why this verdict exists: its promotion evaluation, a settings change, the monitor."""
    requests: int = 0
    pending: str | None = None
    """Batch mode: the evaluation whose batches are in flight (the digest of its batches),
    until its verdict replaces this record."""
    batches: list[BatchRecord] = Field(default_factory=list)
