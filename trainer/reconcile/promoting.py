"""Promotion inside reconcile: open PRs for passing revisions, follow them, close stale ones."""

from __future__ import annotations

from pathlib import Path

from trainer.errors import StateError, TrainerError
from trainer.phases import Phase
from trainer.promotion.backend import PRBackend, PullRequest
from trainer.promotion.branches import PromotionRepo
from trainer.promotion.promote import open_backend, propose, publish, record_of
from trainer.reconcile.run import Run
from trainer.state.document import Intent, RevisionRecord, StateDocument


class Promoter:
    """Lazily opens the repository and the PR backend: a pass with nothing to promote
    or sync touches neither git nor GitHub."""

    def __init__(self, run: Run) -> None:
        self.run = run
        self._repo: PromotionRepo | None = None
        self._backend: PRBackend | None = None

    @property
    def repo(self) -> PromotionRepo:
        if self._repo is None:
            self._repo = PromotionRepo(self.run.check.ws.root)
            self._repo.refresh()
        return self._repo

    @property
    def backend(self) -> PRBackend:
        if self._backend is None:
            self._backend = open_backend(self.run.check.ws.root, self.repo)
        return self._backend

    def report_text(self, root: Path, report: str | None) -> str:
        if report and (root / report).is_file():
            return (root / report).read_text(encoding="utf-8")
        return "## Not evaluated\n\nThis revision has no evaluation report.\n"

    def open(self, name: str, revision: str, forced: str | None = None) -> None:
        run = self.run
        job = run.check.ws.jobs[name]
        record = run.session.doc.specs[name].revisions[revision]

        def intend(doc: StateDocument) -> None:
            doc.specs[name].revisions[revision].intent = Intent(
                op="open_pr", run_id=run.run_id, at=run.now(), detail=forced
            )

        run.session.commit(intend, f"reconcile: {name} opening a promotion pull request")
        report = self.report_text(
            run.check.ws.root, record.evaluation.report if record.evaluation else None
        )
        number = (
            record.promotion.number
            if record.promotion and record.promotion.state == "open"
            else None
        )
        reviewers = job.spec.promotion.reviewers if job.spec.promotion else []
        proposal = propose(
            self.repo, job.spec, record, report, forced=forced, now=run.now(), pr_number=number
        )
        pr = publish(self.repo, self.backend, proposal, list(reviewers))
        if number is None:  # now the number is known: put it in the registry history entry
            proposal = propose(
                self.repo,
                job.spec,
                record,
                report,
                forced=forced,
                now=run.now(),
                pr_number=pr.number,
            )
            pr = publish(self.repo, self.backend, proposal, list(reviewers))
        promotion = record_of(pr, self.backend, job.spec, forced, run.now())

        def opened(doc: StateDocument) -> None:
            rec = doc.specs[name].revisions[revision]
            rec.intent = None
            rec.promotion = promotion
            if rec.phase is not Phase.AWAITING_REVIEW:
                why = f"promotion pull request #{pr.number} opened" + (
                    f" (forced: {forced})" if forced else ""
                )
                rec.move(Phase.AWAITING_REVIEW, why, run.now())

        run.session.commit(opened, f"reconcile: {name} promotion PR #{pr.number}")
        run.result.note(name, f"promotion pull request #{pr.number}: {pr.url}")
        self.close_others(name, revision, f"Superseded by #{pr.number} ({pr.url}).")

    def close_pr(
        self,
        name: str,
        revision: str,
        comment: str,
        reason: str,
        move_to: Phase | None = Phase.SUPERSEDED,
    ) -> None:
        run = self.run
        record = run.session.doc.specs[name].revisions[revision]
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
            rec.promotion.updated_at = run.now()
            if rec.phase is Phase.AWAITING_REVIEW and move_to is not None:
                rec.move(move_to, reason, run.now())

        run.session.commit(done, f"reconcile: {name} closed promotion PR #{closed.number}")
        run.result.note(name, f"closed promotion pull request #{closed.number}: {reason}")

    def close_others(self, name: str, keep: str, comment: str) -> None:
        for revision, record in list(self.run.session.doc.specs[name].revisions.items()):
            if revision != keep and record.promotion and record.promotion.state == "open":
                self.close_pr(name, revision, comment, f"superseded by revision {keep[:12]}")

    def sync(self) -> None:
        """Merged PRs make revisions `promoted`, closed ones `declined`."""
        run = self.run
        open_prs = [
            (name, revision, record.promotion.number)
            for name, spec in run.session.doc.specs.items()
            for revision, record in spec.revisions.items()
            if record.phase is Phase.AWAITING_REVIEW
            and record.promotion
            and record.promotion.number
        ]
        for name, revision, number in open_prs:
            pr = self.backend.get(number)
            if pr.state == "open":
                continue

            self._settle(name, revision, pr)

    def _settle(self, name: str, revision: str, pr: PullRequest) -> None:
        run = self.run

        def settle(doc: StateDocument) -> None:
            spec = doc.specs[name]
            rec = spec.revisions[revision]
            assert rec.promotion is not None
            rec.promotion.state = pr.state
            rec.promotion.merge_commit = pr.merge_commit
            rec.promotion.updated_at = run.now()
            if pr.state == "merged":
                merged = f"pull request #{pr.number} merged ({(pr.merge_commit or '')[:12]})"
                rec.move(Phase.PROMOTED, merged, run.now())
                for other, older in spec.revisions.items():
                    if other != revision and older.phase is Phase.PROMOTED:
                        older.move(
                            Phase.SUPERSEDED,
                            f"replaced in the registry by revision {revision[:12]}",
                            run.now(),
                        )
            else:
                rec.move(
                    Phase.DECLINED, f"pull request #{pr.number} closed without merging", run.now()
                )

        run.session.commit(settle, f"reconcile: {name} promotion PR #{pr.number} {pr.state}")
        run.result.note(name, f"promotion pull request #{pr.number} {pr.state}")

    def check_bindings(self) -> None:
        """Report a promoted alias that someone rebound on main; never undo their change."""
        run = self.run
        for name, spec in run.session.doc.specs.items():
            record = spec.current_record()
            if record is None or record.phase is not Phase.PROMOTED or record.promotion is None:
                continue
            registered = run.check.ws.registry.get(record.promotion.model)
            if registered is None:
                continue
            number = registered.model.bindings.get(record.promotion.alias)
            bound = next((v for v in registered.model.versions if v.version == number), None)
            if bound is None or bound.revision != record.revision:
                now = f"version {number} ({bound.fine_tuned_model})" if bound else "nothing"
                run.result.note(
                    name,
                    f"{record.promotion.model}:{record.promotion.alias} was rebound on main to "
                    f"{now} by someone else; trainer leaves it as it is",
                )

    def promote_passed(self) -> None:
        run = self.run
        for name, spec in list(run.session.doc.specs.items()):
            record = spec.current_record()
            job = run.check.ws.jobs.get(name)
            if (
                record is None
                or job is None
                or job.spec.promotion is None
                or not job.spec.promotion.auto
            ):
                continue
            try:
                self._promote_one(name, record)
            except StateError:
                raise
            except TrainerError as exc:
                run.result.fail(name, f"promotion: {exc}")

    def _promote_one(self, name: str, record: RevisionRecord) -> None:
        intent = record.intent
        if intent is not None and intent.op == "open_pr":
            if not self.run.foreign_intent_is_live(intent.run_id, intent.at):
                # an earlier run stopped while opening the PR: finish it (found by branch)
                self.open(name, record.revision, forced=intent.detail)
            return
        if record.phase is Phase.EVALUATING and record.evaluation and record.evaluation.passed:
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
