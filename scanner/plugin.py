"""The check-in capability: gate pages, the check-in API, attendance and its commands."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from congress.capabilities import Capability, NavItem

HERE = Path(__file__).parent


def _routes(settings: Any) -> list[Any]:
    import scanner.models  # noqa: F401 - the tables register on the shared metadata
    from scanner.views import routes

    return routes()


def _commands() -> list[Any]:
    from scanner.cli import checkin, gate_command, station_command

    return [checkin, gate_command, station_command]


def _demo(db: Any, *, congress_id: int, seed: int, echo: Any) -> None:
    """Open the first sitting and admit about four in five delegates through the gates' path."""
    import random
    import uuid

    from sqlalchemy import select

    from badges.service import issue_token
    from congress.models import Congress, Delegate
    from scanner.checkin import ScanInput, record_scan, set_doors

    rng = random.Random(seed)
    with db.write_session() as session:
        congress = session.get(Congress, congress_id)
        first = congress.sittings[0]
        set_doors(session, first, True, "demo")
        admitted = 0
        for delegate in session.scalars(
            select(Delegate).where(Delegate.congress_id == congress_id).order_by(Delegate.id)
        ):
            if rng.random() < 0.8:
                scan = ScanInput(
                    scan_id=uuid.UUID(int=rng.getrandbits(128)).hex,
                    sitting=first.number,
                    gate=rng.choice(["Cổng A", "Cổng B", "Cổng C"]),
                    method="camera",
                    text=issue_token(db.settings, session, delegate),
                )
                admitted += record_scan(session, congress, scan, "demo")["result"] == "admitted"
        echo(f"check-in: sitting {first.number} open, {admitted} delegates admitted")
        echo(f"check-in: gate page {db.settings.public_url}/c/{congress.slug}/gate")


def capability() -> Capability:
    return Capability(
        name="scanner",
        routes=_routes,
        commands=_commands,
        templates=HERE / "templates",
        nav=(
            NavItem("Attendance", "/c/{slug}/attendance", ("organizer", "observer", "checkin")),
            NavItem("Gate", "/c/{slug}/gate", ("checkin", "organizer")),
        ),
        demo=_demo,
    )
