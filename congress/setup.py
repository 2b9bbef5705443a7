"""The organizer's path from an empty congress to its first sitting: the setup steps, each
done or not as the data says, in the order they are usually taken."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from congress.capabilities import Capability, SetupStep
from congress.models import Congress, Delegate, Sitting


def core_steps(session: Session, congress: Congress) -> list[SetupStep]:
    """The core's steps: the sittings and the register of delegates."""
    has_sitting = session.scalar(select(exists().where(Sitting.congress_id == congress.id)))
    has_delegate = session.scalar(select(exists().where(Delegate.congress_id == congress.id)))
    return [
        SetupStep(10, "Add the sittings", "/c/{slug}/sittings", bool(has_sitting)),
        SetupStep(20, "Import the delegates", "/c/{slug}/delegates/import", bool(has_delegate)),
    ]


def setup_steps(
    session: Session, congress: Congress, capabilities: Sequence[Capability]
) -> list[SetupStep]:
    """Every step of the congress's setup, the core's and each capability's, in order."""
    steps = core_steps(session, congress)
    for capability in capabilities:
        steps.extend(capability.setup(session, congress))
    return sorted(steps, key=lambda step: step.order)
