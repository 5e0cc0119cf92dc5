"""What a spec asks for, as digests: the revision and the evaluation/promotion digests.

The revision covers every field that changes what is trained, with datasets by
content (a moved file is the same data), so a new revision means a new job and
nothing else does (PRODUCT.md §2).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from trainer.datasets.cost import CostEstimate
from trainer.digests import FileDigests, sha256_of
from trainer.planner import DesiredSpec
from trainer.short_ids import short
from trainer.specs.dataset_uri import DatasetRef
from trainer.specs.workspace import JobSpec, Workspace


def dataset_identity(ref: DatasetRef, digests: FileDigests) -> str:
    """What a dataset is, exactly: its content for repository files, its URI otherwise.

    Revisions and uploads both key on it, so a moved file is the same data. A URI with a
    query or fragment (where signed URLs keep their credentials) is kept as its redacted
    form plus a digest of the whole: distinct URIs stay distinct, no secret is stored.
    """
    if ref.kind == "repo" and ref.path is not None:
        return f"git-blob:{digests(ref.path)}"
    if ref.display == ref.uri:
        return f"uri:{ref.uri}"
    return f"uri:{ref.display}#sha256:{sha256_of(ref.uri)[:16]}"


def _dataset(ref: DatasetRef | None, digests: FileDigests) -> tuple[str | None, str | None]:
    """(exact identity, display) of a dataset."""
    if ref is None:
        return None, None
    identity = dataset_identity(ref, digests)
    if identity.startswith("git-blob:"):
        return identity, f"{ref.uri} @ {short(identity.removeprefix('git-blob:'))}"
    return identity, ref.display


def _flatten(prefix: str, value: Any, out: dict[str, Any]) -> None:
    if isinstance(value, Mapping):
        for key in sorted(value):
            _flatten(f"{prefix}.{key}" if prefix else str(key), value[key], out)
    else:
        out[prefix] = value


def describe(
    job: JobSpec,
    digests: FileDigests,
    suite_paths: list[str],
    estimate: CostEstimate | None = None,
) -> DesiredSpec:
    spec = job.spec
    training_exact: dict[str, Any] = {}
    training_shown: dict[str, Any] = {}
    plain = {
        "provider": spec.provider,
        "baseModel": spec.base_model,
        "method": spec.method,
        "config": spec.config.model_dump(mode="json", exclude_none=True),
        "suffix": spec.suffix,
        "seed": spec.seed,
    }
    _flatten("", plain, training_exact)
    training_shown.update(training_exact)
    for role, key in (("training", "datasetUri"), ("validation", "validationDatasetUri")):
        exact, shown = _dataset(job.datasets.get(role), digests)
        training_exact[key] = exact
        training_shown[key] = shown

    evaluation: dict[str, Any] = {}
    _flatten("evaluation", spec.evaluation.model_dump(mode="json"), evaluation)
    if not spec.evaluation.harness_config.batch:  # unset: the digests of before batch mode
        del evaluation["evaluation.harness_config.batch"]
    _flatten("policy.thresholds", spec.policy.thresholds.as_dict(), evaluation)
    evaluation_shown = dict(evaluation)
    for path in suite_paths:
        blob = digests(path)
        evaluation[path] = blob
        evaluation_shown[path] = short(blob)

    promotion: dict[str, Any] = {"policy.scope": spec.policy.scope}
    if spec.promotion is not None:
        _flatten("promotion", spec.promotion.model_dump(mode="json"), promotion)

    return DesiredSpec(
        name=spec.name,
        revision=sha256_of(training_exact),
        evaluation_digest=sha256_of(evaluation),
        promotion_digest=sha256_of(promotion),
        fields={"training": training_shown, "evaluation": evaluation_shown, "promotion": promotion},
        scope=spec.policy.scope,
        base_model=spec.base_model,
        estimate=estimate,
        budget_usd=spec.policy.budget_usd,
    )


def desired_state(
    ws: Workspace,
    digests: FileDigests | None = None,
    estimates: Mapping[str, CostEstimate] | None = None,
) -> dict[str, DesiredSpec]:
    digests = digests or FileDigests(ws.root)
    estimates = estimates or {}
    return {
        name: describe(job, digests, ws.suites, estimates.get(name))
        for name, job in ws.jobs.items()
    }
