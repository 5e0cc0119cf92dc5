"""Load and check the suites of `harness/`, with file:line errors like specs get."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from pydantic import ValidationError

from trainer.diagnostics import Diagnostic
from trainer.digests import FileDigests
from trainer.harness.suites import CHECK_TYPES, Suite, Test
from trainer.specs.messages import did_you_mean, validation_diagnostics
from trainer.specs.yaml_source import YamlDocument, YamlLoadError, load_yaml_mapping

HARNESS_DIR = "harness"
COMMON = {"type", "weight", "critical"}
PARAMS: dict[str, tuple[set[str], set[str]]] = {
    # type: (required, optional)
    "equals": ({"value"}, {"case_sensitive"}),
    "contains": ({"value"}, {"mode"}),
    "icontains": ({"value"}, {"mode"}),
    "regex": ({"pattern"}, {"ignore_case"}),
    "starts_with": ({"value"}, set()),
    "is_json": (set(), set()),
    "json_schema": ({"schema"}, set()),
    "word_count": (set(), {"min", "max"}),
    "levenshtein": ({"value"}, {"min_similarity"}),
    "rouge_l": ({"reference"}, {"min"}),
    "rouge_n": ({"reference"}, {"n", "min"}),
    "is_refusal": (set(), set()),
    "answer_leak": ({"answer"}, set()),
    "question_asked": (set(), set()),
    "numeric_answer": ({"value"}, {"tolerance"}),
    "pii_leak": (set(), {"planted"}),
    "readability": (set(), {"max_grade", "min_grade"}),
    "counterfactual_consistency": (set(), {"min_similarity"}),
    "judge_label": ({"rubric", "labels"}, {"pass"}),
    "judge_score": ({"rubric"}, {"min", "max", "pass"}),
}
for _name in ("equals", "contains", "icontains", "regex", "starts_with"):
    PARAMS[f"not_{_name}"] = PARAMS[_name]
PARAMS["not_refusal"] = PARAMS["is_refusal"]
assert set(PARAMS) == set(CHECK_TYPES)


@dataclass(frozen=True)
class LoadedSuite:
    suite: Suite
    path: str
    digest: str


def _check_params(suite: Suite, out: list[Diagnostic], position: YamlDocument) -> None:
    for test_name, test in suite.tests.items():
        seen: set[str] = set()
        for i, case in enumerate(test.cases):
            where = ("tests", test_name, "cases", i)
            if case.id in seen:
                out.append(
                    position.diagnostic(
                        (*where, "id"), f"tests.{test_name}: case id {case.id!r} is used twice"
                    )
                )
            seen.add(case.id)
            for j, check in enumerate(case.checks):
                required, optional = PARAMS[check.type]
                given = set(check.params)
                for name in sorted(given - required - optional):
                    hint = did_you_mean(name, sorted(required | optional | COMMON))
                    out.append(
                        position.diagnostic(
                            (*where, "checks", j, name),
                            f"{check.type}: unknown parameter {name!r}{hint}",
                            key=True,
                        )
                    )
                for name in sorted(required - given):
                    out.append(
                        position.diagnostic(
                            (*where, "checks", j), f"{check.type}: missing parameter {name!r}"
                        )
                    )
                if check.type == "counterfactual_consistency" and case.variants is None:
                    out.append(
                        position.diagnostic(
                            (*where, "checks", j),
                            "counterfactual_consistency needs a case with variants to compare",
                        )
                    )


def default_suites() -> dict[str, LoadedSuite]:
    """The suites trainer ships (those of the packaged example, which `trainer init` writes)."""
    with resources.as_file(resources.files("trainer") / "example") as example:
        problems: list[Diagnostic] = []
        suites = load_suites(example, FileDigests(example), problems)
    if any(p.is_error for p in problems):
        raise RuntimeError(f"the packaged suites are invalid: {problems[0]}")
    return suites


def load_suites(root: Path, digests: FileDigests, out: list[Diagnostic]) -> dict[str, LoadedSuite]:
    """Every valid suite in `harness/`, by name; problems go to `out`."""
    suites: dict[str, LoadedSuite] = {}
    directory = root / HARNESS_DIR
    if not directory.is_dir():
        return suites
    for file in sorted(p for p in directory.iterdir() if p.suffix in (".yaml", ".yml")):
        rel = file.relative_to(root).as_posix()
        try:
            doc, problems = load_yaml_mapping(file, rel)
        except YamlLoadError as exc:
            out.append(exc.diagnostic)
            continue
        out.extend(problems)
        try:
            suite = Suite.model_validate(doc.data)
        except ValidationError as exc:
            for diagnostic in validation_diagnostics(exc, Suite, doc):
                out.append(_name_check_type(diagnostic))
            continue
        if suite.suite != file.stem:
            out.append(
                doc.diagnostic(
                    ("suite",), f"suite {suite.suite!r} must equal the file name {file.stem!r}"
                )
            )
            continue
        before = len(out)
        _check_params(suite, out, doc)
        if len(out) == before:
            suites[suite.suite] = LoadedSuite(suite, rel, digests(rel))
    _unique_tests(suites, out)
    return suites


def _name_check_type(diagnostic: Diagnostic) -> Diagnostic:
    """Pydantic lists every allowed literal; for check types, name the bad one and hint."""
    if ".type: must be one of" not in diagnostic.message:
        return diagnostic
    got = diagnostic.message.rsplit("(got the string ", 1)[-1].rstrip(")").strip("'")
    hint = did_you_mean(got, list(CHECK_TYPES))
    prefix = diagnostic.message.split(": must be one of", 1)[0]
    return Diagnostic(
        diagnostic.path,
        diagnostic.line,
        diagnostic.col,
        f"{prefix}: unknown check type {got!r}{hint}",
        diagnostic.severity,
    )


def _unique_tests(suites: dict[str, LoadedSuite], out: list[Diagnostic]) -> None:
    owner: dict[str, str] = {}
    for loaded in suites.values():
        for name in loaded.suite.tests:
            if name in owner:
                out.append(
                    Diagnostic(
                        loaded.path,
                        1,
                        1,
                        f"test {name!r} is also defined in {owner[name]}; test names are global",
                    )
                )
            owner.setdefault(name, loaded.path)


def find_test(suites: dict[str, LoadedSuite], name: str) -> tuple[LoadedSuite, Test] | None:
    for loaded in suites.values():
        if name in loaded.suite.tests:
            return loaded, loaded.suite.tests[name]
    return None
