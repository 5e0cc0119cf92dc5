"""When the API's failures stop an evaluation, and how its concurrent requests stop.

A rejected key stops it at once, as does an API that cannot be reached before it has
answered anything (it is down, or the endpoint is wrong); once it has answered, failures
to connect count against the error budget like any other, until STREAK_LIMIT of them in
a row show that it is gone. Stopping cancels and awaits every outstanding request: none
is left running, and no exception is left unretrieved (for asyncio to log).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from trainer.providers.base import ProviderAuthError, ProviderError, ProviderUnreachable

STREAK_LIMIT = 10
"""Failures to connect in a row, with no answer between them, that stop an evaluation."""


class ApiGuard:
    def __init__(self) -> None:
        self.answered = False
        self.streak = 0
        self.stopped: ProviderError | None = None
        """The error that stopped the evaluation, once one has."""

    def check(self) -> None:
        """Raise the error that stopped the evaluation, if one has: a request about to be
        sent is not (the others are being cancelled)."""
        if self.stopped is not None:
            raise self.stopped

    def answer(self) -> None:
        """The API answered a request."""
        self.answered, self.streak = True, 0

    def failure(self, exc: ProviderError) -> str:
        """What to record for a failed request the evaluation survives; raises the error
        that must stop it instead."""
        if isinstance(exc, ProviderAuthError):
            self.stopped = exc
        elif not isinstance(exc, ProviderUnreachable):
            self.answer()  # with an error, but the API is there
        else:
            self.streak += 1
            if not self.answered:
                self.stopped = exc
            elif self.streak >= STREAK_LIMIT:
                self.stopped = ProviderUnreachable(
                    f"{exc} ({self.streak} requests in a row found no connection)"
                )
        self.check()
        return str(exc)


async def wait_all(tasks: Sequence[asyncio.Future[Any]], timeout: float | None = None) -> bool:
    """Wait for every task, at most `timeout` seconds; True when time ran out (the tasks
    still running are cancelled). The first task to raise stops the others: each is
    cancelled and awaited before its exception is raised here."""
    if not tasks:
        return False
    try:
        done, pending = await asyncio.wait(
            tasks, timeout=timeout, return_when=asyncio.FIRST_EXCEPTION
        )
        for task in tasks:
            error = None if task not in done or task.cancelled() else task.exception()
            if error is not None:
                raise error
        return bool(pending)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
