"""The state document: what trainer has observed and done, per spec and revision.

Versioned (`schema_version`); a document from a newer trainer is refused rather than
half-understood, and a document that fails validation is reported, never overwritten.
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from trainer.clock import utcnow
from trainer.errors import StateError
from trainer.logs import scrub
from trainer.phases import Phase, can_move
from trainer.short_ids import short
from trainer.state.alert_record import AlertRecord
from trainer.state.batch_record import BatchRecord
from trainer.state.watch_record import WatchRecord

SCHEMA_VERSION = 1


class StateModel(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class Transition(StateModel):
    at: datetime
    from_phase: Phase | None = Field(alias="from", default=None)
    to: Phase
    reason: str

    model_config = ConfigDict(populate_by_name=True)


class ProviderRecord(StateModel):
    """What the provider told us about the job of a revision."""

    job_id: str | None = None
    status: str | None = None
    fine_tuned_model: str | None = None
    trained_tokens: int | None = None
    cost_usd: float | None = None
    error: str | None = None
    error_code: str | None = None
    created_at: datetime | None = None
    finished_at: datetime | None = None
    events: list[str] = Field(default_factory=list)
    """The last events of the job, newest first, once it has ended."""


class IntentOp(StrEnum):
    """The side effects recorded before they happen."""

    UPLOAD = "upload"
    CREATE_JOB = "create_job"
    CANCEL_JOB = "cancel_job"
    OPEN_PR = "open_pr"


class Intent(StateModel):
    """A side effect about to happen (write-ahead): who started it and when.

    If a run dies before recording the result, the next run finds the intent and
    looks for the effect at the provider (by tags or file name) before repeating it.
    """

    op: IntentOp
    run_id: str
    at: datetime
    detail: str | None = None
    released: bool = False
    """The run that recorded it gave up (a handled error): any run may take over at once,
    looking the effect up first."""


class UploadRecord(StateModel):
    """One dataset content uploaded once, reused by every revision that trains on it."""

    filename: str
    file_id: str | None = None
    intent: Intent | None = None


class EvaluationRecord(StateModel):
    """The outcome of evaluating a revision's model with given evaluation settings."""

    digest: str
    """The evaluation digest (settings, thresholds, suites) it was run with."""
    passed: bool
    scores: dict[str, float]
    baseline: str | None = None
    baseline_scores: dict[str, float] | None = None
    failures: list[str] = Field(default_factory=list)
    report: str
    """Repo-relative path of the Markdown report (the full JSON report is beside it)."""
    at: datetime
    requests: int = 0
    cache_hits: int = 0


class PromotionRecord(StateModel):
    """The pull request that promotes a revision (or did)."""

    backend: str
    branch: str
    model: str
    alias: str
    number: int | None = None
    url: str | None = None
    state: str = "open"
    forced: bool = False
    reason: str | None = None
    merge_commit: str | None = None
    updated_at: datetime | None = None


class RevisionRecord(StateModel):
    revision: str
    phase: Phase
    fields: dict[str, dict[str, Any]]
    """Flattened spec fields by group (training, evaluation, promotion), for diffs."""
    tenant: str = "unknown"
    """The spec's policy.scope: spend and promotions are per tenant."""
    base_model: str = ""
    """The model fine-tuned: the price of its training tokens."""
    evaluation_digest: str
    promotion_digest: str
    created_at: datetime
    updated_at: datetime
    provider: ProviderRecord = Field(default_factory=ProviderRecord)
    files: dict[str, str] = Field(default_factory=dict)
    """Uploaded file ids by role ("training", "validation")."""
    attempt: int = 0
    """How many times training was started for this revision; tags the provider job."""
    intent: Intent | None = None
    evaluation: EvaluationRecord | None = None
    batches: list[BatchRecord] = Field(default_factory=list)
    promotion: PromotionRecord | None = None
    error: str | None = None
    history: list[Transition] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _typed_from_fields(cls, data: Any) -> Any:
        """States written before tenant and base_model were fields: read them from `fields`."""
        if isinstance(data, dict) and isinstance(data.get("fields"), dict):
            fields = data["fields"]
            if "tenant" not in data:
                scope = (fields.get("promotion") or {}).get("policy.scope")
                data = {**data, "tenant": str(scope) if scope else "unknown"}
            if "base_model" not in data:
                base = (fields.get("training") or {}).get("baseModel")
                data = {**data, "base_model": str(base or "")}
        return data

    def move(self, target: Phase, reason: str, at: datetime | None = None) -> None:
        """Change phase, keeping the transition in the history; refuses impossible moves."""
        if not can_move(self.phase, target):
            raise ValueError(
                f"cannot move revision {short(self.revision)} from {self.phase} to {target}"
            )
        when = at or utcnow()
        self.history.append(Transition(at=when, from_phase=self.phase, to=target, reason=reason))
        self.phase = target
        self.updated_at = when


