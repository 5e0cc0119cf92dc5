"""The requests an evaluation makes: one per case, variant and repeat."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import jinja2.sandbox

from trainer.harness.loading import LoadedSuite
from trainer.harness.suites import Case, Test

_ENV = jinja2.sandbox.SandboxedEnvironment(undefined=jinja2.StrictUndefined, autoescape=False)


@dataclass(frozen=True)
class SelectedTest:
    suite: LoadedSuite
    name: str
    test: Test

    @property
    def category(self) -> str:
        return self.suite.suite.category


@dataclass(frozen=True)
class CaseInput:
    """A case made concrete: the conversation of each variant."""

    selected: SelectedTest
    case: Case
    variants: list[list[dict[str, str]]] = field(default_factory=list)

    @property
    def key(self) -> str:
        return f"{self.selected.name}/{self.case.id}"

    @property
    def question(self) -> str:
        """The last user message of the first variant, for reports and judges."""
        return next((m["content"] for m in reversed(self.variants[0]) if m["role"] == "user"), "")


def render_case(selected: SelectedTest, case: Case) -> CaseInput:
    system = selected.suite.suite.system
    prefix = [{"role": "system", "content": system}] if system else []
    if case.messages is not None:
        return CaseInput(selected, case, [prefix + [m.model_dump() for m in case.messages]])
    assert case.prompt is not None
    template = _ENV.from_string(case.prompt)
    bindings: list[dict[str, Any]] = [{**case.vars, **v} for v in (case.variants or [{}])]
    return CaseInput(
        selected,
        case,
        [[*prefix, {"role": "user", "content": template.render(**b)}] for b in bindings],
    )


def sampling_of(selected: SelectedTest) -> dict[str, Any]:
    return selected.suite.suite.sampling.model_dump()
