"""Each congress's Ed25519 public key, so every gate and station can verify its badges and ballots.

Revision ID: 0002_congress_public_key
Revises: 0001_core
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_congress_public_key"
down_revision = "0001_core"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("congresses") as batch:
        batch.add_column(sa.Column("public_key", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("congresses") as batch:
        batch.drop_column("public_key")
