"""Attendance numbers, the quorum rule, the exports and the check-in commands."""

from __future__ import annotations

import io
import json
from typing import Any

import pypdfium2 as pdfium
from click.testing import CliRunner
from openpyxl import load_workbook
from sqlalchemy import select
from starlette.testclient import TestClient

from badges.service import revoke
from congress import attendance as att
from congress.cli import build_cli
from congress.db import Database
from congress.models import Congress, Delegate
from congress.settings import Settings
from scanner.checkin import ScanInput, get_sitting, record_scan
from tests.conftest import login
from tests.congress.test_cli import cli_env
from tests.scanner.checkin_helpers import open_doors


def _admit(db: Database, congress_id: int, codes: list[str]) -> None:
    with db.write_session() as session:
        congress = session.get(Congress, congress_id)
        for i, code in enumerate(codes):
            answer = record_scan(
                session,
                congress,
                ScanInput(f"manual-{code}-{i:04d}", 1, "Cổng A", "manual", delegate_code=code),
                "test",
            )
            assert answer.result == "admitted", answer


def _report(db: Database, congress_id: int) -> att.Attendance:
    with db.session() as session:
        congress = session.get(Congress, congress_id)
        return att.attendance(session, congress, get_sitting(session, congress, 1), True)


def test_numbers_and_quorum_rule(db: Database, register: dict[str, Any]) -> None:
    cid = register["congress_id"]
    open_doors(db, cid)
    with db.session() as session:
        everyone = list(session.scalars(select(Delegate).order_by(Delegate.code)))
        full = [d.code for d in everyone if d.kind == "full"]
        alternates = [d.code for d in everyone if d.kind == "alternate"]
        revoke(session, session.scalar(select(Delegate).where(Delegate.code == full[-1])), "t")
    summoned = len(full) - 1  # the revoked delegate is no longer summoned
    report = _report(db, cid)
    assert (report.summoned, report.present, report.absent) == (summoned, 0, summoned)
    needed = summoned * 2 // 3 + 1  # strictly more than 2/3
    assert report.quorum_needed == needed and not report.quorum_reached
    _admit(db, cid, full[: needed - 1] + alternates[:1])
    report = _report(db, cid)
    assert report.present == needed - 1 and report.alternates_present == min(1, len(alternates))
    assert not report.quorum_reached
    _admit(db, cid, full[needed - 1 : needed])
    report = _report(db, cid)
    assert report.quorum_reached
    assert sum(r.present for r in report.rows) == needed
    with db.session() as session:
        congress = session.get(Congress, cid)
        congress.quorum_numerator, congress.quorum_denominator, congress.quorum_strict = 1, 2, False
    relaxed = _report(db, cid)
    assert relaxed.quorum_needed == -(-summoned // 2)


def test_exports_list_every_delegate(
    client: TestClient, db: Database, make_user: Any, register: dict[str, Any]
) -> None:
    cid = register["congress_id"]
    open_doors(db, cid)
    _admit(db, cid, ["DB0001", "DB0002"])
    login(client, "btc", make_user("btc", "organizer"))
    base = "/c/dai-hoi-the/attendance/1"
    page = client.get(base)
    assert page.status_code == 200
    assert 'action="/c/dai-hoi-the/attendance/1/close"' in page.text
    csv_text = client.get(base + "/report.csv").content.decode("utf-8-sig")
    lines = csv_text.strip().splitlines()
    assert len(lines) == 21
    present = [line for line in lines[1:] if "Cổng A" in line]
    assert len(present) == 2
    book = load_workbook(io.BytesIO(client.get(base + "/report.xlsx").content))
    assert book.worksheets[1].max_row == 21
    pdf = client.get(base + "/report.pdf")
    assert pdf.headers["content-type"] == "application/pdf"
    text = "".join(p.get_textpage().get_text_range() for p in pdfium.PdfDocument(pdf.content))
    assert "Nghệ An" in text and "Phiên trù bị" in text
    assert client.get(base + "/report.doc").status_code == 404
    data = client.get("/api/c/dai-hoi-the/attendance/1").json()
    assert data["present"] == 2
    assert client.get("/c/dai-hoi-the/attendance/7").status_code == 404


def test_doors_from_the_page_and_the_cli(
    client: TestClient, db: Database, settings: Settings, make_user: Any, register: dict[str, Any]
) -> None:
    csrf = login(client, "btc", make_user("btc", "organizer"))
    opened = client.post(
        "/c/dai-hoi-the/attendance/1/open", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert opened.status_code == 303
    assert client.get("/api/c/dai-hoi-the/gate/bootstrap").json()["sittings"][0]["open"] is True
    env = dict(cli_env(settings), CONGRESS_LANGUAGE="en")
    runner = CliRunner()
    closed = runner.invoke(
        build_cli(), ["checkin", "close", "--congress", "dai-hoi-the", "--sitting", "1"], env=env
    )
    assert closed.exit_code == 0, closed.output
    assert client.get("/api/c/dai-hoi-the/gate/bootstrap").json()["sittings"][0]["open"] is False
    report = runner.invoke(
        build_cli(), ["checkin", "report", "--congress", "dai-hoi-the", "--sitting", "1"], env=env
    )
    assert json.loads(report.stdout)["present"] == 0
    missing = runner.invoke(
        build_cli(), ["checkin", "open", "--congress", "dai-hoi-the", "--sitting", "4"], env=env
    )
    assert missing.exit_code == 1 and "4" in missing.stderr


def test_the_page_lists_the_absent_by_delegation_for_the_roll_call(
    client: TestClient, db: Database, make_user: Any, register: dict[str, Any]
) -> None:
    cid = register["congress_id"]
    open_doors(db, cid)
    with db.session() as session:
        everyone = list(session.scalars(select(Delegate).order_by(Delegate.code)))
        full = [(d.code, d.full_name, d.delegation.name) for d in everyone if d.kind == "full"]
        alternate = next(d.full_name for d in everyone if d.kind == "alternate")
    _admit(db, cid, [code for code, _, _ in full[:5]])
    login(client, "quansat", make_user("quansat", "observer"))
    page = client.get("/c/dai-hoi-the/attendance/1").text
    roll = page.split('id="absent"')[1].split("</section>")[0]
    for code, name, delegation in full:
        assert (name in roll) == (code not in [c for c, _, _ in full[:5]]), name
        if name in roll:
            # Under its delegation's heading.
            assert roll.rfind("<h4>", 0, roll.index(name)) == roll.rfind(
                f"<h4>{delegation} (", 0, roll.index(name)
            )
    assert alternate not in roll  # an alternate is not summoned, so never absent
    assert f"({len(full) - 5})" in roll.split("</h3>")[0]
