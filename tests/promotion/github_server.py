"""A real local HTTP server playing the parts of GitHub's REST API that trainer uses.

It checks what GitHub checks (the token, required fields, the 65,536-character body
limit, one open PR per head branch, head branches that exist on origin, unique label
names) and answers in GitHub's shapes, including Link pagination, the silent ignoring of a
`head` filter without its `owner:` prefix, and pull requests among the items of the issues
list (with a `pull_request` key). `FakeGitHub.fault` makes the next requests of a route fail
(a status with headers, a hang or a dropped connection), before or after doing the work.
"""

from __future__ import annotations

import asyncio
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from trainer.emulator.server import serve_in_background

TOKEN = "ghs_testtoken0000000000000000000000000"
ISSUE_NUMBERS_FROM = 1001
"""GitHub numbers issues and pull requests in one sequence; here issues start at 1001, so
that pull request numbers stay what the tests written before issues expect."""


@dataclass
class Fault:
    """How the next `times` requests to `method path` fail."""

    method: str
    path: str
    """After /repos/owner/repo, e.g. "/pulls"."""
    times: int = 1
    status: int | None = 502
    """None: answer what the route answered (with `delay`, a slow answer)."""
    headers: dict[str, str] = field(default_factory=dict)
    message: str = "Server Error"
    apply: bool = False
    """Do the work first, then fail: the client cannot tell whether it happened."""
    delay: float = 0.0
    """Seconds before answering: longer than the client's timeout, a hang."""
    drop: bool = False
    """Close the connection without a complete answer."""


class DroppedConnection(Exception):
    """Raised after the response has started, so that uvicorn cuts the connection."""


