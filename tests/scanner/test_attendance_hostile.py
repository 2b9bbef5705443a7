"""Attendance exports of hostile names: spreadsheet cells stay text, the PDF shows the names as text."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from congress.db import Database
from congress.models import Congress
from congress.settings import Settings
from scanner.checkin import ScanInput, record_scan
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
from tests.scanner.checkin_helpers import open_doors

# A gate names itself: the audit sent this one with a check-in token.
HOSTILE_GATE = "=cmd|' /C calc'!A0"


@pytest.fixture
def hostile(db: Database) -> dict[str, Any]:
    register = make_hostile_register(db)
    open_doors(db, register["congress_id"])
    with db.write_session() as session:
        congress = session.get(Congress, register["congress_id"])
        for code in ("DB0001", "DB0002", "DB0004"):
            answer = record_scan(
                session,
                congress,
                ScanInput(f"manual-{code}", 1, HOSTILE_GATE, "manual", delegate_code=code),
                "test",
            )
            assert answer.result == "admitted", answer
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


def test_attendance_exports_from_the_pages(
    client: TestClient, db: Database, make_user: Any, hostile: dict[str, Any]
) -> None:
    login(client, "btc", make_user("btc", "organizer"))
    base = f"/c/{hostile['slug']}/attendance/1/report"
    answers = {fmt: client.get(f"{base}.{fmt}") for fmt in ("csv", "xlsx", "pdf")}
    assert {fmt: r.status_code for fmt, r in answers.items()} == {
        "csv": 200,
        "xlsx": 200,
        "pdf": 200,
    }
    _check_spreadsheets(answers["csv"].content, answers["xlsx"].content, hostile)
    _check_pdf(answers["pdf"].content, hostile)


def test_attendance_exports_from_the_cli(
    settings: Settings, hostile: dict[str, Any], tmp_path: Path
) -> None:
    files = {}
    for fmt in ("csv", "xlsx", "pdf"):
        out = tmp_path / f"report.{fmt}"
        args = ["checkin", "report", "--congress", hostile["slug"], "--sitting", "1"]
        result = run(settings, *args, "--format", fmt, "--out", str(out))
        assert result.exit_code == 0, result.output
        files[fmt] = out.read_bytes()
    _check_spreadsheets(files["csv"], files["xlsx"], hostile)
    _check_pdf(files["pdf"], hostile)
