"""The registry of check types: one declaration per check, everything else derived from it."""

from __future__ import annotations

import json
import re
import typing
from pathlib import Path
from typing import Any

import pytest
from pydantic.fields import FieldInfo

from trainer.harness.graders import CHECKS, GRADERS, Grade, GraderError, markdown_table
from trainer.harness.graders.base import Params
from trainer.harness.graders.judge import JudgeParams, judge_messages, parse_verdict, rubric_of
from trainer.harness.graders.registry import CheckType, check
from trainer.harness.grading import apply_judge, apply_moderation, deterministic
from trainer.harness.loading import LoadedSuite
from trainer.harness.samples import SelectedTest, render_case
from trainer.harness.suites import CHECK_TYPES, JUDGE_CHECKS, Check, Suite

DOCS = Path(__file__).resolve().parents[2] / "docs/evaluation.md"
OUTPUTS = [
    "I'm sorry, but I can't help with that.",
    "Sure! So the answer is 4. What do you think comes next?",
    '{"answer": 4}',
    "",
]


def _sample(field: FieldInfo) -> Any:
    """A valid value of a parameter, from its type alone (so a new check needs no entry)."""
    annotation = field.annotation
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if annotation is bool:
        return True
    if annotation is str:
        return "4"
    if origin is typing.Literal:
        return args[0]
    if origin is list:
        return ["4"]
    if origin is dict:
        return {"good": 1} if args[1] is not Any else {"type": "object"}
    if int in args or annotation is int:
        return 4
    if str in args:
        return "4"
    raise AssertionError(f"no sample for {annotation}")


def _params(entry: CheckType) -> dict[str, Any]:
    fields = entry.params.model_fields
    return {f.alias or n: _sample(f) for n, f in fields.items() if f.is_required()}


def _case(checks: list[dict[str, Any]], *, variants: bool) -> Any:
    case: dict[str, Any] = {"id": "c", "checks": checks}
    if variants:
        case |= {"prompt": "{{ name }} asks", "variants": [{"name": "A"}, {"name": "B"}]}
    else:
        case["messages"] = [{"role": "user", "content": "What is 2 + 2?"}]
    body = {"suite": "s", "category": "pedagogy", "tests": {"t": {"cases": [case]}}}
    loaded = LoadedSuite(Suite.model_validate(body), "harness/s.yaml", "0" * 40)
    test = loaded.suite.tests["t"]
    return render_case(SelectedTest(loaded, "t", test), test.cases[0])


def test_the_suite_schema_allows_exactly_the_registered_types() -> None:
    assert tuple(CHECKS) == CHECK_TYPES
    assert len(set(CHECK_TYPES)) == len(CHECK_TYPES) == 28
    assert JUDGE_CHECKS == ("judge_label", "judge_score")
    assert set(GRADERS) == {n for n, c in CHECKS.items() if c.kind == "answer"}
    assert {n for n, c in CHECKS.items() if c.kind == "variants"} == {"counterfactual_consistency"}


@pytest.mark.parametrize("name", list(CHECKS))
def test_every_registered_type_dispatches_to_its_grader(name: str) -> None:
    entry = CHECKS[name]
    params = _params(entry)
    check = Check.model_validate({"type": name, **params})
    case = _case([{"type": name, **params}], variants=entry.kind == "variants")
    if entry.kind == "judge":
        (result,) = deterministic(case, ["an answer"])
        assert result.score is None, "judge checks wait for the judge"
        params = (
            {**check.params, "labels": {"good": 1, "bad": 0}}
            if name == "judge_label"
            else check.params
        )
        check = Check.model_validate({"type": name, **params})
        rubric = rubric_of(name, check.params)
        messages = judge_messages(rubric, case.variants, ["an answer"])
        assert messages[1]["content"].startswith("Rubric: 4")
        reply = json.dumps({"reasoning": "Fine.", "score": rubric.high})
        apply_judge(result, check, reply, None)
        expected = entry(parse_verdict(rubric, reply), check.params)
        assert result.error is None
        assert (result.score, result.passed, result.reason) == (
            expected.score,
            expected.passed,
            expected.reason,
        )
        return
    if entry.kind == "moderation":
        (result,) = deterministic(case, ["an answer"])
        assert result.score is None, "moderation checks wait for the moderation endpoint"
        apply_moderation(result, check, [{"violence": 0.9}])
        expected = entry({"violence": 0.9}, params)
        assert (result.score, result.passed, result.reason) == (
            expected.score,
            expected.passed,
            expected.reason,
        )
        return
    outputs = OUTPUTS[:2] if entry.kind == "variants" else OUTPUTS[1:2]
    target = outputs if entry.kind == "variants" else outputs[0]
    (result,) = deterministic(case, outputs)
    if result.error is not None:  # a check that needs more than its required parameters
        assert "parameter" not in result.error
        with pytest.raises(GraderError, match=f"^{re.escape(result.error)}$"):
            entry(target, params)
        return
    if "question" in entry.params.model_fields:
        params = {**params, "question": case.student_text}
    expected = entry(target, params)
    assert (result.score, result.passed, result.reason) == (
        expected.score,
        expected.passed,
        expected.reason,
    )


