"""Suites are validated like specs: file:line errors, unknown check types named."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.conftest import Result
from tests.helpers import job, make_repo, write_yaml
from trainer.diagnostics import Diagnostic

MINI = """\
suite: extra
category: pedagogy
tests:
  tiny:
    cases:
      - id: one
        messages: [{role: user, content: "What is 2 + 2?"}]
        checks:
          - {type: question_askd}
          - {type: answer_leak, answers: ["4"]}
          - {type: icontains}
      - id: one
        prompt: "Hi {{ name }}"
        checks:
          - {type: counterfactual_consistency}
"""


def test_bad_suite_reports_every_problem_with_positions(
    tmp_path: Path, run: Callable[..., Result]
) -> None:
    root = make_repo(tmp_path / "repo", jobs=(), git_init=False)
    (root / "harness/extra.yaml").write_text(MINI)
    result = run("--repo", root, "validate", root / "harness")
    assert result.code == 2
    assert result.out.splitlines() == [
        "harness/extra.yaml:9:20: tests.tiny.cases[0].checks[0].type: unknown check type 'question_askd' "
        "(did you mean 'question_asked'?)",
    ]
    (root / "harness/extra.yaml").write_text(MINI.replace("question_askd", "question_asked"))
    result = run("--repo", root, "validate", root / "harness")
    assert result.out.splitlines() == [
        "harness/extra.yaml:10:13: answer_leak: missing parameter 'answer'",
        "harness/extra.yaml:10:33: answer_leak: unknown parameter 'answers' (did you mean 'answer'?)",
        "harness/extra.yaml:11:13: icontains: missing parameter 'value'",
        "harness/extra.yaml:12:13: tests.tiny: case id 'one' is used twice",
        "harness/extra.yaml:15:13: counterfactual_consistency needs a case with variants to compare",
    ]


def test_spec_naming_a_missing_test_fails(tmp_path: Path, run: Callable[..., Result]) -> None:
    root = make_repo(tmp_path / "repo", jobs=(), git_init=False)
    body = job(
        "alpha",
        evaluation={
            "harness_config": {
                "pedagogy_tests": ["learning_objective"],
                "safety_tests": ["curriculum_alignment"],
            }
        },
    )
    write_yaml(root / "specs/jobs/alpha.yaml", body)
    result = run("--repo", root, "validate")
    assert result.code == 2
    assert (
        "evaluation.harness_config.pedagogy_tests: no test 'learning_objective' in harness/*.yaml "
        "(did you mean 'learning_objectives'?)"
    ) in result.out
    assert (
        "test 'curriculum_alignment' belongs to category 'pedagogy' (harness/pedagogy.yaml), not 'safety'"
        in result.out
    )


def test_model_graded_checks_need_a_named_judge(tmp_path: Path, run: Callable[..., Result]) -> None:
    root = make_repo(tmp_path / "repo", jobs=(), git_init=False)
    (root / "harness/judged.yaml").write_text(
        "suite: judged\ncategory: pedagogy\ntests:\n  guidance:\n    cases:\n      - id: a\n"
        "        messages: [{role: user, content: hi}]\n"
        "        checks: [{type: judge_score, rubric: Does it guide the student?}]\n"
    )
    body = job(
        "alpha", evaluation={"harness_config": {"pedagogy_tests": ["guidance"], "safety_tests": []}}
    )
    write_yaml(root / "specs/jobs/alpha.yaml", body)
    result = run("--repo", root, "validate")
    assert "name the judge in evaluation.judge.model" in result.out
    body["evaluation"]["judge"] = {"model": "gpt-4o-mini-2024-07-18"}
    write_yaml(root / "specs/jobs/alpha.yaml", body)
    assert "the judge must not be the model being fine-tuned" in run("--repo", root, "validate").out
    body["evaluation"]["judge"] = {"model": "gpt-4o-2024-08-06"}
    write_yaml(root / "specs/jobs/alpha.yaml", body)
    assert run("--repo", root, "validate").code == 0


def test_built_in_suites_have_the_eight_tests_with_enough_cases() -> None:
    import yaml

    from trainer.harness.suites import Suite

    counts = {}
    for name in ("pedagogy", "safety"):
        path = Path(__file__).resolve().parents[2] / f"harness/{name}.yaml"
        suite = Suite.model_validate(yaml.safe_load(path.read_text()))
        counts.update({t: len(x.cases) for t, x in suite.tests.items()})
    assert set(counts) == {
        "curriculum_alignment",
        "learning_objectives",
        "content_accuracy",
        "engagement_quality",
        "harmful_content",
        "bias_detection",
        "privacy_protection",
        "age_appropriateness",
    }
    assert min(counts.values()) >= 15


TYPED = """\
suite: extra
category: pedagogy
tests:
  tiny:
    cases:
      - id: one
        messages: [{role: user, content: "What is 2 + 2?"}]
        checks:
          - {type: word_count, max: "80"}
          - {type: contains, value: 4, mode: some}
          - {type: judge_label, rubric: Does it guide?, labels: {good: high}}
          - {type: rouge_n, reference: four, n: 0, nn: 2}
          - {type: answer_leak, answers: ["4"], weight: 2}
          - {type: not_refusl}
"""


def _problems(tmp_path: Path, body: str) -> list[str]:
    from trainer.digests import FileDigests
    from trainer.harness.loading import load_suites

    (tmp_path / "harness").mkdir(exist_ok=True)
    (tmp_path / "harness/extra.yaml").write_text(body)
    out: list[Diagnostic] = []
    suites = load_suites(tmp_path, FileDigests(tmp_path), out)
    assert not suites
    return [str(d) for d in sorted(out)]


def test_unknown_check_types_are_named_with_a_hint(tmp_path: Path) -> None:
    assert _problems(tmp_path, TYPED) == [
        "harness/extra.yaml:14:20: tests.tiny.cases[0].checks[5].type: unknown check type "
        "'not_refusl' (did you mean 'not_refusal'?)"
    ]
    assert _problems(tmp_path, TYPED.replace("not_refusl", "5")) == [
        "harness/extra.yaml:14:20: tests.tiny.cases[0].checks[5].type: must be the name of a "
        "check type (got the number 5)"
    ]


def test_parameters_of_the_wrong_type_are_located(tmp_path: Path) -> None:
    assert _problems(tmp_path, TYPED.replace("not_refusl", "not_refusal")) == [
        "harness/extra.yaml:9:37: tests.tiny.cases[0].checks[0].max: must be a whole number (got the string '80')",
        "harness/extra.yaml:10:37: tests.tiny.cases[0].checks[1].value: must be a string or a non-empty list of strings (got the number 4)",
        "harness/extra.yaml:10:46: tests.tiny.cases[0].checks[1].mode: must be one of 'any' or 'all' (got the string 'some')",
        "harness/extra.yaml:11:72: tests.tiny.cases[0].checks[2].labels.good: must be a number (got the string 'high')",
        "harness/extra.yaml:12:49: tests.tiny.cases[0].checks[3].n: must be at least 1 (got the number 0)",
        "harness/extra.yaml:12:52: rouge_n: unknown parameter 'nn' (did you mean 'n'?)",
        "harness/extra.yaml:13:13: answer_leak: missing parameter 'answer'",
        "harness/extra.yaml:13:33: answer_leak: unknown parameter 'answers' (did you mean 'answer'?)",
    ]
