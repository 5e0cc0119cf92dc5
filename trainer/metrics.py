"""Metrics after each reconcile, in Prometheus text format (prometheus-client writes it).

For a node_exporter textfile collector or an uploaded artifact: jobs by phase, job
durations, evaluation verdicts and scores, promotions, provider errors, training cost
per tenant.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from prometheus_client import CollectorRegistry, Gauge, write_to_textfile

from trainer.paths import METRICS_FILE
from trainer.phases import Phase
from trainer.state.document import StateDocument

DEFAULT_FILE = METRICS_FILE


def metrics_path(root: Path) -> Path:
    configured = os.environ.get("TRAINER_METRICS_FILE")
    path = Path(configured) if configured else root / DEFAULT_FILE
    return path if path.is_absolute() else root / path


def write_metrics(path: Path, doc: StateDocument, provider_errors: int, failures: int) -> None:
    registry = CollectorRegistry()
    revisions = Gauge(
        "trainer_revisions", "Current revisions of specs, by phase", ["phase"], registry=registry
    )
    duration = Gauge(
        "trainer_job_duration_seconds",
        "Fine-tuning job duration, creation to end",
        ["spec"],
        registry=registry,
    )
    passed = Gauge(
        "trainer_evaluation_passed",
        "1 if the current revision passed its gate",
        ["spec"],
        registry=registry,
    )
    score = Gauge(
        "trainer_evaluation_score",
        "Evaluation scores of the current revision",
        ["spec", "score"],
        registry=registry,
    )
    pass_rate = Gauge(
        "trainer_evaluation_pass_rate",
        "Share of evaluated current revisions that passed",
        registry=registry,
    )
    promotions = Gauge(
        "trainer_promotions", "Promotion pull requests, by state", ["state"], registry=registry
    )
    errors = Gauge(
        "trainer_provider_errors",
        "Provider API errors in the last reconcile pass",
        registry=registry,
    )
    failed = Gauge(
        "trainer_failures", "Specs that failed in the last reconcile pass", registry=registry
    )
    cost = Gauge(
        "trainer_training_cost_usd",
        "Training cost of all jobs, by tenant",
        ["tenant"],
        registry=registry,
    )
    last = Gauge(
        "trainer_last_reconcile_timestamp_seconds",
        "When the last reconcile pass ended",
        registry=registry,
    )

    for phase in Phase:
        revisions.labels(phase.value).set(0)
    evaluated = passing = 0
    by_state: dict[str, int] = {}
    for name, spec in doc.specs.items():
        for record in spec.revisions.values():
            if record.promotion:
                by_state[record.promotion.state] = by_state.get(record.promotion.state, 0) + 1
        current = spec.current_record()
        if current is None:
            continue
        revisions.labels(current.phase.value).inc()
        provider = current.provider
        if provider.created_at and provider.finished_at:
            duration.labels(name).set((provider.finished_at - provider.created_at).total_seconds())
        if current.evaluation:
            evaluated += 1
            passing += current.evaluation.passed
            passed.labels(name).set(1 if current.evaluation.passed else 0)
            for key, value in current.evaluation.scores.items():
                if key.endswith("_score"):
                    score.labels(name, key).set(value)
    pass_rate.set(passing / evaluated if evaluated else 0)
    for state, count in by_state.items():
        promotions.labels(state).set(count)
    for tenant, total in doc.spend_by_tenant().items():
        cost.labels(tenant).set(round(total, 4))
    errors.set(provider_errors)
    failed.set(failures)
    last.set(time.time())
    path.parent.mkdir(parents=True, exist_ok=True)
    _watch_metrics(registry, doc)
    write_to_textfile(str(path), registry)


def _watch_metrics(registry: CollectorRegistry, doc: StateDocument) -> None:
    """The production watch of every alias binding: its scores, and 1 on a drop."""
    labels = ["model", "alias"]
    drop = Gauge(
        "trainer_watch_drop",
        "1 if the bound model fell below its thresholds or recorded scores",
        labels,
        registry=registry,
    )
    score = Gauge(
        "trainer_watch_score",
        "Scores of the bound model at its last production watch",
        [*labels, "score"],
        registry=registry,
    )
    age = Gauge(
        "trainer_watch_evaluated_timestamp_seconds",
        "When the bound model was last evaluated",
        labels,
        registry=registry,
    )
    for watch in doc.watch.values():
        if watch.passed is None:
            continue
        drop.labels(watch.model, watch.alias).set(0 if watch.passed else 1)
        age.labels(watch.model, watch.alias).set(watch.at.timestamp())
        for key, value in watch.scores.items():
            if key.endswith("_score"):
                score.labels(watch.model, watch.alias, key).set(value)
