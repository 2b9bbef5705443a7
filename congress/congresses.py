"""Congresses, their sittings and delegations, and the delegate list with search and filters."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, joinedload

from congress import audit
from congress.auth import Principal
from congress.errors import Conflict, CongressError, NotFound
from congress.i18n import DEFAULT_TIME_ZONE, known_time_zone, utc_from_local
from congress.models import Congress, Delegate, Delegation, Sitting
from congress.vietnamese import fold, nfc

SITTING_TITLE_MAX = 300  # the column's width
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}[a-z0-9]$")

# Least data (issue 21): what a staff member may read of a delegate, decided here for every page,
# API answer and export. The gate, the counting committee and observers recognise a delegate by
# name, code, delegation, kind and photo; the personal fields serve only those who keep the
# register (and contact delegates), so a lost gate phone or an observer's screen leaks none.
DELEGATE_FIELDS: frozenset[str] = frozenset(
    {
        "id",
        "code",
        "full_name",
        "gender",
        "delegation",
        "kind",
        "position",
        "unit",
        "badge_version",
        "revoked",
    }
)
PERSONAL_FIELDS: frozenset[str] = frozenset({"birth_date", "phone", "email"})
EVERY_FIELD: frozenset[str] = DELEGATE_FIELDS | PERSONAL_FIELDS  # the operator at the console
PERSONAL_DATA_ROLES = ("organizer",)  # and admin, who holds every role


def visible_fields(who: Principal | None) -> frozenset[str]:
    """The delegate fields `who` may read: the personal ones only for organizers and admins."""
    if who is not None and who.has(*PERSONAL_DATA_ROLES):
        return EVERY_FIELD
    return DELEGATE_FIELDS


def get_congress(session: Session, slug: str) -> Congress:
    congress = session.scalar(select(Congress).where(Congress.slug == slug))
    if congress is None:
        raise NotFound("unknown_congress", "No congress with the code %(slug)s", slug=slug)
    return congress


def list_congresses(session: Session) -> list[Congress]:
    return list(session.scalars(select(Congress).order_by(Congress.starts_on.desc(), Congress.id)))


def create_congress(
    session: Session,
    *,
    slug: str,
    name: str,
    starts_on: dt.date,
    ends_on: dt.date,
    venue: str = "",
    organisation: str = "",
    time_zone: str = DEFAULT_TIME_ZONE,
    actor: str,
) -> Congress:
    slug = slug.strip().lower()
    zone_name = known_time_zone(time_zone[:64])
    if zone_name is None:
        raise CongressError(
            "unknown_time_zone",
            "%(zone)s is not a time zone; name one such as Asia/Ho_Chi_Minh",
            zone=time_zone[:64],
        )
    name = nfc(name)
    if not SLUG_RE.match(slug):
        raise CongressError(
            "bad_slug",
            "The code must be 3-64 lower-case letters, digits or dashes, e.g. hanoi-2026",
        )
    if not name:
        raise CongressError("empty_name", "The congress needs a name")
    if ends_on < starts_on:
        raise CongressError("bad_dates", "The congress cannot end before it starts")
    if session.scalar(select(Congress.id).where(Congress.slug == slug)):
        raise Conflict(
            "congress_exists", "A congress with the code %(slug)s already exists", slug=slug
        )
    congress = Congress(
        slug=slug,
        name=name,
        starts_on=starts_on,
        ends_on=ends_on,
        venue=nfc(venue),
        organisation=nfc(organisation),
        time_zone=zone_name,
    )
    session.add(congress)
    session.flush()
    audit.record(session, actor, "congress.create", congress_id=congress.id, subject=slug)
    return congress


def add_sitting(
    session: Session, congress: Congress, *, title: str, starts_at: dt.datetime, actor: str
) -> Sitting:
    """A sitting starting at `starts_at`: a naive value is the wall time organizers typed, in the
    congress's zone; an aware one is the instant it names."""
    try:
        starts_at = utc_from_local(starts_at, congress.time_zone)
    except ValueError as exc:
        raise CongressError("bad_date", "%(field)s is not a date", field="starts_at") from exc
    title = nfc(title).strip()
    if not title:
        raise CongressError("empty_title", "The sitting needs a title")
    if len(title) > SITTING_TITLE_MAX:
        raise CongressError(
            "long_title",
            "A sitting's title has at most %(max)s characters",
            max=SITTING_TITLE_MAX,
        )
    number = (
        session.scalar(select(func.max(Sitting.number)).where(Sitting.congress_id == congress.id))
        or 0
    ) + 1
    sitting = Sitting(congress_id=congress.id, number=number, title=title, starts_at=starts_at)
    session.add(sitting)
    session.flush()
    audit.record(session, actor, "sitting.add", congress_id=congress.id, subject=title)
    return sitting


def add_delegation(session: Session, congress: Congress, name: str, actor: str) -> Delegation:
    name = nfc(name)
    if not name:
        raise CongressError("empty_name", "The delegation needs a name")
    exists = session.scalar(
        select(Delegation).where(Delegation.congress_id == congress.id, Delegation.name == name)
    )
    if exists:
        raise Conflict("delegation_exists", "The delegation %(name)s already exists", name=name)
    delegation = Delegation(congress_id=congress.id, name=name)
    session.add(delegation)
    session.flush()
    audit.record(session, actor, "delegation.add", congress_id=congress.id, subject=name)
    return delegation


def delegation_counts(session: Session, congress: Congress) -> list[tuple[Delegation, int, int]]:
    """Each delegation with its number of full delegates and alternates."""
    rows = session.execute(
        select(
            Delegation,
            func.count(Delegate.id).filter(Delegate.kind == "full"),
            func.count(Delegate.id).filter(Delegate.kind == "alternate"),
        )
        .outerjoin(Delegate, Delegate.delegation_id == Delegation.id)
        .where(Delegation.congress_id == congress.id)
        .group_by(Delegation.id)
        .order_by(Delegation.name)
    ).all()
    return [(d, int(full), int(alt)) for d, full, alt in rows]


@dataclass(frozen=True)
class DelegateQuery:
    text: str = ""
    delegation_id: int | None = None
    kind: str | None = None
    gender: str | None = None
    page: int = 1
    per_page: int = 50


def find_delegates(
    session: Session, congress: Congress, query: DelegateQuery
) -> tuple[list[Delegate], int]:
    """The delegates matching the query, in Vietnamese name order, and the total count."""
    stmt = select(Delegate).where(Delegate.congress_id == congress.id)
    if query.text:
        for word in fold(query.text).split():
            pattern = "%" + word.replace("\\", "").replace("%", "").replace("_", "") + "%"
            stmt = stmt.where(or_(Delegate.search_text.like(pattern)))
    if query.delegation_id:
        stmt = stmt.where(Delegate.delegation_id == query.delegation_id)
    if query.kind:
        stmt = stmt.where(Delegate.kind == query.kind)
    if query.gender:
        stmt = stmt.where(Delegate.gender == query.gender)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    page = max(query.page, 1)
    rows = session.scalars(
        stmt.options(joinedload(Delegate.delegation))
        .order_by(Delegate.sort_key, Delegate.id)
        .offset((page - 1) * query.per_page)
        .limit(query.per_page)
    ).all()
    return list(rows), int(total)
