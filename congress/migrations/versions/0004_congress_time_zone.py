"""Each congress's time zone; sittings' times stored as the UTC instants they name.

Revision ID: 0004_congress_time_zone
Revises: 0003_web_sessions

Before, every instant the code recorded was naive UTC, but a sitting's start and end were the
wall times organizers typed (or the demo wrote), stored as they were. Every congress so far met
in the default zone, so those wall times are turned into UTC in it; a downgrade turns them back.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision = "0004_congress_time_zone"
down_revision = "0003_web_sessions"
branch_labels = None
depends_on = None

DEFAULT_TIME_ZONE = "Asia/Ho_Chi_Minh"  # congress.i18n's, as it was when this was written

_sittings = sa.table(
    "sittings",
    sa.column("id", sa.Integer()),
    sa.column("starts_at", sa.DateTime()),
    sa.column("ends_at", sa.DateTime()),
)


def _shift(to_utc: bool) -> None:
    zone = ZoneInfo(DEFAULT_TIME_ZONE)

    def moved(value: dt.datetime | None) -> dt.datetime | None:
        if value is None:
            return None
        if to_utc:
            return value.replace(tzinfo=zone).astimezone(dt.UTC).replace(tzinfo=None)
        return value.replace(tzinfo=dt.UTC).astimezone(zone).replace(tzinfo=None)

    connection = op.get_bind()
    rows = connection.execute(sa.select(_sittings)).all()
    for row in rows:
        connection.execute(
            _sittings.update()
            .where(_sittings.c.id == row.id)
            .values(starts_at=moved(row.starts_at), ends_at=moved(row.ends_at))
        )


def upgrade() -> None:
    with op.batch_alter_table("congresses") as batch:
        batch.add_column(
            sa.Column(
                "time_zone",
                sa.String(length=64),
                nullable=False,
                server_default=DEFAULT_TIME_ZONE,
            )
        )
    _shift(to_utc=True)


def downgrade() -> None:
    _shift(to_utc=False)
    with op.batch_alter_table("congresses") as batch:
        batch.drop_column("time_zone")
