"""Remote datasets (https://, s3://, gs://): fetched once per revision, kept by content, and
put through exactly the checks a repository file gets before anything is uploaded.

`validate` and `plan` never touch the network, so a remote file is first seen here: its
format, PII scan, example count and validation overlap are checked as `validate` checks
a repository file, and the budget again with the real token count. Any error refuses the
revision (nothing is uploaded, no job starts); a fetch that fails is retried next pass.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from trainer.datasets.cache import ReportCache
from trainer.datasets.cost import CostEstimate, budget_refusal, estimate
from trainer.datasets.fetch import fetch_dataset
from trainer.diagnostics import Diagnostic, render
from trainer.paths import DATASET_CACHE, REMOTE_DATASETS
from trainer.repository import (
    DatasetResult,
    RepositoryCheck,
    pair_diagnostics,
    report_diagnostics,
    scan_cached,
    scan_config,
)
from trainer.specs.dataset_uri import DatasetRef
from trainer.specs.workspace import JobSpec

SHOWN_PROBLEMS = 20


@dataclass(frozen=True)
class RemoteCopy:
    path: Path
    sha256: str


@dataclass(frozen=True)
class RemoteCheck:
    problems: list[Diagnostic]
    """Everything the checks found, warnings included, located in the remote file."""
    estimate: CostEstimate | None
    refusal: str | None
    """Why this revision must not train, or None."""

    @property
    def summary(self) -> str:
        cost = self.estimate.summary() if self.estimate else "no training data counted"
        return f"remote data checked: {cost}"


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


class RemoteDatasets:
    """The remote datasets of a pass, for the checks and the uploads alike."""

    def __init__(self, check: RepositoryCheck) -> None:
        root = check.ws.root
        self._check = check
        self._dir = root / REMOTE_DATASETS
        self._reports = ReportCache(root / DATASET_CACHE)

    def copy(self, revision: str, ref: DatasetRef) -> RemoteCopy:
        """The local copy of what this revision fetched from `ref`, fetching it if this
        machine has none (the pointer is per revision and URI; the file is per content)."""
        pointer = self._dir / "revisions" / f"{_digest(revision + chr(0) + ref.uri)[:40]}"
        try:
            sha = pointer.read_text().strip()
            kept = self._dir / "content" / f"{sha}.jsonl"
            if len(sha) == 64 and kept.is_file():
                return RemoteCopy(kept, sha)
        except OSError:
            pass
        (self._dir / "content").mkdir(parents=True, exist_ok=True)
        pointer.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=self._dir / "content", suffix=".part")
        os.close(fd)
        partial = Path(name)
        try:
            fetch_dataset(ref.uri, partial)
            sha = _file_sha256(partial)
            kept = self._dir / "content" / f"{sha}.jsonl"
            os.replace(partial, kept)
        finally:
            partial.unlink(missing_ok=True)
        pointer.write_text(sha + "\n")
        return RemoteCopy(kept, sha)

    def check(self, name: str, revision: str, job: JobSpec) -> RemoteCheck | None:
        """The checks of a spec whose data is (partly) remote; None when it is all in the
        repository (`validate` checked it already)."""
        if all(ref.kind == "repo" for ref in job.datasets.values()):
            return None
        config = scan_config(job, self._check.pricing)
        results: dict[str, DatasetResult] = {}
        problems: list[Diagnostic] = []
        for role, ref in job.datasets.items():
            if ref.kind == "repo":
                results[role] = self._check.datasets[(name, role)]
                continue
            local = self.copy(revision, ref)
            found = scan_cached(self._reports, local.path, f"sha256:{local.sha256}", config)
            results[role] = DatasetResult(ref.display, *found)
            problems.extend(report_diagnostics(ref.display, found[0]))
        training, validation = results.get("training"), results.get("validation")
        problems.extend(pair_diagnostics(training, validation))
        cost = estimate(job.spec, training.report, self._check.pricing) if training else None
        refusal = None
        errors = [p for p in problems if p.is_error]
        if errors:
            shown = "\n".join(
                f"    {line}" for line in render(errors[:SHOWN_PROBLEMS]).splitlines()
            )
            more = len(errors) - SHOWN_PROBLEMS
            tail = f"\n    ... and {more:,} more" if more > 0 else ""
            refusal = (
                f"the remote data failed the dataset checks ({len(errors):,} "
                f"error{'s' if len(errors) != 1 else ''}); nothing was uploaded; fix the data "
                f"and point the spec at the fixed file\n{shown}{tail}"
            )
        elif cost is not None and (over := budget_refusal(job.spec.policy.budget_usd, cost)):
            refusal = f"with the remote data counted, {over}; nothing was uploaded"
        return RemoteCheck(problems, cost, refusal)


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()
