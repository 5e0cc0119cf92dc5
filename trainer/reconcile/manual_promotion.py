"""`trainer promote`: a promotion pull request on request, within the same rules and
records as reconcile's own, with `--force` for a model that did not pass."""

from __future__ import annotations

from pathlib import Path

from trainer.errors import SpecError, UsageError
from trainer.phases import Phase
from trainer.promotion.backend import PullRequest
from trainer.promotion.proposals import open_backend
from trainer.reconcile.identity import RunIdentity
from trainer.reconcile.pass_result import PassResult
from trainer.reconcile.pull_requests import BackendFactory, PromotionPullRequests
from trainer.repository import check_repository
from trainer.short_ids import short
from trainer.state.backend import StateStore
from trainer.state.session import StateSession


def promote_on_request(
    repo: Path,
    store: StateStore,
    name: str,
    *,
    force: bool = False,
    reason: str | None = None,
    backend: BackendFactory = open_backend,
) -> PullRequest:
    """Open (or update) the promotion PR of spec `name`'s current revision.

    Refused (UsageError) when the spec or its model is missing, it is promoted already,
    or it did not pass its evaluation and `force` (with a reason) is not given.
    """
    forced = reason.strip() if force and reason and reason.strip() else None
    if force and forced is None:
        raise UsageError("--force needs --reason: the override is recorded with its reason")
    check = check_repository(repo)
    if not check.ok:
        raise SpecError(check.diagnostics)
    job = check.ws.jobs.get(name)
    if job is None:
        raise UsageError(f"no spec named {name!r} in specs/jobs/")
    if job.spec.promotion is None:
        raise UsageError(
            f"{name} has no promotion section: nothing says which model and alias to promote into"
        )
    identity = RunIdentity(exclusive=store.exclusive)
    with store.lock():
        session = StateSession(store)
        spec = session.doc.specs.get(name)
        record = spec.current_record() if spec else None
        if record is None or not record.provider.fine_tuned_model:
            raise UsageError(f"{name} has no trained model yet; run `trainer reconcile` first")
        if record.phase is Phase.PROMOTED:
            raise UsageError(f"{name} revision {short(record.revision)} is promoted already")
        passed = record.evaluation is not None and record.evaluation.passed
        if not passed and forced is None:
            state = "failed its evaluation" if record.evaluation else "has not been evaluated"
            raise UsageError(
                f"{name} revision {short(record.revision)} {state}; "
                "use --force --reason TEXT to propose it anyway"
            )
        pull_requests = PromotionPullRequests(
            session, identity, PassResult(), check.ws.root, check.ws.jobs, backend
        )
        return pull_requests.open(name, record.revision, forced=forced)
