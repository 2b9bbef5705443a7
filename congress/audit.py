"""Writing to the append-only audit log."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from congress.models import AuditEvent


def record(
    session: Session,
    actor: str,
    action: str,
    *,
    congress_id: int | None = None,
    subject: str = "",
    **details: Any,
) -> AuditEvent:
    event = AuditEvent(
        actor=actor, action=action, congress_id=congress_id, subject=subject, details=details
    )
    session.add(event)
    return event
