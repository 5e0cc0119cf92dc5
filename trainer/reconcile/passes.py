"""Reconcile passes: one (`reconcile_once`), or repeated with backoff until nothing is in
flight (`reconcile_until_settled`, for `trainer reconcile --wait` and the demo)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from trainer.errors import SpecError
from trainer.logs import run_context
from trainer.metrics import metrics_path, write_metrics
from trainer.planner import plan
from trainer.promotion.proposals import open_backend
from trainer.providers.base import Provider
from trainer.providers.on_demand import OnDemandProvider
from trainer.reconcile.executor import Executor
from trainer.reconcile.identity import RunIdentity
from trainer.reconcile.job_status import in_flight
from trainer.reconcile.pass_result import PassResult
from trainer.reconcile.pull_requests import BackendFactory
from trainer.repository import check_repository
from trainer.revision import desired_state
from trainer.state.backend import StateStore
from trainer.state.document import StateDocument
from trainer.state.session import StateSession

log = logging.getLogger("trainer.reconcile")


@dataclass
class PassReport:
    result: PassResult
    in_flight: list[tuple[str, str, str]]
    state: StateDocument


def reconcile_once(
    repo: Path,
    store: StateStore,
    provider_factory: Callable[[], Provider],
    *,
    identity: RunIdentity | None = None,
    backend: BackendFactory = open_backend,
) -> PassReport:
    """Validate, plan, act, poll, save. Invalid specs raise SpecError before anything is touched."""
    check = check_repository(repo)
    if not check.ok:
        raise SpecError(check.diagnostics)
    me = identity or RunIdentity()
    if store.exclusive and not me.exclusive:
        me = RunIdentity(me.run_id, me.clock, exclusive=True)
    with run_context(me.run_id), store.lock():
        session = StateSession(store)
        log.info("reconcile pass: %d spec(s), state %s", len(check.ws.jobs), store.description)
        desired = desired_state(check.ws, check.digests, check.estimates)
        provider = OnDemandProvider(provider_factory)
        executor = Executor(check, session, provider, me, backend)
        result = executor.run(plan(desired, session.doc).actions, desired)
        write_metrics(metrics_path(repo), session.doc, result.provider_errors, len(result.failures))
        return PassReport(result, in_flight(session.doc), session.doc)


def reconcile_until_settled(
    repo: Path,
    store: StateStore,
    provider_factory: Callable[[], Provider],
    *,
    interval: float = 10.0,
    max_interval: float = 60.0,
    timeout: float | None = None,
    on_pass: Callable[[PassReport, float], None] = lambda report, wait: None,
    backend: BackendFactory = open_backend,
) -> PassReport:
    """Repeat passes, waiting longer each time (x1.5, capped), until no job is in flight.

    Every pass is the same run (one identity) and shares one provider.
    """
    provider = OnDemandProvider(provider_factory)
    identity = RunIdentity()
    started, wait = time.monotonic(), interval
    merged = PassResult()
    while True:
        report = reconcile_once(repo, store, lambda: provider, identity=identity, backend=backend)
        merged.extend(report.result)
        report = PassReport(merged, report.in_flight, report.state)
        settled = not report.in_flight
        timed_out = timeout is not None and time.monotonic() - started + wait > timeout
        on_pass(report, 0.0 if settled or timed_out else wait)
        if settled or timed_out:
            return report
        time.sleep(wait)
        wait = min(max_interval, wait * 1.5)
