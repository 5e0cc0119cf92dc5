"""Alerts as issues, level-triggered like the rest of reconcile.

Each pass states which problems hold now (`Assessment`); `Alerts.reconcile` makes the
open alert issues match: it opens the missing ones, edits one whose text changed (only
then), and closes with a comment the ones whose problem is gone. One issue per kind and
subject, whatever the revision; on GitHub when pull requests go there, else under
`.trainer/alerts/`. Opening is claimed in the state first; an issue opened by a run that
died is adopted by its marker, never duplicated. A person who closes an issue while its
problem remains dismisses it for that revision.

Features with their own kinds (the production watch) call `raise_` and `resolve`; a
reconcile pass never touches kinds it does not assess (docs/operations.md#alerts).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from trainer.promotion.alert_files import LocalAlerts
from trainer.promotion.branches import BranchError, PromotionRepo
from trainer.promotion.github import GitHubBackend
from trainer.promotion.github_http import GitHubError
from trainer.promotion.issues import GitHubIssues, Issue, IssueBackend, outgoing
from trainer.reconcile.alerts_text import (
    Alert,
    AlertKind,
    alert_key,
    closing_comment,
    duplicate_comment,
    parse_marker,
    split_key,
)
from trainer.reconcile.claims import Moot
from trainer.reconcile.identity import LEASE, RunIdentity
from trainer.reconcile.pass_result import PassResult
from trainer.reconcile.pull_requests import BackendFactory
from trainer.state.alert_record import AlertRecord, AlertState
from trainer.state.document import StateDocument
from trainer.state.session import StateSession

log = logging.getLogger("trainer.alerts")

Gone = Callable[[AlertKind, str], str | None]
"""Why the problem of (kind, subject) is gone; None: not known yet, leave the issue as is."""
_WARNED: set[str] = set()
"""Runs that were told alert issues cannot be written (once per run, not per pass)."""


@dataclass(frozen=True)
class Assessment:
    wanted: Mapping[str, Alert] = field(default_factory=dict)
    """The problems that hold now, by `alert_key`."""
    gone: Gone = lambda kind, subject: None


def issues_where_pull_requests_go(root: Path, open_backend: BackendFactory) -> IssueBackend:
    """GitHub issues when pull requests go to GitHub, else `.trainer/alerts/` (the demo,
    which keeps pull requests local whatever the environment says, keeps alerts local too)."""
    try:
        backend = open_backend(root, PromotionRepo(root))
    except BranchError:
        return LocalAlerts(root)
    return GitHubIssues.of(backend) if isinstance(backend, GitHubBackend) else LocalAlerts(root)


def _hint(message: str) -> str:
    if "(403)" in message:
        return (
            "; give the reconcile workflow `permissions: issues: write` (a TRAINER_PR_TOKEN "
            "needs Issues read and write too)"
        )
    if "410" in message:
        return "; turn on Issues in the repository settings"
    return ""


class Alerts:
    def __init__(
        self,
        session: StateSession,
        identity: RunIdentity,
        result: PassResult,
        open_issues: Callable[[], IssueBackend],
    ) -> None:
        self._session = session
        self._identity = identity
        self._result = result
        self._open_issues = open_issues
        self._backend: IssueBackend | None = None
        self._disabled = False

    @property
    def backend(self) -> IssueBackend:
        if self._backend is None:
            self._backend = self._open_issues()
        return self._backend

    def raise_(
        self,
        kind: AlertKind,
        subject: str,
        revision: str,
        reason: str,
        next_step: str,
        details: str = "",
    ) -> None:
        """Open the alert of (kind, subject), or bring its issue up to date. Idempotent."""
        alert = Alert(kind, subject, revision, reason, next_step, details)
        self.reconcile(Assessment({alert.key: alert}), frozenset({kind}))

    def resolve(self, kind: AlertKind, subject: str, why: str) -> None:
        """Close the alert of (kind, subject) with a comment saying `why`, if it is open."""
        key = alert_key(kind, subject)
        gone: Gone = lambda k, s: why if alert_key(k, s) == key else None  # noqa: E731
        self.reconcile(Assessment({}, gone), frozenset({kind}))

    def reconcile(self, assessment: Assessment, kinds: frozenset[AlertKind]) -> None:
        """Make the open issues of `kinds` match `assessment`. A pass with no problem and no
        open alert makes no call at all; one whose alerts did not change makes one list call.
        A token that may not write issues is warned about once; the pass goes on."""
        wanted = {k: a for k, a in assessment.wanted.items() if a.kind in kinds}
        tracked = {
            key
            for key, record in self._session.doc.alerts.items()
            if record.kind in kinds and (record.state != "closed" or record.claim)
        }
        if self._disabled or not (wanted or tracked):
            return
        try:
            found = self._ours(kinds)
            for key in sorted(set(wanted) | tracked | set(found)):
                if key in wanted:
                    self._hold(wanted[key], found.get(key))
                    continue
                why = assessment.gone(*split_key(key))
                if why is not None:
                    self._settle(key, found.get(key), why)
        except GitHubError as exc:
            self._give_up(str(exc))

    def _give_up(self, message: str) -> None:
        self._disabled = True
        message = message.split("; the workflow needs `permissions: pull-requests", 1)[0]
        text = f"alert issues not updated: {message}{_hint(message)}; the pass goes on"
        if self._identity.run_id in _WARNED:
            log.debug(text)
            return
        _WARNED.add(self._identity.run_id)
        self._result.warn("(alerts)", text)

    def _ours(self, kinds: frozenset[AlertKind]) -> dict[str, Issue]:
        """Open alert issues of `kinds` that trainer wrote, one per key (duplicates closed)."""
        backend = self.backend
        recorded = {
            record.number: key
            for key, record in self._session.doc.alerts.items()
            if record.number is not None and record.backend == backend.name
        }
        by_key: dict[str, list[Issue]] = {}
        for issue in backend.open_issues():
            parsed = parse_marker(issue.body)
            if parsed is None or parsed[0] not in kinds:
                continue
            key = alert_key(parsed[0], parsed[1])
            if issue.ours or recorded.get(issue.number) == key:
                by_key.setdefault(key, []).append(issue)
        out = {}
        for key, issues in by_key.items():
            keep, *extra = sorted(issues, key=lambda i: i.number)
            for duplicate in extra:
                backend.close(duplicate.number, duplicate_comment(keep.number))
                self._result.note(split_key(key)[1], f"closed duplicate alert #{duplicate.number}")
            out[key] = keep
        return out

    def _hold(self, alert: Alert, issue: Issue | None) -> None:
        """The problem holds: its issue exists, with the current text."""
        record = self._session.doc.alerts.get(alert.key)
        backend = self.backend
        if issue is None:
            if (
                record is not None
                and record.number is not None
                and record.backend == backend.name
                and record.state in ("open", "dismissed")
                and record.revision == alert.revision
            ):
                if record.state == "open":
                    self._record(alert, "dismissed", "closed by a person")
                    self._result.note(
                        alert.subject,
                        f"alert #{record.number} was closed by hand; trainer leaves it closed "
                        "until the revision changes or the problem goes away",
                    )
                return
            self._open(alert)
            return
        body = alert.body()
        if issue.title != alert.title or issue.body.strip() != outgoing(body).strip():
            issue = backend.edit(issue.number, alert.title, body)
            self._result.note(alert.subject, f"alert #{issue.number} updated: {alert.title}")
        if (
            record is None
            or record.state != "open"
            or record.claim
            or (record.number, record.revision, record.title)
            != (issue.number, alert.revision, alert.title)
        ):
            self._record(alert, "open", None, issue)

    def _open(self, alert: Alert) -> None:
        me = self._identity
        backend = self.backend

        def claim(doc: StateDocument) -> None:
            earlier = doc.alerts.get(alert.key)
            if (
                earlier is not None
                and earlier.claim not in (None, me.run_id)
                and not me.exclusive
                and me.now() - earlier.updated_at < LEASE
            ):
                raise Moot  # another live run is opening it
            now = me.now()
            doc.alerts[alert.key] = AlertRecord(
                kind=alert.kind,
                subject=alert.subject,
                revision=alert.revision,
                backend=backend.name,
                title=alert.title,
                opened_at=now,
                updated_at=now,
                claim=me.run_id,
            )

        try:
            self._session.commit(claim, f"reconcile: opening alert {alert.title}")
        except Moot:
            self._result.skip(alert.subject, "another reconciler is opening this alert")
            return
        try:
            issue = backend.create(alert.title, alert.body(), alert.marker, alert.slug)
        except GitHubError:
            self._release(alert.key)  # the next pass lists the issues again before opening
            raise
        self._record(alert, "open", None, issue)
        self._result.note(alert.subject, f"alert #{issue.number} opened: {alert.title}")

    def _release(self, key: str) -> None:
        def release(doc: StateDocument) -> None:
            record = doc.alerts.get(key)
            if record is not None and record.claim == self._identity.run_id:
                record.claim = None

        self._session.commit(release, "reconcile: alert not opened; claim released")

    def _record(
        self, alert: Alert, state: AlertState, resolution: str | None, issue: Issue | None = None
    ) -> None:
        now, backend = self._identity.now(), self.backend.name

        def update(doc: StateDocument) -> None:
            record = doc.alerts.get(alert.key) or AlertRecord(
                kind=alert.kind,
                subject=alert.subject,
                revision=alert.revision,
                backend=backend,
                opened_at=now,
                updated_at=now,
            )
            record.state = state
            record.revision, record.title = alert.revision, alert.title
            record.resolution, record.claim, record.updated_at = resolution, None, now
            if issue is not None:
                record.number, record.url, record.backend = issue.number, issue.url, backend
            doc.alerts[alert.key] = record

        self._session.commit(update, f"reconcile: alert {alert.title} {state}")

    def _settle(self, key: str, issue: Issue | None, why: str) -> None:
        """The problem is gone: close its issue with a comment saying why."""
        kind, subject = split_key(key)
        if issue is not None:
            self.backend.close(issue.number, closing_comment(why))
            self._result.note(subject, f"alert #{issue.number} closed: {why}")
        now = self._identity.now()

        def close(doc: StateDocument) -> None:
            record = doc.alerts.get(key)
            if record is not None and (record.state != "closed" or record.claim):
                record.state, record.closed_at, record.updated_at = "closed", now, now
                record.resolution, record.claim = why, None

        record = self._session.doc.alerts.get(key)
        if record is not None and (record.state != "closed" or record.claim):
            self._session.commit(close, f"reconcile: alert {kind} of {subject} resolved")
