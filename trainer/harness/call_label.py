"""The label of the model call in progress, for requests sent through the Batch API.

The runner sets `CALL_LABEL` around each call it makes (`suite/test/case/variant/repeat`,
or `judge/suite/test/case/check/side` for the judge); batch evaluation reads it to give a
batch line a `custom_id` a person can trace back to the case. Unset, the line's id is
derived from the call alone.
"""

from __future__ import annotations

from contextvars import ContextVar

CALL_LABEL: ContextVar[str | None] = ContextVar("trainer_call_label", default=None)
"""suite/test/case/variant/repeat of the call in progress (None: not known)."""
