"""What organizers download and upload around the setup (issue 22): the import templates, the
unknown columns of a file, voiding a print run after a page that says what follows, and the
warning while links and QR codes would point at this computer only."""

from __future__ import annotations

import dataclasses
import io
import re
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from starlette.testclient import TestClient

from ballots.models import PrintRun
from congress.db import Database
from congress.models import Delegate
from congress.settings import Settings, is_loopback_url
from tests.ballots.count_helpers import printed_election
from tests.conftest import login
from tests.congress.test_vietnamese_pages import english_on, english_words, visible_text


def _xlsx_rows(data: bytes) -> tuple[list[list[Any]], list[str]]:
    book = load_workbook(io.BytesIO(data))
    first = [[c for c in row] for row in book.worksheets[0].iter_rows(values_only=True)]
    return first, book.sheetnames


def _fill(template: bytes, rows: list[list[Any]]) -> bytes:
    book = load_workbook(io.BytesIO(template))
    for row in rows:
        book.worksheets[0].append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_delegate_template_imports_once_filled(
    client: TestClient, db: Database, make_user: Any, register: dict[str, Any]
) -> None:
    slug = register["slug"]
    csrf = login(client, "btc", make_user("btc", "organizer"))
    page = client.get(f"/c/{slug}/delegates/import")
    assert f'href="/c/{slug}/delegates/template.xlsx"' in page.text
    got = client.get(f"/c/{slug}/delegates/template.xlsx")
    assert got.status_code == 200 and got.headers["content-type"].startswith(
        "application/vnd.openxmlformats"
    )
    rows, sheets = _xlsx_rows(got.content)
    assert rows == [["Mã đại biểu", "Họ và tên", "Ngày sinh", "Giới tính", "Đoàn đại biểu",
                     "Loại đại biểu", "Chức vụ", "Đơn vị", "Điện thoại", "Email"]]  # fmt: skip
    assert sheets == ["Đại biểu", "Hướng dẫn"]
    filled = _fill(got.content, [
        ["MB01", "Đỗ Thị Mai", "03/04/1996", "Nữ", "Đoàn Khối Doanh nghiệp", "Dự khuyết",
         "Bí thư", "Công ty Điện lực", "0912 111 222", "mai@example.vn"],
    ])  # fmt: skip
    imported = client.post(
        f"/c/{slug}/delegates/import",
        data={"csrf_token": csrf},
        files={"file": ("mau.xlsx", filled, "application/octet-stream")},
    )
    assert imported.status_code == 200, imported.text
    assert "Đã nhập" in imported.text and "Cột không nhận ra" not in imported.text
    with db.session() as session:
        mai = session.scalar(select(Delegate).where(Delegate.code == "MB01"))
        assert mai is not None and mai.kind == "alternate" and mai.email == "mai@example.vn"
    observer = TestClient(client.app)
    login(observer, "qs", make_user("qs", "observer"))
    assert observer.get(f"/c/{slug}/delegates/template.xlsx").status_code == 403


def test_unknown_delegate_columns_are_reported_after_the_import(
    client: TestClient, make_user: Any, register: dict[str, Any]
) -> None:
    slug = register["slug"]
    csrf = login(client, "btc", make_user("btc", "organizer"))
    data = "Họ và tên;Đoàn đại biểu;Quê quán\nVũ Văn Nam;Đoàn Quận 1;Nam Định\n".encode()
    page = client.post(
        f"/c/{slug}/delegates/import",
        data={"csrf_token": csrf},
        files={"file": ("ds.csv", data, "text/csv")},
    )
    assert page.status_code == 200
    assert "Đã nhập" in page.text and "Cột không nhận ra (bỏ qua): Quê quán" in page.text


