"""Organizer pages: the import page's report, confirm-to-update flow, search and filters."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select
from starlette.testclient import TestClient

from congress import congresses
from congress.db import Database
from congress.models import Delegate
from tests.conftest import login

GOOD = (
    "Mã đại biểu;Họ và tên;Ngày sinh;Giới tính;Đoàn đại biểu;Chức vụ\n"
    "HN001;Nguyễn Thị Hoa;05/06/1994;Nữ;Quận Hoàn Kiếm;Bí thư Quận đoàn\n"
    "HN002;Trần Văn Bảo;1991-01-30;Nam;Quận Đống Đa;Phó Bí thư\n"
    "HN003;Lê Minh Châu;12/12/1996;Nữ;Quận Đống Đa;Ủy viên\n"
).encode()


def _setup(client: TestClient, db: Database, make_user: Any) -> str:
    with db.session() as session:
        congresses.create_congress(
            session,
            slug="hn-2027",
            name="Đại hội Hà Nội",
            starts_on=dt.date(2027, 5, 1),
            ends_on=dt.date(2027, 5, 2),
            actor="t",
        )
    return login(client, "btc", make_user("btc", "organizer"))


def _upload(client: TestClient, csrf: str, data: bytes, name: str = "ds.csv"):  # type: ignore[no-untyped-def]
    return client.post(
        "/c/hn-2027/delegates/import",
        data={"csrf_token": csrf},
        files={"file": (name, data, "text/csv")},
    )


def _count(db: Database) -> int:
    with db.session() as session:
        return int(session.scalar(select(func.count()).select_from(Delegate)) or 0)


def test_bad_file_shows_every_problem_and_imports_nothing(
    client: TestClient, db: Database, make_user: Any
) -> None:
    csrf = _setup(client, db, make_user)
    bad = GOOD + "HN004;Phạm Văn Đức;30/02/1990;Nam;Quận Ba Đình;\n".encode()
    page = _upload(client, csrf, bad)
    assert page.status_code == 422
    assert "30/02/1990" in page.text and "Ngày sinh" in page.text
    assert "<td>5</td>" in page.text  # the line of the file, header being line 1
    assert _count(db) == 0
    garbage = _upload(client, csrf, b"\x00\x01 not a spreadsheet", "x.xlsx")
    assert garbage.status_code in (400, 422)
    assert 'role="alert"' in garbage.text
    assert _count(db) == 0


def test_import_then_changes_need_confirmation(
    client: TestClient, db: Database, make_user: Any
) -> None:
    csrf = _setup(client, db, make_user)
    first = _upload(client, csrf, GOOD)
    assert first.status_code == 200, first.text
    assert _count(db) == 3
    changed = GOOD.replace("Phó Bí thư".encode(), "Bí thư Quận đoàn Đống Đa".encode())
    preview = _upload(client, csrf, changed)
    assert preview.status_code == 422
    assert "Bí thư Quận đoàn Đống Đa" in preview.text
    with db.session() as session:
        position = session.scalar(select(Delegate.position).where(Delegate.code == "HN002"))
    assert position == "Phó Bí thư"
    pending = preview.text.split('name="pending" value="')[1].split('"')[0]
    applied = client.post(
        "/c/hn-2027/delegates/import",
        data={"csrf_token": csrf, "pending": pending, "update": "1"},
    )
    assert applied.status_code == 200, applied.text
    with db.session() as session:
        position = session.scalar(select(Delegate.position).where(Delegate.code == "HN002"))
    assert position == "Bí thư Quận đoàn Đống Đa"
    forged = client.post(
        "/c/hn-2027/delegates/import",
        data={"csrf_token": csrf, "pending": "../../secret.key", "update": "1"},
    )
    assert forged.status_code == 400
    assert _count(db) == 3


def test_delegate_list_search_and_filters(client: TestClient, db: Database, make_user: Any) -> None:
    csrf = _setup(client, db, make_user)
    assert _upload(client, csrf, GOOD).status_code == 200
    everyone = client.get("/c/hn-2027/delegates")
    # Vietnamese order: by given name first (Bảo, Châu, Hoa).
    order = [everyone.text.index(n) for n in ("Trần Văn Bảo", "Lê Minh Châu", "Nguyễn Thị Hoa")]
    assert order == sorted(order)
    found = client.get("/c/hn-2027/delegates", params={"q": "chau"})
    assert "Lê Minh Châu" in found.text and "Nguyễn Thị Hoa" not in found.text
    women = client.get("/c/hn-2027/delegates", params={"gender": "female"})
    assert "Trần Văn Bảo" not in women.text and "Nguyễn Thị Hoa" in women.text
    api = client.get("/api/congresses/hn-2027/delegates", params={"q": "bao"})
    assert api.status_code == 200
    assert [d["full_name"] for d in api.json()["delegates"]] == ["Trần Văn Bảo"]
