"""How many requests the evaluation has in flight: at most the requested N, fewer while the
API answers 429 (additive increase, multiplicative decrease, as TCP does).

- The limit starts at N (the user's `--concurrency` or the spec's `max_concurrency`) and
  never exceeds it.
- A 429 halves it (not below 1), once for each round of requests: the answers to requests
  sent before the last decrease come back together and say nothing new.
- A 429's Retry-After (or, without one, a backoff from 0.5 s doubling up to 8 s) pauses
  every sender: no request goes out before then. Requests already in flight go on.
- Each success adds 1/limit: the limit grows by one for each round that passes.

A request that gets a 429 is sent again (RATE_LIMIT_RETRIES times at most); the SDK's own
retries of 429s are off for these requests, so that every one is seen here.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

from trainer.harness.api_guard import ApiGuard
from trainer.providers.base import ProviderRateLimited

T = TypeVar("T")
RATE_LIMIT_RETRIES = 8
"""Times one request is sent again after a 429, before it counts as failed."""
MAX_RETRY_AFTER = 120.0
"""A 429 asking for a longer wait fails its request at once (a quota, not a rate)."""
FIRST_BACKOFF, MAX_BACKOFF = 0.5, 8.0


@dataclass
class LimiterStats:
    """What the API's rate limits did to an evaluation."""

    ceiling: int
    limit: int
    lowest: int
    rate_limited: int = 0
    """429s received."""
    decreases: int = 0
    pauses: list[float] = field(default_factory=list)
    """Each pause the senders kept (seconds asked, by Retry-After or the backoff)."""
    waited: float = 0.0
    """Seconds senders were held back by pauses, in total (summed over senders)."""


class AdaptiveLimiter:
    def __init__(self, ceiling: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.ceiling = max(1, ceiling)
        self.limit = float(self.ceiling)
        self.in_flight = 0
        self.resume_at = 0.0
        self.stats = LimiterStats(self.ceiling, self.ceiling, self.ceiling)
        self._clock = clock
        self._round = 0
        self._backoff = FIRST_BACKOFF
        self._waiters: deque[asyncio.Future[None]] = deque()

    @property
    def slots(self) -> int:
        return max(1, int(self.limit))

    async def acquire(self) -> int:
        """Wait for a slot (and the end of any pause); returns the round it was given in."""
        while True:
            delay = self.resume_at - self._clock()
            if delay > 0:
                self.stats.waited += delay
                await asyncio.sleep(delay)
                continue
            if self.in_flight < self.slots:
                self.in_flight += 1
                return self._round
            waiter = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            try:
                await waiter  # a released slot is handed over with the wake-up
            except asyncio.CancelledError:
                if waiter.done() and not waiter.cancelled():
                    self.release()
                raise
            if self.resume_at <= self._clock():
                return self._round
            self.release()  # a pause began meanwhile: wait it out without the slot

    def release(self) -> None:
        self.in_flight -= 1
        self._wake()

    def _wake(self) -> None:
        while self._waiters and self.in_flight < self.slots:
            waiter = self._waiters.popleft()
            if not waiter.done():
                self.in_flight += 1
                waiter.set_result(None)

    def succeeded(self) -> None:
        self._backoff = FIRST_BACKOFF
        if self.limit < self.ceiling:
            self.limit = min(float(self.ceiling), self.limit + 1 / self.limit)
            self.stats.limit = self.slots
            self._wake()

    def rate_limited(self, round_sent: int, retry_after: float | None) -> None:
        """A request sent in `round_sent` got a 429."""
        stats = self.stats
        stats.rate_limited += 1
        if round_sent == self._round:
            self._round += 1
            self.limit = max(1.0, self.limit / 2)
            stats.decreases += 1
            stats.limit = self.slots
            stats.lowest = min(stats.lowest, self.slots)
        if retry_after is None or retry_after <= 0:
            retry_after, self._backoff = self._backoff, min(MAX_BACKOFF, self._backoff * 2)
        resume = self._clock() + retry_after
        if resume > self.resume_at:
            self.resume_at = resume
            stats.pauses.append(retry_after)

    async def send(self, guard: ApiGuard, request: Callable[[], Awaitable[T]]) -> T:
        """`request()` within the limit, sent again after each 429 (after the pause it
        asks for); the error that stops the evaluation, if any, is raised before sending."""
        for attempt in range(RATE_LIMIT_RETRIES + 1):
            round_sent = await self.acquire()
            try:
                guard.check()
                result = await request()
            except ProviderRateLimited as exc:
                wait = exc.retry_after
                if attempt == RATE_LIMIT_RETRIES or (wait is not None and wait > MAX_RETRY_AFTER):
                    self.stats.rate_limited += 1
                    raise
                self.rate_limited(round_sent, wait)
                continue
            finally:
                self.release()
            self.succeeded()
            return result
        raise AssertionError("unreachable")  # pragma: no cover
