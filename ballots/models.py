"""Elections, their candidates and rounds, and every print run of ballots (for reconciliation)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from congress.models import Base, utcnow

FORMS = ("strike", "agree", "yesno", "confidence")
BASES = ("summoned", "present", "issued", "collected", "valid")
TIE_RULES = ("new_round", "older")
ORDERS = ("alphabetical", "manual")


class Election(Base):
    __tablename__ = "elections"

    id: Mapped[int] = mapped_column(primary_key=True)
    congress_id: Mapped[int] = mapped_column(
        ForeignKey("congresses.id", ondelete="CASCADE"), index=True
    )
    sitting_id: Mapped[int | None] = mapped_column(
        ForeignKey("sittings.id", ondelete="SET NULL"), nullable=True
    )
    title: Mapped[str] = mapped_column(String(300))
    form: Mapped[str] = mapped_column(String(12))
    seats: Mapped[int] = mapped_column(Integer)
    organisation: Mapped[str] = mapped_column(String(300), default="")  # ballot header lines
    threshold_base: Mapped[str] = mapped_column(String(12), default="valid")
    percentage_base: Mapped[str] = mapped_column(String(12), default="valid")
    tie_rule: Mapped[str] = mapped_column(String(12), default="new_round")
    seal_required: Mapped[bool] = mapped_column(Boolean, default=True)
    nobody_elected_invalid: Mapped[bool] = mapped_column(Boolean, default=True)
    candidate_order: Mapped[str] = mapped_column(String(12), default="alphabetical")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    candidates: Mapped[list[Candidate]] = relationship(
        back_populates="election",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="Candidate.id",
    )
    rounds: Mapped[list[BallotRound]] = relationship(
        back_populates="election",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="BallotRound.number",
    )


class Candidate(Base):
    __tablename__ = "candidates"

    id: Mapped[int] = mapped_column(primary_key=True)
    election_id: Mapped[int] = mapped_column(
        ForeignKey("elections.id", ondelete="CASCADE"), index=True
    )
    full_name: Mapped[str] = mapped_column(String(120))
    sort_key: Mapped[str] = mapped_column(String(800))
    birth_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    gender: Mapped[str | None] = mapped_column(String(10), nullable=True)
    position: Mapped[str] = mapped_column(String(200), default="")
    unit: Mapped[str] = mapped_column(String(200), default="")
    manual_order: Mapped[int] = mapped_column(Integer, default=0)

    election: Mapped[Election] = relationship(back_populates="candidates")


class BallotRound(Base):
    """One ballot of an election: round 1, then new rounds with the remaining candidates."""

    __tablename__ = "ballot_rounds"
    __table_args__ = (
        UniqueConstraint("election_id", "number", name="uq_ballot_rounds_election_id_number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    election_id: Mapped[int] = mapped_column(ForeignKey("elections.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    seats: Mapped[int] = mapped_column(Integer)
    # Candidate ids in ballot order; None for round 1 until printed (it follows the list).
    candidate_ids: Mapped[list[int] | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    election: Mapped[Election] = relationship(back_populates="rounds")
    print_runs: Mapped[list[PrintRun]] = relationship(
        back_populates="round",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="PrintRun.id",
    )


class PrintRun(Base):
    """Ballots printed at once: who, when, how many, and every serial issued."""

    __tablename__ = "print_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(
        ForeignKey("ballot_rounds.id", ondelete="CASCADE"), index=True
    )
    count: Mapped[int] = mapped_column(Integer)
    layout: Mapped[dict[str, Any]] = mapped_column(JSON)
    printed_by: Mapped[str] = mapped_column(String(120))
    printed_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    voided_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    voided_by: Mapped[str | None] = mapped_column(String(120), nullable=True)
    void_reason: Mapped[str | None] = mapped_column(String(300), nullable=True)

    round: Mapped[BallotRound] = relationship(back_populates="print_runs")


class IssuedSerial(Base):
    """Every ballot serial printed for an election: unique, so a photocopy is recognised."""

    __tablename__ = "issued_serials"
    __table_args__ = (
        UniqueConstraint("election_id", "serial", name="uq_issued_serials_election_id_serial"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    election_id: Mapped[int] = mapped_column(ForeignKey("elections.id", ondelete="CASCADE"))
    print_run_id: Mapped[int] = mapped_column(
        ForeignKey("print_runs.id", ondelete="CASCADE"), index=True
    )
    serial: Mapped[str] = mapped_column(String(32))
