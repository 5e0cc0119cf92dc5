"""Carry out a plan: one handler per action kind, then the level-triggered steps that
every pass runs (retire strays, poll jobs, evaluate trained models, promote, report).

This is the composition root of a pass: it builds each collaborator from the state
session, the provider and the repository check, and hands each handler only what it uses.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from trainer.datasets.fetch import FetchError
from trainer.phases import TRAINING_IN_FLIGHT, Phase
from trainer.planner import Action, ActionKind, DesiredSpec
from trainer.promotion.branches import BranchError
from trainer.promotion.github_http import GitHubError
from trainer.providers.base import Provider, ProviderAuthError, ProviderError
from trainer.reconcile.alerts import Alerts, issues_where_pull_requests_go
from trainer.reconcile.alerts_conditions import ASSESSED, PROMOTION_STEP, assess
from trainer.reconcile.alerts_text import AlertKind
from trainer.reconcile.identity import RunIdentity
from trainer.reconcile.job_status import poll_jobs
from trainer.reconcile.model_evaluation import TrainedModelEvaluation
from trainer.reconcile.pass_result import PassResult
from trainer.reconcile.pass_scope import PassScope
from trainer.reconcile.pull_requests import (
    BackendFactory,
    PromotionPullRequests,
    report_rebound_aliases,
)
from trainer.reconcile.remote_datasets import RemoteDatasets
from trainer.reconcile.training_jobs import TrainingJobs
from trainer.reconcile.uploads import Uploads
from trainer.reconcile.watch import ProductionWatch, watched
from trainer.repository import RepositoryCheck
from trainer.short_ids import short
from trainer.state.document import StateDocument
from trainer.state.session import StateSession
from trainer.state.watch_record import WatchRecord

Handler = Callable[[Action], None]


class Executor:
    def __init__(
        self,
        check: RepositoryCheck,
        session: StateSession,
        provider: Provider,
        identity: RunIdentity,
        open_backend: BackendFactory,
    ) -> None:
        self.result = PassResult()
        self._check = check
        self._session = session
        self._provider = provider
        self._identity = identity
        root = check.ws.root
        self._pull_requests = PromotionPullRequests(
            session, identity, self.result, root, check.ws.jobs, open_backend
        )
        scope = PassScope(session, provider, identity, self.result, root)
        remote = RemoteDatasets(check)
        uploads = Uploads(scope, check.digests, remote)
        self._jobs = TrainingJobs(scope, uploads, self._pull_requests, check.pricing, remote)
        self._evaluation = TrainedModelEvaluation(
            scope,
            check.suites,
            check.calibration,
            check.ws.registry,
            check.pricing,
        )
        self.alerts = Alerts(
            session,
            identity,
            self.result,
            lambda: issues_where_pull_requests_go(root, open_backend),
        )
        """Alert issues; a feature with its own kinds calls `raise_` and `resolve`."""
        self._watch = ProductionWatch(
            scope,
            check.suites,
            check.calibration,
            on_verdict=self._watch_verdict,
        )
        self._handlers: Mapping[ActionKind, Handler] = {
            ActionKind.CREATE: self._train,
            ActionKind.REPLACE: self._train,
            ActionKind.CANCEL: self._cancel,
            ActionKind.REEVALUATE: self._settings_changed,
            ActionKind.PROMOTE: self._settings_changed,
        }
        self._desired: Mapping[str, DesiredSpec] = {}

    def run(self, actions: Sequence[Action], desired: Mapping[str, DesiredSpec]) -> PassResult:
        """The whole pass after planning; provider auth errors end it, others are noted."""
        self._desired = desired
        self._pull_requests.sync()  # a PR merged since the last pass counts before anything
        for action in actions:
            handler = self._handlers.get(action.kind)
            if handler is None:
                continue
            try:
                handler(action)
            except ProviderAuthError:
                raise
            except (ProviderError, FetchError, GitHubError, BranchError) as exc:
                self.result.provider_errors += isinstance(exc, ProviderError)
                self.result.fail(action.name, str(exc))
        self._retire_strays()
        try:
            self._evaluation.cancel_stale_batches(desired)
        except ProviderAuthError:
            raise
        except ProviderError as exc:
            self.result.provider_errors += 1
            self.result.fail("(batches)", str(exc))
        poll_jobs(self._session, self._provider, self._identity, self.result, self._check.pricing)
        try:
            self._evaluation.evaluate_pending(desired, self._check.ws.jobs)
        except ProviderAuthError:
            raise
        except ProviderError as exc:
            self.result.provider_errors += 1
            self.result.fail("(evaluation)", str(exc))
        with self.result.step(PROMOTION_STEP):
            self._pull_requests.promote_passed()
        report_rebound_aliases(self._session.doc, self._check.ws.registry, self.result)
        ws = self._check.ws
        self._watch.run(watched(ws.registry, ws.jobs, desired, self._check.calibration), ws.jobs)
        self.alerts.reconcile(assess(self._session.doc, self.result, desired), ASSESSED)
        return self.result

    def _watch_verdict(self, verdict: WatchRecord) -> None:
        """A production drop opens (or updates) its alert; any other verdict closes it."""
        subject = f"{verdict.model}:{verdict.alias}"
        if verdict.passed is False:
            self.alerts.raise_(
                AlertKind.PRODUCTION_DROP,
                subject,
                f"v{verdict.version}",
                reason="; ".join(verdict.drops),
                next_step=(
                    "Read the report and decide: roll back with `trainer demote "
                    f"{verdict.model} {verdict.alias} --reason TEXT`, or train a better model"
                ),
                details=f"report: {verdict.report}" if verdict.report else "",
            )
        else:
            self.alerts.resolve(
                AlertKind.PRODUCTION_DROP,
                subject,
                f"version {verdict.version} is bound now, not known to be below its "
                f"thresholds ({verdict.source})",
            )

    def _train(self, action: Action) -> None:
        if action.blocked:
            self.result.block(action.name, action.blocked)
            return
        name = action.name
        self._jobs.start(self._desired[name], self._check.ws.jobs[name], action.reason)

    def _cancel(self, action: Action) -> None:
        revision = action.previous_revision
        if not revision:
            return
        if action.phase is Phase.AWAITING_REVIEW:
            self._pull_requests.close(
                action.name, revision, "The spec of this model was removed.", "spec removed"
            )
        else:
            self._jobs.retire(action.name, revision, Phase.CANCELLED, "spec removed")

    def _settings_changed(self, action: Action) -> None:
        """Record new evaluation or promotion settings; re-evaluate or re-propose."""
        name, desired = action.name, self._desired[action.name]
        revision = desired.revision
        if action.kind is ActionKind.REEVALUATE:
            self._pull_requests.close(
                name,
                revision,
                "The evaluation settings changed: this model is evaluated again, and a new "
                "promotion pull request follows if it passes.",
                "evaluation settings changed",
                move_to=None,
            )
        now = self._identity.now()
        reevaluate = action.kind is ActionKind.REEVALUATE

        def update(doc: StateDocument) -> None:
            record = doc.specs[name].revisions[revision]
            record.fields = {k: dict(v) for k, v in desired.fields.items()}
            record.tenant = desired.scope
            record.promotion_digest = desired.promotion_digest
            if reevaluate:
                record.evaluation_digest = desired.evaluation_digest
                if record.phase is not Phase.EVALUATING:
                    record.move(Phase.EVALUATING, "evaluation settings changed", now)

        self._session.commit(update, f"reconcile: {name} {action.kind.value}")
        self.result.note(name, action.reason)
        if action.kind is ActionKind.PROMOTE:
            self._repropose(name, revision)

    def _repropose(self, name: str, revision: str) -> None:
        record = self._session.doc.specs[name].revisions[revision]
        promotion = self._check.ws.jobs[name].spec.promotion
        if promotion is None:
            return
        target_moved = record.promotion is not None and (
            (record.promotion.model, record.promotion.alias) != (promotion.model, promotion.alias)
        )
        if record.phase in (Phase.AWAITING_REVIEW, Phase.DECLINED) or (
            record.phase is Phase.PROMOTED and target_moved
        ):
            self._pull_requests.open(name, revision)

    def _retire_strays(self) -> None:
        """Level-triggered cleanup: a job of a revision that is no longer current is cancelled.

        Covers a run that died between recording a new revision and cancelling the old job.
        """
        strays = [
            (name, revision, spec.current)
            for name, spec in self._session.doc.specs.items()
            for revision, record in spec.revisions.items()
            if revision != spec.current and record.phase in TRAINING_IN_FLIGHT
        ]
        for name, revision, current in strays:
            try:
                self._jobs.retire(
                    name, revision, Phase.SUPERSEDED, f"replaced by revision {short(current)}"
                )
            except ProviderAuthError:
                raise
            except ProviderError as exc:
                self.result.fail(name, str(exc))
