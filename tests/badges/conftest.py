"""A congress with a small register, for the badge tests that need the database."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from congress import congresses
from congress.db import Database
from congress.delegate_import import import_delegates
from congress.demo_data import delegate_rows, rows_to_csv

SLUG = "dai-hoi-the"


@pytest.fixture
def register(db: Database) -> dict[str, Any]:
    """Congress SLUG with 20 delegates in 3 delegations (codes DB0001...)."""
    with db.session() as session:
        congress = congresses.create_congress(
            session,
            slug=SLUG,
            name="Đại hội đại biểu Đoàn TNCS Hồ Chí Minh tỉnh Nghệ An",
            starts_on=dt.date(2027, 6, 2),
            ends_on=dt.date(2027, 6, 3),
            actor="t",
        )
        congresses.add_sitting(
            session,
            congress,
            title="Phiên trù bị",
            starts_at=dt.datetime(2027, 6, 2, 8, 0),
            actor="t",
        )
        rows = rows_to_csv(delegate_rows(20, seed=11, delegations=3))
        import_delegates(session, congress, rows, actor="t")
        return {"congress_id": congress.id, "slug": SLUG}
