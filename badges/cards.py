"""From the register to printable badges, soft-badge links and per-delegation link sheets."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, cast

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from badges.pdf import BadgeCard, Layout
from badges.service import issue_token
from congress import audit
from congress.errors import CongressError
from congress.exports import csv_document
from congress.i18n import Translator
from congress.models import Congress, Delegate, Delegation
from congress.settings import Settings
from congress.storage import FileStore

# The audit actions of badges handed out, on paper or as links: the overview's "badges" step
# is done once one of them is in the congress's audit log.
HANDED_OUT = ("badges.printed", "badges.links")


def soft_badge_url(settings: Settings, token: str) -> str:
    return f"{settings.public_url}/b/{token}"


def portal_url(settings: Settings, congress: Congress) -> str:
    """The documents portal of the congress (the second, small QR on every badge)."""
    return f"{settings.public_url}/p/{congress.slug}"


def congress_dates(tr: Translator, congress: Congress) -> str:
    if congress.starts_on == congress.ends_on:
        return tr.date(congress.starts_on)
    return f"{tr.date(congress.starts_on)} – {tr.date(congress.ends_on)}"


def select_delegates(
    session: Session,
    congress: Congress,
    delegation: str | None = None,
    codes: Sequence[str] | None = None,
) -> list[Delegate]:
    """The delegates to print, in Vietnamese name order; unknown names or codes are refused."""
    stmt = (
        select(Delegate)
        .where(Delegate.congress_id == congress.id)
        .options(selectinload(Delegate.delegation))
        .order_by(Delegate.sort_key, Delegate.id)
    )
    if delegation:
        delegation_id = session.scalar(
            select(Delegation.id).where(
                Delegation.congress_id == congress.id, Delegation.name == delegation.strip()
            )
        )
        if delegation_id is None:
            raise CongressError(
                "unknown_delegation", "No delegation named %(name)s", name=delegation
            )
        stmt = stmt.where(Delegate.delegation_id == delegation_id)
    wanted = [c.strip() for c in codes or () if c.strip()]
    if wanted:
        stmt = stmt.where(Delegate.code.in_(wanted))
    found = list(session.scalars(stmt))
    missing = sorted(set(wanted) - {d.code for d in found})
    if missing:
        raise CongressError(
            "unknown_delegate_codes",
            "No delegate with the code(s) %(codes)s",
            codes=", ".join(missing),
        )
    if not found:
        raise CongressError("no_delegates", "There are no delegates to print")
    return found


def badge_cards(
    settings: Settings,
    session: Session,
    congress: Congress,
    delegates: Sequence[Delegate],
    tr: Translator,
) -> list[BadgeCard]:
    store = FileStore(settings.files_dir)
    dates = congress_dates(tr, congress)
    portal = portal_url(settings, congress)
    cards = []
    for delegate in delegates:
        photo = None
        if delegate.photo_sha256 and store.exists(delegate.photo_sha256):
            photo = store.get(delegate.photo_sha256)
        cards.append(
            BadgeCard(
                congress_name=congress.name,
                congress_dates=dates,
                full_name=delegate.full_name,
                delegation=delegate.delegation.name,
                position=delegate.position,
                unit=delegate.unit,
                kind="alternate" if delegate.kind == "alternate" else "full",
                photo=photo,
                token=issue_token(settings, session, delegate),
                portal_url=portal,
            )
        )
    return cards


def print_badges(
    settings: Settings,
    session: Session,
    congress: Congress,
    delegates: Sequence[Delegate],
    layout: str,
    out: BinaryIO | Path,
    tr: Translator,
    progress: Callable[[int], None] | None = None,
    actor: str = "",
) -> int:
    """Render the badges of `delegates` as one PDF (recorded in the audit log); returns the
    number of badges."""
    from badges.pdf import LAYOUTS, render_badges

    if layout not in LAYOUTS:
        raise CongressError("unknown_layout", "Unknown layout %(layout)s", layout=str(layout))
    cards = badge_cards(settings, session, congress, delegates, tr)
    render_badges(cards, cast(Layout, layout), out, progress=progress)
    audit.record(
        session,
        actor,
        HANDED_OUT[0],
        congress_id=congress.id,
        subject=congress.slug,
        layout=layout,
        count=len(cards),
    )
    return len(cards)


@dataclass(frozen=True)
class BadgeLink:
    code: str
    full_name: str
    delegation: str
    kind: str
    url: str


def badge_links(
    settings: Settings,
    session: Session,
    congress: Congress,
    delegates: Sequence[Delegate],
    actor: str = "",
) -> list[BadgeLink]:
    """The soft-badge link of each delegate whose badge is not revoked (handing them out is
    recorded in the audit log)."""
    audit.record(
        session, actor, HANDED_OUT[1], congress_id=congress.id, subject=congress.slug,
        count=len(delegates),
    )  # fmt: skip
    return [
        BadgeLink(
            code=d.code,
            full_name=d.full_name,
            delegation=d.delegation.name,
            kind=d.kind,
            url=soft_badge_url(settings, issue_token(settings, session, d)),
        )
        for d in delegates
        if d.revoked_at is None
    ]


def links_csv(links: Sequence[BadgeLink], tr: Translator) -> bytes:
    """UTF-8 with BOM, so that Excel opens the Vietnamese names correctly."""
    header = [
        tr.gettext("Code"),
        tr.gettext("Full name"),
        tr.gettext("Delegation"),
        tr.gettext("Kind"),
        tr.gettext("Soft badge link"),
    ]
    rows = [
        [
            link.code,
            link.full_name,
            link.delegation,
            tr.gettext("Alternate") if link.kind == "alternate" else tr.gettext("Full delegate"),
            link.url,
        ]
        for link in links
    ]
    return csv_document([header, *rows])
