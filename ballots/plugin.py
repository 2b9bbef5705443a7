"""The ballots capability: elections, ballot printing, and their commands."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from congress.capabilities import Capability, NavItem

HERE = Path(__file__).parent


def _routes(settings: Any) -> list[Any]:
    import ballots.models  # noqa: F401 - the tables register on the shared metadata
    from ballots.views import routes

    return routes()


def _commands() -> list[Any]:
    from ballots.cli import ballots, elections
    from ballots.counting.cli import count
    from ballots.proof.cli import export_command, verify_command

    # The count and the proof live in their own sub-packages; their commands sit under `ballots`.
    for command in (count, export_command, verify_command):
        ballots.add_command(command)
    return [elections, ballots]


def _demo(db: Any, *, congress_id: int, seed: int, echo: Any) -> None:
    """The election of the first sitting: printed, filled, scanned, counted, sealed, verified."""
    from ballots.demo import build_demo_election

    build_demo_election(db, congress_id=congress_id, seed=seed, echo=echo)


def capability() -> Capability:
    return Capability(
        name="ballots",
        routes=_routes,
        commands=_commands,
        templates=HERE / "templates",
        nav=(NavItem("Elections", "/c/{slug}/elections", ("organizer", "counting", "observer")),),
        demo=_demo,
    )
