"""What loading a repository's specs produces: the jobs, the registry, and the problems."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from trainer.diagnostics import Diagnostic
from trainer.specs.dataset_uri import DatasetRef
from trainer.specs.models import RegistryModel, TrainingJob
from trainer.specs.policy_file import RepositoryPolicy
from trainer.specs.yaml_source import YamlDocument


@dataclass
class JobSpec:
    """A TrainingJob with the document it came from and its resolved datasets."""

    spec: TrainingJob
    doc: YamlDocument
    datasets: dict[str, DatasetRef] = field(default_factory=dict)
    """"training" and, if given, "validation"; filled by the cross-reference checks."""

    @property
    def path(self) -> str:
        return self.doc.path


@dataclass
class RegistryFile:
    model: RegistryModel
    doc: YamlDocument

    @property
    def path(self) -> str:
        return self.doc.path


@dataclass
class Workspace:
    """Everything the specs of one repository declare, plus what is wrong with them."""

    root: Path
    jobs: dict[str, JobSpec] = field(default_factory=dict)
    registry: dict[str, RegistryFile] = field(default_factory=dict)
    suites: list[str] = field(default_factory=list)
    """Repo-relative paths of harness suite files."""
    policy: RepositoryPolicy = field(default_factory=RepositoryPolicy)
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(d.is_error for d in self.diagnostics)
