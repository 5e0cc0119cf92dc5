"""What every step of a reconcile pass works with, handed over as one value."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from trainer.providers.base import Provider
from trainer.reconcile.identity import RunIdentity
from trainer.reconcile.pass_result import PassResult
from trainer.state.session import StateSession


@dataclass(frozen=True)
class PassScope:
    """The state session, the provider, who this run is, what the pass did so far, and the
    repository it reconciles."""

    session: StateSession
    provider: Provider
    identity: RunIdentity
    result: PassResult
    root: Path
