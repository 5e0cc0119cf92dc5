'''The one registry of check types: each grader declares itself, next to its function.

    class ContainsParams(Params):
        value: Strings
        mode: Literal["any", "all"] = "any"

    @check("contains", ContainsParams, negated="not_contains")
    def contains(output: str, p: ContainsParams) -> Grade:
        """the answer contains the value(s)"""

The first paragraph of the docstring is the "passes when" of the docs table. The
decorated function also accepts a plain mapping of parameters, validated on the way in.

Everything else is derived from here: the allowed `type`s of the suite schema
(`suites.CHECK_TYPES`), the parameter checks of `trainer validate` (`loading.py`), the
dispatch in `grading.py`, and the table of checks in docs/evaluation.md
(`markdown_table`, kept in sync by a test). The registry is complete once
`trainer.harness.graders` is imported: its `__init__` imports every grader module.

Kinds of check:

- `answer`: `grader(output, params)`, applied to each answer (one per variant) and averaged;
- `variants`: `grader(outputs, params)`, once over the answers to all of a case's variants;
- `judge`: `grader(verdict, params)` grades the judge's structured verdict; the params
  model is a `judge.JudgeParams`, which says what the judge applies;
- `moderation`: `grader(category_scores, params)` grades the provider's moderation of one
  answer (and is averaged over answers, like `answer`).
'''

from __future__ import annotations

import functools
import inspect
import re
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal, TypeVar

from pydantic import ValidationError
from pydantic.fields import FieldInfo

from trainer.harness.graders.base import Grade, GraderError, Params
from trainer.specs.messages import validation_diagnostics
from trainer.specs.yaml_source import YamlDocument

Kind = Literal["answer", "variants", "judge", "moderation"]
A = TypeVar("A")
P = TypeVar("P", bound=Params)

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class CheckType:
    """One registered check type (a negated form is an entry of its own)."""

    name: str
    params: type[Params]
    grade: Callable[[Any, Any], Grade]
    """The grader, called with validated parameters (an instance of `params`)."""
    kind: Kind
    doc: str
    """What the check passes on (the first paragraph of the grader's docstring)."""
    negated: str | None = None
    """On a positive check with a negated form: the name of that form."""
    negates: str | None = None
    """On a negated form: the name of the positive check."""

    @property
    def required(self) -> frozenset[str]:
        """The YAML names of the parameters a check of this type must give."""
        return frozenset(
            _yaml_name(n, f) for n, f in self.params.model_fields.items() if f.is_required()
        )

    @property
    def optional(self) -> frozenset[str]:
        return frozenset(
            _yaml_name(n, f) for n, f in self.params.model_fields.items() if not f.is_required()
        )

    def parse(self, given: Mapping[str, Any]) -> Params:
        """The parameters of a check, validated; GraderError when they are not valid."""
        try:
            return self.params.model_validate(dict(given))
        except ValidationError as exc:
            raise GraderError(_problem(exc, self.params, given)) from None

    def __call__(self, answer: Any, params: Mapping[str, Any] | Params) -> Grade:
        """Grade `answer` (see the kinds), with parameters as a mapping or already parsed."""
        parsed = self.parse(params) if isinstance(params, Mapping) else params
        if not isinstance(parsed, self.params):
            raise TypeError(f"{self.name}: parameters are {self.params.__name__}")
        return self.grade(answer, parsed)


_REGISTRY: dict[str, CheckType] = {}
CHECKS: Mapping[str, CheckType] = MappingProxyType(_REGISTRY)
"""Every check type by name, negated forms included, in the order they were declared."""


def check(
    name: str, params: type[P], *, negated: str | None = None, kind: Kind = "answer"
) -> Callable[[Callable[[A, P], Grade]], Callable[[A, Mapping[str, Any] | P], Grade]]:
    """Register the decorated grader as check type `name`, with its parameter model.

    `negated` names a form that passes when this check fails (score 1 - score).
    """

    def register(grader: Callable[[A, P], Grade]) -> Callable[[A, Mapping[str, Any] | P], Grade]:
        doc = _summary(name, grader)
        entry = CheckType(name, params, grader, kind, doc, negated=negated)
        entries = [entry]
        if negated is not None:
            entries.append(
                CheckType(negated, params, _negate(grader), kind, f"`{name}` fails", negates=name)
            )
        _add(entries)

        @functools.wraps(grader)
        def accepting_mappings(answer: A, given: Mapping[str, Any] | P) -> Grade:
            return entry(answer, given)

        return accepting_mappings

    return register


def _add(entries: list[CheckType]) -> None:
    """Register all of `entries`, or none of them."""
    for entry in entries:
        if not _NAME.match(entry.name):
            raise ValueError(f"check type {entry.name!r}: use lowercase letters, digits and '_'")
        if entry.name in _REGISTRY or [e.name for e in entries].count(entry.name) > 1:
            raise ValueError(f"check type {entry.name!r} is registered twice")
    _REGISTRY.update((entry.name, entry) for entry in entries)


def _summary(name: str, grader: Callable[..., Grade]) -> str:
    doc = inspect.getdoc(grader)
    if not doc:
        raise TypeError(f"check type {name!r}: its grader needs a docstring (the docs show it)")
    return " ".join(doc.split("\n\n", 1)[0].split())


def _negate(grader: Callable[[A, P], Grade]) -> Callable[[A, P], Grade]:
    def negated(answer: A, params: P) -> Grade:
        grade = grader(answer, params)
        return Grade(1.0 - grade.score, not grade.passed, f"not ({grade.reason})")

    return negated


def _yaml_name(name: str, field: FieldInfo) -> str:
    return field.alias or name


def _problem(exc: ValidationError, model: type[Params], given: Mapping[str, Any]) -> str:
    first = exc.errors(include_url=False)[0]
    if first["type"] == "missing":
        return f"missing parameter {first['loc'][0]!r}"
    if first["type"] == "extra_forbidden":
        return f"unknown parameter {first['loc'][0]!r}"
    (diagnostic, *_) = validation_diagnostics(exc, model, YamlDocument("", dict(given)))
    return f"parameter {diagnostic.message}"


def markdown_table() -> str:
    """The table of every check type and its parameters, as in docs/evaluation.md."""
    rows = ["| type | parameters | passes when |", "| --- | --- | --- |"]
    positive = [entry for entry in CHECKS.values() if entry.negates is None]
    for entry in sorted(positive, key=lambda e: e.kind == "judge"):  # stable: judges last
        names = [entry.name] if entry.negated is None else [entry.name, entry.negated]
        params = ", ".join(
            _param_doc(_yaml_name(n, f), f) for n, f in entry.params.model_fields.items()
        )
        rows.append(
            f"| {', '.join(f'`{n}`' for n in names)} | {_cell(params)} | {_cell(entry.doc)} |"
        )
    return "\n".join(rows) + "\n"


def _param_doc(name: str, field: FieldInfo) -> str:
    notes = [field.description] if field.description else []
    if typing.get_origin(field.annotation) is Literal:
        notes.append(" or ".join(_yaml(c) for c in typing.get_args(field.annotation)))
    if not field.is_required():
        default = field.get_default(call_default_factory=True)
        if default is None or default == []:
            notes.append("optional")
        else:
            notes.append(f"default {_yaml(default)}" if notes else _yaml(default))
    return f"`{name}` ({', '.join(notes)})" if notes else f"`{name}`"


def _yaml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return re.sub(r"e([+-])0*(\d)", r"e\1\2", f"{value:g}")
    return f"`{value}`"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")
