"""Which problems hold after a pass, read from the state and the pass's result, and why a
problem that no longer holds is gone (the closing comment of its issue).

- training_failed: the spec's current revision is `failed`; gone once a revision trains.
- evaluation_failed: it is `eval_failed`; gone once an evaluation passes (or a new
  revision replaces it, or a promotion is forced).
- budget_blocked: this pass refused to start its training for the budget; gone once a pass
  does not (the budget was raised, the spec changed).
- promotion_blocked: this pass could not open or rebuild its promotion pull request (the
  branch could not be built or pushed, GitHub refused the pull request); gone once the
  opening is finished.

Production drops are raised and resolved by the production watch, never here.
"""

from __future__ import annotations

from collections.abc import Mapping

from trainer.phases import TRAINED, TRAINING_IN_FLIGHT, Phase
from trainer.planner import DesiredSpec
from trainer.reconcile.alerts import Assessment
from trainer.reconcile.alerts_text import Alert, AlertKind
from trainer.reconcile.pass_result import PassResult
from trainer.short_ids import short
from trainer.state.document import IntentOp, RevisionRecord, StateDocument

PROMOTION_STEP = "promotion"
"""The step of the pass (`PassResult.step`) whose failures are promotion_blocked."""
ASSESSED = frozenset(
    {
        AlertKind.TRAINING_FAILED,
        AlertKind.EVALUATION_FAILED,
        AlertKind.BUDGET_BLOCKED,
        AlertKind.PROMOTION_BLOCKED,
    }
)
"""The kinds a reconcile pass raises and resolves by itself."""


def _training_failed(name: str, record: RevisionRecord) -> Alert:
    reason = record.error or (record.history[-1].reason if record.history else "no reason given")
    provider = record.provider
    lines = [
        f"job: {provider.job_id or '(not created)'}",
        f"provider status: {provider.status or '-'}",
    ]
    if provider.error_code:
        lines.append(f"error code: {provider.error_code}")
    if provider.events:
        lines += ["", "last events (newest first):", *(f"  {e}" for e in provider.events)]
    return Alert(
        AlertKind.TRAINING_FAILED,
        name,
        record.revision,
        reason,
        "Fix what the reason names (the training data, the config or the provider account), "
        f"then change specs/jobs/{name}.yaml or its datasets: the next reconcile trains the "
        "new revision and closes this issue.",
        "\n".join(lines),
    )


def _evaluation_failed(name: str, record: RevisionRecord) -> Alert:
    evaluation = record.evaluation
    failures = evaluation.failures if evaluation else []
    lines = []
    if evaluation is not None:
        lines.append(f"report: {evaluation.report}")
        lines += [f"{key}: {value:.3f}" for key, value in sorted(evaluation.scores.items())]
        if evaluation.baseline:
            lines.append(f"baseline: {evaluation.baseline}")
    return Alert(
        AlertKind.EVALUATION_FAILED,
        name,
        record.revision,
        "below thresholds: " + ("; ".join(failures) or "no detail recorded"),
        "Improve the training data and change the spec (a new revision trains), or relax "
        "policy.thresholds if they are too strict (the model is evaluated again, without "
        f"retraining), or promote it anyway: trainer promote {name} --force --reason TEXT. "
        "This issue closes when an evaluation passes.",
        "\n".join(lines),
    )


def _budget_blocked(name: str, revision: str, message: str) -> Alert:
    return Alert(
        AlertKind.BUDGET_BLOCKED,
        name,
        revision,
        message,
        f"Raise policy.budget_usd in specs/jobs/{name}.yaml, or train on fewer tokens or "
        "epochs: the next reconcile starts the job and closes this issue.",
    )


def _promotion_blocked(name: str, revision: str, messages: list[str]) -> Alert:
    unique = list(dict.fromkeys(m.removeprefix("promotion: ") for m in messages))
    return Alert(
        AlertKind.PROMOTION_BLOCKED,
        name,
        revision,
        unique[-1],
        "Fix what the reason names (the token's right to push trainer/promote/ branches and "
        "to open pull requests, TRAINER_BASE_BRANCH, or the registry file), then run "
        "reconcile again: it rebuilds the branch, updates the pull request and closes this "
        "issue.",
        "\n\n".join(unique[:-1]),
    )


def assess(
    doc: StateDocument, result: PassResult, desired: Mapping[str, DesiredSpec]
) -> Assessment:
    """The problems that hold after this pass, and how to tell that one is gone."""
    wanted: dict[str, Alert] = {}

    def add(alert: Alert) -> None:
        wanted[alert.key] = alert

    for name, spec in sorted(doc.specs.items()):
        record = spec.current_record()
        if record is not None and record.phase is Phase.FAILED:
            add(_training_failed(name, record))
        elif record is not None and record.phase is Phase.EVAL_FAILED:
            add(_evaluation_failed(name, record))
    for name, message in result.blocked:
        add(_budget_blocked(name, desired[name].revision if name in desired else "-", message))
    promotion: dict[str, list[str]] = {}
    for name, message in result.failures_by_step.get(PROMOTION_STEP, []):
        promotion.setdefault(name, []).append(message)
    for name, messages in sorted(promotion.items()):
        spec_record = doc.specs.get(name)
        current = spec_record.current_record() if spec_record else None
        add(_promotion_blocked(name, current.revision if current else "-", messages))

    def gone(kind: AlertKind, subject: str) -> str | None:
        spec = doc.specs.get(subject)
        record = spec.current_record() if spec else None
        if subject not in desired:
            return "the spec was removed"
        if record is None:
            return "nothing of the spec is recorded any more" if kind in ASSESSED else None
        return _why_gone(kind, record)

    return Assessment(wanted, gone)


def _why_gone(kind: AlertKind, record: RevisionRecord) -> str | None:
    revision, phase = short(record.revision), record.phase
    started = phase not in TRAINING_IN_FLIGHT or record.provider.job_id is not None
    if kind is AlertKind.TRAINING_FAILED:
        if phase is Phase.FAILED or not started:
            return None  # still failed, or a job is about to start: wait and see
        if phase in TRAINING_IN_FLIGHT:
            return f"revision {revision} is training (job {record.provider.job_id})"
        return f"revision {revision} " + ("trained" if phase in TRAINED else f"is {phase}")
    if kind is AlertKind.EVALUATION_FAILED:
        done = record.evaluation
        current = done is not None and done.digest == record.evaluation_digest
        if done is not None and current and done.passed:
            overall = done.scores.get("overall_score")
            score = f" (overall {overall:.3f})" if overall is not None else ""
            return f"the evaluation of revision {revision} passed{score}"
        if phase is Phase.EVAL_FAILED or (phase is Phase.EVALUATING and not current):
            return None  # failed still, or being evaluated again
        if record.promotion is not None and record.promotion.forced:
            return f"revision {revision} was proposed for promotion by force"
        return f"revision {revision} is {phase}"
    if kind is AlertKind.BUDGET_BLOCKED:
        return f"the budget no longer blocks training (revision {revision} is {phase})"
    if kind is AlertKind.PROMOTION_BLOCKED:
        if record.intent is not None and record.intent.op is IntentOp.OPEN_PR:
            return None  # the opening is not finished
        if record.promotion is not None and record.promotion.state == "open":
            return f"promotion pull request #{record.promotion.number} is open and up to date"
        return f"revision {revision} is {phase}"
    return None
