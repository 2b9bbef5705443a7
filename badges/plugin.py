"""The badges capability: its pages, its commands and its part of the demo."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from congress.capabilities import Capability, NavItem

HERE = Path(__file__).parent


def _routes(settings: Any) -> list[Any]:
    from badges.views import routes

    return routes()


def _commands() -> list[Any]:
    from badges.cli import badges

    return [badges]


def _demo(db: Any, *, congress_id: int, seed: int, echo: Any) -> None:
    """Make the congress key, so that the demo's badges and soft-badge links work at once."""
    from badges.service import issue_token
    from congress.models import Congress, Delegate

    with db.session() as session:
        congress = session.get(Congress, congress_id)
        first = session.query(Delegate).filter_by(congress_id=congress_id).first()
        if first is not None:
            token = issue_token(db.settings, session, first)
            echo(f"badges: soft badge of {first.full_name}: {db.settings.public_url}/b/{token}")
            echo(f"badges: print them at {db.settings.public_url}/c/{congress.slug}/badges")


def capability() -> Capability:
    return Capability(
        name="badges",
        routes=_routes,
        commands=_commands,
        templates=HERE / "templates",
        nav=(NavItem("Badges", "/c/{slug}/badges", ("organizer",)),),
        demo=_demo,
    )
