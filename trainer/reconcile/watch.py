"""Production watch: every alias-bound model version in the registry is evaluated again
when the evaluation settings its spec names (suites, judge, thresholds, weights) or the
judge's calibration change, and every `monitor.every` of its registry model.

A verdict goes to the state (`watch`), `status`, the metrics file and the pass summary; a
drop (the gate fails, or a score falls more than the non-inferiority margin below the
score recorded at promotion) raises an alert. Nothing is written to `main`: a person
decides on a demotion pull request (`trainer demote`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from trainer.digests import sha256_of
from trainer.harness.cache import ResponseCache
from trainer.harness.calibration import CalibrationSet
from trainer.harness.evaluate import Evaluation, evaluate, request_for_spec
from trainer.harness.loading import LoadedSuite
from trainer.paths import RESPONSE_CACHE
from trainer.planner import DesiredSpec
from trainer.providers.base import ProviderAuthError, ProviderError
from trainer.reconcile.model_evaluation import failure_text, score_table, write_reports
from trainer.reconcile.pass_scope import PassScope
from trainer.reconcile.watch_batches import WatchBatches
from trainer.specs.models import ModelVersion, RegistryModel
from trainer.specs.workspace import JobSpec, RegistryFile
from trainer.state.document import StateDocument
from trainer.state.watch_record import WatchRecord

log = logging.getLogger("trainer.reconcile")

DropHook = Callable[[WatchRecord], None]
"""Told of every watch verdict (alerts open on a drop and close once it is gone)."""


@dataclass(frozen=True)
class Watched:
    """One alias binding, and the spec whose evaluation settings judge it."""

    model: RegistryModel
    alias: str
    version: ModelVersion
    spec: str
    settings: str
    """The spec's evaluation digest (as its revisions record it)."""
    digest: str
    """Its suites, judge, weights and tests, and the judge's calibration sets: what changes
    the scores (a threshold change does not re-evaluate: it is applied at the next one)."""

    @property
    def key(self) -> str:
        return f"{self.model.name}:{self.alias}"


def _judging_spec(
    model: RegistryModel, alias: str, version: ModelVersion, jobs: Mapping[str, JobSpec]
) -> str | None:
    """The spec that trained the version, else one that promotes into this alias or model."""
    if version.spec in jobs:
        return version.spec
    targets = [
        (name, job.spec.promotion.alias == alias)
        for name, job in sorted(jobs.items())
        if job.spec.promotion is not None and job.spec.promotion.model == model.name
    ]
    exact = [name for name, same_alias in targets if same_alias]
    found = exact or [name for name, _ in targets]
    return found[0] if found else None


def watched(
    registry: Mapping[str, RegistryFile],
    jobs: Mapping[str, JobSpec],
    desired: Mapping[str, DesiredSpec],
    calibration: Mapping[str, CalibrationSet],
) -> list[Watched]:
    """Every alias binding that a spec of the repository can judge."""
    judge_sets = sorted(c.digest for c in calibration.values())
    out = []
    for _, file in sorted(registry.items()):
        model = file.model
        for alias, number in sorted(model.bindings.items()):
            version = next((v for v in model.versions if v.version == number), None)
            if version is None:
                continue
            spec = _judging_spec(model, alias, version, jobs)
            if spec is None or spec not in desired:
                continue
            settings = desired[spec].evaluation_digest
            answers = {  # what changes scores: not the thresholds, checked on every verdict
                k: v
                for k, v in desired[spec].fields["evaluation"].items()
                if not k.startswith("policy.thresholds")
            }
            digest = sha256_of([answers, judge_sets])
            out.append(Watched(model, alias, version, spec, settings, digest))
    return out


def _promotion_verdict(doc: StateDocument, fine_tuned: str, settings: str) -> WatchRecord | None:
    """The evaluation trainer made of this model before it was promoted, when it was made
    under the same settings (nothing to re-evaluate then)."""
    for spec in doc.specs.values():
        for record in spec.revisions.values():
            done = record.evaluation
            if record.provider.fine_tuned_model == fine_tuned and done and done.digest == settings:
                return WatchRecord(
                    at=done.at,
                    passed=done.passed,
                    scores=done.scores,
                    report=done.report,
                    source="its promotion evaluation",
                )
    return None


def _drops(result: Evaluation, recorded: Mapping[str, float], margin: float | None) -> list[str]:
    """The gate's failures, and scores below those recorded at promotion by more than the
    spec's non-inferiority margin (no such comparison when the spec turns the margin off)."""
    out = [failure_text(c.name, c.value, c.threshold) for c in result.gate.failures]
    if margin is None:
        return out
    now = score_table(result.scores, with_tests=False)
    for name, before in sorted(recorded.items()):
        after = now.get(name)
        if after is not None and after < before - margin:
            out.append(
                f"{name} {after:.3f} fell below {before:.3f} recorded at promotion "
                f"(margin {margin:.2f})"
            )
    return out


