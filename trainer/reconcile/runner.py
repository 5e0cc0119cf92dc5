"""One reconcile pass, and `--wait`: passes with backoff until nothing is in flight."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from trainer.datasets.fetch import FetchError
from trainer.errors import SpecError
from trainer.metrics import metrics_path, write_metrics
from trainer.phases import TRAINING_IN_FLIGHT, Phase
from trainer.planner import Action, ActionKind, DesiredSpec, plan
from trainer.promotion.branches import BranchError
from trainer.promotion.github import GitHubError
from trainer.providers.base import Provider, ProviderAuthError, ProviderError
from trainer.reconcile.evaluation import evaluate_trained
from trainer.reconcile.polling import in_flight, poll
from trainer.reconcile.run import PassResult, Run
from trainer.reconcile.training import retire, start_training
from trainer.repository import check_repository
from trainer.revision import desired_state
from trainer.state.document import StateDocument
from trainer.state.session import StateSession
from trainer.state.store import StateStore

log = logging.getLogger("trainer.reconcile")


@dataclass
class PassReport:
    result: PassResult
    in_flight: list[tuple[str, str, str]]
    state: StateDocument


def _settings_changed(run: Run, action: Action, desired: DesiredSpec) -> None:
    """Record new evaluation or promotion settings (evaluation itself comes with the harness)."""
    name, revision = action.name, desired.revision

    if action.kind is ActionKind.REEVALUATE:
        run.promoter.close_pr(
            name,
            revision,
            "The evaluation settings changed: this model is evaluated again, and a new "
            "promotion pull request follows if it passes.",
            "evaluation settings changed",
            move_to=None,
        )

    def update(doc: StateDocument) -> None:
        record = doc.specs[name].revisions[revision]
        record.fields = {k: dict(v) for k, v in desired.fields.items()}
        record.promotion_digest = desired.promotion_digest
        if action.kind is ActionKind.REEVALUATE:
            record.evaluation_digest = desired.evaluation_digest
            if record.phase is not Phase.EVALUATING:
                record.move(Phase.EVALUATING, "evaluation settings changed", run.now())

    run.session.commit(update, f"reconcile: {name} {action.kind.value}")
    run.result.note(name, action.reason)
    record = run.session.doc.specs[name].revisions[revision]
    promotion = run.check.ws.jobs[name].spec.promotion
    if action.kind is not ActionKind.PROMOTE or promotion is None:
        return
    target_moved = record.promotion is not None and (
        (record.promotion.model, record.promotion.alias) != (promotion.model, promotion.alias)
    )
    if record.phase in (Phase.AWAITING_REVIEW, Phase.DECLINED) or (
        record.phase is Phase.PROMOTED and target_moved
    ):
        run.promoter.open(name, revision)


def _carry_out(run: Run, action: Action, desired: dict[str, DesiredSpec]) -> None:
    name = action.name
    if action.kind in (ActionKind.CREATE, ActionKind.REPLACE):
        if action.blocked:
            run.result.blocked.append((name, action.blocked))
            return
        start_training(run, desired[name], run.check.ws.jobs[name], action.reason)
    elif action.kind is ActionKind.CANCEL and action.previous_revision:
        if action.phase is Phase.AWAITING_REVIEW:
            run.promoter.close_pr(
                name,
                action.previous_revision,
                "The spec of this model was removed.",
                "spec removed",
            )
        else:
            retire(run, name, action.previous_revision, Phase.CANCELLED, "spec removed")
    elif action.kind in (ActionKind.REEVALUATE, ActionKind.PROMOTE):
        _settings_changed(run, action, desired[name])


def _retire_strays(run: Run) -> None:
    """Level-triggered cleanup: a job of a revision that is no longer current is cancelled.

    Covers a run that died between recording a new revision and cancelling the old job.
    """
    doc = run.session.doc
    strays = [
        (name, revision, spec.current)
        for name, spec in doc.specs.items()
        for revision, record in spec.revisions.items()
        if revision != spec.current and record.phase in TRAINING_IN_FLIGHT
    ]
    for name, revision, current in strays:
        try:
            retire(
                run,
                name,
                revision,
                Phase.SUPERSEDED,
                f"replaced by revision {(current or '')[:12]}",
            )
        except ProviderAuthError:
            raise
        except ProviderError as exc:
            run.result.fail(name, str(exc))


def reconcile_once(
    repo: Path, store: StateStore, provider_factory: Callable[[], Provider]
) -> PassReport:
    """Validate, plan, act, poll, save. Invalid specs raise SpecError before anything is touched."""
    check = check_repository(repo)
    if not check.ok:
        raise SpecError(check.diagnostics)
    with store.lock():
        run = Run(StateSession(store), check, provider_factory)
        log.info("reconcile pass: %d spec(s), state %s", len(check.ws.jobs), store.description)
        desired = desired_state(check.ws, check.digests, check.estimates)
        run.promoter.sync()  # a PR merged since the last pass counts before anything moves on
        for action in plan(desired, run.session.doc).actions:
            if action.kind is ActionKind.NOOP:
                continue
            try:
                _carry_out(run, action, desired)
            except ProviderAuthError:
                raise
            except (ProviderError, FetchError, GitHubError, BranchError) as exc:
                run.result.provider_errors += isinstance(exc, ProviderError)
                run.result.fail(action.name, str(exc))
        _retire_strays(run)
        poll(run)
        try:
            evaluate_trained(run, desired)
        except ProviderAuthError:
            raise
        except ProviderError as exc:
            run.result.provider_errors += 1
            run.result.fail("(evaluation)", str(exc))
        promoter = run.promoter
        promoter.promote_passed()
        promoter.check_bindings()
        failures = len(run.result.failures)
        write_metrics(metrics_path(repo), run.session.doc, run.result.provider_errors, failures)
        return PassReport(run.result, in_flight(run.session.doc), run.session.doc)


def reconcile_until_settled(
    repo: Path,
    store: StateStore,
    provider_factory: Callable[[], Provider],
    *,
    interval: float = 10.0,
    max_interval: float = 60.0,
    timeout: float | None = None,
    on_pass: Callable[[PassReport, float], None] = lambda report, wait: None,
) -> PassReport:
    """Repeat passes, waiting longer each time (x1.5, capped), until no job is in flight."""
    provider: Provider | None = None

    def shared() -> Provider:
        nonlocal provider
        provider = provider or provider_factory()
        return provider

    started, wait = time.monotonic(), interval
    merged = PassResult()
    while True:
        report = reconcile_once(repo, store, shared)
        for field in ("done", "failures", "blocked", "skipped"):
            getattr(merged, field).extend(getattr(report.result, field))
        merged.provider_errors += report.result.provider_errors
        report = PassReport(merged, report.in_flight, report.state)
        settled = not report.in_flight
        timed_out = timeout is not None and time.monotonic() - started + wait > timeout
        on_pass(report, 0.0 if settled or timed_out else wait)
        if settled or timed_out:
            return report
        time.sleep(wait)
        wait = min(max_interval, wait * 1.5)
