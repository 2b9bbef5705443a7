"""Sessions the server can end: one row per signed-in browser, for logout and idle expiry.

Revision ID: 0003_web_sessions
Revises: 0002_congress_public_key
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_web_sessions"
down_revision = "0002_congress_public_key"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "web_sessions",
        sa.Column("secret_sha256", sa.String(length=64), nullable=False),
        sa.Column("staff_user_id", sa.Integer(), nullable=True),
        sa.Column("delegate_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["staff_user_id"],
            ["staff_users.id"],
            name=op.f("fk_web_sessions_staff_user_id_staff_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["delegate_id"],
            ["delegates.id"],
            name=op.f("fk_web_sessions_delegate_id_delegates"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("secret_sha256", name=op.f("pk_web_sessions")),
    )
    with op.batch_alter_table("web_sessions") as batch:
        batch.create_index(batch.f("ix_web_sessions_staff_user_id"), ["staff_user_id"])
        batch.create_index(batch.f("ix_web_sessions_delegate_id"), ["delegate_id"])


def downgrade() -> None:
    op.drop_table("web_sessions")
