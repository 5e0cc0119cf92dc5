"""Checks that need more than one field or more than one file."""

from __future__ import annotations

from collections import Counter

from trainer.diagnostics import Diagnostic
from trainer.specs.dataset_uri import DatasetUriError, parse_dataset_uri
from trainer.specs.messages import did_you_mean
from trainer.specs.models import CATEGORY_THRESHOLDS
from trainer.specs.registry_rules import check_audit_trail
from trainer.specs.workspace import JobSpec, RegistryFile, Workspace


def check_workspace(ws: Workspace) -> None:
    """Append every cross-reference problem of `ws` to its diagnostics."""
    out = ws.diagnostics
    for job in ws.jobs.values():
        _check_datasets(ws, job, out)
        _check_method(job, out)
        _check_tests(job, out)
        _check_license(ws, job, out)
    _check_promotions(ws, out)
    for registry_file in ws.registry.values():
        _check_registry(registry_file, out)
        check_audit_trail(registry_file, out)


def _check_datasets(ws: Workspace, job: JobSpec, out: list[Diagnostic]) -> None:
    fields = {"training": "datasetUri", "validation": "validationDatasetUri"}
    uris = {"training": job.spec.dataset_uri, "validation": job.spec.validation_dataset_uri}
    for role, uri in uris.items():
        if uri is None:
            continue
        try:
            job.datasets[role] = parse_dataset_uri(uri, ws.root)
        except DatasetUriError as exc:
            out.append(job.doc.diagnostic((fields[role],), f"{fields[role]}: {exc}"))
    training, validation = job.datasets.get("training"), job.datasets.get("validation")
    if training and validation and training.uri == validation.uri:
        out.append(
            job.doc.diagnostic(
                ("validationDatasetUri",),
                "validationDatasetUri: is the training file itself; validation loss on "
                "training data says nothing; give a separate held-out file",
            )
        )


def _check_method(job: JobSpec, out: list[Diagnostic]) -> None:
    if job.spec.config.beta is not None and job.spec.method != "dpo":
        out.append(
            job.doc.diagnostic(
                ("config", "beta"),
                "config.beta: only applies to method: dpo; remove it or set method: dpo",
            )
        )


def _check_tests(job: JobSpec, out: list[Diagnostic]) -> None:
    harness = job.spec.evaluation.harness_config
    for key in ("pedagogy_tests", "safety_tests"):
        tests: list[str] = getattr(harness, key)
        for name, count in Counter(tests).items():
            if count > 1:
                index = len(tests) - 1 - tests[::-1].index(name)
                out.append(
                    job.doc.diagnostic(
                        ("evaluation", "harness_config", key, index),
                        f"evaluation.harness_config.{key}: test {name!r} is listed twice",
                    )
                )
    known = harness.tests()
    for key in job.spec.policy.thresholds.model_extra or {}:
        if key not in known:
            hint = did_you_mean(key, [*CATEGORY_THRESHOLDS, *known])
            out.append(
                job.doc.diagnostic(
                    ("policy", "thresholds", key),
                    f"policy.thresholds: {key!r} is neither a category score "
                    f"({', '.join(CATEGORY_THRESHOLDS)}) nor a test of "
                    f"evaluation.harness_config{hint}",
                    key=True,
                )
            )


def _check_license(ws: Workspace, job: JobSpec, out: list[Diagnostic]) -> None:
    scope, license_ = job.spec.policy.scope, job.spec.datasheet.license
    allowed = ws.policy.allowed_licenses(scope)
    if allowed is not None and license_ not in allowed:
        out.append(
            job.doc.diagnostic(
                ("datasheet", "license"),
                f"datasheet.license: {license_!r} is not allowed for scope {scope!r} "
                f"(allowed: {', '.join(allowed) or 'none'}; see specs/policy.yaml)",
            )
        )


def _check_promotions(ws: Workspace, out: list[Diagnostic]) -> None:
    new_model_scope: dict[str, tuple[str, JobSpec]] = {}
    alias_owner: dict[tuple[str, str], JobSpec] = {}
    for job in ws.jobs.values():
        promotion = job.spec.promotion
        if promotion is None:
            continue
        scope = job.spec.policy.scope
        registered = ws.registry.get(promotion.model)
        if registered is not None and registered.model.scope != scope:
            out.append(
                job.doc.diagnostic(
                    ("promotion", "model"),
                    f"promotion.model: registry model {promotion.model!r} belongs to scope "
                    f"{registered.model.scope!r}; a spec of scope {scope!r} may only promote "
                    "into models of its own scope",
                )
            )
        elif registered is None:
            earlier = new_model_scope.setdefault(promotion.model, (scope, job))
            if earlier[0] != scope:
                out.append(
                    job.doc.diagnostic(
                        ("promotion", "model"),
                        f"promotion.model: new model {promotion.model!r} is also claimed by "
                        f"{earlier[1].path} for scope {earlier[0]!r}; a model has one scope",
                    )
                )
        owner = alias_owner.setdefault((promotion.model, promotion.alias), job)
        if owner is not job:
            out.append(
                job.doc.diagnostic(
                    ("promotion", "alias"),
                    f"promotion.alias: {promotion.model}:{promotion.alias} is already promoted "
                    f"by {owner.path}; two specs on one alias would replace each other's "
                    "model on every run; use another alias",
                )
            )


def _check_registry(registry_file: RegistryFile, out: list[Diagnostic]) -> None:
    model, doc = registry_file.model, registry_file.doc
    seen: set[int] = set()
    for i, version in enumerate(model.versions):
        if version.version in seen:
            out.append(
                doc.diagnostic(
                    ("versions", i, "version"),
                    f"versions[{i}].version: version {version.version} appears twice",
                )
            )
        seen.add(version.version)
    for alias, number in model.bindings.items():
        if number not in seen:
            out.append(
                doc.diagnostic(
                    ("bindings", alias),
                    f"bindings.{alias}: version {number} does not exist in versions",
                )
            )
    for i, entry in enumerate(model.history):
        for label, ref in (("from", entry.from_version), ("to", entry.to)):
            if ref is not None and ref not in seen:
                out.append(
                    doc.diagnostic(
                        ("history", i, label),
                        f"history[{i}].{label}: version {ref} does not exist in versions",
                    )
                )
