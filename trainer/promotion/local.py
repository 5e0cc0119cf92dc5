"""Pull requests without GitHub: a branch in the repository and its body under .trainer/prs/.

A local `git merge` of the branch into `main` is seen on the next pass as a merge;
deleting the branch unmerged (or `close`) declines it.
"""

from __future__ import annotations

import json
from pathlib import Path

from trainer.atomic import atomic_write
from trainer.errors import TrainerError
from trainer.logs import scrub
from trainer.paths import LOCAL_PRS
from trainer.promotion.backend import PRState, PullRequest
from trainer.promotion.branches import PromotionRepo

PRS = LOCAL_PRS


class LocalBackend:
    name = "local"

    def __init__(self, root: Path, repo: PromotionRepo) -> None:
        self.root = root
        self.directory = root / PRS
        self.repo = repo

    def _load(self, number: int) -> dict[str, object]:
        try:
            data: dict[str, object] = json.loads((self.directory / f"{number}.json").read_text())
        except (OSError, ValueError):
            raise TrainerError(f"local pull request #{number} is missing from {PRS}/") from None
        return data

    def _save(self, data: dict[str, object], body: str | None = None) -> PullRequest:
        number = int(str(data["number"]))
        if body is not None:
            atomic_write(self.directory / f"{number}.md", scrub(body).encode(), durable=False)
        atomic_write(
            self.directory / f"{number}.json",
            scrub(json.dumps(data, indent=2)).encode(),
            durable=False,
        )
        return self._pull(data)

    def _pull(self, data: dict[str, object]) -> PullRequest:
        number = int(str(data["number"]))
        state = str(data["state"])
        merge = data.get("merge_commit")
        return PullRequest(
            number=number,
            url=(self.directory / f"{number}.md").relative_to(self.root).as_posix(),
            state=state,  # type: ignore[arg-type]
            branch=str(data["branch"]),
            title=str(data["title"]),
            merge_commit=str(merge) if merge else None,
        )

    def _all(self) -> list[dict[str, object]]:
        if not self.directory.is_dir():
            return []
        items = []
        for path in sorted(self.directory.glob("*.json"), key=lambda p: int(p.stem)):
            items.append(json.loads(path.read_text()))
        return items

    def pull_requests(self) -> list[PullRequest]:
        """Every local pull request, oldest first."""
        return [self._pull(data) for data in self._all()]

    def body(self, number: int) -> str:
        return (self.directory / f"{number}.md").read_text(encoding="utf-8")

    def find(self, branch: str) -> PullRequest | None:
        matches = [d for d in self._all() if d["branch"] == branch]
        if not matches:
            return None
        open_ = [d for d in matches if d["state"] == "open"]
        return self.get(int(str((open_ or matches)[-1]["number"])))

    def open(
        self, branch: str, title: str, body: str, labels: list[str], reviewers: list[str]
    ) -> PullRequest:
        number = max((int(str(d["number"])) for d in self._all()), default=0) + 1
        data: dict[str, object] = {
            "number": number,
            "branch": branch,
            "title": title,
            "state": "open",
            "labels": labels,
            "reviewers": reviewers,
            "head": self.repo.tip(branch),
        }
        return self._save(data, body)

    def update(self, number: int, title: str, body: str) -> PullRequest:
        data = self._load(number)
        data.update({"title": title, "head": self.repo.tip(str(data["branch"]))})
        return self._save(data, body)

    def close(self, number: int, comment: str) -> PullRequest:
        data = self._load(number)
        data["state"] = "closed"
        comments = list(data.get("comments", []))  # type: ignore[call-overload]
        data["comments"] = [*comments, comment]
        return self._save(data)

    def get(self, number: int) -> PullRequest:
        data = self._load(number)
        if data["state"] == "open":
            head = self.repo.tip(str(data["branch"]))
            recorded = data.get("head")
            state: PRState = "open"
            candidate = head or (str(recorded) if recorded else None)
            if candidate and self.repo.merged_into_base(candidate):
                state = "merged"
            elif head is None:
                state = "closed"
            if state != "open":
                data["state"] = state
                if state == "merged":
                    data["merge_commit"] = self.repo.base_sha()
                return self._save(data)
        return self._pull(data)