def test_candidate_template_and_unknown_columns(
    client: TestClient, db: Database, make_user: Any, register: dict[str, Any]
) -> None:
    slug = register["slug"]
    csrf = login(client, "btc", make_user("btc", "organizer"))
    listing = client.get(f"/c/{slug}/elections")
    assert f"/c/{slug}/elections/candidates-template.xlsx" in listing.text
    got = client.get(f"/c/{slug}/elections/candidates-template.xlsx")
    rows, sheets = _xlsx_rows(got.content)
    assert rows == [["Họ và tên", "Ngày sinh", "Giới tính", "Chức vụ", "Đơn vị", "Thứ tự"]]
    assert sheets == ["Ứng cử viên", "Hướng dẫn"]
    form = {"csrf_token": csrf, "title": "Bầu Ban Chấp hành", "form": "strike", "seats": "1"}
    # A column the list cannot read ("Năm sinh") is refused with its name, nothing created.
    unknown = "Họ và tên;Năm sinh\nNguyễn Văn An;1990\nLê Thị Bình;1992\n".encode()
    refused = client.post(
        f"/c/{slug}/elections/new", data=form, files={"candidates": ("c.csv", unknown, "text/csv")}
    )
    assert refused.status_code == 422
    assert "Năm sinh" in refused.text and "Cột không nhận ra" in refused.text
    assert "Chưa có cuộc bầu cử nào" in client.get(f"/c/{slug}/elections").text
    filled = _fill(got.content, [["Nguyễn Văn An", "01/02/1990"], ["Lê Thị Bình", "03/04/1991"]])
    created = client.post(
        f"/c/{slug}/elections/new",
        data=form,
        files={"candidates": ("c.xlsx", filled, "application/octet-stream")},
        follow_redirects=False,
    )
    assert created.status_code == 303, created.text
    assert "Nguyễn Văn An" in client.get(created.headers["location"]).text


def test_void_asks_first_and_names_the_run(
    client: TestClient,
    db: Database,
    settings: Settings,
    make_user: Any,
    register: dict[str, Any],
) -> None:
    slug = register["slug"]
    election = printed_election(db, settings, ballots=4)
    csrf = login(client, "kp", make_user("kp", "counting"))
    page = client.get(f"/c/{slug}/elections/{election.election_id}")
    with db.session() as session:
        run_id = session.scalars(select(PrintRun.id)).one()
    assert f"/runs/{run_id}/void" in page.text and 'class="danger"' in page.text
    url = f"/c/{slug}/elections/{election.election_id}/runs/{run_id}/void"
    assert client.post(url, data={"csrf_token": csrf, "reason": " "}).status_code == 400
    asked = client.post(url, data={"csrf_token": csrf, "reason": "in lệch trang"})
    assert asked.status_code == 200 and 'role="alertdialog"' in asked.text
    assert f"Hủy đợt in {run_id} của Bầu Ban Chấp hành Tỉnh Đoàn khóa XIX?" in asked.text
    assert "4 phiếu của lần bầu 1" in asked.text and "phải được tiêu hủy" in asked.text
    assert "in lệch trang" in asked.text and "Hủy 4 phiếu" in asked.text
    # Names are data ("Nghệ An" is not the article "an"): the congress's and the user's.
    names = {"kp", *re.findall(r"\w+", "Đại hội tỉnh Nghệ An".lower())}
    assert english_on(visible_text(asked.text), english_words(), names) == []
    with db.session() as session:
        assert session.get(PrintRun, run_id).voided_at is None  # asking changed nothing
    done = client.post(url, data={"csrf_token": csrf, "reason": "in lệch trang", "confirmed": "1"})
    assert done.status_code == 200 and f"Đã hủy đợt in {run_id}" in done.text
    with db.session() as session:
        assert session.get(PrintRun, run_id).void_reason == "in lệch trang"


@pytest.mark.parametrize(
    ("url", "loopback"),
    [
        ("http://127.0.0.1:8000", True),
        ("http://localhost:8000", True),
        ("http://[::1]:8000", True),
        ("http://127.1.2.3", True),
        ("http://0.0.0.0:8000", True),
        ("http://[::ffff:127.0.0.1]:8000", True),
        ("http://192.168.1.10:8000", False),
        ("https://daihoi.thanhdoan.vn", False),
        ("https://localhost.example.vn", False),
    ],
)
def test_loopback_addresses(url: str, loopback: bool) -> None:
    assert is_loopback_url(url) is loopback


def test_loopback_warning_on_the_printing_pages(
    client: TestClient,
    db: Database,
    settings: Settings,
    make_user: Any,
    register: dict[str, Any],
) -> None:
    slug = register["slug"]
    election = printed_election(db, settings, ballots=1)
    login(client, "btc", make_user("btc", "organizer"))
    pages = [
        f"/c/{slug}/badges",
        f"/c/{slug}/documents",
        f"/c/{slug}/elections/{election.election_id}",
    ]
    assert settings.public_url == "http://127.0.0.1:8000"  # the default, never set
    for path in pages:
        html = client.get(path).text
        assert 'id="public-url-warning"' in html, path
        assert "CONGRESS_PUBLIC_URL" in html and "http://127.0.0.1:8000" in html, path
        # Before the forms that print: the warning is read first.
        assert html.index("public-url-warning") < html.index("<form method"), path
    client.app.state.settings = dataclasses.replace(
        settings, public_url="https://daihoi.thanhdoan.vn"
    )
    for path in pages:
        assert "public-url-warning" not in client.get(path).text, path
