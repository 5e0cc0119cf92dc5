"""Find and load every spec file of a repository, collecting all problems at once."""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from trainer.diagnostics import Diagnostic
from trainer.specs.crossref import check_workspace
from trainer.specs.messages import validation_diagnostics
from trainer.specs.models import RegistryModel, TrainingJob
from trainer.specs.policy_file import POLICY_FILE, RepositoryPolicy
from trainer.specs.registry_scope import check_scope_changes
from trainer.specs.workspace import JobSpec, RegistryFile, Workspace
from trainer.specs.yaml_source import YamlDocument, YamlLoadError, load_yaml_mapping

JOBS_DIR = "specs/jobs"
REGISTRY_DIR = "specs/registry"
HARNESS_DIR = "harness"
YAML_SUFFIXES = (".yaml", ".yml")

M = TypeVar("M", bound=BaseModel)


def yaml_files(root: Path, folder: str) -> list[Path]:
    directory = root / folder
    if not directory.is_dir():
        return []
    return sorted(
        p for p in directory.iterdir() if p.suffix in YAML_SUFFIXES and not p.name.startswith(".")
    )


def _load_model(
    file: Path, root: Path, model: type[M], out: list[Diagnostic]
) -> tuple[M, YamlDocument] | None:
    rel = file.relative_to(root).as_posix()
    try:
        doc, problems = load_yaml_mapping(file, rel)
    except YamlLoadError as exc:
        out.append(exc.diagnostic)
        return None
    out.extend(problems)
    try:
        instance = model.model_validate(doc.data)
    except ValidationError as exc:
        out.extend(validation_diagnostics(exc, model, doc))
        return None
    stem = file.stem
    name = getattr(instance, "name", stem)
    if name != stem:
        out.append(
            doc.diagnostic(
                ("name",),
                f"name {name!r} must equal the file name; rename the file to "
                f"{name}{file.suffix} or set name: {stem}",
            )
        )
        return None
    return instance, doc


def load_workspace(root: Path) -> Workspace:
    """Load specs/jobs, specs/registry and the harness suite list, then cross-check them."""
    ws = Workspace(root=root)
    for file in yaml_files(root, JOBS_DIR):
        loaded = _load_model(file, root, TrainingJob, ws.diagnostics)
        if loaded is None:
            continue
        spec, doc = loaded
        if spec.name in ws.jobs:
            ws.diagnostics.append(
                doc.diagnostic(
                    ("name",),
                    f"spec name {spec.name!r} is already used by {ws.jobs[spec.name].path}",
                )
            )
            continue
        ws.jobs[spec.name] = JobSpec(spec, doc)
    for file in yaml_files(root, REGISTRY_DIR):
        loaded_model = _load_model(file, root, RegistryModel, ws.diagnostics)
        if loaded_model is None:
            continue
        model, doc = loaded_model
        if model.name in ws.registry:
            ws.diagnostics.append(
                doc.diagnostic(
                    ("name",),
                    f"registry model {model.name!r} is already defined in "
                    f"{ws.registry[model.name].path}",
                )
            )
            continue
        ws.registry[model.name] = RegistryFile(model, doc)
    policy_file = root / POLICY_FILE
    if policy_file.is_file():
        loaded_policy = _load_model(policy_file, root, RepositoryPolicy, ws.diagnostics)
        if loaded_policy is not None:
            ws.policy = loaded_policy[0]
    ws.suites = [p.relative_to(root).as_posix() for p in yaml_files(root, HARNESS_DIR)]
    check_workspace(ws)
    check_scope_changes(ws, REGISTRY_DIR)
    return ws
