"""Evaluate the model of every revision whose job succeeded, and record the verdict."""

from __future__ import annotations

import logging
from pathlib import Path

from trainer.harness.cache import ResponseCache
from trainer.harness.evaluate import Evaluation, evaluate, request_for_spec
from trainer.harness.report import render_json, render_markdown
from trainer.phases import Phase
from trainer.planner import DesiredSpec
from trainer.reconcile.run import Run
from trainer.specs.loader import JobSpec
from trainer.state.document import EvaluationRecord, StateDocument

log = logging.getLogger("trainer.reconcile")
RESPONSE_CACHE = ".trainer/cache/responses"
REPORTS = ".trainer/reports"


def resolve_baseline(run: Run, job: JobSpec) -> tuple[str, str]:
    """(model id, how it was chosen): a registry alias, a model id, or the base model."""
    spec = job.spec
    wanted = spec.evaluation.baseline
    if wanted is None:
        return spec.base_model, "the base model (no evaluation.baseline)"
    registered = run.check.ws.registry.get(spec.promotion.model) if spec.promotion else None
    if registered is not None and wanted in registered.model.bindings:
        version = registered.model.bindings[wanted]
        for entry in registered.model.versions:
            if entry.version == version:
                return (
                    entry.fine_tuned_model,
                    f"{registered.model.name}:{wanted} (version {version})",
                )
    if ":" in wanted or run.check.pricing.price(wanted) is not None:
        return wanted, "the model named in evaluation.baseline"
    return spec.base_model, f"the base model ({wanted!r} is not bound in the registry yet)"


def write_reports(root: Path, name: str, revision: str, result: Evaluation) -> str:
    directory = root / REPORTS / name
    directory.mkdir(parents=True, exist_ok=True)
    stem = revision[:12]
    json_path = directory / f"{stem}.json"
    json_path.write_text(render_json(result), encoding="utf-8")
    markdown = render_markdown(result, full_report=json_path.relative_to(root).as_posix())
    (directory / f"{stem}.md").write_text(markdown, encoding="utf-8")
    return (directory / f"{stem}.md").relative_to(root).as_posix()


def scores_of(result: Evaluation) -> dict[str, float]:
    scores = {f"{name}_score": round(e.value, 4) for name, e in result.scores.categories.items()}
    scores["overall_score"] = round(result.scores.overall.value, 4)
    scores.update({name: round(t.score.value, 4) for name, t in result.scores.tests.items()})
    return scores


def needs_evaluation(doc: StateDocument, desired: dict[str, DesiredSpec]) -> list[tuple[str, str]]:
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


def evaluate_trained(run: Run, desired: dict[str, DesiredSpec]) -> None:
    for name, revision in needs_evaluation(run.session.doc, desired):
        job = run.check.ws.jobs[name]
        record = run.session.doc.specs[name].revisions[revision]
        model = record.provider.fine_tuned_model
        assert model is not None
        baseline, why = resolve_baseline(run, job)
        log.info("evaluating %s (baseline %s: %s)", model, baseline, why, extra={"spec": name})
        request = request_for_spec(run.check.suites, job.spec, model, baseline, revision)
        cache = ResponseCache(run.check.ws.root / RESPONSE_CACHE)
        result = evaluate(run.provider, cache, request)
        report = write_reports(run.check.ws.root, name, revision, result)
        digest = desired[name].evaluation_digest
        outcome = EvaluationRecord(
            digest=digest,
            passed=result.gate.passed,
            scores=scores_of(result),
            baseline=baseline,
            baseline_scores=scores_of_baseline(result),
            failures=[failure_text(c.name, c.value, c.threshold) for c in result.gate.failures],
            report=report,
            at=run.now(),
            requests=result.run.requests
            + (result.baseline_run.requests if result.baseline_run else 0),
            cache_hits=result.run.cache_hits
            + (result.baseline_run.cache_hits if result.baseline_run else 0),
        )

        _record_outcome(run, name, revision, outcome)
        verdict = "passed" if outcome.passed else "FAILED: " + "; ".join(outcome.failures)
        message = (
            f"evaluation {verdict} (overall {outcome.scores['overall_score']:.3f}; report {report})"
        )
        if outcome.passed:
            run.result.note(name, message)
        else:
            run.result.fail(name, message)


def _record_outcome(run: Run, name: str, revision: str, outcome: EvaluationRecord) -> None:
    def record(doc: StateDocument) -> None:
        rec = doc.specs[name].revisions[revision]
        rec.evaluation = outcome
        rec.evaluation_digest = outcome.digest
        if not outcome.passed:
            rec.move(
                Phase.EVAL_FAILED, "below thresholds: " + "; ".join(outcome.failures), run.now()
            )

    verdict = "passed" if outcome.passed else "failed"
    run.session.commit(record, f"reconcile: {name} evaluated ({verdict})")


def scores_of_baseline(result: Evaluation) -> dict[str, float] | None:
    if result.baseline_scores is None:
        return None
    scores = {f"{n}_score": round(e.value, 4) for n, e in result.baseline_scores.categories.items()}
    scores["overall_score"] = round(result.baseline_scores.overall.value, 4)
    return scores


def failure_text(name: str, value: float | None, threshold: float) -> str:
    if name == "critical cases":
        return f"{int(value or 0)} critical case(s) failed"
    if name == "grader errors":
        return f"grader errors {100 * (value or 0):.1f}% over the {100 * threshold:.1f}% budget"
    if value is None:
        return f"{name} not evaluated"
    return f"{name} {value:.3f} < {threshold:.3f}"
