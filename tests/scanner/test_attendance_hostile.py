"""Attendance exports of hostile names: spreadsheet cells stay text, the PDF shows the names as text."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from congress import auth
from congress.db import Database
from congress.settings import Settings
from tests.conftest import login
from tests.congress.hostile_exports import (
    HOSTILE_CONGRESS,
    HOSTILE_SITTING,
    assert_csv_field,
    assert_xlsx_text,
    make_hostile_register,
    pdf_images,
    pdf_text,
)
from tests.congress.test_cli import run
from tests.scanner.checkin_helpers import open_doors, scan, tokens

# A gate names itself: the audit sent this one with a check-in token.
HOSTILE_GATE = "=cmd|' /C calc'!A0"


@pytest.fixture
def hostile(client: TestClient, db: Database, settings: Settings) -> dict[str, Any]:
    """The hostile register, three delegates admitted by a gate through the check-in API."""
    register = make_hostile_register(db)
    open_doors(db, register["congress_id"])
    with db.session() as session:
        _, secret = auth.create_token(session, "cong-a", ["checkin"], "test")
    badges = tokens(db, settings)
    for code in ("DB0001", "DB0002", "DB0004"):
        answer = client.post(
            f"/api/c/{register['slug']}/scans",
            json=scan(badges[code], gate=HOSTILE_GATE),
            headers={"authorization": f"Bearer {secret}"},
        )
        assert answer.status_code == 200 and answer.json()["result"] == "admitted", answer.text
    return register


def _check_spreadsheets(csv_data: bytes, xlsx_data: bytes, register: dict[str, Any]) -> None:
    names = {name for pair in register["delegates"].values() for name in pair}
    formulas = {HOSTILE_GATE, *(name for name in names if name[0] in "=+-@")}
    assert len(formulas) == 7  # the gate, three delegations and three delegates
    for value in formulas:
        assert_csv_field(csv_data, value)
        assert_xlsx_text(xlsx_data, value)
    assert_xlsx_text(xlsx_data, HOSTILE_CONGRESS)


def _check_pdf(data: bytes, register: dict[str, Any]) -> None:
    text = "".join(pdf_text(data).split())
    for _, delegation in register["delegates"].values():
        assert "".join(delegation.split()) in text, delegation
    assert "".join(HOSTILE_CONGRESS.split()) in text
    assert "".join(HOSTILE_SITTING.split()) in text
    assert pdf_images(data) == 0  # no file of the server's disk drawn into the report


def _from_the_pages(client: TestClient, slug: str, fmt: str) -> bytes:
    answer = client.get(f"/c/{slug}/attendance/1/report.{fmt}")
    assert answer.status_code == 200, answer.text
    return answer.content


def _from_the_cli(settings: Settings, slug: str, fmt: str, out: Path) -> bytes:
    args = ["checkin", "report", "--congress", slug, "--sitting", "1", "--format", fmt]
    result = run(settings, *args, "--out", str(out))
    assert result.exit_code == 0, result.output
    return out.read_bytes()


def test_attendance_spreadsheets_write_text(
    client: TestClient,
    make_user: Any,
    settings: Settings,
    hostile: dict[str, Any],
    tmp_path: Path,
) -> None:
    slug = hostile["slug"]
    login(client, "btc", make_user("btc", "organizer"))
    pages = [_from_the_pages(client, slug, fmt) for fmt in ("csv", "xlsx")]
    _check_spreadsheets(pages[0], pages[1], hostile)
    cli = [_from_the_cli(settings, slug, fmt, tmp_path / f"r.{fmt}") for fmt in ("csv", "xlsx")]
    _check_spreadsheets(cli[0], cli[1], hostile)


def test_attendance_pdf_prints_names_as_text(
    client: TestClient,
    make_user: Any,
    settings: Settings,
    hostile: dict[str, Any],
    tmp_path: Path,
) -> None:
    login(client, "btc", make_user("btc", "organizer"))
    _check_pdf(_from_the_pages(client, hostile["slug"], "pdf"), hostile)
    _check_pdf(_from_the_cli(settings, hostile["slug"], "pdf", tmp_path / "r.pdf"), hostile)
