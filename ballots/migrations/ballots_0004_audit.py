"""The hand audit of a closed count (its seed, the members' readings of the sampled papers) and
the paper fallback (ballots entered by hand by several members).

Revision ID: ballots_0004_audit
Revises: ballots_0003_members
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "ballots_0004_audit"
down_revision = "ballots_0003_members"
branch_labels = None
depends_on = None

# Evidence, as counted_ballots and ballot_decisions: the database refuses to change these rows.
PROTECTED = ("hand_audits", "audit_readings", "hand_entries")


def upgrade() -> None:
    op.create_table(
        "hand_audits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("count_id", sa.Integer(), nullable=False),
        sa.Column("bundle_root", sa.String(length=64), nullable=False),
        sa.Column("seed", sa.String(length=64), nullable=False),
        sa.Column("risk_limit", sa.String(length=16), nullable=False),
        sa.Column("gamma", sa.String(length=16), nullable=False),
        sa.Column("started_by", sa.String(length=120), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["count_id"],
            ["counts.id"],
            name=op.f("fk_hand_audits_count_id_counts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hand_audits")),
        sa.UniqueConstraint("count_id", "bundle_root", name="uq_hand_audits_count_id_bundle_root"),
    )
    op.create_index(op.f("ix_hand_audits_count_id"), "hand_audits", ["count_id"])
    op.create_table(
        "audit_readings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("audit_id", sa.Integer(), nullable=False),
        sa.Column("ballot", sa.String(length=64), nullable=False),
        sa.Column("slot", sa.Integer(), nullable=False),
        sa.Column("member", sa.String(length=120), nullable=False),
        sa.Column("marked", sa.JSON(), nullable=False),
        sa.Column("invalid", sa.String(length=40), nullable=True),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["audit_id"],
            ["hand_audits.id"],
            name=op.f("fk_audit_readings_audit_id_hand_audits"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_readings")),
    )
    op.create_index(op.f("ix_audit_readings_audit_id"), "audit_readings", ["audit_id"])
    op.create_table(
        "hand_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("count_id", sa.Integer(), nullable=False),
        sa.Column("serial", sa.String(length=32), nullable=False),
        sa.Column("member", sa.String(length=120), nullable=False),
        sa.Column("marked", sa.JSON(), nullable=False),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["count_id"],
            ["counts.id"],
            name=op.f("fk_hand_entries_count_id_counts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hand_entries")),
    )
    op.create_index(op.f("ix_hand_entries_count_id"), "hand_entries", ["count_id"])
    op.create_index(op.f("ix_hand_entries_serial"), "hand_entries", ["serial"])
    _protect()


def downgrade() -> None:
    _unprotect()
    op.drop_index(op.f("ix_hand_entries_serial"), table_name="hand_entries")
    op.drop_index(op.f("ix_hand_entries_count_id"), table_name="hand_entries")
    op.drop_table("hand_entries")
    op.drop_index(op.f("ix_audit_readings_audit_id"), table_name="audit_readings")
    op.drop_table("audit_readings")
    op.drop_index(op.f("ix_hand_audits_count_id"), table_name="hand_audits")
    op.drop_table("hand_audits")


def _protect() -> None:
    """Updates are refused (the function ballots_0002_counts made on PostgreSQL raises)."""
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table in PROTECTED:
        if sqlite:
            op.execute(
                f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
            )
        else:
            op.execute(
                f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION ballots_evidence_unchanged()"
            )


def _unprotect() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table in PROTECTED:
        if sqlite:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_update ON {table}")
