"""The hand audit's and the paper fallback's evidence: append-only rows (the database refuses
updates, as it does for scanned ballots and decisions)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from congress.models import Base, UTCDateTime, utcnow


class HandAudit(Base):
    """The hand audit of one sealed closing of a count: the public seed and the risk limit."""

    __tablename__ = "hand_audits"
    __table_args__ = (
        UniqueConstraint("count_id", "bundle_root", name="uq_hand_audits_count_id_bundle_root"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    count_id: Mapped[int] = mapped_column(ForeignKey("counts.id", ondelete="CASCADE"), index=True)
    # The Merkle root of the bundle audited: a count re-opened and closed again needs a new audit.
    bundle_root: Mapped[str] = mapped_column(String(64))
    seed: Mapped[str] = mapped_column(String(64))
    risk_limit: Mapped[str] = mapped_column(String(16))
    gamma: Mapped[str] = mapped_column(String(16))
    started_by: Mapped[str] = mapped_column(String(120))
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class AuditReading(Base):
    """One member's reading of one sampled paper ballot on one screen (the latest counts)."""

    __tablename__ = "audit_readings"

    id: Mapped[int] = mapped_column(primary_key=True)
    audit_id: Mapped[int] = mapped_column(
        ForeignKey("hand_audits.id", ondelete="CASCADE"), index=True
    )
    ballot: Mapped[str] = mapped_column(String(64))  # the ballot's image SHA-256
    slot: Mapped[int] = mapped_column(Integer)  # screen 1 or 2
    member: Mapped[str] = mapped_column(String(120))
    marked: Mapped[list[Any]] = mapped_column(JSON, default=list)
    invalid: Mapped[str | None] = mapped_column(String(40), nullable=True)
    actor: Mapped[str] = mapped_column(String(120))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class HandEntry(Base):
    """One member's entry of one paper ballot typed on the count page (the paper fallback).

    Kept as typed, once: a ballot is recorded (a counted ballot whose entry document stands for
    the image) when enough members' entries agree; an entry is never changed, a member types
    the ballot again instead (the latest counts).
    """

    __tablename__ = "hand_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    count_id: Mapped[int] = mapped_column(ForeignKey("counts.id", ondelete="CASCADE"), index=True)
    serial: Mapped[str] = mapped_column(String(32), index=True)
    member: Mapped[str] = mapped_column(String(120))
    marked: Mapped[list[Any]] = mapped_column(JSON, default=list)
    actor: Mapped[str] = mapped_column(String(120))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
