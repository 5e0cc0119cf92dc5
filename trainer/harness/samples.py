"""The requests an evaluation makes: one per case, variant and repeat."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from trainer.harness.loading import LoadedSuite
from trainer.harness.suites import Case, Check, Test

if TYPE_CHECKING:
    import jinja2.sandbox


@functools.cache
def _templates() -> jinja2.sandbox.SandboxedEnvironment:
    """Prompt templates' environment, made when a suite first uses one (not on import)."""
    import jinja2.sandbox

    return jinja2.sandbox.SandboxedEnvironment(undefined=jinja2.StrictUndefined, autoescape=False)


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
    def checks(self) -> list[Check]:
        """The case's own checks, then those its test sets for every case."""
        return self.selected.test.checks_of(self.case)

    @property
    def key(self) -> str:
        return f"{self.selected.name}/{self.case.id}"

    @property
    def student_text(self) -> str:
        """Everything the student said, in every variant: what an answer must engage with."""
        said = dict.fromkeys(
            m["content"] for variant in self.variants for m in variant if m["role"] == "user"
        )
        return "\n".join(said)

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
    template = _templates().from_string(case.prompt)
    bindings: list[dict[str, Any]] = [{**case.vars, **v} for v in (case.variants or [{}])]
    return CaseInput(
        selected,
        case,
        [[*prefix, {"role": "user", "content": template.render(**b)}] for b in bindings],
    )


def sampling_of(selected: SelectedTest, repeat: int = 0) -> dict[str, Any]:
    """The sampling of one repeat: each repeat has its own seed, so flakiness can show."""
    sampling = selected.suite.suite.sampling.model_dump()
    if sampling.get("seed") is not None:
        sampling["seed"] += repeat
    return sampling
