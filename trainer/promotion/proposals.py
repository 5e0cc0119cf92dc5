"""Registry edits proposed as pull requests: a promotion (a new version and an alias
bound to it) or a demotion (the alias bound back). Each is one commit on a branch off the
base branch, pushed, with its pull request opened or updated.

The merge of such a PR is the change; `trainer.reconcile.pull_requests` decides when to
propose and follows what reviewers do.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from trainer.errors import UsageError
from trainer.logs import scrub
from trainer.promotion.backend import PRBackend, PullRequest
from trainer.promotion.branches import PromotionRepo
from trainer.promotion.github import GitHubBackend
from trainer.promotion.local import LocalBackend
from trainer.promotion.registry_edit import (
    add_version,
    dump,
    new_model,
    parse,
    previous_version,
    rebind,
)
from trainer.render.markdown import escape_inline
from trainer.short_ids import short
from trainer.specs.loader import REGISTRY_DIR
from trainer.specs.models import HistoryEntry, ModelVersion, RegistryModel, TrainingJob
from trainer.state.document import PromotionRecord, RevisionRecord

LABELS = ["trainer", "promotion"]


def open_backend(root: Path, repo: PromotionRepo) -> PRBackend:
    """GitHub when GITHUB_TOKEN and GITHUB_REPOSITORY are set, else the local backend."""
    return GitHubBackend.from_environment() or LocalBackend(root, repo)


def _actor() -> str:
    return os.environ.get("GITHUB_ACTOR") or os.environ.get("USER") or "trainer"


def _promotion_branch(name: str, revision: str) -> str:
    return f"trainer/promote/{name}-{revision[:8]}"


def _marker(name: str, revision: str) -> str:
    return f"<!-- trainer:promotion spec={name} revision={revision} -->"


@dataclass
class Proposal:
    branch: str
    title: str
    body: str
    registry_path: str
    content: str


def _registry(repo: PromotionRepo, path: str, model: str, scope: str) -> RegistryModel:
    text = repo.read(repo.base(), path)
    registered = parse(text, path) if text is not None else new_model(model, scope)
    if registered.scope != scope:
        raise UsageError(
            f"{path} belongs to scope {registered.scope!r}; "
            f"a spec of scope {scope!r} may not promote into it"
        )
    return registered


def _promotion_body(
    name: str, revision: str, report: str, forced: str | None, evaluated: bool
) -> str:
    notice = ""
    if forced is not None:
        notice = (
            "> [!WARNING]\n> **Forced promotion.** This model is proposed despite "
            f"{'its evaluation' if evaluated else 'not having been evaluated'}. Reason given: "
            f"{escape_inline(scrub(forced))}\n\n"
        )
    return f"{_marker(name, revision)}\n{notice}{report}"


def propose(
    repo: PromotionRepo,
    spec: TrainingJob,
    record: RevisionRecord,
    report: str,
    *,
    forced: str | None,
    now: datetime,
    pr_number: int | None,
) -> Proposal:
    assert spec.promotion is not None
    model_name, alias = spec.promotion.model, spec.promotion.alias
    fine_tuned = record.provider.fine_tuned_model
    if not fine_tuned:
        raise UsageError(
            f"{spec.name}: revision {short(record.revision)} has no fine-tuned model to promote"
        )
    path = f"{REGISTRY_DIR}/{model_name}.yaml"
    registered = _registry(repo, path, model_name, spec.policy.scope)
    evaluation = record.evaluation
    scores = {
        k: v for k, v in (evaluation.scores if evaluation else {}).items() if k.endswith("_score")
    }
    version = ModelVersion(
        version=1,
        fine_tuned_model=fine_tuned,
        provider=spec.provider,
        base_model=spec.base_model,
        job_id=record.provider.job_id,
        spec=spec.name,
        revision=record.revision,
        scores=scores,
        report=evaluation.report if evaluation else None,
        created_at=now,
    )
    why = (
        scrub(forced)
        if forced
        else (
            f"{spec.name} revision {short(record.revision)} passed its evaluation"
            + (f" (overall {evaluation.scores['overall_score']:.3f})" if evaluation else "")
        )
    )
    entry = HistoryEntry(
        at=now, alias=alias, reason=why, forced=forced is not None, pr=pr_number, by=_actor()
    )
    existing = next((v for v in registered.versions if v.fine_tuned_model == fine_tuned), None)
    if existing is not None:  # the model is registered already: only rebind
        updated = rebind(registered, alias, existing.version, entry)
    else:
        updated = add_version(registered, version, alias, entry)
    title = f"Promote {model_name}:{alias} → {fine_tuned}"
    body = _promotion_body(spec.name, record.revision, report, forced, evaluation is not None)
    return Proposal(_promotion_branch(spec.name, record.revision), title, body, path, dump(updated))


def publish(
    repo: PromotionRepo, backend: PRBackend, proposal: Proposal, reviewers: list[str]
) -> PullRequest:
    """Push the branch (moved onto the latest main) and open or update its pull request."""
    base = repo.base()
    commit = repo.commit_file(base, proposal.registry_path, proposal.content, proposal.title)
    repo.publish(proposal.branch, commit)
    existing = backend.find(proposal.branch)
    if existing is not None and existing.state == "open":
        return backend.update(existing.number, proposal.title, proposal.body)
    return backend.open(proposal.branch, proposal.title, proposal.body, LABELS, reviewers)


def demote(
    root: Path, model_name: str, alias: str, to: int | None, reason: str, now: datetime
) -> PullRequest:
    """A rollback pull request: rebind `alias` to the previous (or given) version."""
    repo = PromotionRepo(root)
    repo.refresh()
    path = f"{REGISTRY_DIR}/{model_name}.yaml"
    text = repo.read(repo.base(), path)
    if text is None:
        raise UsageError(f"no registry model {model_name!r} ({path} is not on the base branch)")
    registered = parse(text, path)
    if alias not in registered.bindings:
        raise UsageError(
            f"{model_name} has no binding {alias!r} "
            f"(have: {', '.join(registered.bindings) or 'none'})"
        )
    current = registered.bindings[alias]
    target = to if to is not None else previous_version(registered, alias)
    if target is not None and target not in {v.version for v in registered.versions}:
        raise UsageError(f"{model_name} has no version {target}")
    if target == current:
        raise UsageError(f"{model_name}:{alias} is already bound to version {current}")
    reason = scrub(reason)  # kept in git for good: a pasted secret must not be
    entry = HistoryEntry(at=now, alias=alias, reason=reason, forced=False, by=_actor())
    updated = rebind(registered, alias, target, entry)
    where = f"version {target}" if target is not None else "no version (binding removed)"
    title = f"Demote {model_name}:{alias} → {where}"
    body = (
        f"<!-- trainer:demotion model={model_name} alias={alias} -->\n"
        f"## Rollback of `{model_name}:{alias}`\n\nFrom version {current} to {where}.\n\n"
        f"**Reason:** {escape_inline(reason)}\n\nMerging this pull request is the rollback."
    )
    branch = f"trainer/demote/{model_name}-{alias}-v{current}"
    proposal = Proposal(branch, title, body, path, dump(updated))
    return publish(repo, open_backend(root, repo), proposal, [])


def record_of(
    pr: PullRequest, backend: PRBackend, spec: TrainingJob, forced: str | None, now: datetime
) -> PromotionRecord:
    assert spec.promotion is not None
    return PromotionRecord(
        backend=backend.name,
        branch=pr.branch,
        model=spec.promotion.model,
        alias=spec.promotion.alias,
        number=pr.number,
        url=pr.url,
        state=pr.state,
        forced=forced is not None,
        reason=forced,
        merge_commit=pr.merge_commit,
        updated_at=now,
    )
