"""Billed training tokens and their price, as OpenAI computes them (cookbook rules)."""

from __future__ import annotations

from dataclasses import dataclass

from trainer.datasets.pricing import Pricing
from trainer.datasets.report import DatasetReport
from trainer.specs.models import TrainingJob

TARGET_EPOCHS = 3
MIN_TARGET_EXAMPLES = 100
MAX_TARGET_EXAMPLES = 25_000
MIN_DEFAULT_EPOCHS = 1
MAX_DEFAULT_EPOCHS = 25


def default_epochs(examples: int) -> int:
    """What "auto" epochs become: 3, or enough to see 100..25,000 examples in total."""
    if examples <= 0:
        return TARGET_EPOCHS
    if examples * TARGET_EPOCHS < MIN_TARGET_EXAMPLES:
        return min(MAX_DEFAULT_EPOCHS, MIN_TARGET_EXAMPLES // examples)
    if examples * TARGET_EPOCHS > MAX_TARGET_EXAMPLES:
        return max(MIN_DEFAULT_EPOCHS, MAX_TARGET_EXAMPLES // examples)
    return TARGET_EPOCHS


def usd(amount: float) -> str:
    """Dollars with cents, and sub-cent amounts still visible."""
    return f"${amount:,.2f}" if amount >= 0.01 or amount == 0 else f"${amount:.4f}"


@dataclass(frozen=True)
class CostEstimate:
    tokens_per_epoch: int | None
    epochs: int | None
    epochs_auto: bool
    billed_tokens: int | None
    cost_usd: float | None
    exact: bool
    """False when tokens were counted with a stand-in encoding: figures are estimates."""
    note: str

    def summary(self) -> str:
        if self.billed_tokens is None or self.epochs is None or self.tokens_per_epoch is None:
            return f"tokens unknown ({self.note})"
        approx = "" if self.exact else "~"
        epochs = f"{self.epochs} epoch{'s' if self.epochs != 1 else ''}"
        if self.epochs_auto:
            epochs += " (auto)"
        cost = usd(self.cost_usd) if self.cost_usd is not None else "cost unknown"
        return (
            f"{approx}{self.tokens_per_epoch:,} tokens x {epochs} = "
            f"{approx}{self.billed_tokens:,} billed, {approx}{cost}"
        )


def estimate(spec: TrainingJob, training: DatasetReport | None, pricing: Pricing) -> CostEstimate:
    price = pricing.price(spec.base_model)
    if training is None:
        return CostEstimate(
            None,
            None,
            spec.config.n_epochs == "auto",
            None,
            None,
            False,
            "remote dataset: counted when reconcile fetches it",
        )
    auto = spec.config.n_epochs == "auto"
    epochs = default_epochs(training.examples) if auto else int(spec.config.n_epochs)
    billed = training.tokens.billed_per_epoch * epochs
    cost = round(billed / 1_000_000 * price.training_per_1m_tokens, 4) if price else None
    note = pricing.describe(spec.base_model)
    if not training.tokens_exact:
        note += f"; {training.tokenizer}"
    return CostEstimate(
        training.tokens.billed_per_epoch, epochs, auto, billed, cost, training.tokens_exact, note
    )


def budget_refusal(budget_usd: float | None, cost: CostEstimate) -> str | None:
    """Why training must not start under `policy.budget_usd`, or None when it may (also
    when the tokens are not known yet: remote data is counted once it is fetched)."""
    if budget_usd is None or cost.billed_tokens is None:
        return None
    if cost.cost_usd is None:
        return (
            f"policy.budget_usd is {budget_usd:g} but the cost is unknown "
            "(no price for the base model; add it to specs/pricing.yaml)"
        )
    if cost.cost_usd > budget_usd:
        approx = "" if cost.exact else " (tokens estimated)"
        return (
            f"estimated {usd(cost.cost_usd)}{approx} exceeds policy.budget_usd "
            f"{usd(budget_usd) if budget_usd >= 0.0001 else f'${budget_usd:g}'}; "
            "raise the budget or reduce tokens or epochs"
        )
    return None
