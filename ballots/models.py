"""Elections, their candidates and rounds, and every print run of ballots (for reconciliation)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ballots.reading.recorded import RecordedReading
from congress.models import Base, UTCDateTime, utcnow

FORMS = ("strike", "agree", "yesno", "confidence")
# "net_summoned": delegates summoned less those absent for reasons the congress accepts
# (Regulation 190-QĐ/TW Art. 30), the latter entered with the count.
BASES = ("summoned", "net_summoned", "present", "issued", "collected", "valid")
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
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

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
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

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
    printed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    voided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
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


COUNT_STATES = ("open", "closed")
DECISION_KINDS = ("decide", "confirm", "reopen")


class Count(Base):
    """The counting of one ballot round by the counting committee: its figures and its lock."""

    __tablename__ = "counts"

    id: Mapped[int] = mapped_column(primary_key=True)
    election_id: Mapped[int] = mapped_column(
        ForeignKey("elections.id", ondelete="CASCADE"), index=True
    )
    round_id: Mapped[int] = mapped_column(
        ForeignKey("ballot_rounds.id", ondelete="CASCADE"), unique=True
    )
    members: Mapped[list[str]] = mapped_column(JSON, default=list)
    issued: Mapped[int] = mapped_column(Integer, default=0)
    collected: Mapped[int] = mapped_column(Integer, default=0)
    two_person_rule: Mapped[bool] = mapped_column(Boolean, default=True)
    # Every ballot the machine finds invalid or cannot place waits for the committee (counts
    # opened before ballots_0003 counted them without a decision, and stay so).
    committee_decides_invalid: Mapped[bool] = mapped_column(Boolean, default=True)
    # Delegates absent for reasons the congress accepts (Art. 30); None: not entered.
    excused: Mapped[int | None] = mapped_column(Integer, nullable=True)
    state: Mapped[str] = mapped_column(String(8), default="open")
    opened_by: Mapped[str] = mapped_column(String(120))
    opened_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_by: Mapped[str | None] = mapped_column(String(120), nullable=True)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Why issued, collected, scanned and counted disagree, when they do at closing.
    explanation: Mapped[str] = mapped_column(Text, default="")
    # Frozen at closing: the tally (TallyResult.to_dict()) and the figures it used.
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    # The audit bundle's root hash and the stored bundle file, once exported at closing.
    root_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    bundle_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)

    round: Mapped[BallotRound] = relationship()


class CountedBallot(Base):
    """One scanned ballot: its image (content-addressed, unaltered) and its reading, never changed.

    The database refuses updates of these rows; a decision on a ballot is a new BallotDecision.
    """

    __tablename__ = "counted_ballots"
    __table_args__ = (
        UniqueConstraint(
            "count_id", "image_sha256", name="uq_counted_ballots_count_id_image_sha256"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    count_id: Mapped[int] = mapped_column(ForeignKey("counts.id", ondelete="CASCADE"), index=True)
    image_sha256: Mapped[str] = mapped_column(ForeignKey("stored_files.sha256"))
    file_name: Mapped[str] = mapped_column(String(300))
    serial: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    reading: Mapped[dict[str, Any]] = mapped_column(JSON)
    machine_status: Mapped[str] = mapped_column(String(12))
    # The first ballot with the same serial: this copy is flagged and left out of the tally.
    duplicate_of: Mapped[int | None] = mapped_column(
        ForeignKey("counted_ballots.id", ondelete="CASCADE"), nullable=True
    )
    station: Mapped[str] = mapped_column(String(80), default="")
    received_by: Mapped[str] = mapped_column(String(120), default="")
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def recorded(self) -> RecordedReading:
        """The machine reading, typed (it was validated when the ballot was received)."""
        return RecordedReading.from_dict(self.reading)


class BallotDecision(Base):
    """One act of the committee on a ballot: decide, confirm (second member) or re-open.

    Append-only (the database refuses updates): the machine reading stays as read, and every
    decision keeps who, when and why.
    """

    __tablename__ = "ballot_decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    ballot_id: Mapped[int] = mapped_column(
        ForeignKey("counted_ballots.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(8))
    status: Mapped[str | None] = mapped_column(String(8), nullable=True)  # valid | invalid
    reason: Mapped[str | None] = mapped_column(String(40), nullable=True)
    marks: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    note: Mapped[str] = mapped_column(Text, default="")
    actor: Mapped[str] = mapped_column(String(120))  # the account
    member: Mapped[str] = mapped_column(String(120), default="")  # the committee member named
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


# The hand audit's tables live with it; imported here so the one metadata of ballots has them.
from ballots.audit.models import AuditReading, HandAudit, HandEntry  # noqa: E402, F401
