"""Everything `validate` and `plan` know about a repository: specs, datasets, costs."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from trainer.datasets.cache import ReportCache, cache_key
from trainer.datasets.cost import CostEstimate, estimate
from trainer.datasets.pricing import DEFAULT_MAX_EXAMPLE_TOKENS, Pricing, load_pricing
from trainer.datasets.report import DatasetReport
from trainer.datasets.tokens import tokenizer_for
from trainer.datasets.validator import DIGEST_BYTES, MIN_EXAMPLES, ScanConfig, scan_file
from trainer.diagnostics import Diagnostic
from trainer.digests import FileDigests
from trainer.harness.calibration import CalibrationSet, load_calibration, named_rubrics
from trainer.harness.loading import LoadedSuite, find_test, load_suites
from trainer.harness.suites import JUDGE_CHECKS
from trainer.paths import DATASET_CACHE
from trainer.specs.loader import load_workspace
from trainer.specs.messages import did_you_mean
from trainer.specs.workspace import JobSpec, Workspace

DEFAULT_ENCODING = "o200k_base"


@dataclass
class DatasetResult:
    path: str
    report: DatasetReport
    digests: bytes


@dataclass
class RepositoryCheck:
    ws: Workspace
    pricing: Pricing
    digests: FileDigests
    datasets: dict[tuple[str, str], DatasetResult] = field(default_factory=dict)
    """By (spec name, "training" | "validation"), for datasets in the repository."""
    estimates: dict[str, CostEstimate] = field(default_factory=dict)
    suites: dict[str, LoadedSuite] = field(default_factory=dict)
    calibration: dict[str, CalibrationSet] = field(default_factory=dict)
    """Judge calibration sets by rubric (harness/calibration/)."""

    @property
    def diagnostics(self) -> list[Diagnostic]:
        return self.ws.diagnostics

    @property
    def ok(self) -> bool:
        return self.ws.ok


def scan_config(job: JobSpec, pricing: Pricing) -> ScanConfig:
    price = pricing.price(job.spec.base_model)
    sheet = job.spec.datasheet
    return ScanConfig(
        method=job.spec.method,
        tokenizer=tokenizer_for(price.encoding if price else DEFAULT_ENCODING),
        max_example_tokens=price.max_example_tokens if price else DEFAULT_MAX_EXAMPLE_TOKENS,
        scan_pii=sheet.redaction == "pii_removed",
        pii_allowlist=tuple(sheet.pii_allowlist),
    )


def report_diagnostics(path: str, report: DatasetReport) -> list[Diagnostic]:
    out = [Diagnostic(path, p.line, p.col, p.message, p.severity) for p in report.problems]
    hidden = report.problems_total - len(report.problems)
    if hidden > 0:
        out.append(
            Diagnostic(
                path,
                report.lines or 1,
                1,
                f"... and {hidden:,} more problem{'s' if hidden != 1 else ''} in this file "
                f"(the first {len(report.problems)} are shown)",
                "error" if report.has_errors else "warning",
            )
        )
    return out


def overlap(training: DatasetResult, validation: DatasetResult) -> Diagnostic | None:
    def chunks(data: bytes) -> set[bytes]:
        return {data[i : i + DIGEST_BYTES] for i in range(0, len(data), DIGEST_BYTES)}

    shared = chunks(training.digests) & chunks(validation.digests)
    if not shared:
        return None
    return Diagnostic(
        validation.path,
        1,
        1,
        f"{len(shared)} example{'s' if len(shared) != 1 else ''} also appear in the training "
        f"file {training.path}; validation metrics on them measure memory, not learning",
        "warning",
    )


def _check_harness_tests(ws: Workspace, suites: dict[str, LoadedSuite]) -> None:
    """Every test a spec lists exists in a suite of the matching category."""
    known = sorted({name for loaded in suites.values() for name in loaded.suite.tests})
    for job in ws.jobs.values():
        config = job.spec.evaluation.harness_config
        for key, category in (("pedagogy_tests", "pedagogy"), ("safety_tests", "safety")):
            for i, name in enumerate(getattr(config, key)):
                found = find_test(suites, name)
                where = ("evaluation", "harness_config", key, i)
                if found is None:
                    ws.diagnostics.append(
                        job.doc.diagnostic(
                            where,
                            f"evaluation.harness_config.{key}: no test {name!r} in harness/*.yaml"
                            f"{did_you_mean(name, known)}",
                        )
                    )
                elif found[0].suite.category != category:
                    ws.diagnostics.append(
                        job.doc.diagnostic(
                            where,
                            f"evaluation.harness_config.{key}: test {name!r} belongs to category "
                            f"{found[0].suite.category!r} ({found[0].path}), not {category!r}",
                        )
                    )
        judge = job.spec.evaluation.judge
        uses_judge = any(
            check.type in JUDGE_CHECKS
            for name in config.tests()
            if (found := find_test(suites, name))
            for case in found[1].cases
            for check in found[1].checks_of(case)
        )
        if uses_judge and judge is None:
            ws.diagnostics.append(
                job.doc.diagnostic(
                    ("evaluation",),
                    "evaluation: its tests use model-graded checks; name the judge in "
                    "evaluation.judge.model (it is never the model under test)",
                )
            )
        if judge is not None and judge.model == job.spec.base_model:
            ws.diagnostics.append(
                job.doc.diagnostic(
                    ("evaluation", "judge", "model"),
                    "evaluation.judge.model: the judge must not be the model being fine-tuned",
                )
            )


def _add_once(out: list[Diagnostic], diagnostic: Diagnostic) -> None:
    if diagnostic not in out:
        out.append(diagnostic)


def too_few(result: DatasetResult) -> Diagnostic | None:
    examples = result.report.examples
    if 0 < examples < MIN_EXAMPLES:
        return Diagnostic(
            result.path,
            1,
            1,
            f"only {examples} valid example{'s' if examples != 1 else ''}; "
            f"OpenAI requires at least {MIN_EXAMPLES} to train",
        )
    return None


def pair_diagnostics(
    training: DatasetResult | None, validation: DatasetResult | None
) -> list[Diagnostic]:
    """What only the two files of a spec together show: too few training examples, and
    validation examples that are also training examples."""
    out = []
    if training and (few := too_few(training)):
        out.append(few)
    distinct = training and validation and training.path != validation.path
    if distinct and training and validation and (shared := overlap(training, validation)):
        out.append(shared)
    return out


def scan_cached(
    cache: ReportCache, local: Path, blob: str, config: ScanConfig
) -> tuple[DatasetReport, bytes]:
    """The report and example digests of a file with this content, scanned at most once."""
    key = cache_key(blob, config)
    found = cache.get(key)
    if found is None:
        found = scan_file(local, blob, config)
        cache.put(key, *found)
    return found


def check_repository(root: Path, *, use_cache: bool = True) -> RepositoryCheck:
    """Load and check specs, then validate every dataset they use (each content once)."""
    ws = load_workspace(root)
    check = RepositoryCheck(ws, load_pricing(root, ws.diagnostics), FileDigests(root))
    check.suites = load_suites(root, check.digests, ws.diagnostics)
    check.calibration = load_calibration(root, named_rubrics(check.suites), ws.diagnostics)
    _check_harness_tests(ws, check.suites)
    cache = ReportCache(root / DATASET_CACHE if use_cache else None)
    scanned: dict[str, tuple[DatasetReport, bytes]] = {}
    reported: set[tuple[str, str]] = set()
    for name, job in ws.jobs.items():
        config = scan_config(job, check.pricing)
        for role, ref in job.datasets.items():
            if ref.kind != "repo" or ref.path is None:
                continue
            blob = check.digests(ref.path)
            key = cache_key(blob, config)
            if key not in scanned:
                scanned[key] = scan_cached(cache, root / ref.path, blob, config)
            result = DatasetResult(ref.path, *scanned[key])
            if (ref.path, key) not in reported:
                reported.add((ref.path, key))
                ws.diagnostics.extend(report_diagnostics(ref.path, result.report))
            check.datasets[(name, role)] = result
        training = check.datasets.get((name, "training"))
        validation = check.datasets.get((name, "validation"))
        for found in pair_diagnostics(training, validation):
            _add_once(ws.diagnostics, found)
        check.estimates[name] = estimate(
            job.spec, training.report if training else None, check.pricing
        )
    return check
