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
    from ballots.cli_count import count
    from ballots.cli_proof import register

    ballots.add_command(count)
    register(ballots)
    return [elections, ballots]


def _demo(db: Any, *, congress_id: int, seed: int, echo: Any) -> None:
    """An Executive Committee election with Vietnamese candidates, ten ballots printed."""
    import random

    from ballots.elections import Rules, create_election, import_candidates, print_ballots
    from congress.demo_data import full_name
    from congress.models import Congress

    rng = random.Random(seed + 5)
    rows = ["Họ và tên,Ngày sinh,Giới tính,Chức vụ,Đơn vị"]
    for _ in range(60):
        gender = rng.choice(["male", "female"])
        born = f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/{rng.randint(1985, 1998)}"
        rows.append(
            f"{full_name(rng, gender)},{born},{'Nam' if gender == 'male' else 'Nữ'},"
            "Ủy viên Ban Chấp hành,Thành Đoàn Hà Nội"
        )
    with db.session() as session:
        congress = session.get(Congress, congress_id)
        election = create_election(
            session,
            congress,
            title="Bầu Ban Chấp hành Thành Đoàn khóa XVIII",
            form="strike",
            seats=45,
            actor="demo",
            sitting_number=1,
            rules=Rules(threshold_base="summoned"),
        )
        import_candidates(session, election, "\n".join(rows).encode(), "demo")
        printed = print_ballots(db.settings, session, election, 10, "demo")
        election_id = election.id
    out = db.settings.home / "demo-ballots.pdf"
    out.write_bytes(printed.pdf)
    echo(f"ballots: election {election_id} (60 candidates, 45 seats), 10 ballots in {out}")


def capability() -> Capability:
    return Capability(
        name="ballots",
        routes=_routes,
        commands=_commands,
        templates=HERE / "templates",
        nav=(NavItem("Elections", "/c/{slug}/elections", ("organizer", "counting", "observer")),),
        demo=_demo,
    )
