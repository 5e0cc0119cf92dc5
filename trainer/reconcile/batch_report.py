"""What a batch evaluation's report says about its batches: that the answers came from
the Batch API, and the estimated cost (tokens × price, at the batch discount)."""

from __future__ import annotations

from trainer.datasets.cost import usd
from trainer.datasets.pricing import Pricing
from trainer.state.batch_record import BatchRecord

BATCH_DISCOUNT = 0.5
"""The Batch API charges half the synchronous price."""


def _prices(pricing: Pricing, model: str) -> tuple[float, float] | None:
    """(input, output) USD per 1M tokens, synchronous, of a model or of its base model."""
    if model.startswith("ft:"):
        base = pricing.price(model.split(":")[1])
        if base is None or base.fine_tuned_input_per_1m_tokens is None:
            return None
        return base.fine_tuned_input_per_1m_tokens, base.fine_tuned_output_per_1m_tokens or 0.0
    price = pricing.price(model)
    if price is None or price.input_per_1m_tokens is None:
        return None
    return price.input_per_1m_tokens, price.output_per_1m_tokens or 0.0


def batch_cost(batches: list[BatchRecord], pricing: Pricing) -> tuple[float, list[str]]:
    """Estimated USD of the batches' tokens at the batch price, and the models unpriced."""
    total, unpriced = 0.0, []
    for batch in batches:
        prices = _prices(pricing, batch.model)
        if prices is None:
            if batch.input_tokens or batch.output_tokens:
                unpriced.append(batch.model)
            continue
        tokens = batch.input_tokens * prices[0] + batch.output_tokens * prices[1]
        total += tokens / 1e6 * BATCH_DISCOUNT
    return total, sorted(set(unpriced))


def batch_report_line(batches: list[BatchRecord], digest: str, pricing: Pricing) -> str:
    mine = [b for b in batches if b.digest == digest and b.batch_id]
    answered = sum(b.completed for b in mine)
    tokens_in, tokens_out = sum(b.input_tokens for b in mine), sum(b.output_tokens for b in mine)
    cost, unpriced = batch_cost(mine, pricing)
    price = (
        f"estimated cost {usd(cost)} at the batch price (half the synchronous price)"
        if not unpriced
        else f"estimated cost unknown (no inference price for {', '.join(unpriced)})"
    )
    return (
        f"> Answers came from the Batch API: {len(mine)} batch(es), {answered} request(s) "
        f"answered, {tokens_in:,} input + {tokens_out:,} output tokens; {price}."
    )
