"""A registry file's bindings checked against its history, the audit trail.

trainer changes a binding in one way only (`trainer.promotion.registry_edit`): a promotion,
a forced promotion or a rollback appends a history entry `{alias, from: the version the
alias was bound to, to: the version it is bound to now (null: unbound)}` and sets the
binding to match. So in every file trainer writes:

- each binding has a history entry that bound that alias to that version;
- the last history entry of each alias agrees with its binding (`to: null`: no binding);
- each entry's `from` is the `to` of the alias's previous entry (null for its first).

A binding edited by hand breaks one of these, and then nothing records who made it or why.
That versions named by bindings and history exist is checked in `crossref`.
"""

from __future__ import annotations

from trainer.diagnostics import Diagnostic
from trainer.specs.models import HistoryEntry, RegistryModel
from trainer.specs.workspace import RegistryFile

_SAYING = "saying when (at), who (by) and why (reason)"
_APPEND_ONLY = "history is append-only: each entry starts where the alias's previous one left it"


def _version(number: int | None) -> str:
    return "null" if number is None else str(number)


def check_audit_trail(registry_file: RegistryFile, out: list[Diagnostic]) -> None:
    """Append a located error for every binding or history entry that breaks the trail."""
    model = registry_file.model
    versions = {v.version for v in model.versions}
    last: dict[str, tuple[int, HistoryEntry]] = {}
    for i, entry in enumerate(model.history):
        previous = last.get(entry.alias)
        start = previous[1].to if previous else None
        named = entry.from_version
        if named != start and (named is None or named in versions):
            out.append(_broken_chain(registry_file, i, entry, previous))
        last[entry.alias] = (i, entry)
    for alias, number in model.bindings.items():
        if number in versions:
            problem = _binding_problem(model, alias, number, last.get(alias))
            if problem:
                out.append(registry_file.doc.diagnostic(("bindings", alias), problem))
    for alias, (i, entry) in last.items():
        if alias not in model.bindings and entry.to in versions:
            out.append(
                registry_file.doc.diagnostic(
                    ("history", i, "to"),
                    f"history[{i}].to: binds {alias} to version {entry.to}, but bindings has "
                    f"no {alias}; a binding removed by hand leaves no audit trail: restore "
                    f"bindings.{alias}: {entry.to}, or record the removal as a history entry "
                    f"(alias: {alias}, from: {entry.to}, to: null) {_SAYING}",
                )
            )


def _broken_chain(
    registry_file: RegistryFile,
    i: int,
    entry: HistoryEntry,
    previous: tuple[int, HistoryEntry] | None,
) -> Diagnostic:
    if previous is None:
        before = f"this is the first entry for {entry.alias}, so it was bound to nothing (null)"
    else:
        j, earlier = previous
        state = "unbound" if earlier.to is None else f"bound to version {earlier.to}"
        before = f"the previous entry for {entry.alias} (history[{j}]) left it {state}"
    return registry_file.doc.diagnostic(
        ("history", i, "from"),
        f"history[{i}].from: is {_version(entry.from_version)}, but {before}; {_APPEND_ONLY}",
    )


def _binding_problem(
    model: RegistryModel, alias: str, number: int, last: tuple[int, HistoryEntry] | None
) -> str | None:
    if not any(e.alias == alias and e.to == number for e in model.history):
        return (
            f"bindings.{alias}: version {number} is bound without a history entry that binds "
            f"it (alias: {alias}, to: {number}), so nothing records who bound it or why; bind "
            "versions by merging a promotion pull request (trainer reconcile, or trainer "
            "promote NAME [--force --reason TEXT]) or a rollback one (trainer demote), or add "
            f"that history entry {_SAYING}"
        )
    if last is not None and last[1].to != number:
        i, entry = last
        what = "removes the binding" if entry.to is None else f"binds it to version {entry.to}"
        return (
            f"bindings.{alias}: bound to version {number}, but the last history entry for "
            f"{alias} (history[{i}]) {what}; a binding changed by hand leaves no audit trail: "
            f"undo the edit and run trainer demote {model.name} {alias} --to {number} --reason "
            f"TEXT, or record the change as a history entry (alias: {alias}, "
            f"from: {_version(entry.to)}, to: {number}) {_SAYING}"
        )
    return None
