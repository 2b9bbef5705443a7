"""Elections, candidates, ballot rounds, print runs and the serials they issued.

Revision ID: ballots_0001_elections
Revises: 0002_congress_public_key
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "ballots_0001_elections"
down_revision = "0002_congress_public_key"
branch_labels = ("ballots",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "elections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("congress_id", sa.Integer(), nullable=False),
        sa.Column("sitting_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("form", sa.String(length=12), nullable=False),
        sa.Column("seats", sa.Integer(), nullable=False),
        sa.Column("organisation", sa.String(length=300), nullable=False),
        sa.Column("threshold_base", sa.String(length=12), nullable=False),
        sa.Column("percentage_base", sa.String(length=12), nullable=False),
        sa.Column("tie_rule", sa.String(length=12), nullable=False),
        sa.Column("seal_required", sa.Boolean(), nullable=False),
        sa.Column("nobody_elected_invalid", sa.Boolean(), nullable=False),
        sa.Column("candidate_order", sa.String(length=12), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["congress_id"],
            ["congresses.id"],
            name=op.f("fk_elections_congress_id_congresses"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["sitting_id"],
            ["sittings.id"],
            name=op.f("fk_elections_sitting_id_sittings"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_elections")),
    )
    op.create_index(op.f("ix_elections_congress_id"), "elections", ["congress_id"])
    op.create_table(
        "ballot_rounds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("election_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("seats", sa.Integer(), nullable=False),
        sa.Column("candidate_ids", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["election_id"],
            ["elections.id"],
            name=op.f("fk_ballot_rounds_election_id_elections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ballot_rounds")),
        sa.UniqueConstraint("election_id", "number", name="uq_ballot_rounds_election_id_number"),
    )
    op.create_table(
        "candidates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("election_id", sa.Integer(), nullable=False),
        sa.Column("full_name", sa.String(length=120), nullable=False),
        sa.Column("sort_key", sa.String(length=800), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.Column("gender", sa.String(length=10), nullable=True),
        sa.Column("position", sa.String(length=200), nullable=False),
        sa.Column("unit", sa.String(length=200), nullable=False),
        sa.Column("manual_order", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["election_id"],
            ["elections.id"],
            name=op.f("fk_candidates_election_id_elections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_candidates")),
    )
    op.create_index(op.f("ix_candidates_election_id"), "candidates", ["election_id"])
    op.create_table(
        "print_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("layout", sa.JSON(), nullable=False),
        sa.Column("printed_by", sa.String(length=120), nullable=False),
        sa.Column("printed_at", sa.DateTime(), nullable=False),
        sa.Column("voided_at", sa.DateTime(), nullable=True),
        sa.Column("voided_by", sa.String(length=120), nullable=True),
        sa.Column("void_reason", sa.String(length=300), nullable=True),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["ballot_rounds.id"],
            name=op.f("fk_print_runs_round_id_ballot_rounds"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_print_runs")),
    )
    op.create_index(op.f("ix_print_runs_round_id"), "print_runs", ["round_id"])
    op.create_table(
        "issued_serials",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("election_id", sa.Integer(), nullable=False),
        sa.Column("print_run_id", sa.Integer(), nullable=False),
        sa.Column("serial", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["election_id"],
            ["elections.id"],
            name=op.f("fk_issued_serials_election_id_elections"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["print_run_id"],
            ["print_runs.id"],
            name=op.f("fk_issued_serials_print_run_id_print_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_issued_serials")),
        sa.UniqueConstraint("election_id", "serial", name="uq_issued_serials_election_id_serial"),
    )
    op.create_index(op.f("ix_issued_serials_print_run_id"), "issued_serials", ["print_run_id"])


def downgrade() -> None:
    op.drop_table("issued_serials")
    op.drop_table("print_runs")
    op.drop_table("candidates")
    op.drop_table("ballot_rounds")
    op.drop_table("elections")
