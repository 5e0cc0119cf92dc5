"""The production watch of a spec in batch mode (`harness_config.batch: true`): its
evaluations go through the Batch API too, one step per pass, as the spec's own do.

The watch record keeps the batches and which evaluation they answer (`pending`): the
watch digest for a settings change (answers cached earlier may be reused), or that digest
with the time it began for the `monitor` cadence (every answer asked again, none from the
cache: the cadence is there to see the provider's model drift).
"""

from __future__ import annotations

from trainer.harness.evaluate import Evaluation, EvaluationRequest
from trainer.reconcile.batch_evaluation import BatchEvaluation, BatchHome, Waiting
from trainer.reconcile.pass_scope import PassScope
from trainer.state.document import StateDocument


def watch_batches(key: str, version: int) -> BatchHome:
    """The batches of the watch of binding `key` (`model:alias`)."""
    return BatchHome(f"watch:{key}", f"v{version}", lambda doc: doc.watch[key].batches)


class WatchBatches:
    def __init__(self, scope: PassScope) -> None:
        self._session = scope.session
        self._identity = scope.identity
        self._result = scope.result
        self._batches = BatchEvaluation(scope)

    def step(
        self, key: str, version: int, digest: str, request: EvaluationRequest, *, fresh: bool
    ) -> Evaluation | None:
        """The evaluation once its batches are done; None while they are not (noted)."""
        pending = self._session.doc.watch[key].pending
        if pending is None or not pending.endswith(digest):
            # the time first: batches are tagged with the first 16 characters
            began = f"{self._identity.now():%Y%m%dT%H%M%SZ}@{digest}" if fresh else digest

            def begin(doc: StateDocument) -> None:
                doc.watch[key].pending = began

            self._session.commit(begin, f"reconcile: production watch of {key} in batches")
            pending = began
        home = watch_batches(key, version)
        self._batches.cancel_others(home, pending)
        step = self._batches.advance(home, pending, request, fresh=fresh)
        if isinstance(step, Waiting):
            self._result.note(key, f"production watch through the Batch API: {step.message}")
            return None
        return step

    def cancel(self, key: str, version: int) -> None:
        """Cancel the watch's batches in flight: nothing waits for them any more."""
        if key in self._session.doc.watch:
            self._batches.cancel_others(watch_batches(key, version), None)
