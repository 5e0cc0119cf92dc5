"""Load and check the suites of `harness/`, with file:line errors like specs get."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path

from pydantic import ValidationError

from trainer.diagnostics import Diagnostic
from trainer.digests import FileDigests
from trainer.harness.graders import CHECKS
from trainer.harness.suites import CHECK_TYPES, Check, Suite, Test
from trainer.specs.messages import did_you_mean, dotted, validation_diagnostics
from trainer.specs.yaml_source import Loc, YamlDocument, YamlLoadError, load_yaml_mapping

HARNESS_DIR = "harness"
COMMON = {"type", "weight", "critical"}


@dataclass(frozen=True)
class LoadedSuite:
    suite: Suite
    path: str
    digest: str


def _check_params(suite: Suite, out: list[Diagnostic], position: YamlDocument) -> None:
    for test_name, test in suite.tests.items():
        for j, check in enumerate(test.checks):
            at: Loc = ("tests", test_name, "checks", j)
            out.extend(_param_problems(check, position, at, suite))
            if CHECKS[check.type].kind == "variants" and any(
                case.variants is None for case in test.cases
            ):
                out.append(
                    position.diagnostic(
                        at, f"{check.type} needs every case of the test to have variants"
                    )
                )
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
                at_case: Loc = (*where, "checks", j)
                out.extend(_param_problems(check, position, at_case, suite))
                if CHECKS[check.type].kind == "variants" and case.variants is None:
                    out.append(
                        position.diagnostic(
                            at_case, f"{check.type} needs a case with variants to compare"
                        )
                    )


def _rubric_problem(check: Check, suite: Suite) -> str | None:
    """A judge check that names no rubric of the suite and gives no labels or scale."""
    if CHECKS[check.type].kind != "judge" or "rubric_name" in check.params:
        return None
    if check.type == "judge_label" and "labels" not in check.params:
        rubric = str(check.params.get("rubric", ""))
        hint = did_you_mean(rubric, sorted(suite.rubrics))
        defined = ", ".join(sorted(suite.rubrics)) or "none"
        return (
            f"{check.type}: rubric {rubric!r} is not defined under rubrics: (defined: "
            f"{defined}){hint}; name one, or give the criteria with labels: {{label: score}}"
        )
    return None


def _param_problems(
    check: Check, position: YamlDocument, at: Loc, suite: Suite
) -> list[Diagnostic]:
    """Unknown and missing parameters of a check, then parameters of the wrong type."""
    rubric = _rubric_problem(check, suite)
    if rubric is not None:
        return [position.diagnostic((*at, "rubric"), rubric)]
    check_type = CHECKS[check.type]
    known = check_type.required | check_type.optional
    given = check.params
    out: list[Diagnostic] = []
    for name in sorted(set(given) - known):
        hint = did_you_mean(name, sorted(known | COMMON))
        out.append(
            position.diagnostic(
                (*at, name), f"{check.type}: unknown parameter {name!r}{hint}", key=True
            )
        )
    missing = sorted(check_type.required - set(given))
    for name in missing:
        out.append(position.diagnostic(at, f"{check.type}: missing parameter {name!r}"))
    if missing:
        return out
    try:
        check_type.params.model_validate({k: v for k, v in given.items() if k in known})
    except ValidationError as exc:
        for d in validation_diagnostics(exc, check_type.params, position.within(at)):
            # located within the check; named from the top of the suite, like other errors
            out.append(replace(d, message=f"{dotted(at)}.{d.message}"))
    return out


def default_suites() -> dict[str, LoadedSuite]:
    """The suites trainer ships (those of the packaged example, which `trainer init` writes)."""
    with resources.as_file(resources.files("trainer") / "example") as example:
        problems: list[Diagnostic] = []
        suites = load_suites(example, FileDigests(example), problems)
    if any(p.is_error for p in problems):
        raise RuntimeError(f"the packaged suites are invalid: {problems[0]}")
    return suites


def yaml_documents(
    root: Path, folder: str, out: list[Diagnostic]
) -> Iterator[tuple[Path, str, YamlDocument]]:
    """(file, repo-relative path, document) of every YAML file of `folder`, in name order;
    files that are not a YAML mapping go to `out`."""
    directory = root / folder
    if not directory.is_dir():
        return
    for file in sorted(p for p in directory.iterdir() if p.suffix in (".yaml", ".yml")):
        rel = file.relative_to(root).as_posix()
        try:
            doc, problems = load_yaml_mapping(file, rel)
        except YamlLoadError as exc:
            out.append(exc.diagnostic)
            continue
        out.extend(problems)
        yield file, rel, doc


def load_suites(root: Path, digests: FileDigests, out: list[Diagnostic]) -> dict[str, LoadedSuite]:
    """Every valid suite in `harness/`, by name; problems go to `out`."""
    suites: dict[str, LoadedSuite] = {}
    for file, rel, doc in yaml_documents(root, HARNESS_DIR, out):
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
    prefix, _, rest = diagnostic.message.partition(": must be one of")
    if "(got the string " in rest:
        got = rest.rsplit("(got the string ", 1)[-1].rstrip(")").strip("'")
        message = f"{prefix}: unknown check type {got!r}{did_you_mean(got, list(CHECK_TYPES))}"
    else:  # a number, a list...: not a name at all
        message = f"{prefix}: must be the name of a check type (got {rest.rsplit('(got ', 1)[-1]}"
    return replace(diagnostic, message=message)


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
