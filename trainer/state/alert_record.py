"""What the state keeps of an alert issue: which issue, for which revision, and whether it
is open, closed by trainer, or closed by a person while its problem remained."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

AlertState = Literal["open", "closed", "dismissed"]


class AlertRecord(BaseModel):
    """One alert (a kind of problem of one spec or model), keyed `<kind>:<subject>`."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    kind: str
    subject: str
    """The spec, or for a production drop the binding (`model:alias`)."""
    revision: str
    backend: str
    """Where the issue lives: `github` or `local` (`.trainer/alerts/`)."""
    state: AlertState = "open"
    """`dismissed`: a person closed the issue while the problem remained; trainer leaves it
    closed until the revision changes or the problem goes away."""
    number: int | None = None
    url: str | None = None
    title: str = ""
    opened_at: datetime
    updated_at: datetime
    closed_at: datetime | None = None
    resolution: str | None = None
    """Why it was closed."""
    claim: str | None = None
    """The run that is opening the issue (written before the issue is created, cleared after
    it is recorded): another run leaves it alone while it is fresh, then adopts the issue by
    its marker instead of opening a second one."""
