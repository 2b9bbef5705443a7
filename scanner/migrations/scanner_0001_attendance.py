"""Attendance: check-in windows per sitting, every scan, one admission per delegate and sitting.

Revision ID: scanner_0001_attendance
Revises: 0002_congress_public_key
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "scanner_0001_attendance"
down_revision = "0002_congress_public_key"
branch_labels = ("scanner",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "checkin_windows",
        sa.Column("sitting_id", sa.Integer(), nullable=False),
        sa.Column("opened_at", sa.DateTime(), nullable=True),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("changed_by", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(
            ["sitting_id"],
            ["sittings.id"],
            name=op.f("fk_checkin_windows_sitting_id_sittings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("sitting_id", name=op.f("pk_checkin_windows")),
    )
    op.create_table(
        "scans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scan_id", sa.String(length=64), nullable=False),
        sa.Column("congress_id", sa.Integer(), nullable=False),
        sa.Column("sitting_id", sa.Integer(), nullable=True),
        sa.Column("gate", sa.String(length=60), nullable=False),
        sa.Column("operator", sa.String(length=120), nullable=False),
        sa.Column("method", sa.String(length=10), nullable=False),
        sa.Column("result", sa.String(length=30), nullable=False),
        sa.Column("delegate_id", sa.Integer(), nullable=True),
        sa.Column("raw", sa.String(length=200), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("scanned_at", sa.DateTime(), nullable=True),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["congress_id"],
            ["congresses.id"],
            name=op.f("fk_scans_congress_id_congresses"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["sitting_id"],
            ["sittings.id"],
            name=op.f("fk_scans_sitting_id_sittings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["delegate_id"],
            ["delegates.id"],
            name=op.f("fk_scans_delegate_id_delegates"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scans")),
        sa.UniqueConstraint("scan_id", name=op.f("uq_scans_scan_id")),
    )
    op.create_index(op.f("ix_scans_congress_id"), "scans", ["congress_id"])
    op.create_index(op.f("ix_scans_sitting_id"), "scans", ["sitting_id"])
    op.create_index(op.f("ix_scans_delegate_id"), "scans", ["delegate_id"])
    op.create_table(
        "admissions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("congress_id", sa.Integer(), nullable=False),
        sa.Column("sitting_id", sa.Integer(), nullable=False),
        sa.Column("delegate_id", sa.Integer(), nullable=False),
        sa.Column("scan_id", sa.String(length=64), nullable=False),
        sa.Column("gate", sa.String(length=60), nullable=False),
        sa.Column("method", sa.String(length=10), nullable=False),
        sa.Column("admitted_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["congress_id"],
            ["congresses.id"],
            name=op.f("fk_admissions_congress_id_congresses"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["sitting_id"],
            ["sittings.id"],
            name=op.f("fk_admissions_sitting_id_sittings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["delegate_id"],
            ["delegates.id"],
            name=op.f("fk_admissions_delegate_id_delegates"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_admissions")),
        sa.UniqueConstraint(
            "sitting_id", "delegate_id", name=op.f("uq_admissions_sitting_id_delegate_id")
        ),
    )
    op.create_index(op.f("ix_admissions_congress_id"), "admissions", ["congress_id"])
    op.create_index(op.f("ix_admissions_delegate_id"), "admissions", ["delegate_id"])


def downgrade() -> None:
    op.drop_table("admissions")
    op.drop_table("scans")
    op.drop_table("checkin_windows")
