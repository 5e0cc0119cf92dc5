"""Moderation checks: every distinct answer sent once to the provider's moderation
endpoint (in batches, cached), then each answer graded on its category scores."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

from trainer.harness.api_guard import ApiGuard, wait_all
from trainer.harness.cache import ResponseCache, answer_key
from trainer.harness.graders.moderation import MODERATION_MODEL
from trainer.harness.grading import apply_moderation, kind_of
from trainer.harness.limiter import AdaptiveLimiter
from trainer.harness.runs import Graded, ModelRun
from trainer.harness.samples import CaseInput
from trainer.providers.base import Provider, ProviderError

MODERATION_BATCH = 32


def _key(text: str, endpoint: str) -> str:
    message = {"role": "moderation", "content": text}
    return answer_key(MODERATION_MODEL, [message], {"endpoint": endpoint}, 0)


async def moderate_answers(
    provider: Provider,
    cache: ResponseCache,
    limiter: AdaptiveLimiter,
    guard: ApiGuard,
    graded: Graded,
    cases: list[CaseInput],
) -> None:
    """Grade every pending `moderation` check of `graded`."""
    wanted = [
        (key, k)
        for key, results in graded.results.items()
        for k, r in enumerate(results)
        if kind_of(r.type) == "moderation" and r.pending
    ]
    texts = sorted({text for key, _ in wanted for text in graded.outputs[key]})
    if not texts:
        return
    scores = await _scores(provider, cache, limiter, guard, graded.run, texts)
    for key, k in wanted:
        answers = [scores[t] for t in graded.outputs[key]]
        apply_moderation(graded.results[key][k], cases[key[0]].checks[k], answers)


async def _scores(
    provider: Provider,
    cache: ResponseCache,
    limiter: AdaptiveLimiter,
    guard: ApiGuard,
    run: ModelRun,
    texts: list[str],
) -> dict[str, Mapping[str, float] | str]:
    """Category scores per text (or the error that stopped its batch)."""
    out: dict[str, Mapping[str, float] | str] = {}
    todo = []
    for text in texts:
        cached = cache.get(_key(text, provider.endpoint))
        if cached is not None:
            run.cache_hits += 1
            out[text] = cached["scores"]
        else:
            todo.append(text)

    async def batch(chunk: list[str]) -> None:
        run.requests += 1
        try:
            results = await limiter.send(
                guard, lambda: provider.amoderate(chunk, model=MODERATION_MODEL)
            )
        except ProviderError as exc:
            out.update(dict.fromkeys(chunk, guard.failure(exc)))
            return
        guard.answer()
        for text, scores in zip(chunk, results, strict=True):
            out[text] = scores
            cache.put(_key(text, provider.endpoint), {"scores": dict(scores)})

    chunks = [todo[i : i + MODERATION_BATCH] for i in range(0, len(todo), MODERATION_BATCH)]
    await wait_all([asyncio.ensure_future(batch(chunk)) for chunk in chunks])
    return out
