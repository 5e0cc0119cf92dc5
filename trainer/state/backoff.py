"""Waiting out other writers: jittered, growing delays that stop at a deadline."""

from __future__ import annotations

import random
import time

PATIENCE = 60.0
"""Seconds a run keeps retrying while other writers make progress, before it gives up."""


class Backoff:
    """Delays of `first`, twice that after `grow()`, ... up to `cap`, each drawn from its
    upper half.

    The draw spreads writers that collided apart (a fresh generator per instance, so
    forked processes do not draw alike); the lower bound keeps every wait long enough to
    mean something. No wait runs past `patience` seconds after the instance was made.
    """

    def __init__(self, *, first: float, cap: float, patience: float = PATIENCE) -> None:
        self.delay = first
        self.cap = max(cap, first)
        self.deadline = time.monotonic() + patience
        self._random = random.Random()

    @property
    def expired(self) -> bool:
        return time.monotonic() >= self.deadline

    def wait(self) -> bool:
        """Sleep about the current delay and return True; False, at once, when time is up."""
        left = self.deadline - time.monotonic()
        if left <= 0:
            return False
        time.sleep(min(left, self._random.uniform(self.delay / 2, self.delay)))
        return True

    def grow(self) -> None:
        self.delay = min(self.delay * 2, self.cap)