class ProductionWatch:
    def __init__(
        self,
        scope: PassScope,
        suites: dict[str, LoadedSuite],
        calibration: dict[str, CalibrationSet],
        on_verdict: DropHook | None = None,
    ) -> None:
        self._session = scope.session
        self._provider = scope.provider
        self._identity = scope.identity
        self._result = scope.result
        self._root = scope.root
        self._suites = suites
        self._calibration = calibration
        self._on_verdict = on_verdict
        self._batches = WatchBatches(scope)

    def due(self, item: Watched, now: datetime) -> str | None:
        """Why `item` is evaluated now, or None."""
        record = self._session.doc.watch.get(item.key)
        if record is None:
            return None
        if record.digest != item.digest:
            return "the evaluation settings or the judge's calibration changed"
        monitor = item.model.monitor
        if monitor and (record.passed is None or now - record.at >= monitor.interval):
            return f"monitor.every {monitor.every}"
        return None

    def run(self, items: list[Watched], jobs: Mapping[str, JobSpec]) -> None:
        """Record what is new, evaluate what is due; an API error ends the watch for this
        pass (it is tried again next pass), a rejected key ends the pass."""
        now = self._identity.now()
        for item in items:
            self._adopt(item)
            reason = self.due(item, now)
            if reason is None:
                continue
            try:
                self._evaluate(item, jobs[item.spec], reason)
            except ProviderAuthError:
                raise
            except ProviderError as exc:
                self._result.provider_errors += 1
                self._result.fail(item.key, f"production watch not done (next pass): {exc}")
                return

    def _adopt(self, item: Watched) -> None:
        """First sight of a binding: take the verdict trainer made when promoting it, or
        note the settings it is watched under from now on."""
        doc = self._session.doc
        record = doc.watch.get(item.key)
        if record is not None and record.fine_tuned_model == item.version.fine_tuned_model:
            return
        known = _promotion_verdict(doc, item.version.fine_tuned_model, item.settings)
        start = known or WatchRecord(at=self._identity.now(), source="not evaluated yet")
        fresh = start.model_copy(
            update={
                "model": item.model.name,
                "alias": item.alias,
                "version": item.version.version,
                "fine_tuned_model": item.version.fine_tuned_model,
                "spec": item.spec,
                "digest": item.digest,
            }
        )

        if record is not None and record.batches:
            self._batches.cancel(item.key, record.version)  # for the version no longer bound

        def adopt(state: StateDocument) -> None:
            state.watch[item.key] = fresh

        self._session.commit(
            adopt, f"reconcile: watching {item.key} (version {item.version.version})"
        )
        if record is not None and record.passed is False and self._on_verdict is not None:
            self._on_verdict(fresh)  # the dropped version is no longer bound

    def _evaluate(self, item: Watched, job: JobSpec, reason: str) -> None:
        model = item.version.fine_tuned_model
        log.info("production watch: evaluating %s (%s): %s", item.key, model, reason)
        request = request_for_spec(
            self._suites, job.spec, model, None, item.version.revision, self._calibration
        )
        # the cadence is there to catch the provider's model drifting: ask again, never
        # replay; a settings change may reuse what it can
        fresh = reason.startswith("monitor.every")
        if job.spec.evaluation.harness_config.batch:
            step = self._batches.step(
                item.key, item.version.version, item.digest, request, fresh=fresh
            )
            if step is None:
                return
            result = step
        else:
            cache = ResponseCache(None if fresh else self._root / RESPONSE_CACHE)
            result = evaluate(self._provider, cache, request)
        name = f"watch/{item.model.name}-{item.alias}"
        report = write_reports(self._root, name, f"v{item.version.version}", result)
        recorded = {k: float(v) for k, v in item.version.scores.items()}
        drops = _drops(result, recorded, job.spec.evaluation.non_inferiority_margin)
        verdict = WatchRecord(
            model=item.model.name,
            alias=item.alias,
            version=item.version.version,
            fine_tuned_model=model,
            spec=item.spec,
            digest=item.digest,
            at=self._identity.now(),
            passed=not drops,
            scores=score_table(result.scores),
            recorded=recorded,
            drops=drops,
            report=report,
            source=reason,
            requests=result.run.requests,
        )

        def record(state: StateDocument) -> None:
            state.watch[item.key] = verdict

        self._session.commit(record, f"reconcile: production watch of {item.key}")
        overall = verdict.scores.get("overall_score", 0.0)
        if drops:  # not a failed pass: the alert asks a person to decide
            self._result.warn(
                item.key,
                f"production watch: DROP (overall {overall:.3f}): {'; '.join(drops)}; "
                f"report {report}; a demotion is a person's decision: trainer demote "
                f"{item.model.name} {item.alias} --reason TEXT",
            )
        else:
            self._result.note(item.key, f"production watch: ok (overall {overall:.3f}; {reason})")
        if self._on_verdict is not None:
            self._on_verdict(verdict)
