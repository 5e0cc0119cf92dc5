"""Fault injection per route: error statuses, latency, hangs; configured by tests or CLI."""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass

from trainer.errors import UsageError


@dataclass
class Fault:
    """Applies to requests whose "METHOD /path" matches `route` (shell-style wildcards)."""

    route: str
    status: int | None = None
    times: int | None = None
    """How many matching requests it affects; None: all of them."""
    retry_after: float | None = None
    code: str | None = None
    """The error's `code` (as OpenAI's `insufficient_quota`); `emulated_fault` if None."""
    reset: str | None = None
    """A 429 says the request limit is used up until then, as OpenAI's headers do
    (`x-ratelimit-remaining-requests: 0`, `x-ratelimit-reset-requests: 1.5s`)."""
    latency: float = 0.0
    """Seconds added before answering."""
    hang: bool = False
    """Never answer (until the client gives up)."""

    def matches(self, method: str, path: str) -> bool:
        return (self.times is None or self.times > 0) and fnmatch.fnmatchcase(
            f"{method} {path}", self.route
        )

    def consume(self) -> None:
        if self.times is not None:
            self.times -= 1


_SPEC = re.compile(
    r"^(?P<route>[A-Z*]+ \S+)="
    r"(?:(?P<status>\d{3})(?:x(?P<times>\d+))?(?:,retry-after=(?P<retry>[\d.]+))?"
    r"(?:,code=(?P<code>[a-z_]+))?(?:,reset=(?P<reset>[\d.hms]+))?"
    r"|latency:(?P<latency>[\d.]+)ms|(?P<hang>hang))$"
)


def parse_fault(text: str) -> Fault:
    """Parse `'POST /v1/fine_tuning/jobs=429x3,retry-after=1'`,
    `'POST /v1/chat/completions=429,code=insufficient_quota'`, `'* /v1/*=latency:50ms'`, or
    `'GET /v1/*=hang'`."""
    match = _SPEC.match(text.strip())
    if not match:
        raise UsageError(
            f"--fault {text!r}: expected 'METHOD /path=STATUS[xTIMES][,retry-after=S]"
            "[,code=CODE][,reset=DURATION]', 'METHOD /path=latency:MSms' or "
            "'METHOD /path=hang' (wildcards * allowed)"
        )
    return Fault(
        route=match["route"],
        status=int(match["status"]) if match["status"] else None,
        times=int(match["times"]) if match["times"] else None,
        retry_after=float(match["retry"]) if match["retry"] else None,
        code=match["code"],
        reset=match["reset"],
        latency=float(match["latency"]) / 1000 if match["latency"] else 0.0,
        hang=bool(match["hang"]),
    )
