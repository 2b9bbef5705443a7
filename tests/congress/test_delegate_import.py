"""Delegate import: CSV and XLSX, Vietnamese and English headers, all or nothing, idempotent."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest
from sqlalchemy import func, select
from starlette.testclient import TestClient

from ballots.elections import parse_candidates
from congress import congresses
from congress.app import create_app
from congress.db import Database
from congress.delegate_import import ImportRefused, import_delegates, parse_rows
from congress.demo_data import delegate_rows, rows_to_csv, rows_to_xlsx
from congress.errors import CongressError
from congress.i18n import translator
from congress.limits import Limits, MiB
from congress.models import AuditEvent, Congress, Delegate, Delegation
from congress.settings import Settings
from tests.conftest import login
from tests.congress.hostile_archives import spaces_workbook, xlsx_with_workbook


@pytest.fixture
def congress_id(db: Database) -> int:
    with db.session() as session:
        c = congresses.create_congress(
            session,
            slug="hn-2026",
            name="Đại hội Đoàn Hà Nội",
            starts_on=dt.date(2026, 12, 1),
            ends_on=dt.date(2026, 12, 2),
            actor="test",
        )
        return c.id


def run_import(db: Database, congress_id: int, data: bytes, **kw: object):  # type: ignore[no-untyped-def]
    with db.session() as session:
        congress = session.get(Congress, congress_id)
        assert congress is not None
        return import_delegates(session, congress, data, actor="test", **kw)  # type: ignore[arg-type]


def count(db: Database, congress_id: int) -> int:
    with db.session() as session:
        return (
            session.scalar(
                select(func.count(Delegate.id)).where(Delegate.congress_id == congress_id)
            )
            or 0
        )


def test_csv_with_bom_and_vietnamese_headers(db: Database, congress_id: int) -> None:
    rows = delegate_rows(40, seed=1)
    report = run_import(db, congress_id, rows_to_csv(rows, bom=True))
    assert (report.rows, report.new, report.applied) == (40, 40, True)
    with db.session() as session:
        first = session.scalar(select(Delegate).where(Delegate.code == "DB0001"))
        assert first is not None
        assert first.full_name == rows[0]["full_name"]
        assert first.birth_date == rows[0]["birth_date"]
        assert first.gender == rows[0]["gender"]
        assert first.kind == rows[0]["kind"]
        assert first.delegation.name == rows[0]["delegation"]


def test_csv_with_semicolons_and_no_bom(db: Database, congress_id: int) -> None:
    report = run_import(db, congress_id, rows_to_csv(delegate_rows(12, seed=2), ";", bom=False))
    assert report.new == 12
    assert count(db, congress_id) == 12


def test_xlsx_with_date_cells(db: Database, congress_id: int) -> None:
    rows = delegate_rows(25, seed=3)
    report = run_import(db, congress_id, rows_to_xlsx(rows))
    assert report.new == 25
    with db.session() as session:
        d = session.scalar(select(Delegate).where(Delegate.code == "DB0025"))
        assert d is not None and d.birth_date == rows[24]["birth_date"]


def test_english_headers_and_unknown_columns_reported(db: Database, congress_id: int) -> None:
    data = (
        "Full name,Date of birth,Gender,Delegation,Position,Shoe size\n"
        "Nguyễn Văn An,1995-03-04,male,Quận Ba Đình,Bí thư,42\n"
        "Trần Thị Ánh,04/05/1996,female,Quận Ba Đình,,38\n"
    ).encode()
    report = run_import(db, congress_id, data)
    assert report.new == 2
    assert report.unknown_columns == ["Shoe size"]
    with db.session() as session:
        names = session.scalars(select(Delegate.full_name).order_by(Delegate.code)).all()
        codes = session.scalars(select(Delegate.code).order_by(Delegate.code)).all()
    assert names == ["Nguyễn Văn An", "Trần Thị Ánh"]
    assert codes == ["DB0001", "DB0002"]


def test_names_are_nfc_normalized(db: Database, congress_id: int) -> None:
    import unicodedata

    decomposed = unicodedata.normalize("NFD", "Nguyễn Thị Ánh")
    data = f"Họ và tên,Đoàn đại biểu\n{decomposed},Quận Hoàn Kiếm\n".encode()
    run_import(db, congress_id, data)
    with db.session() as session:
        name = session.scalar(select(Delegate.full_name))
    assert name == unicodedata.normalize("NFC", "Nguyễn Thị Ánh")
    assert name != decomposed


def test_bad_rows_import_nothing_and_are_reported_by_line_and_column(
    db: Database, congress_id: int
) -> None:
    data = (
        "Mã đại biểu,Họ và tên,Ngày sinh,Giới tính,Đoàn đại biểu,Email\n"
        "A1,Nguyễn Văn An,01/02/1995,Nam,Quận Ba Đình,an@example.vn\n"
        "A2,,01/02/1995,Nam,Quận Ba Đình,\n"
        "A3,Lê Văn Bình,31/02/1995,Nam,Quận Ba Đình,\n"
        "A4,Phạm Thị Cúc,01/02/1995,Bê đê,Quận Ba Đình,\n"
        "A1,Hoàng Văn Dũng,01/02/1995,Nam,Quận Ba Đình,\n"
        "A6,Đỗ Thị Em,01/02/1995,Nữ,,khong-phai-email\n"
    ).encode()
    with pytest.raises(ImportRefused) as refused:
        run_import(db, congress_id, data)
    problems = {(p.line, p.column): p for p in refused.value.report.problems}
    assert set(problems) == {
        (3, "Họ và tên"),
        (4, "Ngày sinh"),
        (5, "Giới tính"),
        (6, "Mã đại biểu"),
        (7, "Đoàn đại biểu"),
        (7, "Email"),
    }
    assert problems[(4, "Ngày sinh")].value == "31/02/1995"
    assert problems[(6, "Mã đại biểu")].params == {"first": 2}
    assert count(db, congress_id) == 0
    with db.session() as session:
        assert session.scalar(select(func.count(Delegation.id))) == 0
        assert (
            session.scalar(
                select(func.count(AuditEvent.id)).where(AuditEvent.action == "delegates.import")
            )
            == 0
        )


def test_missing_required_column(db: Database, congress_id: int) -> None:
    with pytest.raises(ImportRefused) as refused:
        run_import(db, congress_id, "Họ và tên,Chức vụ\nNguyễn Văn An,Bí thư\n".encode())
    assert [p.message for p in refused.value.report.problems] == ["Missing column %(column)s"]
    assert count(db, congress_id) == 0


def test_reimport_is_idempotent(db: Database, congress_id: int) -> None:
    data = rows_to_xlsx(delegate_rows(30, seed=4))
    first = run_import(db, congress_id, data)
    second = run_import(db, congress_id, data)
    assert (first.new, second.new, second.unchanged, len(second.changes)) == (30, 0, 30, 0)
    assert count(db, congress_id) == 30


def test_changed_rows_need_update_and_show_differences(db: Database, congress_id: int) -> None:
    rows = delegate_rows(10, seed=5)
    run_import(db, congress_id, rows_to_csv(rows))
    rows[3] = dict(rows[3], position="Bí thư Thành Đoàn", delegation="Quận Cầu Giấy")
    rows.append(dict(delegate_rows(11, seed=6)[10], code="DB0011"))
    changed = rows_to_csv(rows)
    with pytest.raises(ImportRefused) as refused:
        run_import(db, congress_id, changed)
    report = refused.value.report
    assert [c.code for c in report.changes] == ["DB0004"]
    assert report.changes[0].fields["position"][1] == "Bí thư Thành Đoàn"
    assert report.changes[0].fields["delegation"][1] == "Quận Cầu Giấy"
    assert count(db, congress_id) == 10  # the new row was not imported either

    applied = run_import(db, congress_id, changed, update=True)
    assert (applied.new, len(applied.changes), applied.unchanged) == (1, 1, 9)
    with db.session() as session:
        d = session.scalar(select(Delegate).where(Delegate.code == "DB0004"))
        assert d is not None
        assert (d.position, d.delegation.name) == ("Bí thư Thành Đoàn", "Quận Cầu Giấy")


def test_garbage_files_are_refused_clearly(db: Database, congress_id: int) -> None:
    from congress.errors import CongressError

    for data, code in [
        (b"\xff\xfe\x00\x00garbage" * 10, "not_a_table"),
        ("Họ và tên\n".encode("utf-16"), "not_a_table"),
        ("Ho va ten,Doan dai bieu\nLê Bá,Ba Dinh\n".encode("latin-1"), "not_utf8"),
        (b"PK\x03\x04broken zip", "bad_xlsx"),
        (b"%PDF-1.7 nope", "not_a_table"),
    ]:
        with pytest.raises(CongressError) as refused:
            run_import(db, congress_id, data)
        assert refused.value.code == code
    assert count(db, congress_id) == 0


def test_parse_rows_header_only_file_reports_no_rows() -> None:
    rows, report = parse_rows("Họ và tên,Đoàn đại biểu\n".encode())
    assert rows == [] and report.rows == 0 and report.ok


def test_listing_sorts_in_vietnamese_order_and_searches_without_diacritics(
    db: Database, congress_id: int
) -> None:
    data = (
        "Họ và tên,Đoàn đại biểu\nHoàng Minh Đức,X\nPhạm Đức Anh,X\nNguyễn Văn An,X\n"
        "Trần Thị Ánh,Y\nLê Ba,Y\n"
    ).encode()
    run_import(db, congress_id, data)
    with db.session() as session:
        congress = session.get(Congress, congress_id)
        assert congress is not None
        rows, total = congresses.find_delegates(session, congress, congresses.DelegateQuery())
        assert [d.full_name for d in rows] == [
            "Nguyễn Văn An",
            "Phạm Đức Anh",
            "Trần Thị Ánh",
            "Lê Ba",
            "Hoàng Minh Đức",
        ]
        found, n = congresses.find_delegates(
            session, congress, congresses.DelegateQuery(text="duc")
        )
        assert sorted(d.full_name for d in found) == ["Hoàng Minh Đức", "Phạm Đức Anh"]
        assert n == 2


def test_xlsx_decompression_bomb_is_refused_before_openpyxl_reads_it() -> None:
    bomb = xlsx_with_workbook(spaces_workbook)
    assert len(bomb) < MiB
    with pytest.raises(CongressError) as refused:
        parse_rows(bomb)
    assert refused.value.code == "archive_entry_too_large" and refused.value.status == 413
    assert "xl/workbook.xml" in refused.value.translated(translator("vi").gettext)


def test_xlsx_that_openpyxl_cannot_parse_is_a_clear_refusal() -> None:
    broken = xlsx_with_workbook(lambda member: member.write(b"<workbook><sheets><sheet"))
    with pytest.raises(CongressError) as refused:
        parse_rows(broken)
    assert refused.value.code == "bad_xlsx" and refused.value.status == 422
    # The candidates' import reads its file through the same reader.
    with pytest.raises(CongressError) as candidates:
        parse_candidates(broken)
    assert candidates.value.code == "bad_xlsx" and candidates.value.status == 422


def test_rows_and_columns_are_bounded() -> None:
    rows = delegate_rows(10, seed=3)
    for data in (rows_to_csv(rows), rows_to_xlsx(rows)):
        _, report = parse_rows(data, Limits(table_rows=5))
        assert [p.message for p in report.problems] == ["Too many rows (at most %(max)s)"]
    wide = ("Họ và tên,Đoàn đại biểu" + ",x" * 100 + "\nLê Bá,Ba Đình" + ",1" * 100).encode()
    with pytest.raises(CongressError) as refused:
        parse_rows(wide)
    assert refused.value.code == "too_many_columns" and refused.value.status == 422


def test_xlsx_bomb_through_the_api_is_a_413_in_the_users_language(
    client: TestClient, make_user: Any, congress_id: int, db: Database
) -> None:
    csrf = login(client, "btc", make_user("btc", "organizer"))
    with db.session() as session:
        slug = session.get(Congress, congress_id).slug  # type: ignore[union-attr]
    bomb = xlsx_with_workbook(spaces_workbook)
    answer = client.post(
        f"/api/congresses/{slug}/delegates/import",
        files={"file": ("d.xlsx", bomb)},
        headers={"accept-language": "vi", "x-csrf-token": csrf},
    )
    assert answer.status_code == 413, answer.text
    assert "khi giải nén" in answer.json()["error"]["message"]
    assert count(db, congress_id) == 0


def test_the_settings_limits_reach_the_import(
    settings: Settings, make_user: Any, congress_id: int, db: Database
) -> None:
    app = create_app(dataclasses.replace(settings, limits=Limits(table_rows=2)))
    try:
        with TestClient(app, base_url="http://testserver") as client:
            csrf = login(client, "btc", make_user("btc", "organizer"))
            with db.session() as session:
                slug = session.get(Congress, congress_id).slug  # type: ignore[union-attr]
            answer = client.post(
                f"/api/congresses/{slug}/delegates/import",
                files={"file": ("d.csv", rows_to_csv(delegate_rows(3, seed=4)))},
                headers={"x-csrf-token": csrf},
            )
    finally:
        app.state.db.dispose()
    assert answer.status_code == 422, answer.text
    assert count(db, congress_id) == 0
