"""Promotion pull requests inside reconcile: open them for revisions that passed, follow
what reviewers do with them (merged: promoted; closed: declined), close stale ones.

What a promotion changes (the registry edit, the branch, the PR body) is built by
`trainer.promotion.proposals`; this module decides when, and records it in the state.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from trainer.errors import StateError, TrainerError
from trainer.paths import REPORTS
from trainer.phases import Phase
from trainer.promotion.backend import PRBackend, PullRequest
from trainer.promotion.branches import PromotionRepo
from trainer.promotion.proposals import Proposal, propose, publish, record_of
from trainer.promotion.registry_edit import bound_version
from trainer.reconcile.identity import RunIdentity
from trainer.reconcile.pass_result import PassResult
from trainer.short_ids import short
from trainer.specs.workspace import JobSpec, RegistryFile
from trainer.state.document import IntentOp, RevisionRecord, StateDocument
from trainer.state.session import StateSession

BackendFactory = Callable[[Path, PromotionRepo], PRBackend]


class PromotionPullRequests:
    """Opens the repository and the PR backend on first use: a pass with nothing to
    promote or sync touches neither git nor GitHub."""

    def __init__(
        self,
        session: StateSession,
        identity: RunIdentity,
        result: PassResult,
        root: Path,
        jobs: Mapping[str, JobSpec],
        open_backend: BackendFactory,
    ) -> None:
        self._session = session
        self._identity = identity
        self._result = result
        self._root = root
        self._jobs = jobs
        self._open_backend = open_backend
        self._repo: PromotionRepo | None = None
        self._backend: PRBackend | None = None

    @property
    def repo(self) -> PromotionRepo:
        if self._repo is None:
            self._repo = PromotionRepo(self._root)
            self._repo.refresh()
        return self._repo

    @property
    def backend(self) -> PRBackend:
        if self._backend is None:
            self._backend = self._open_backend(self._root, self.repo)
        return self._backend

    def _report_text(self, report: str | None) -> str:
        """The evaluation report for the PR body: only a file under `.trainer/reports/` (the
        state names it, and state is data, not a licence to read any file)."""
        reports = (self._root / REPORTS).resolve()
        path = (self._root / report).resolve() if report else None
        if path is not None and path.is_relative_to(reports) and path.is_file():
            return path.read_text(encoding="utf-8")
        return "## Not evaluated\n\nThis revision has no evaluation report.\n"

    def open(self, name: str, revision: str, forced: str | None = None) -> PullRequest:
        """Open (or update) the promotion PR of a revision; the intent is recorded first."""
        job = self._jobs[name]
        record = self._session.doc.specs[name].revisions[revision]
        intent = self._identity.intent(IntentOp.OPEN_PR, detail=forced)

        def intend(doc: StateDocument) -> None:
            doc.specs[name].revisions[revision].intent = intent

        self._session.commit(intend, f"reconcile: {name} opening a promotion pull request")
        report = self._report_text(record.evaluation.report if record.evaluation else None)
        number = (
            record.promotion.number
            if record.promotion and record.promotion.state == "open"
            else None
        )
        reviewers = list(job.spec.promotion.reviewers) if job.spec.promotion else []

        def proposal(pr_number: int | None) -> Proposal:
            return propose(
                self.repo,
                job.spec,
                record,
                report,
                forced=forced,
                now=self._identity.now(),
                pr_number=pr_number,
            )

        pr = publish(self.repo, self.backend, proposal(number), reviewers)
        if number is None:  # now the number is known: put it in the registry history entry
            pr = publish(self.repo, self.backend, proposal(pr.number), reviewers)
        promotion = record_of(pr, self.backend, job.spec, forced, self._identity.now())
        opened_pr = pr

        def opened(doc: StateDocument) -> None:
            rec = doc.specs[name].revisions[revision]
            rec.intent = None
            rec.promotion = promotion
            if rec.phase is not Phase.AWAITING_REVIEW:
                why = f"promotion pull request #{opened_pr.number} opened" + (
                    f" (forced: {forced})" if forced else ""
                )
                rec.move(Phase.AWAITING_REVIEW, why, self._identity.now())

        self._session.commit(opened, f"reconcile: {name} promotion PR #{pr.number}")
        self._result.note(name, f"promotion pull request #{pr.number}: {pr.url}")
        self._close_others(name, revision, f"Superseded by #{pr.number} ({pr.url}).")
        return pr

    def close(
        self,
        name: str,
        revision: str,
        comment: str,
        reason: str,
        move_to: Phase | None = Phase.SUPERSEDED,
    ) -> None:
        """Close a revision's open PR with a comment (recording a merge that came first)."""
        record = self._session.doc.specs[name].revisions[revision]
        promotion = record.promotion
        if promotion is None or promotion.number is None or promotion.state != "open":
            return
        current = self.backend.get(promotion.number)
        if current.state != "open":  # merged or closed before we got here: record that
            if record.phase is Phase.AWAITING_REVIEW:
                self._settle(name, revision, current)
            return
        closed = self.backend.close(promotion.number, comment)

        def done(doc: StateDocument) -> None:
            rec = doc.specs[name].revisions[revision]
            assert rec.promotion is not None
            rec.promotion.state = closed.state
            rec.promotion.updated_at = self._identity.now()
            if rec.phase is Phase.AWAITING_REVIEW and move_to is not None:
                rec.move(move_to, reason, self._identity.now())

        self._session.commit(done, f"reconcile: {name} closed promotion PR #{closed.number}")
        self._result.note(name, f"closed promotion pull request #{closed.number}: {reason}")

    def _close_others(self, name: str, keep: str, comment: str) -> None:
        for revision, record in list(self._session.doc.specs[name].revisions.items()):
            if revision != keep and record.promotion and record.promotion.state == "open":
                self.close(name, revision, comment, f"superseded by revision {short(keep)}")

    def sync(self) -> None:
        """Merged PRs make revisions `promoted`, closed ones `declined`."""
        open_prs = [
            (name, revision, record.promotion.number)
            for name, spec in self._session.doc.specs.items()
            for revision, record in spec.revisions.items()
            if record.phase is Phase.AWAITING_REVIEW
            and record.promotion
            and record.promotion.number
        ]
        for name, revision, number in open_prs:
            pr = self.backend.get(number)
            if pr.state != "open":
                self._settle(name, revision, pr)

    def _settle(self, name: str, revision: str, pr: PullRequest) -> None:
        now = self._identity.now()

        def settle(doc: StateDocument) -> None:
            spec = doc.specs[name]
            rec = spec.revisions[revision]
            assert rec.promotion is not None
            rec.promotion.state = pr.state
            rec.promotion.merge_commit = pr.merge_commit
            rec.promotion.updated_at = now
            if pr.state != "merged":
                rec.move(Phase.DECLINED, f"pull request #{pr.number} closed without merging", now)
                return
            rec.move(
                Phase.PROMOTED, f"pull request #{pr.number} merged ({short(pr.merge_commit)})", now
            )
            for other, older in spec.revisions.items():
                if other != revision and older.phase is Phase.PROMOTED:
                    older.move(
                        Phase.SUPERSEDED,
                        f"replaced in the registry by revision {short(revision)}",
                        now,
                    )

        self._session.commit(settle, f"reconcile: {name} promotion PR #{pr.number} {pr.state}")
        self._result.note(name, f"promotion pull request #{pr.number} {pr.state}")

    def promote_passed(self) -> None:
        """Open PRs for current revisions that passed; finish interrupted openings; rebuild
        the branch of an open PR when main moved."""
        for name, spec in list(self._session.doc.specs.items()):
            record = spec.current_record()
            job = self._jobs.get(name)
            if (
                record is None
                or job is None
                or not (job.spec.promotion and job.spec.promotion.auto)
            ):
                continue
            try:
                self._promote_one(name, record)
            except StateError:
                raise
            except TrainerError as exc:
                self._result.fail(name, f"promotion: {exc}")

    def _promote_one(self, name: str, record: RevisionRecord) -> None:
        intent = record.intent
        if intent is not None and intent.op is IntentOp.OPEN_PR:
            if not self._identity.respects(intent):
                # an earlier run stopped while opening the PR: finish it (found by branch)
                self.open(name, record.revision, forced=intent.detail)
            return
        verdict = record.evaluation
        if (
            record.phase is Phase.EVALUATING
            and verdict is not None
            and verdict.passed
            and verdict.digest == record.evaluation_digest  # not one of the settings before
        ):
            self.open(name, record.revision)
        elif (
            record.phase is Phase.AWAITING_REVIEW
            and record.promotion
            and self._behind(record.promotion.branch)
        ):
            # main moved: rebuild the branch on it and refresh the PR, never a second PR
            self.open(name, record.revision, forced=record.promotion.reason)

    def _behind(self, branch: str) -> bool:
        tip = self.repo.tip(branch)
        return tip is not None and not self.repo.contains_base(tip)


def report_rebound_aliases(
    doc: StateDocument, registry: Mapping[str, RegistryFile], result: PassResult
) -> None:
    """Report a promoted alias that someone rebound on main; never undo their change."""
    for name, spec in doc.specs.items():
        record = spec.current_record()
        if record is None or record.phase is not Phase.PROMOTED or record.promotion is None:
            continue
        registered = registry.get(record.promotion.model)
        if registered is None:
            continue
        number = registered.model.bindings.get(record.promotion.alias)
        bound = bound_version(registered.model, record.promotion.alias)
        if bound is None or bound.revision != record.revision:
            now = f"version {number} ({bound.fine_tuned_model})" if bound else "nothing"
            result.note(
                name,
                f"{record.promotion.model}:{record.promotion.alias} was rebound on main to "
                f"{now} by someone else; trainer leaves it as it is",
            )