@dataclass
class FakeGitHub:
    origin: Path
    owner: str = "acme"
    repo: str = "models"
    pulls: dict[int, dict[str, Any]] = field(default_factory=dict)
    comments: dict[int, list[str]] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)
    forbid_pull_requests: bool = False
    forbid_comments: bool = False
    forbid_issues: bool = False
    """Creating and editing issues answers 403, as for a token without `issues: write`."""
    issues: dict[int, dict[str, Any]] = field(default_factory=dict)
    labels: dict[str, dict[str, Any]] = field(default_factory=dict)
    issue_comments: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    token_login: str = "github-actions[bot]"
    rate_limited: bool = False
    faults: list[Fault] = field(default_factory=list)
    url: str = ""

    def fault(self, method: str, path: str, **how: Any) -> Fault:
        """Make the next request(s) to `method path` fail as `how` (see `Fault`) says."""
        fault = Fault(method, path, **how)
        self.faults.append(fault)
        return fault

    def take_fault(self, method: str, path: str) -> Fault | None:
        for fault in self.faults:
            if fault.method == method and fault.path == path and fault.times > 0:
                fault.times -= 1
                return fault
        return None

    def merge(self, number: int) -> str:
        """Fast-forward main on origin to the PR's head, as a rebase-merge would."""
        pull = self.pulls[number]
        sha = subprocess.run(
            ["git", "rev-parse", f"refs/heads/{pull['head']['ref']}"],
            cwd=self.origin,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        subprocess.run(["git", "update-ref", "refs/heads/main", sha], cwd=self.origin, check=True)
        pull.update(
            state="closed", merged=True, merged_at="2026-11-25T12:00:00Z", merge_commit_sha=sha
        )
        return sha

    def close(self, number: int) -> None:
        self.pulls[number]["state"] = "closed"

    def add_issue(
        self, title: str, body: str, labels: list[str], author: str, state: str = "open"
    ) -> dict[str, Any]:
        """An issue as someone opened it (with `author` as its user)."""
        number = max([ISSUE_NUMBERS_FROM - 1, *self.issues]) + 1
        for name in labels:  # GitHub creates a missing label for a writer
            self.labels.setdefault(name.lower(), {"name": name, "color": "ededed"})
        self.issues[number] = {
            "number": number,
            "title": title,
            "body": body,
            "state": state,
            "state_reason": None,
            "labels": [{"name": n} for n in labels],
            "user": {"login": author, "type": "Bot" if author.endswith("[bot]") else "User"},
            "html_url": f"https://github.test/{self.owner}/{self.repo}/issues/{number}",
            "closed_at": None,
        }
        return self.issues[number]

    def alert_issues(self, state: str = "open") -> list[dict[str, Any]]:
        """Issues labelled trainer-alert, by number."""
        return [
            i
            for _, i in sorted(self.issues.items())
            if i["state"] == state and "trainer-alert" in {label["name"] for label in i["labels"]}
        ]

    def _pull_as_issue(self, pull: dict[str, Any]) -> dict[str, Any]:
        """A pull request as the issues API shows it."""
        number = pull["number"]
        return {
            "number": number,
            "title": pull["title"],
            "body": pull.get("body"),
            "state": "closed" if pull["state"] != "open" else "open",
            "labels": pull.get("labels", []),
            "user": pull.get("user") or {"login": self.token_login, "type": "Bot"},
            "html_url": pull["html_url"],
            "pull_request": {
                "url": f"{self.url}/repos/{self.owner}/{self.repo}/pulls/{number}",
                "html_url": pull["html_url"],
            },
        }

    def _branch_exists(self, branch: str) -> bool:
        return (
            subprocess.run(
                ["git", "rev-parse", "--verify", "--quiet", f"refs/heads/{branch}"],
                cwd=self.origin,
                capture_output=True,
                check=False,
            ).returncode
            == 0
        )


def _error(status: int, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse(
        {"message": message, "documentation_url": "https://docs.github.com/rest", **extra}, status
    )


class Faults:
    """ASGI middleware playing the faults queued with `FakeGitHub.fault`."""

    def __init__(self, app: ASGIApp, gh: FakeGitHub) -> None:
        self.app = app
        self.gh = gh

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        prefix = f"/repos/{self.gh.owner}/{self.gh.repo}"
        path = str(scope.get("path", ""))
        fault = (
            self.gh.take_fault(scope["method"], path.removeprefix(prefix))
            if scope["type"] == "http" and path.startswith(prefix)
            else None
        )
        if fault is None:
            await self.app(scope, receive, send)
            return
        answer: list[Message] = []
        if fault.apply or fault.status is None:

            async def keep(message: Message) -> None:
                answer.append(message)

            await self.app(scope, receive, keep)
        else:
            self.gh.calls.append(f"{scope['method']} {path}")
        if fault.delay:
            await asyncio.sleep(fault.delay)
        if fault.drop:
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [(b"content-length", b"100")],
                }
            )
            raise DroppedConnection(f"{scope['method']} {path}")
        if fault.status is None:
            for message in answer:
                await send(message)
            return
        response = JSONResponse(
            {"message": fault.message, "documentation_url": "https://docs.github.com/rest"},
            fault.status,
            headers=fault.headers,
        )
        await response(scope, receive, send)


def _page(request: Request, items: list[dict[str, Any]]) -> JSONResponse:
    """One page of `items` (per_page, page) with GitHub's Link header to the next one."""
    per_page = int(request.query_params.get("per_page", "30"))
    page = int(request.query_params.get("page", "1"))
    chunk = items[(page - 1) * per_page : page * per_page]
    headers = {}
    if page * per_page < len(items):
        query = dict(request.query_params) | {"page": str(page + 1)}
        link = str(request.url.replace_query_params(**query))
        headers["link"] = f'<{link}>; rel="next"'
    return JSONResponse(chunk, headers=headers)


def _too_long(body: dict[str, Any]) -> JSONResponse | None:
    if len(body.get("body") or "") > 65_536:
        return _error(
            422,
            "Validation Failed",
            errors=[{"message": "body is too long (maximum is 65536 characters)"}],
        )
    return None


