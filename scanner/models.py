"""Attendance: which sittings are open at the gates, every scan, and one admission per delegate."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from congress.models import Base, UTCDateTime, utcnow


class CheckinWindow(Base):
    """A sitting's doors: open for check-in between opened_at and closed_at."""

    __tablename__ = "checkin_windows"

    sitting_id: Mapped[int] = mapped_column(
        ForeignKey("sittings.id", ondelete="CASCADE"), primary_key=True
    )
    opened_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    changed_by: Mapped[str] = mapped_column(String(120), default="")


class Scan(Base):
    """Every scan at a gate, admitted or refused; `scan_id` is made by the gate, once per scan."""

    __tablename__ = "scans"

    id: Mapped[int] = mapped_column(primary_key=True)
    scan_id: Mapped[str] = mapped_column(String(64), unique=True)
    congress_id: Mapped[int] = mapped_column(
        ForeignKey("congresses.id", ondelete="CASCADE"), index=True
    )
    sitting_id: Mapped[int | None] = mapped_column(
        ForeignKey("sittings.id", ondelete="CASCADE"), nullable=True, index=True
    )
    gate: Mapped[str] = mapped_column(String(60))
    operator: Mapped[str] = mapped_column(String(120))
    method: Mapped[str] = mapped_column(String(10))  # camera, wedge, manual
    result: Mapped[str] = mapped_column(String(30))
    delegate_id: Mapped[int | None] = mapped_column(
        ForeignKey("delegates.id", ondelete="CASCADE"), nullable=True, index=True
    )
    raw: Mapped[str] = mapped_column(String(200), default="")  # what was scanned, truncated
    fingerprint: Mapped[str] = mapped_column(String(64))  # SHA-256 of the request's content
    scanned_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)  # gate clock
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    answer: Mapped[str] = mapped_column(Text)  # the JSON answered, so a retry gets the same


class Admission(Base):
    """A delegate admitted to a sitting: at most one row per (sitting, delegate), ever."""

    __tablename__ = "admissions"
    __table_args__ = (
        UniqueConstraint("sitting_id", "delegate_id", name="uq_admissions_sitting_id_delegate_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    congress_id: Mapped[int] = mapped_column(
        ForeignKey("congresses.id", ondelete="CASCADE"), index=True
    )
    sitting_id: Mapped[int] = mapped_column(ForeignKey("sittings.id", ondelete="CASCADE"))
    delegate_id: Mapped[int] = mapped_column(
        ForeignKey("delegates.id", ondelete="CASCADE"), index=True
    )
    scan_id: Mapped[str] = mapped_column(String(64))
    gate: Mapped[str] = mapped_column(String(60))
    method: Mapped[str] = mapped_column(String(10))
    admitted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