class SpecRecord(StateModel):
    current: str | None = None
    """The revision that the spec last asked for; None once the spec is removed."""
    revisions: dict[str, RevisionRecord] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _consistent(self) -> SpecRecord:
        for key, record in self.revisions.items():
            if key != record.revision:
                raise ValueError(f"revision key {key!r} differs from its record's revision")
        if self.current is not None and self.current not in self.revisions:
            raise ValueError(f"current revision {self.current!r} has no record")
        return self

    def current_record(self) -> RevisionRecord | None:
        return self.revisions.get(self.current) if self.current else None


class StateDocument(StateModel):
    schema_version: int = SCHEMA_VERSION
    serial: int = 0
    """Increases by one with every save, so two copies can be ordered."""
    lineage: str = Field(default_factory=lambda: str(uuid.uuid4()))
    """Identifies one state's history; a different lineage is a different state."""
    specs: dict[str, SpecRecord] = Field(default_factory=dict)
    uploads: dict[str, UploadRecord] = Field(default_factory=dict)
    """By dataset content key (git blob id or remote URI)."""
    alerts: dict[str, AlertRecord] = Field(default_factory=dict)
    """Alert issues by `<kind>:<subject>` (trainer.reconcile.alerts)."""
    watch: dict[str, WatchRecord] = Field(default_factory=dict)
    """Production watch by `<model>:<alias>` (trainer.reconcile.watch)."""

    def spend_by_tenant(self) -> dict[str, float]:
        """Training cost of every job ever started, per tenant (unrounded)."""
        spent: dict[str, float] = {}
        for spec in self.specs.values():
            for record in spec.revisions.values():
                spent[record.tenant] = spent.get(record.tenant, 0.0) + (
                    record.provider.cost_usd or 0.0
                )
        return spent

    def to_json(self) -> bytes:
        """The state as stored: no secret reaches it (a provider or GitHub error echoing a
        token is scrubbed; the redaction marks keep the JSON valid)."""
        body = self.model_dump(mode="json", by_alias=True)
        text = json.dumps(body, indent=2, sort_keys=True, ensure_ascii=False)
        return (scrub(text) + "\n").encode()


MAX_STATE_DEPTH = 128
"""Arrays and objects inside each other in a state file. Trainer writes under 10 (spec
values, at most 64 deep, sit a few levels down); a deeper file was not written by it."""
_TOKENS = re.compile(r'"[^"\\]*+(?:\\.[^"\\]*+)*+"?|[\[\]{}]', re.DOTALL)
"""Strings (an unclosed one runs to the end; possessive, so linear) and brackets."""


def _nests_deeper(data: Any) -> bool:
    """Whether parsed JSON nests past MAX_STATE_DEPTH, counted without recursion."""
    todo = [(data, 1)] if isinstance(data, list | dict) else []
    while todo:
        value, level = todo.pop()
        if level > MAX_STATE_DEPTH:
            return True
        children = value.values() if isinstance(value, dict) else value
        todo += [(child, level + 1) for child in children if isinstance(child, list | dict)]
    return False


def _where_too_deep(text: str) -> str:
    """`line:col:` of the first array or object past MAX_STATE_DEPTH in JSON `text`."""
    depth = 0
    for token in _TOKENS.finditer(text):
        depth += {"[": 1, "{": 1, "]": -1, "}": -1}.get(token[0], 0)
        if depth > MAX_STATE_DEPTH:
            at = token.start()
            line, start = text.count("\n", 0, at) + 1, text.rfind("\n", 0, at) + 1
            return f"{line}:{at - start + 1}:"
    return ""


def parse_state(raw: bytes, where: str) -> StateDocument:
    """Read a state document, or explain exactly why it cannot be trusted."""
    damaged = (
        "the state file is damaged or was edited by hand. Restore it from git history or a "
        "backup; trainer will not overwrite it"
    )
    try:
        text = raw.decode("utf-8")
        data = json.loads(text)
        too_deep = _nests_deeper(data)
    except UnicodeDecodeError:
        raise StateError(f"{where}: not UTF-8; the state file is damaged") from None
    except json.JSONDecodeError as exc:
        problem = f"{where}:{exc.lineno}:{exc.colno}: not valid JSON ({exc.msg}); {damaged}"
        raise StateError(problem) from None
    except RecursionError:  # json recurses: nesting near 1,000 levels ends here
        too_deep = True
    if too_deep:
        nested = f"arrays and objects nested more than {MAX_STATE_DEPTH} levels deep"
        raise StateError(f"{where}:{_where_too_deep(text)} {nested}; {damaged}")
    if not isinstance(data, dict):
        raise StateError(f"{where}: expected a JSON object at the top level")
    version = data.get("schema_version")
    if not isinstance(version, int):
        raise StateError(f"{where}: schema_version is missing; this is not a trainer state file")
    if version > SCHEMA_VERSION:
        raise StateError(
            f"{where}: written by a newer trainer (state schema {version}; this trainer "
            f"reads up to {SCHEMA_VERSION}); upgrade trainer"
        )
    try:
        return StateDocument.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(top)'}: {e['msg']}"
            for e in exc.errors(include_url=False)[:10]
        )
        raise StateError(
            f"{where}: does not match the state schema ({problems}); it was probably edited "
            "by hand. Restore it from git history; trainer will not overwrite it"
        ) from None
