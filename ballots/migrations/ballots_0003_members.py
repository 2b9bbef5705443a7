"""The committee decides every invalid ballot; decisions name the member; Art. 30's base.

counts.committee_decides_invalid: on for counts opened from now on (every ballot the machine
finds invalid or cannot place waits for the committee); off for the counts before it, which
stay as they were counted. counts.excused: delegates absent for reasons the congress accepts
(Regulation 190-QĐ/TW Art. 30), entered with the count. ballot_decisions.member: which of the
count's named members made the decision (the account stays in `actor`).

Revision ID: ballots_0003_members
Revises: ballots_0002_counts
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "ballots_0003_members"
down_revision = "ballots_0002_counts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "counts",
        sa.Column(
            "committee_decides_invalid", sa.Boolean(), nullable=False, server_default=sa.false()
        ),
    )
    op.add_column("counts", sa.Column("excused", sa.Integer(), nullable=True))
    op.add_column(
        "ballot_decisions",
        sa.Column("member", sa.String(length=120), nullable=False, server_default=""),
    )


def downgrade() -> None:
    with op.batch_alter_table("ballot_decisions") as batch:
        batch.drop_column("member")
    with op.batch_alter_table("counts") as batch:
        batch.drop_column("excused")
        batch.drop_column("committee_decides_invalid")
