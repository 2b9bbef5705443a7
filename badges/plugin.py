"""The badges capability: its pages, its commands and its part of the demo."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from congress.capabilities import Capability, DemoStage, DemoStep, DemoStory, NavItem, SetupStep

HERE = Path(__file__).parent


def _routes(settings: Any) -> list[Any]:
    from badges.views import routes

    return routes()


def _commands() -> list[Any]:
    from badges.cli import badges

    return [badges]


def _demo(story: DemoStory) -> None:
    """Every delegate's badge on A4 sheets of eight, and a soft-badge link to open on a phone."""
    from badges.cards import print_badges, select_delegates
    from badges.service import issue_token
    from congress.i18n import translator

    db, echo = story.db, story.echo
    out = db.settings.home / "demo-badges.pdf"
    with db.session() as session:
        congress = story.congress(session)
        delegates = select_delegates(session, congress, None, [])
        bar = story.bar("badges", len(delegates))
        count = print_badges(
            db.settings,
            session,
            congress,
            delegates,
            "a4-8up",
            out,
            translator(db.settings.default_language),
            actor="demo",
        )
        bar.done()
        echo(f"badges: {count} badges on A4 sheets in {out}")
        if delegates:
            token = issue_token(db.settings, session, delegates[0])
            echo(
                f"badges: soft badge of {delegates[0].full_name}: "
                f"{db.settings.public_url}/b/{token}"
            )
        echo(f"badges: print them at {db.settings.public_url}/c/{congress.slug}/badges")


def _setup(session: Any, congress: Any) -> list[SetupStep]:
    """Done once badges were printed or soft-badge links handed out (the audit log says so)."""
    from sqlalchemy import exists, select

    from badges.cards import HANDED_OUT
    from congress.models import AuditEvent

    printed = session.scalar(
        select(
            exists().where(AuditEvent.congress_id == congress.id, AuditEvent.action.in_(HANDED_OUT))
        )
    )
    return [SetupStep(30, "Print the badges", "/c/{slug}/badges", bool(printed))]


def capability() -> Capability:
    return Capability(
        name="badges",
        routes=_routes,
        commands=_commands,
        templates=HERE / "templates",
        nav=(NavItem("Badges", "/c/{slug}/badges", ("organizer",)),),
        demo=lambda: [DemoStep(DemoStage.REGISTER, _demo)],
        setup=_setup,
    )
