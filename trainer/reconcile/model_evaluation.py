"""The evaluation step of reconcile: run the harness on the model of every revision whose
job succeeded, write its reports under `.trainer/reports/`, and record the verdict."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path

from trainer.datasets.pricing import Pricing
from trainer.harness.cache import ResponseCache
from trainer.harness.calibration import CalibrationSet
from trainer.harness.evaluate import Evaluation, evaluate, request_for_spec
from trainer.harness.loading import LoadedSuite
from trainer.harness.report import render_json, render_markdown
from trainer.harness.scoring import Scores
from trainer.logs import scrub
from trainer.paths import REPORTS, RESPONSE_CACHE
from trainer.phases import Phase
from trainer.planner import DesiredSpec
from trainer.promotion.registry_edit import bound_version
from trainer.providers.base import (
    ProviderAuthError,
    ProviderError,
    ProviderUnreachable,
)
from trainer.reconcile.batch_evaluation import BatchEvaluation, Waiting, revision_batches
from trainer.reconcile.batch_report import batch_report_line
from trainer.reconcile.pass_scope import PassScope
from trainer.short_ids import short
from trainer.specs.workspace import JobSpec, RegistryFile
from trainer.state.document import EvaluationRecord, StateDocument

log = logging.getLogger("trainer.reconcile")


def resolve_baseline(
    job: JobSpec, registry: Mapping[str, RegistryFile], pricing: Pricing
) -> tuple[str, str]:
    """(model id, how it was chosen): a registry alias, a model id, or the base model."""
    spec = job.spec
    wanted = spec.evaluation.baseline
    if wanted is None:
        return spec.base_model, "the base model (no evaluation.baseline)"
    registered = registry.get(spec.promotion.model) if spec.promotion else None
    bound = bound_version(registered.model, wanted) if registered is not None else None
    if registered is not None and bound is not None:
        return (
            bound.fine_tuned_model,
            f"{registered.model.name}:{wanted} (version {bound.version})",
        )
    if ":" in wanted or pricing.price(wanted) is not None:
        return wanted, "the model named in evaluation.baseline"
    return spec.base_model, f"the base model ({wanted!r} is not bound in the registry yet)"


def score_table(scores: Scores, *, with_tests: bool = True) -> dict[str, float]:
    """Scores as the state and the registry keep them: `<category>_score`, `overall_score`
    and, with `with_tests`, one entry per test."""
    table = {f"{name}_score": round(e.value, 4) for name, e in scores.categories.items()}
    table["overall_score"] = round(scores.overall.value, 4)
    if with_tests:
        table.update({name: round(t.score.value, 4) for name, t in scores.tests.items()})
    return table


def failure_text(name: str, value: float | None, threshold: float) -> str:
    if name == "critical cases":
        return f"{int(value or 0)} critical case(s) failed"
    if name == "grader errors" or name.startswith("unanswered"):
        return f"{name} {100 * (value or 0):.1f}% over the {100 * threshold:.1f}% budget"
    if name.startswith("judge calibration") and value is None:
        return f"{name}: no calibration set (minimum kappa {threshold:.2f})"
    if value is None:
        return f"{name} not evaluated"
    return f"{name} {value:.3f} < {threshold:.3f}"


def write_reports(
    root: Path, name: str, revision: str, result: Evaluation, note: str | None = None
) -> str:
    """The JSON and Markdown reports; `note` goes right under the Markdown's header."""
    directory = root / REPORTS / name
    directory.mkdir(parents=True, exist_ok=True)
    json_path = directory / f"{short(revision)}.json"
    json_path.write_text(scrub(render_json(result)), encoding="utf-8")
    markdown = render_markdown(result, full_report=json_path.relative_to(root).as_posix())
    if note:
        head, _, rest = markdown.partition("\n")
        markdown = f"{head}\n\n{note}\n{rest}"
    (directory / f"{short(revision)}.md").write_text(scrub(markdown), encoding="utf-8")
    return (directory / f"{short(revision)}.md").relative_to(root).as_posix()


def _needs_evaluation(
    doc: StateDocument, desired: Mapping[str, DesiredSpec]
) -> list[tuple[str, str]]:
    out = []
    for name, spec in doc.specs.items():
        record = spec.current_record()
        if record is None or name not in desired or record.phase is not Phase.EVALUATING:
            continue
        if not record.provider.fine_tuned_model:
            continue
        done = record.evaluation
        if done is None or done.digest != desired[name].evaluation_digest:
            out.append((name, record.revision))
    return out


