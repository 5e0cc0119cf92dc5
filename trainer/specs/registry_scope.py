"""Tenant isolation across a change: a registry model's scope is compared with the base.

A spec may only promote into a model of its own scope (crossref), but that alone can be
undone in one pull request: change the scope of tenant B's model to A and add a spec of A
that promotes into it. So a model whose scope differs from the base of the change (or that
the change removes) may not be the promotion target of any spec of another scope than the
one it had at the base. With the rule of crossref, that means no spec promotes into a model
in the change that moves it to another scope; the move is a change of its own.
"""

from __future__ import annotations

from trainer.diagnostics import Diagnostic
from trainer.errors import UsageError
from trainer.promotion.registry_edit import parse
from trainer.specs.change_base import BaseFiles, read_base_files
from trainer.specs.workspace import JobSpec, Workspace

_SUFFIXES = (".yaml", ".yml")


def check_scope_changes(ws: Workspace, registry_dir: str) -> None:
    """Append an error for every spec that a scope change (or removal) of its promotion
    model in this change would let into another tenant's model; no-op without git history."""
    targets = sorted({j.spec.promotion.model for j in ws.jobs.values() if j.spec.promotion})
    if not targets:
        return
    paths = [f"{registry_dir}/{model}{suffix}" for model in targets for suffix in _SUFFIXES]
    base = read_base_files(ws.root, paths)
    if base is None:
        return
    if base.unresolved is not None:
        _warn_unchecked(ws, base, targets)
    scopes = _base_scopes(base, registry_dir, targets)
    for job in sorted(ws.jobs.values(), key=lambda j: j.path):
        promotion = job.spec.promotion
        old = scopes.get(promotion.model) if promotion else None
        if promotion is None or old is None or job.spec.policy.scope == old:
            continue
        current = ws.registry.get(promotion.model)
        if current is None:
            files = (ws.root / registry_dir / f"{promotion.model}{s}" for s in _SUFFIXES)
            if not any(f.exists() for f in files):  # present but invalid: reported already
                ws.diagnostics.append(_removed(job, old, base.label))
        elif current.model.scope == job.spec.policy.scope:
            ws.diagnostics.append(
                current.doc.diagnostic(
                    ("scope",),
                    f"scope: changed from {old!r} (at {base.label}) to "
                    f"{current.model.scope!r} in the same change as {job.path}, a spec of "
                    f"scope {job.spec.policy.scope!r} that promotes into this model; a spec "
                    "may not move another tenant's model into its own scope: change a model's "
                    "scope in a pull request of its own, in which no spec of another scope "
                    "promotes into it",
                )
            )


def _base_scopes(base: BaseFiles, registry_dir: str, targets: list[str]) -> dict[str, str]:
    """Model name → its scope at the base, for the models whose file the base has and can
    be read (a file trainer cannot read there is no base to compare with)."""
    scopes: dict[str, str] = {}
    for model in targets:
        for suffix in _SUFFIXES:
            path = f"{registry_dir}/{model}{suffix}"
            text = base.files.get(path)
            if text is None:
                continue
            try:
                registered = parse(text, f"{path} at {base.label}")
            except UsageError:
                continue
            if registered.name == model:
                scopes.setdefault(model, registered.scope)
    return scopes


def _removed(job: JobSpec, old: str, label: str) -> Diagnostic:
    assert job.spec.promotion is not None
    model, scope = job.spec.promotion.model, job.spec.policy.scope
    return job.doc.diagnostic(
        ("promotion", "model"),
        f"promotion.model: registry model {model!r} of scope {old!r} (at {label}) is removed "
        f"in this change; a spec of scope {scope!r} may not create another tenant's model "
        "anew in its own scope: remove the model in a pull request of its own, in which no "
        "spec of another scope promotes into it",
    )


def _warn_unchecked(ws: Workspace, base: BaseFiles, targets: list[str]) -> None:
    """One warning, on the first registry model a spec promotes into: the pull request's
    base is not in the clone, so a scope change in it goes unchecked."""
    registered = [ws.registry[m] for m in targets if m in ws.registry]
    if not registered:
        return
    first = min(registered, key=lambda r: r.path)
    line, col = first.doc.position(("scope",))
    ws.diagnostics.append(
        Diagnostic(
            first.path,
            line,
            col,
            f"scope: not compared with the pull request's base: {base.unresolved} is not in "
            "this clone, so a scope change in this pull request goes unchecked; check out "
            "with fetch-depth: 0 (actions/checkout)",
            "warning",
        )
    )
