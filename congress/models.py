"""The core tables: congresses, sittings, delegations, delegates, staff, tokens, audit, files."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Dialect,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from congress.i18n import DEFAULT_TIME_ZONE, N_

ROLES = ("admin", "organizer", "checkin", "counting", "observer")
# The roles as people call them (msgids), for every page and message that names one.
ROLE_NAMES = {
    "admin": N_("administrator"),
    "organizer": N_("organizing committee"),
    "checkin": N_("check-in staff"),
    "counting": N_("counting committee"),
    "observer": N_("observer"),
}
GENDERS = ("male", "female", "other")
DELEGATE_KINDS = ("full", "alternate")

# Stable constraint names, so migrations can refer to them on every backend.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    """Now, as an aware UTC instant: what every `UTCDateTime` column stores."""
    return dt.datetime.now(dt.UTC)


class NaiveDateTime(ValueError):
    """A datetime without a zone offered to the database: nobody can tell which instant it is."""


class UTCDateTime(TypeDecorator[dt.datetime]):
    """An instant: stored as UTC (a plain timestamp column), always read back as aware UTC.

    A naive datetime is refused: a wall time means an instant only with its zone, which the
    caller knows (`congress.i18n.utc_from_local` for a time an organizer typed). The column is a
    plain `DateTime`, so the schema is the same on SQLite and PostgreSQL as before; rows written
    by older code hold naive UTC and read back the same.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if not isinstance(value, dt.datetime):
            raise TypeError(f"an instant must be a datetime, not {type(value).__name__}")
        if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
            raise NaiveDateTime(f"a naive datetime cannot be stored as an instant: {value!r}")
        return value.astimezone(dt.UTC).replace(tzinfo=None)

    def process_result_value(
        self, value: dt.datetime | None, dialect: Dialect
    ) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dict[str, Any]: JSON}


class Congress(Base):
    __tablename__ = "congresses"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    organisation: Mapped[str] = mapped_column(String(300), default="")
    starts_on: Mapped[dt.date] = mapped_column(Date)
    ends_on: Mapped[dt.date] = mapped_column(Date)
    venue: Mapped[str] = mapped_column(String(300), default="")
    # Quorum: present must be more than (or at least) numerator/denominator of the base.
    quorum_numerator: Mapped[int] = mapped_column(Integer, default=2)
    quorum_denominator: Mapped[int] = mapped_column(Integer, default=3)
    quorum_strict: Mapped[bool] = mapped_column(Boolean, default=True)
    quorum_base: Mapped[str] = mapped_column(String(20), default="summoned")
    # Ed25519 public key (base64) that signs this congress's badges and ballot serials; the
    # private half stays in the data directory of the machine that signs (congress.signing).
    public_key: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # The IANA zone of the place the congress meets: every instant is shown in it, to everyone.
    time_zone: Mapped[str] = mapped_column(
        String(64), default=DEFAULT_TIME_ZONE, server_default=DEFAULT_TIME_ZONE
    )
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    sittings: Mapped[list[Sitting]] = relationship(
        back_populates="congress",
        order_by="Sitting.number",
        cascade="all, delete-orphan",
        passive_deletes=True,  # the database's ON DELETE CASCADE removes them
    )
    delegations: Mapped[list[Delegation]] = relationship(
        back_populates="congress",
        order_by="Delegation.name",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )


class Sitting(Base):
    __tablename__ = "sittings"
    __table_args__ = (UniqueConstraint("congress_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    congress_id: Mapped[int] = mapped_column(ForeignKey("congresses.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    # Organizers type the congress's wall time; it is stored as the instant it names.
    starts_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)

    congress: Mapped[Congress] = relationship(back_populates="sittings")


class Delegation(Base):
    __tablename__ = "delegations"
    __table_args__ = (UniqueConstraint("congress_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    congress_id: Mapped[int] = mapped_column(ForeignKey("congresses.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))

    congress: Mapped[Congress] = relationship(back_populates="delegations")
    # Never null out a delegate's delegation: the database refuses deleting a delegation that
    # still has delegates, and deleting the congress removes both.
    delegates: Mapped[list[Delegate]] = relationship(
        back_populates="delegation", passive_deletes="all"
    )


class Delegate(Base):
    __tablename__ = "delegates"
    __table_args__ = (UniqueConstraint("congress_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    congress_id: Mapped[int] = mapped_column(ForeignKey("congresses.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(32))
    full_name: Mapped[str] = mapped_column(String(120))
    sort_key: Mapped[str] = mapped_column(String(800), index=True)
    search_text: Mapped[str] = mapped_column(String(600), default="")
    gender: Mapped[str | None] = mapped_column(String(10), nullable=True)
    birth_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    delegation_id: Mapped[int] = mapped_column(ForeignKey("delegations.id"))
    kind: Mapped[str] = mapped_column(String(10), default="full")
    position: Mapped[str] = mapped_column(String(200), default="")
    unit: Mapped[str] = mapped_column(String(200), default="")
    photo_sha256: Mapped[str | None] = mapped_column(
        ForeignKey("stored_files.sha256"), nullable=True
    )
    phone: Mapped[str | None] = mapped_column(String(40), nullable=True)
    email: Mapped[str | None] = mapped_column(String(200), nullable=True)
    badge_version: Mapped[int] = mapped_column(Integer, default=1)
    badge_replaced_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    delegation: Mapped[Delegation] = relationship(back_populates="delegates")


class StaffUser(Base):
    __tablename__ = "staff_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    full_name: Mapped[str] = mapped_column(String(120), default="")
    password_hash: Mapped[str] = mapped_column(String(200))
    roles: Mapped[str] = mapped_column(String(200))  # comma-separated, from ROLES
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def role_set(self) -> frozenset[str]:
        return frozenset(r for r in self.roles.split(",") if r)


class WebSession(Base):
    """A signed-in browser: its cookie holds a secret whose SHA-256 is the row's key.

    The signed cookie alone cannot be taken back; this row can: logout, a password change or an
    admin ending someone's sessions delete it, and a session idle too long is refused.
    """

    __tablename__ = "web_sessions"

    secret_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    # Exactly one of the two: a staff user's session or a delegate's phone on the portal.
    staff_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_users.id", ondelete="CASCADE"), nullable=True, index=True
    )
    delegate_id: Mapped[int | None] = mapped_column(
        ForeignKey("delegates.id", ondelete="CASCADE"), nullable=True, index=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class ApiToken(Base):
    """A bearer token for a station or gate; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    roles: Mapped[str] = mapped_column(String(200))
    created_by: Mapped[str] = mapped_column(String(80), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)

    @property
    def role_set(self) -> frozenset[str]:
        return frozenset(r for r in self.roles.split(",") if r)


class AuditEvent(Base):
    """Append-only record of who did what, when (database triggers refuse updates and deletes)."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(80), index=True)
    congress_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    subject: Mapped[str] = mapped_column(String(200), default="")
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class StoredFile(Base):
    """A file in the content-addressed store (files/<sha[:2]>/<sha>)."""

    __tablename__ = "stored_files"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(Integer)
    content_type: Mapped[str] = mapped_column(String(100))
    original_name: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