class TrainedModelEvaluation:
    def __init__(
        self,
        scope: PassScope,
        suites: dict[str, LoadedSuite],
        calibration: dict[str, CalibrationSet],
        registry: Mapping[str, RegistryFile],
        pricing: Pricing,
    ) -> None:
        self._session = scope.session
        self._provider = scope.provider
        self._identity = scope.identity
        self._result = scope.result
        self._root = scope.root
        self._suites = suites
        self._calibration = calibration
        self._registry = registry
        self._pricing = pricing
        self._batches = BatchEvaluation(scope)

    def cancel_stale_batches(self, desired: Mapping[str, DesiredSpec]) -> None:
        """Batches no current evaluation waits for are cancelled (spec removed or replaced,
        evaluation settings changed)."""
        self._batches.cancel_stale({n: d.evaluation_digest for n, d in desired.items()})

    def evaluate_pending(
        self, desired: Mapping[str, DesiredSpec], jobs: Mapping[str, JobSpec]
    ) -> None:
        """Evaluate every trained model not yet evaluated under its current settings. An
        evaluation the API stopped records nothing: the spec stays `evaluating` and is
        evaluated again next pass. A rejected key ends the pass (raised); an API out of
        reach ends the evaluations of this pass."""
        for name, revision in _needs_evaluation(self._session.doc, desired):
            try:
                self._evaluate(name, revision, jobs[name], desired[name].evaluation_digest)
            except ProviderAuthError:
                raise
            except ProviderError as exc:
                self._result.provider_errors += 1
                self._result.fail(name, f"evaluation not done (tried again next pass): {exc}")
                if isinstance(exc, ProviderUnreachable):
                    return

    def _evaluate(self, name: str, revision: str, job: JobSpec, digest: str) -> None:
        record = self._session.doc.specs[name].revisions[revision]
        model = record.provider.fine_tuned_model
        assert model is not None
        baseline, why = resolve_baseline(job, self._registry, self._pricing)
        log.info("evaluating %s (baseline %s: %s)", model, baseline, why, extra={"spec": name})
        request = request_for_spec(
            self._suites, job.spec, model, baseline, revision, self._calibration
        )
        note = None
        if job.spec.evaluation.harness_config.batch:
            step = self._batches.advance(revision_batches(name, revision), digest, request)
            if isinstance(step, Waiting):
                self._result.note(name, f"evaluating through the Batch API: {step.message}")
                return
            result, note = (
                step,
                batch_report_line(
                    self._session.doc.specs[name].revisions[revision].batches, digest, self._pricing
                ),
            )
        else:
            result = evaluate(self._provider, ResponseCache(self._root / RESPONSE_CACHE), request)
        report = write_reports(self._root, name, revision, result, note)
        base_run = result.baseline_run
        outcome = EvaluationRecord(
            digest=digest,
            passed=result.gate.passed,
            scores=score_table(result.scores),
            baseline=baseline,
            baseline_scores=(
                score_table(result.baseline_scores, with_tests=False)
                if result.baseline_scores is not None
                else None
            ),
            failures=[failure_text(c.name, c.value, c.threshold) for c in result.gate.failures],
            report=report,
            at=self._identity.now(),
            requests=result.run.requests + (base_run.requests if base_run else 0),
            cache_hits=result.run.cache_hits + (base_run.cache_hits if base_run else 0),
        )
        self._record(name, revision, outcome)
        verdict = "passed" if outcome.passed else "FAILED: " + "; ".join(outcome.failures)
        message = (
            f"evaluation {verdict} (overall {outcome.scores['overall_score']:.3f}; report {report})"
        )
        if outcome.passed:
            self._result.note(name, message)
        else:
            self._result.fail(name, message)

    def _record(self, name: str, revision: str, outcome: EvaluationRecord) -> None:
        now = self._identity.now()

        def record(doc: StateDocument) -> None:
            rec = doc.specs[name].revisions[revision]
            rec.evaluation = outcome
            rec.evaluation_digest = outcome.digest
            if not outcome.passed:
                rec.move(Phase.EVAL_FAILED, "below thresholds: " + "; ".join(outcome.failures), now)

        verdict = "passed" if outcome.passed else "failed"
        self._session.commit(record, f"reconcile: {name} evaluated ({verdict})")
