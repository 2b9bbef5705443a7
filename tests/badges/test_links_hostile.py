"""`badges links` of hostile names, from the desk and the CLI: every formula-like field is text."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from starlette.testclient import TestClient

from congress.db import Database
from congress.settings import Settings
from tests.conftest import login
from tests.congress.hostile_exports import (
    assert_csv_field,
    make_hostile_register,
    pdf_text,
)
from tests.congress.test_cli import run


def _formulas(register: dict[str, Any]) -> set[str]:
    names = {name for pair in register["delegates"].values() for name in pair}
    return {name for name in names if name[0] in "=+-@"}


def test_links_csv_from_the_desk_and_the_cli(
    client: TestClient, db: Database, settings: Settings, make_user: Any, tmp_path: Path
) -> None:
    register = make_hostile_register(db)
    formulas = _formulas(register)
    assert len(formulas) == 6  # three delegations and three delegates
    login(client, "btc", make_user("btc", "organizer"))
    desk = client.get(f"/c/{register['slug']}/badges/links.csv")
    assert desk.status_code == 200
    out = tmp_path / "links.csv"
    cli = run(settings, "badges", "links", "--congress", register["slug"], "--out", str(out))
    assert cli.exit_code == 0, cli.output
    for data in (desk.content, out.read_bytes()):
        for value in formulas:
            assert_csv_field(data, value)
    # The badges and the link sheet draw names as strings (never markup): they print them as is.
    for path in ("badges.pdf", "link-sheet.pdf"):
        pdf = client.get(f"/c/{register['slug']}/badges/{path}")
        assert pdf.status_code == 200, path
        text = "".join(pdf_text(pdf.content).split())
        for name, _ in register["delegates"].values():
            assert "".join(name.split()) in text, (path, name)
