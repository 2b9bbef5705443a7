"""The ballots capability: elections, ballot printing, and their commands."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from congress.capabilities import Capability, DemoStep, NavItem, SetupStep

HERE = Path(__file__).parent


def _routes(settings: Any) -> list[Any]:
    import ballots.models  # noqa: F401 - the tables register on the shared metadata
    from ballots.views import routes

    return routes()


def _startup(app: Any) -> None:
    from ballots.counting.pages import CountingCaches

    app.state.counting_caches = CountingCaches()


def _commands() -> list[Any]:
    from ballots.audit.cli import audit, hand
    from ballots.cli import ballots, elections
    from ballots.counting.cli import count
    from ballots.proof.cli import export_command, verify_command

    # The count, the proof and the audit live in their own sub-packages; their commands sit
    # under `ballots`.
    for command in (count, audit, hand, export_command, verify_command):
        ballots.add_command(command)
    return [elections, ballots]


def _demo() -> list[DemoStep]:
    """The election of the first sitting: printed and filled into the scanner's tray; once the
    station has read it, decided, closed, sealed and verified."""
    from ballots.demo import DemoElection

    return DemoElection().steps()


def _setup(session: Any, congress: Any) -> list[SetupStep]:
    """Done once an election has its candidates."""
    from sqlalchemy import exists, select

    from ballots.models import Candidate, Election

    ready = session.scalar(
        select(
            exists()
            .where(Candidate.election_id == Election.id)
            .where(Election.congress_id == congress.id)
        )
    )
    return [SetupStep(60, "Set up the elections", "/c/{slug}/elections", bool(ready))]


def capability() -> Capability:
    return Capability(
        name="ballots",
        routes=_routes,
        commands=_commands,
        templates=HERE / "templates",
        nav=(NavItem("Elections", "/c/{slug}/elections", ("organizer", "counting", "observer")),),
        on_startup=_startup,
        demo=_demo,
        setup=_setup,
    )
