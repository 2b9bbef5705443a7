"""Counts of ballot rounds, the ballots scanned into them and the committee's decisions.

Revision ID: ballots_0002_counts
Revises: ballots_0001_elections
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "ballots_0002_counts"
down_revision = "ballots_0001_elections"
branch_labels = None
depends_on = None

# Scanned ballots and decisions are evidence: the database itself refuses to change them.
PROTECTED = ("counted_ballots", "ballot_decisions")


def upgrade() -> None:
    op.create_table(
        "counts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("election_id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("members", sa.JSON(), nullable=False),
        sa.Column("issued", sa.Integer(), nullable=False),
        sa.Column("collected", sa.Integer(), nullable=False),
        sa.Column("two_person_rule", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(length=8), nullable=False),
        sa.Column("opened_by", sa.String(length=120), nullable=False),
        sa.Column("opened_at", sa.DateTime(), nullable=False),
        sa.Column("closed_by", sa.String(length=120), nullable=True),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("explanation", sa.Text(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("root_hash", sa.String(length=64), nullable=True),
        sa.Column("bundle_sha256", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["election_id"],
            ["elections.id"],
            name=op.f("fk_counts_election_id_elections"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["ballot_rounds.id"],
            name=op.f("fk_counts_round_id_ballot_rounds"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_counts")),
        sa.UniqueConstraint("round_id", name=op.f("uq_counts_round_id")),
    )
    op.create_index(op.f("ix_counts_election_id"), "counts", ["election_id"])
    op.create_table(
        "counted_ballots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("count_id", sa.Integer(), nullable=False),
        sa.Column("image_sha256", sa.String(length=64), nullable=False),
        sa.Column("file_name", sa.String(length=300), nullable=False),
        sa.Column("serial", sa.String(length=32), nullable=True),
        sa.Column("reading", sa.JSON(), nullable=False),
        sa.Column("machine_status", sa.String(length=12), nullable=False),
        sa.Column("duplicate_of", sa.Integer(), nullable=True),
        sa.Column("station", sa.String(length=80), nullable=False),
        sa.Column("received_by", sa.String(length=120), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["count_id"],
            ["counts.id"],
            name=op.f("fk_counted_ballots_count_id_counts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["duplicate_of"],
            ["counted_ballots.id"],
            name=op.f("fk_counted_ballots_duplicate_of_counted_ballots"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["image_sha256"],
            ["stored_files.sha256"],
            name=op.f("fk_counted_ballots_image_sha256_stored_files"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_counted_ballots")),
        sa.UniqueConstraint(
            "count_id", "image_sha256", name="uq_counted_ballots_count_id_image_sha256"
        ),
    )
    op.create_index(op.f("ix_counted_ballots_count_id"), "counted_ballots", ["count_id"])
    op.create_index(op.f("ix_counted_ballots_serial"), "counted_ballots", ["serial"])
    op.create_table(
        "ballot_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ballot_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=True),
        sa.Column("reason", sa.String(length=40), nullable=True),
        sa.Column("marks", sa.JSON(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ballot_id"],
            ["counted_ballots.id"],
            name=op.f("fk_ballot_decisions_ballot_id_counted_ballots"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ballot_decisions")),
    )
    op.create_index(op.f("ix_ballot_decisions_ballot_id"), "ballot_decisions", ["ballot_id"])
    _protect()


def downgrade() -> None:
    _unprotect()
    op.drop_index(op.f("ix_ballot_decisions_ballot_id"), table_name="ballot_decisions")
    op.drop_table("ballot_decisions")
    op.drop_index(op.f("ix_counted_ballots_serial"), table_name="counted_ballots")
    op.drop_index(op.f("ix_counted_ballots_count_id"), table_name="counted_ballots")
    op.drop_table("counted_ballots")
    op.drop_index(op.f("ix_counts_election_id"), table_name="counts")
    op.drop_table("counts")


def _protect() -> None:
    """Updates are refused; deletes stay possible (deleting a congress removes its elections)."""
    sqlite = op.get_bind().dialect.name == "sqlite"
    if not sqlite:
        op.execute(
            "CREATE FUNCTION ballots_evidence_unchanged() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END $$"
        )
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
    if not sqlite:
        op.execute("DROP FUNCTION IF EXISTS ballots_evidence_unchanged()")
