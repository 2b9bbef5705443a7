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


DEMO_GATES = ("Cổng 1", "Cổng 2", "Cổng 3", "Cổng 4")


def _demo(db: Any, *, congress_id: int, seed: int, echo: Any) -> None:
    """Open the first sitting and admit all delegates but one in 25 through four gates, by the
    same path a gate's scan takes (a few badges are shown twice: the second says so)."""
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
        delegates = list(
            session.scalars(
                select(Delegate).where(Delegate.congress_id == congress_id).order_by(Delegate.id)
            )
        )
        absent = set(rng.sample(range(len(delegates)), len(delegates) // 25))
        arriving = [d for i, d in enumerate(delegates) if i not in absent]
        rng.shuffle(arriving)
        again = rng.sample(arriving, min(len(arriving), 12))
        results: dict[str, int] = {}
        for delegate in arriving + again:
            scan = ScanInput(
                scan_id=uuid.UUID(int=rng.getrandbits(128)).hex,
                sitting=first.number,
                gate=rng.choice(DEMO_GATES),
                method="camera",
                text=issue_token(db.settings, session, delegate),
            )
            result = record_scan(session, congress, scan, "demo").result
            results[result] = results.get(result, 0) + 1
        echo(
            f"check-in: sitting {first.number} open, {results.get('admitted', 0)} of "
            f"{len(delegates)} delegates admitted through {len(DEMO_GATES)} gates "
            f"({results.get('already_admitted', 0)} badges shown twice)"
        )
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
