"""A dated table of fine-tuning prices, shipped with trainer and overridable per repository."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from trainer.diagnostics import Diagnostic
from trainer.specs.messages import validation_diagnostics
from trainer.specs.yaml_source import YamlLoadError, load_yaml_mapping

REPO_PRICING = "specs/pricing.yaml"
DEFAULT_MAX_EXAMPLE_TOKENS = 65_536


class ModelPrice(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    training_per_1m_tokens: float = Field(ge=0)
    encoding: str = "o200k_base"
    max_example_tokens: int = Field(default=DEFAULT_MAX_EXAMPLE_TOKENS, ge=1)
    input_per_1m_tokens: float | None = Field(default=None, ge=0)
    """Inference (synchronous chat), per 1M input tokens; the Batch API charges half."""
    output_per_1m_tokens: float | None = Field(default=None, ge=0)
    fine_tuned_input_per_1m_tokens: float | None = Field(default=None, ge=0)
    """Inference of a model fine-tuned from this one (`ft:<this model>:...`)."""
    fine_tuned_output_per_1m_tokens: float | None = Field(default=None, ge=0)


class PriceTable(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    as_of: str
    source: str
    models: dict[str, ModelPrice] = Field(default_factory=dict)


@dataclass(frozen=True)
class Pricing:
    """The built-in table, with the repository's table (if any) taking precedence."""

    builtin: PriceTable
    repo: PriceTable | None = None

    def _table_for(self, model: str) -> PriceTable | None:
        for table in (self.repo, self.builtin):
            if table is not None and model in table.models:
                return table
        return None

    def price(self, model: str) -> ModelPrice | None:
        table = self._table_for(model)
        return table.models[model] if table else None

    def describe(self, model: str) -> str:
        """Where a model's price comes from, for reports: file and date."""
        table = self._table_for(model)
        if table is None:
            return f"no price for {model}; add it to {REPO_PRICING}"
        where = REPO_PRICING if table is self.repo else "trainer's built-in table"
        return f"{where}, prices as of {table.as_of}"


def builtin_table() -> PriceTable:
    raw = resources.files("trainer").joinpath("data/pricing.yaml").read_text("utf-8")
    return PriceTable.model_validate(yaml.safe_load(raw))


def load_pricing(root: Path, out: list[Diagnostic]) -> Pricing:
    """The built-in prices, overridden model by model by `specs/pricing.yaml` if present."""
    base = builtin_table()
    file = root / REPO_PRICING
    if not file.is_file():
        return Pricing(base)
    try:
        doc, problems = load_yaml_mapping(file, REPO_PRICING)
    except YamlLoadError as exc:
        out.append(exc.diagnostic)
        return Pricing(base)
    out.extend(problems)
    try:
        repo_table = PriceTable.model_validate(doc.data)
    except ValidationError as exc:
        out.extend(validation_diagnostics(exc, PriceTable, doc))
        return Pricing(base)
    return Pricing(base, repo_table)