NEGATED = [c for c in CHECKS.values() if c.negates is not None]


def test_the_negated_forms_are_those_of_the_docs() -> None:
    pairs = {c.negates: c.name for c in NEGATED}
    assert pairs == {
        "equals": "not_equals",
        "contains": "not_contains",
        "icontains": "not_icontains",
        "regex": "not_regex",
        "starts_with": "not_starts_with",
        "is_refusal": "not_refusal",
    }
    for positive, negated in pairs.items():
        assert CHECKS[positive].negated == negated


@pytest.mark.parametrize("negated", NEGATED, ids=lambda c: c.name)
@pytest.mark.parametrize("output", OUTPUTS)
def test_negated_forms_invert_their_positive_check(negated: CheckType, output: str) -> None:
    assert negated.negates is not None
    positive = CHECKS[negated.negates]
    assert (negated.params, negated.kind) == (positive.params, positive.kind)
    params = _params(positive)
    grade, inverse = positive(output, params), negated(output, params)
    assert inverse == Grade(1.0 - grade.score, not grade.passed, f"not ({grade.reason})")
    assert GRADERS[negated.name](output, params) == inverse


def test_judge_checks_say_what_to_ask_the_judge() -> None:
    for name in JUDGE_CHECKS:
        assert issubclass(CHECKS[name].params, JudgeParams)
    with pytest.raises(GraderError, match="not a model-graded check"):
        rubric_of("contains", {"value": "x"})


def test_parameters_are_typed_at_run_time_too() -> None:
    with pytest.raises(GraderError, match=r"^missing parameter 'value'$"):
        GRADERS["contains"]("text", {})
    with pytest.raises(GraderError, match=r"^unknown parameter 'values'$"):
        GRADERS["contains"]("text", {"value": "a", "values": "b"})
    with pytest.raises(GraderError) as caught:
        GRADERS["word_count"]("text", {"max": "80"})
    assert str(caught.value) == "parameter max: must be a whole number (got the string '80')"
    # numbers keep their type, so reasons read as the suite wrote them
    assert GRADERS["rouge_l"]("a b", {"reference": "a b", "min": 1}).reason.endswith("(min 1)")


def test_a_check_type_is_registered_once_or_not_at_all() -> None:
    before = dict(CHECKS)

    def grader(output: str, p: Params) -> Grade:
        """passes always"""
        return Grade(1.0, True, "ok")

    with pytest.raises(ValueError, match="'equals' is registered twice"):
        check("equals", Params)(grader)
    with pytest.raises(ValueError, match="'not_regex' is registered twice"):
        check("brand_new", Params, negated="not_regex")(grader)
    with pytest.raises(TypeError, match="needs a docstring"):
        check("undocumented", Params)(lambda output, p: Grade(1.0, True, "ok"))
    assert dict(CHECKS) == before


def test_docs_table_of_checks_is_the_rendered_registry() -> None:
    text = DOCS.read_text(encoding="utf-8")
    found = re.search(r"<!-- checks:start -->\n(.*?)<!-- checks:end -->", text, re.DOTALL)
    assert found, "docs/evaluation.md lost its <!-- checks:start/end --> markers"
    assert found.group(1) == markdown_table(), (
        "docs/evaluation.md is out of date; paste the output of "
        '`python -c "from trainer.harness.graders import markdown_table; '
        'print(markdown_table())"` between the markers'
    )


def test_the_table_has_a_row_per_check_with_its_negated_form() -> None:
    rows = markdown_table().splitlines()[2:]
    assert len(rows) == len(CHECKS) - len(NEGATED)
    assert rows[0].startswith("| `equals`, `not_equals` | `value`, `case_sensitive` (false) |")
    assert "| `rouge_n` | `reference`, `n` (2), `min` (0.3) |" in markdown_table()
    assert "`tolerance` (1e-6)" in markdown_table()
    assert rows[-1].startswith(
        "| `judge_score` | `rubric`, `rubric_name` (set by loading for a named rubric, optional), "
        "`pass` (0.5), `min` (0), `max` (10) |"
    )