def build(gh: FakeGitHub) -> Starlette:
    prefix = f"/repos/{gh.owner}/{gh.repo}"

    def guard(request: Request) -> Response | None:
        gh.calls.append(f"{request.method} {request.url.path}")
        if request.headers.get("authorization") != f"Bearer {TOKEN}":
            return _error(401, "Bad credentials")
        if gh.rate_limited:
            return JSONResponse(
                {"message": "API rate limit exceeded"},
                403,
                headers={
                    "x-ratelimit-remaining": "0",
                    "x-ratelimit-reset": str(int(time.time()) + 3600),
                },
            )
        return None

    async def pulls(request: Request) -> Response:
        if (denied := guard(request)) is not None:
            return denied
        if request.method == "GET":
            items = sorted(gh.pulls.values(), key=lambda p: p["number"])
            head = request.query_params.get("head")
            if head and ":" in head:  # GitHub ignores a head filter without owner:
                owner, branch = head.split(":", 1)
                items = [p for p in items if owner == gh.owner and p["head"]["ref"] == branch]
            state = request.query_params.get("state", "open")
            if state != "all":
                items = [p for p in items if p["state"] == state]
            return _page(request, items)
        if gh.forbid_pull_requests:
            return _error(
                403, "GitHub Actions is not permitted to create or approve pull requests."
            )
        body = await request.json()
        missing = [f for f in ("title", "head", "base") if not body.get(f)]
        if missing:
            return _error(
                422,
                "Validation Failed",
                errors=[{"field": f, "code": "missing_field"} for f in missing],
            )
        if len(body.get("body") or "") > 65_536:
            return _error(
                422,
                "Validation Failed",
                errors=[{"message": "body is too long (maximum is 65536 characters)"}],
            )
        if not gh._branch_exists(body["head"]):
            return _error(422, "Validation Failed", errors=[{"field": "head", "code": "invalid"}])
        if any(
            p["head"]["ref"] == body["head"] and p["state"] == "open" for p in gh.pulls.values()
        ):
            return _error(
                422,
                "Validation Failed",
                errors=[
                    {"message": f"A pull request already exists for {gh.owner}:{body['head']}."}
                ],
            )
        number = len(gh.pulls) + 1
        gh.pulls[number] = {
            "number": number,
            "state": "open",
            "title": body["title"],
            "body": body.get("body"),
            "head": {"ref": body["head"]},
            "base": {"ref": body["base"]},
            "merged": False,
            "merged_at": None,
            "merge_commit_sha": None,
            "labels": [],
            "requested_reviewers": [],
            "html_url": f"https://github.test/{gh.owner}/{gh.repo}/pull/{number}",
        }
        return JSONResponse(gh.pulls[number], 201)

    async def pull(request: Request) -> Response:
        if (denied := guard(request)) is not None:
            return denied
        number = int(request.path_params["number"])
        if number not in gh.pulls:
            return _error(404, "Not Found")
        if request.method == "PATCH":
            body = await request.json()
            if len(body.get("body") or "") > 65_536:
                return _error(422, "Validation Failed", errors=[{"message": "body is too long"}])
            for key in ("title", "body", "state"):
                if key in body:
                    gh.pulls[number][key] = body[key]
        return JSONResponse(gh.pulls[number])

    async def comments(request: Request) -> Response:
        if (denied := guard(request)) is not None:
            return denied
        number = int(request.path_params["number"])
        thread = gh.issue_comments.setdefault(number, [])
        if request.method == "GET":
            return JSONResponse(thread)
        if gh.forbid_comments:
            return _error(403, "Resource not accessible by integration")
        text = (await request.json())["body"]
        gh.comments.setdefault(number, []).append(text)
        comment = {
            "id": 1000 + sum(len(t) for t in gh.issue_comments.values()),
            "body": text,
            "user": {"login": gh.token_login, "type": "Bot"},
            "html_url": f"https://github.test/{gh.owner}/{gh.repo}/pull/{number}#comment",
        }
        thread.append(comment)
        return JSONResponse(comment, 201)

    async def edit_comment(request: Request) -> Response:
        if (denied := guard(request)) is not None:
            return denied
        wanted = int(request.path_params["id"])
        for thread in gh.issue_comments.values():
            for comment in thread:
                if comment["id"] == wanted:
                    comment["body"] = (await request.json())["body"]
                    return JSONResponse(comment)
        return _error(404, "Not Found")

    async def labels(request: Request) -> Response:
        if (denied := guard(request)) is not None:
            return denied
        number = int(request.path_params["number"])
        target = gh.pulls.get(number) or gh.issues.get(number)
        if target is None:
            return _error(404, "Not Found")
        target["labels"] = [{"name": n} for n in (await request.json())["labels"]]
        return JSONResponse(target["labels"])

    async def issues(request: Request) -> Response:
        if (denied := guard(request)) is not None:
            return denied
        if request.method == "GET":
            items = list(gh.issues.values()) + [gh._pull_as_issue(p) for p in gh.pulls.values()]
            state = request.query_params.get("state", "open")
            if state != "all":
                items = [i for i in items if i["state"] == state]
            wanted = [n for n in request.query_params.get("labels", "").split(",") if n]
            items = [
                i
                for i in items
                if {n.lower() for n in wanted} <= {label["name"].lower() for label in i["labels"]}
            ]
            newest_first = request.query_params.get("direction", "desc") == "desc"
            items.sort(key=lambda i: int(i["number"]), reverse=newest_first)
            return _page(request, items)
        if gh.forbid_issues:
            return _error(403, "Resource not accessible by integration")
        body = await request.json()
        if not body.get("title"):
            return _error(
                422, "Validation Failed", errors=[{"field": "title", "code": "missing_field"}]
            )
        if (refused := _too_long(body)) is not None:
            return refused
        issue = gh.add_issue(
            body["title"], body.get("body") or "", list(body.get("labels") or []), gh.token_login
        )
        return JSONResponse(issue, 201)

    async def issue(request: Request) -> Response:
        if (denied := guard(request)) is not None:
            return denied
        number = int(request.path_params["number"])
        if number not in gh.issues:
            return _error(404, "Not Found")
        if request.method == "PATCH":
            if gh.forbid_issues:
                return _error(403, "Resource not accessible by integration")
            body = await request.json()
            if (refused := _too_long(body)) is not None:
                return refused
            if "title" in body and not body["title"]:
                return _error(
                    422, "Validation Failed", errors=[{"field": "title", "code": "missing_field"}]
                )
            for key in ("title", "body", "state", "state_reason"):
                if key in body:
                    gh.issues[number][key] = body[key]
            if body.get("state") == "closed":
                gh.issues[number]["closed_at"] = "2026-11-25T12:00:00Z"
        return JSONResponse(gh.issues[number])

    async def repo_labels(request: Request) -> Response:
        if (denied := guard(request)) is not None:
            return denied
        if gh.forbid_issues:
            return _error(403, "Resource not accessible by integration")
        body = await request.json()
        name = str(body.get("name") or "")
        if not name:
            return _error(
                422, "Validation Failed", errors=[{"resource": "Label", "code": "missing_field"}]
            )
        if name.lower() in gh.labels:
            return _error(
                422,
                "Validation Failed",
                errors=[{"resource": "Label", "code": "already_exists", "field": "name"}],
            )
        gh.labels[name.lower()] = {
            "name": name,
            "color": body.get("color", "ededed"),
            "description": body.get("description"),
        }
        return JSONResponse(gh.labels[name.lower()], 201)

    async def reviewers(request: Request) -> Response:
        if (denied := guard(request)) is not None:
            return denied
        number = int(request.path_params["number"])
        gh.pulls[number]["requested_reviewers"] = [
            {"login": n} for n in (await request.json())["reviewers"]
        ]
        return JSONResponse(gh.pulls[number], 201)

    return Starlette(
        middleware=[Middleware(Faults, gh=gh)],
        routes=[
            Route(f"{prefix}/pulls", pulls, methods=["GET", "POST"]),
            Route(f"{prefix}/pulls/{{number:int}}", pull, methods=["GET", "PATCH"]),
            Route(f"{prefix}/issues/{{number:int}}/comments", comments, methods=["GET", "POST"]),
            Route(f"{prefix}/issues/comments/{{id:int}}", edit_comment, methods=["PATCH"]),
            Route(f"{prefix}/issues/{{number:int}}/labels", labels, methods=["POST"]),
            Route(f"{prefix}/issues", issues, methods=["GET", "POST"]),
            Route(f"{prefix}/issues/{{number:int}}", issue, methods=["GET", "PATCH"]),
            Route(f"{prefix}/labels", repo_labels, methods=["POST"]),
            Route(
                f"{prefix}/pulls/{{number:int}}/requested_reviewers", reviewers, methods=["POST"]
            ),
        ],
    )


@contextmanager
def serve(gh: FakeGitHub) -> Iterator[FakeGitHub]:
    with serve_in_background(build(gh)) as port:
        gh.url = f"http://127.0.0.1:{port}"
        yield gh
