"""Crash on purpose at a named point, to prove that a kill at any instant loses nothing.

`TRAINER_FAILPOINT=after_create_job trainer reconcile` dies like `kill -9` right after
the job was created and before the result was recorded. Used by the crash tests; inert
unless the variable names the point.
"""

from __future__ import annotations

import os

POINTS = (
    "after_claim",
    "after_upload",
    "after_create_job",
    "after_cancel_job",
    "after_create_batch",
)


def hit(point: str) -> None:
    if point not in POINTS:
        raise ValueError(f"unknown failpoint {point!r}; add it to POINTS")
    if os.environ.get("TRAINER_FAILPOINT") == point:
        os._exit(137)
