"""Edits of a registry model file: a new version bound to an alias, or a rebinding.

Pure functions over the parsed model; the file is written back in a stable layout so
that a promotion PR's diff shows exactly the version, the binding and the history entry.
"""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from trainer.errors import UsageError
from trainer.specs.models import HistoryEntry, ModelVersion, RegistryModel
from trainer.specs.yaml_source import YamlLoadError, load_yaml_mapping

HEADER = (
    "# Registry model. Written by promotion pull requests only: merging one is the "
    "promotion.\n# Its git history is the audit trail of which model served each alias.\n"
)


def new_model(name: str, scope: str) -> RegistryModel:
    return RegistryModel(name=name, scope=scope)


def add_version(
    model: RegistryModel,
    version: ModelVersion,
    alias: str,
    entry: HistoryEntry,
) -> RegistryModel:
    """`version` appended (its number is the next one), `alias` bound to it, history kept."""
    number = max((v.version for v in model.versions), default=0) + 1
    numbered = version.model_copy(update={"version": number})
    history = [
        *model.history,
        entry.model_copy(update={"to": number, "from_version": model.bindings.get(alias)}),
    ]
    return model.model_copy(
        update={
            "versions": [*model.versions, numbered],
            "bindings": {**model.bindings, alias: number},
            "history": history,
        }
    )


def bound_version(model: RegistryModel, alias: str) -> ModelVersion | None:
    """The version an alias is bound to, if any."""
    number = model.bindings.get(alias)
    return next((v for v in model.versions if v.version == number), None)


def rebind(model: RegistryModel, alias: str, to: int | None, entry: HistoryEntry) -> RegistryModel:
    """Bind `alias` to an existing version (None: remove the binding), with a history entry."""
    bindings = dict(model.bindings)
    previous = bindings.get(alias)
    if to is None:
        bindings.pop(alias, None)
    else:
        bindings[alias] = to
    history = [*model.history, entry.model_copy(update={"from_version": previous, "to": to})]
    return model.model_copy(update={"bindings": bindings, "history": history})


def previous_version(model: RegistryModel, alias: str) -> int | None:
    """The version `alias` was bound to before its current one (from the history)."""
    current = model.bindings.get(alias)
    for entry in reversed(model.history):
        if entry.alias == alias and entry.to == current:
            return entry.from_version
    return None


class _Dumper(yaml.SafeDumper):
    """Indented lists, no anchors, timestamps as `2026-01-31T12:00:00Z`: diffs stay small."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _timestamp(dumper: yaml.SafeDumper, value: datetime) -> yaml.ScalarNode:
    text = value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return dumper.represent_scalar("tag:yaml.org,2002:timestamp", text)


_Dumper.add_representer(datetime, _timestamp)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def dump(model: RegistryModel) -> str:
    body = _plain(model.model_dump(by_alias=True, exclude_none=False))
    if body.get("monitor") is None:
        body.pop("monitor", None)  # optional: written only where a team set it
    return HEADER + yaml.dump(body, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)


def parse(text: str, where: str = "registry file") -> RegistryModel:
    """A registry file read from git, with the same limits as every YAML file trainer reads
    (size, nesting depth, alias expansion)."""
    with tempfile.TemporaryDirectory(prefix="trainer-registry-") as tmp:
        path = Path(tmp) / "registry.yaml"
        path.write_text(text, encoding="utf-8")
        try:
            doc, problems = load_yaml_mapping(path, where)
        except YamlLoadError as exc:
            raise UsageError(str(exc.diagnostic)) from None
    errors = [p for p in problems if p.is_error]
    if errors:
        raise UsageError(str(errors[0]))
    try:
        return RegistryModel.model_validate(doc.data)
    except ValidationError as exc:
        raise UsageError(
            f"{where}: not a valid registry file ({exc.error_count()} errors)"
        ) from None
