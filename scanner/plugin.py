"""The check-in capability: gate pages, the check-in API, attendance and its commands."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from congress.capabilities import Capability, DemoStage, DemoStep, NavItem, SetupStep

HERE = Path(__file__).parent


def _routes(settings: Any) -> list[Any]:
    import scanner.models  # noqa: F401 - the tables register on the shared metadata
    from scanner.views import routes

    return routes()


def _commands() -> list[Any]:
    from scanner.cli import checkin, gate_command, station_command

    return [checkin, gate_command, station_command]


def _demo() -> list[DemoStep]:
    """The doors of the first sitting, then the scanner station over the demo's tray."""
    from scanner.demo import admit_delegates, scan_tray

    return [
        DemoStep(DemoStage.DOORS, admit_delegates),
        DemoStep(DemoStage.BALLOTS_SCANNED, scan_tray),
    ]


def _presence(session: Any, sitting: Any) -> dict[int, Any]:
    """Every delegate admitted to the sitting at the doors."""
    from sqlalchemy import select

    from congress.attendance import Presence
    from scanner.models import Admission

    return {
        a.delegate_id: Presence(a.delegate_id, a.admitted_at, a.gate, a.method)
        for a in session.scalars(select(Admission).where(Admission.sitting_id == sitting.id))
    }


def _setup(session: Any, congress: Any) -> list[SetupStep]:
    """Done once the doors of a sitting were opened for check-in."""
    from sqlalchemy import exists, select

    from congress.models import Sitting
    from scanner.models import CheckinWindow

    opened = session.scalar(
        select(
            exists()
            .where(CheckinWindow.opened_at.is_not(None))
            .where(CheckinWindow.sitting_id == Sitting.id, Sitting.congress_id == congress.id)
        )
    )
    return [SetupStep(50, "Open the doors of a sitting", "/c/{slug}/attendance", bool(opened))]


def capability() -> Capability:
    return Capability(
        name="scanner",
        routes=_routes,
        commands=_commands,
        templates=HERE / "templates",
        nav=(
            NavItem("Attendance", "/c/{slug}/attendance", ("organizer", "observer", "checkin")),
            NavItem("Gate", "/c/{slug}/gate", ("checkin", "organizer"), lands=("checkin",)),
        ),
        demo=_demo,
        presence=_presence,
        setup=_setup,
    )
