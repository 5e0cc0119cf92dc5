"""`trainer eval --batch`: the same batch evaluation as reconcile's, run by hand and
waited for. Rounds (answers, judge, retries of failed or expired lines) go out one after
the other; each is polled (one call per batch) every `interval` seconds until it ends.
Nothing is kept in the state: a run that is stopped submits its batches again."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from trainer.harness.cache import ResponseCache
from trainer.harness.evaluate import Evaluation, EvaluationRequest, evaluate
from trainer.providers.base import Provider
from trainer.providers.batches import ACTIVE, BatchClient, BatchInfo
from trainer.reconcile.batch_calls import AnswersCache, BatchAnswers, Call, Outcomes
from trainer.reconcile.batch_evaluation import MAX_ROUNDS, roles


@dataclass
class BatchRun:
    """What the batches of a standalone evaluation did, for its report."""

    batches: list[BatchInfo] = field(default_factory=list)
    models: dict[str, str] = field(default_factory=dict)
    """Model of each batch id."""


def run_batch_eval_blocking(
    provider: Provider,
    cache: ResponseCache,
    request: EvaluationRequest,
    progress: Callable[[str, int, int], None] | None = None,
    *,
    client: BatchClient | None = None,
    interval: float = 10.0,
    sleep: Callable[[float], None] = time.sleep,
    record: BatchRun | None = None,
) -> Evaluation:
    """Evaluate `request` with every chat request sent through the Batch API; returns when
    the verdict is in. `progress(batch label, completed, total)` after every poll."""
    client = client or BatchClient()
    record = record if record is not None else BatchRun()
    outcomes = Outcomes()
    who = roles(request)
    for round_ in range(1, MAX_ROUNDS + 2):
        answers = BatchAnswers(provider, outcomes)
        result = evaluate(answers, AnswersCache(cache.directory), request)
        if not answers.recorded:
            return result
        if round_ > MAX_ROUNDS:
            outcomes.give_up = True
            continue
        by_model: dict[str, list[Call]] = {}
        for call in sorted(answers.recorded.values(), key=lambda c: c.key):
            by_model.setdefault(call.model, []).append(call)
        pending = []
        for model, calls in sorted(by_model.items()):
            role = who.get(model, "judge")
            text = "".join(call.line(role) + "\n" for call in calls)
            file_id = client.upload(f"trainer-eval-r{round_}-{role}.jsonl", text.encode())
            tags = {"trainer_eval": request.model[:512], "trainer_round": str(round_)}
            info = client.create(file_id, {**tags, "trainer_role": role})
            record.models[info.id] = model
            pending.append((f"{role} batch {info.id}", info))
        for label, info in pending:
            while info.status in ACTIVE:
                info = client.retrieve(info.id)
                if progress is not None:
                    progress(label, info.completed, info.total)
                if info.status in ACTIVE:
                    sleep(interval)
            record.batches.append(info)
            for answers_file in (info.output_file_id, info.error_file_id):
                if answers_file:
                    outcomes.add_output(client.content(answers_file))
    outcomes.give_up = True
    return evaluate(BatchAnswers(provider, outcomes), AnswersCache(cache.directory), request)
