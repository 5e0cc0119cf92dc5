"""Evaluation through the Batch API (`evaluation.harness_config.batch: true`), one step per
reconcile pass, never waiting: poll the batches in flight; when none is, replay the
evaluation on the answers batches gave (`batch_calls`); what it still misses goes out as
the next batches (one per model: answers, then the judge, then retries); when it misses
nothing, that evaluation is the verdict. Creating a batch follows the reconcile model:
claim in the state, create, record; a claim left by a dead run is adopted by metadata.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Mapping
from dataclasses import dataclass

from trainer.harness.evaluate import Evaluation, EvaluationRequest, evaluate
from trainer.paths import RESPONSE_CACHE
from trainer.phases import Phase
from trainer.providers.base import ProviderRejected
from trainer.providers.batches import ACTIVE, BatchClient, BatchInfo
from trainer.reconcile.batch_calls import MAX_LINE_ATTEMPTS, AnswersCache, BatchAnswers, Call
from trainer.reconcile.batch_files import BatchFiles, outcomes_of
from trainer.reconcile.batch_submit import BatchHome, BatchSubmitter, batch_tags, revision_batches
from trainer.reconcile.pass_scope import PassScope
from trainer.state.batch_record import BatchRecord
from trainer.state.document import StateDocument

log = logging.getLogger("trainer.reconcile")
MAX_ROUNDS = 4 + 2 * MAX_LINE_ATTEMPTS
"""Submissions of one evaluation before it stops asking (answers, judge, retries, expiries)."""


@dataclass
class Waiting:
    """The evaluation is not done: batches are in flight, or were just submitted."""

    message: str


def progress_text(batches: list[BatchRecord]) -> str:
    """`batch 120/141 (candidate), 0/141 (judge)`: the batches of the latest round(s)."""
    shown = [
        f"{b.completed}/{b.total or b.lines} ({b.role}{'' if b.round == 1 else f' r{b.round}'})"
        for b in batches
    ]
    return "batch " + ", ".join(shown) if shown else ""


def roles(request: EvaluationRequest) -> dict[str, str]:
    """Who each model is in this evaluation (a model that is two is the first)."""
    out: dict[str, str] = {}
    judge = request.settings.judge_model
    for role, model in (("candidate", request.model), ("baseline", request.baseline)):
        if model:
            out.setdefault(model, role)
    if judge:
        out.setdefault(judge, "judge")
    return out


class BatchEvaluation:
    def __init__(self, scope: PassScope, client: BatchClient | None = None) -> None:
        self._session = scope.session
        self._provider = scope.provider
        self._identity = scope.identity
        self._result = scope.result
        self._root = scope.root
        self._client = client
        self._files = BatchFiles(scope.root, self.client)

    def client(self) -> BatchClient:
        if self._client is None:
            self._client = BatchClient()
        return self._client

    def _records(self, home: BatchHome, digest: str) -> list[BatchRecord]:
        return [b for b in home.records(self._session.doc) if b.digest == digest]

    def advance(
        self, home: BatchHome, digest: str, request: EvaluationRequest, *, fresh: bool = False
    ) -> Evaluation | Waiting:
        """One step of the evaluation: its verdict, or why it is not there yet. `fresh`:
        every answer from this evaluation's own batches, none from the response cache."""
        submitter = BatchSubmitter(self._session, self._identity, self.client, home, digest)
        if not submitter.settle_claims():
            return Waiting("another reconciler is submitting its batches")
        self._poll(home, digest)
        batches = self._records(home, digest)
        active = [b for b in batches if b.status in ACTIVE or b.status == "pending"]
        if active:
            return Waiting(progress_text(active))
        outcomes = outcomes_of(batches, self._files)
        provider = BatchAnswers(self._provider, outcomes)
        if sum(b.status == "failed" for b in batches) >= MAX_LINE_ATTEMPTS:
            outcomes.give_up = True  # the API refuses the batches themselves
        cache = AnswersCache(None if fresh else self._root / RESPONSE_CACHE)
        result = evaluate(provider, cache, request)
        if not provider.recorded:
            return result
        rounds = max((b.round for b in batches), default=0)
        if rounds >= MAX_ROUNDS:
            outcomes.give_up = True
            return evaluate(BatchAnswers(self._provider, outcomes), cache, request)
        calls = sorted(provider.recorded.values(), key=lambda c: c.key)
        by_model: dict[str, list[Call]] = {}
        for call in calls:
            by_model.setdefault(call.model, []).append(call)
        who = roles(request)
        submitted = submitter.submit(
            rounds + 1,
            {who.get(model, "judge"): (model, lines) for model, lines in by_model.items()},
        )
        return Waiting(f"submitted {submitted} ({len(calls)} request(s))")

    def _poll(self, home: BatchHome, digest: str) -> None:
        """One call per batch in flight; their progress recorded in one state change."""
        ids = [b.batch_id for b in self._records(home, digest) if b.batch_id and b.status in ACTIVE]
        if not ids:
            return
        infos = {batch_id: self.client().retrieve(batch_id) for batch_id in ids}
        now = self._identity.now()

        def update(doc: StateDocument) -> None:
            for b in home.records(doc):
                info = infos.get(b.batch_id or "")
                if info is None:
                    continue
                b.status, b.total, b.completed, b.failed = (
                    info.status,
                    info.total,
                    info.completed,
                    info.failed,
                )
                b.output_file_id, b.error_file_id = info.output_file_id, info.error_file_id
                b.input_tokens, b.output_tokens = info.input_tokens, info.output_tokens
                b.updated_at = now

        self._session.commit(update, f"reconcile: {home.name} batch progress")

    def cancel_stale(self, desired_digests: Mapping[str, str]) -> None:
        """Cancel every batch in flight that no current evaluation waits for: its spec was
        removed or replaced, or its evaluation settings changed."""
        stale = [
            (revision_batches(name, rev), b.batch_id)
            for name, spec in self._session.doc.specs.items()
            for rev, record in spec.revisions.items()
            for b in record.batches
            if b.batch_id
            and b.status in ACTIVE - {"cancelling"}
            and (
                rev != spec.current
                or record.phase is not Phase.EVALUATING
                or desired_digests.get(name) != b.digest
            )
        ]
        for home, batch_id in stale:
            self._cancel(home, batch_id)

    def cancel_others(self, home: BatchHome, digest: str | None) -> None:
        """Cancel the batches of `home` in flight that are not of `digest` (all: None)."""
        for b in home.records(self._session.doc):
            if b.batch_id and b.status in ACTIVE - {"cancelling"} and b.digest != digest:
                self._cancel(home, b.batch_id)

    def _cancel(self, home: BatchHome, batch_id: str) -> None:
        try:
            info = self.client().cancel(batch_id)
        except ProviderRejected:  # it ended meanwhile
            info = self.client().retrieve(batch_id)
        self._session.commit(
            functools.partial(self._set_status, home=home, info=info),
            f"reconcile: {home.name} batch {batch_id} cancelled",
        )
        self._result.note(home.name, f"cancelled batch {batch_id}: no evaluation waits for it")

    def _set_status(self, doc: StateDocument, home: BatchHome, info: BatchInfo) -> None:
        for b in home.records(doc):
            if b.batch_id == info.id:
                b.status, b.updated_at = info.status, self._identity.now()


__all__ = [
    "BatchEvaluation",
    "BatchHome",
    "Waiting",
    "batch_tags",
    "progress_text",
    "revision_batches",
]
