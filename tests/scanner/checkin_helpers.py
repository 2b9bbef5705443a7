"""Shared by the check-in tests: tokens of the register and scans as a gate sends them."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select

from badges.service import issue_token
from congress.db import Database
from congress.models import Congress, Delegate
from congress.settings import Settings
from scanner.checkin import get_sitting, set_doors
from scanner.models import Admission, Scan


def tokens(db: Database, settings: Settings) -> dict[str, str]:
    with db.session() as session:
        return {
            d.code: issue_token(settings, session, d)
            for d in session.scalars(select(Delegate).order_by(Delegate.id))
        }


def open_doors(db: Database, congress_id: int, number: int = 1, open_: bool = True) -> None:
    with db.write_session() as session:
        congress = session.get(Congress, congress_id)
        assert congress is not None
        set_doors(session, get_sitting(session, congress, number), open_, "test")


def scan(text: str = "", **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "scan_id": uuid.uuid4().hex,
        "sitting": 1,
        "gate": "Cổng A",
        "method": "camera",
        "text": text,
    }
    body.update(fields)
    return body


def admissions_and_scans(db: Database) -> tuple[int, int]:
    """(delegates admitted, scans recorded) of the database."""
    with db.session() as session:
        return (
            int(session.scalar(select(func.count()).select_from(Admission)) or 0),
            int(session.scalar(select(func.count()).select_from(Scan)) or 0),
        )
