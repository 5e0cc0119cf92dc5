"""The suites trainer ships are graded by a judge where only a reader can judge (issue 13).

Keyword checks alone let a model that does not tutor pass (an answer of "Ok. <keyword>.
Why?", or the question repeated back with praise and "what do you think the first step
is?"). These tests pin the properties that stop that: every test has judge checks on named
rubrics, the judge carries at least half of every pedagogy case's weight and a third of
every safety case's, and every rubric the suites name has a calibration set.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest
import yaml

from trainer.harness.graders import CHECKS
from trainer.harness.loading import LoadedSuite, default_suites
from trainer.harness.suites import Check, Suite
from trainer.harness.suites import Test as SuiteTest

RUBRICS_OF_TEST = {
    "pedagogy": {
        "curriculum_alignment": {"coherence", "actionability"},
        "learning_objectives": {"revealing_answer", "providing_guidance"},
        "content_accuracy": {"mistake_identification", "mistake_location"},
        "engagement_quality": {"tutor_tone", "human_likeness"},
    },
    "safety": {
        "harmful_content": {"harm"},
        "bias_detection": {"bias_stereotyping"},
        "privacy_protection": {"privacy"},
        "age_appropriateness": {"age_fit"},
    },
}
MIN_JUDGE_SHARE = {"pedagogy": 1 / 2, "safety": 1 / 3}
TESTS = [(suite, test) for suite, tests in RUBRICS_OF_TEST.items() for test in tests]


@pytest.fixture(scope="module")
def suites() -> dict[str, LoadedSuite]:
    return default_suites()


def _is_judge(check: Check) -> bool:
    return CHECKS[check.type].kind == "judge"


def _test(suites: dict[str, LoadedSuite], suite: str, test: str) -> tuple[Suite, SuiteTest]:
    loaded = suites[suite].suite
    return loaded, loaded.tests[test]


def test_the_packaged_suites_are_the_two_built_in_ones(suites: dict[str, LoadedSuite]) -> None:
    assert sorted(suites) == ["pedagogy", "safety"]
    for name, loaded in suites.items():
        assert set(loaded.suite.tests) == set(RUBRICS_OF_TEST[name])


@pytest.mark.parametrize(("suite", "test"), TESTS)
def test_every_test_has_judge_checks_on_its_rubrics(
    suites: dict[str, LoadedSuite], suite: str, test: str
) -> None:
    _, selected = _test(suites, suite, test)
    judged = [c for c in selected.checks if _is_judge(c)]
    assert judged, f"{test} has no test-level judge check"
    assert {c.params.get("rubric_name") for c in judged} == RUBRICS_OF_TEST[suite][test]
    for case in selected.cases:  # test-level checks reach every case
        assert [c for c in selected.checks_of(case) if _is_judge(c)] == judged


@pytest.mark.parametrize(("suite", "test"), TESTS)
def test_the_judge_carries_its_share_of_every_case(
    suites: dict[str, LoadedSuite], suite: str, test: str
) -> None:
    """Pedagogy: at least half of every case's weight (case checks + test checks); safety: a
    third."""
    _, selected = _test(suites, suite, test)
    share = MIN_JUDGE_SHARE[suite]
    for case in selected.cases:
        checks = selected.checks_of(case)
        judge = sum(c.weight for c in checks if _is_judge(c))
        total = sum(c.weight for c in checks)
        assert judge >= share * total - 1e-9, (
            f"{test}/{case.id}: judge weight {judge:g} of {total:g} is below {share:.0%}"
        )


def test_every_rubric_referenced_is_defined_in_its_suite(
    suites: dict[str, LoadedSuite],
) -> None:
    for loaded in suites.values():
        suite = loaded.suite
        for name, test in suite.tests.items():
            for case in test.cases:
                for check in (c for c in test.checks_of(case) if _is_judge(c)):
                    rubric = check.params.get("rubric_name")
                    assert rubric in suite.rubrics, f"{name}/{case.id}: rubric {rubric!r}"
                    defined = suite.rubrics[rubric]
                    assert check.params["rubric"] == defined.criteria
                    assert check.params["labels"] == defined.labels


def test_each_suite_defines_exactly_the_rubrics_its_tests_use(
    suites: dict[str, LoadedSuite],
) -> None:
    for name, loaded in suites.items():
        used = set().union(*RUBRICS_OF_TEST[name].values())
        assert set(loaded.suite.rubrics) == used


def test_guards(suites: dict[str, LoadedSuite]) -> None:
    """Pedagogy: refusing a harmless school question fails the case, and the answer must
    engage with the question. Safety: moderation where harmful or mature content may come
    back."""
    for test in RUBRICS_OF_TEST["pedagogy"]:
        _, selected = _test(suites, "pedagogy", test)
        kinds = {(c.type, c.critical) for c in selected.checks}
        assert ("not_refusal", True) in kinds, test
        assert "on_topic" in {c.type for c in selected.checks}, test
    for test in ("harmful_content", "age_appropriateness"):
        _, selected = _test(suites, "safety", test)
        assert "moderation" in {c.type for c in selected.checks}, test


def _calibration_dir() -> Path:
    return Path(str(resources.files("trainer") / "example" / "harness" / "calibration"))


def test_every_named_rubric_has_a_calibration_set(suites: dict[str, LoadedSuite]) -> None:
    directory = _calibration_dir()
    if not directory.is_dir():
        pytest.skip(f"no calibration sets yet: {directory} does not exist")
    missing, wrong = [], []
    for loaded in suites.values():
        for rubric in loaded.suite.rubrics:
            path = directory / f"{rubric}.yaml"
            if not path.is_file():
                missing.append(path.name)
                continue
            document = yaml.safe_load(path.read_text(encoding="utf-8"))
            if not isinstance(document, dict) or document.get("rubric") != rubric:
                wrong.append(path.name)
    assert not missing, f"rubrics without a calibration set in {directory}: {missing}"
    assert not wrong, f"calibration sets naming another rubric: {wrong}"
