"""Documents' publish times stored as the UTC instants they name.

Revision ID: docs_0002_publish_at_utc
Revises: docs_0001_documents

A publish time was the wall time an organizer typed, stored as it was, while the code compared
it with naive UTC (so a document opened hours late). Instants are UTC now; every congress so far
met in the default zone, so those wall times are turned into UTC in it. A downgrade turns them
back.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision = "docs_0002_publish_at_utc"
down_revision = "docs_0001_documents"
branch_labels = None
depends_on = None

DEFAULT_TIME_ZONE = "Asia/Ho_Chi_Minh"  # congress.i18n's, as it was when this was written

_documents = sa.table(
    "documents", sa.column("id", sa.Integer()), sa.column("publish_at", sa.DateTime())
)


def _shift(to_utc: bool) -> None:
    zone = ZoneInfo(DEFAULT_TIME_ZONE)
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(_documents).where(_documents.c.publish_at.is_not(None))
    ).all()
    for row in rows:
        value: dt.datetime = row.publish_at
        if to_utc:
            moved = value.replace(tzinfo=zone).astimezone(dt.UTC)
        else:
            moved = value.replace(tzinfo=dt.UTC).astimezone(zone)
        connection.execute(
            _documents.update()
            .where(_documents.c.id == row.id)
            .values(publish_at=moved.replace(tzinfo=None))
        )


def upgrade() -> None:
    _shift(to_utc=True)


def downgrade() -> None:
    _shift(to_utc=False)
