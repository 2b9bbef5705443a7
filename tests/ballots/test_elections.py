"""Elections from the register to printed ballots: candidates, print runs, serials, the lock."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
import zxingcpp
from sqlalchemy import func, select
from starlette.testclient import TestClient

from ballots.models import IssuedSerial
from ballots.paper.layout import BallotLayout
from ballots.paper.serials import decode_page_token
from congress import congresses
from congress.db import Database
from congress.models import AuditEvent
from congress.settings import Settings
from congress.signing import public_key
from tests.conftest import login
from tests.congress.test_cli import run

CANDIDATES = (
    "STT;Họ và tên;Ngày sinh;Giới tính;Chức vụ;Đơn vị\n"
    "1;Trần Văn Bình;12/03/1990;Nam;Bí thư;Quận Ba Đình\n"
    "2;Nguyễn Thị An;01/01/1992;Nữ;Phó Bí thư;Quận Hoàn Kiếm\n"
    "3;Lê Minh Châu;05/05/1991;Nữ;Ủy viên;Huyện Đông Anh\n"
    "4;Phạm Đức Anh;07/07/1993;Nam;Ủy viên;Quận Tây Hồ\n"
)


def _create(settings: Settings, tmp_path: Path, text: str = CANDIDATES, seats: int = 3) -> Any:
    path = tmp_path / "ung-vien.csv"
    path.write_text(text, encoding="utf-8")
    result = run(
        settings,
        "elections",
        "create",
        "--congress",
        "dai-hoi-the",
        "--title",
        "Bầu Ban Chấp hành Tỉnh Đoàn khóa XIX",
        "--form",
        "strike",
        "--seats",
        str(seats),
        "--candidates",
        str(path),
        "--sitting",
        "1",
        "--json",
    )
    return result


def _decoded(pdf: bytes) -> list[str]:
    texts = []
    for page in pdfium.PdfDocument(pdf):
        image = page.render(scale=150 / 72).to_pil()
        texts += [
            r.text
            for r in zxingcpp.read_barcodes(image)
            if r.format == zxingcpp.BarcodeFormat.QRCode
        ]
    return texts


def test_create_list_show_in_vietnamese_order(
    settings: Settings, register: dict[str, Any], tmp_path: Path
) -> None:
    created = _create(settings, tmp_path)
    assert created.exit_code == 0, created.output
    data = json.loads(created.stdout)
    # Given name first: An, Anh, Bình, Châu.
    assert [c["full_name"] for c in data["candidates"]] == [
        "Nguyễn Thị An",
        "Phạm Đức Anh",
        "Trần Văn Bình",
        "Lê Minh Châu",
    ]
    assert data["rules"]["threshold_base"] == "valid" and data["locked"] is False
    listed = json.loads(
        run(settings, "elections", "list", "--congress", "dai-hoi-the", "--json").stdout
    )
    assert [e["id"] for e in listed] == [data["id"]]
    bad = _create(settings, tmp_path, CANDIDATES + "5;;31/02/1990;Nam;;\n")
    assert bad.exit_code == 1
    assert "line 6" in bad.stderr
    assert len(json.loads(run(settings, "elections", "list", "--json").stdout)) == 1
    unknown = run(settings, "elections", "show", "999", "--json")
    assert unknown.exit_code == 1 and "999" in unknown.stderr


def test_print_decode_verify_and_lock(
    settings: Settings, db: Database, register: dict[str, Any], tmp_path: Path
) -> None:
    election_id = json.loads(_create(settings, tmp_path).stdout)["id"]
    pdf, layout_file = tmp_path / "b.pdf", tmp_path / "layout.json"
    printed = run(
        settings,
        "ballots",
        "print",
        "--election",
        str(election_id),
        "--count",
        "6",
        "--out",
        str(pdf),
        "--layout",
        str(layout_file),
    )
    assert printed.exit_code == 0, printed.output
    layout = BallotLayout.from_json(layout_file.read_text(encoding="utf-8"))
    assert [i.label for i in layout.items] == [
        "Nguyễn Thị An",
        "Phạm Đức Anh",
        "Trần Văn Bình",
        "Lê Minh Châu",
    ]
    with db.session() as session:
        key = public_key(congresses.get_congress(session, "dai-hoi-the"))
    assert key is not None
    tokens = [decode_page_token(key, text) for text in _decoded(pdf.read_bytes())]
    assert len(tokens) == 6 * len(layout.pages)
    assert {(t.election_id, t.round, t.pages) for t in tokens} == {
        (election_id, 1, len(layout.pages))
    }
    serials = Counter(t.serial for t in tokens)
    assert len(serials) == 6 and set(serials.values()) == {len(layout.pages)}
    second = run(
        settings,
        "ballots",
        "print",
        "--election",
        str(election_id),
        "--count",
        "4",
        "--out",
        str(tmp_path / "c.pdf"),
    )
    assert second.exit_code == 0
    more = {decode_page_token(key, t).serial for t in _decoded((tmp_path / "c.pdf").read_bytes())}
    assert not more & set(serials)
    with db.session() as session:
        issued = set(session.scalars(select(IssuedSerial.serial)))
    assert issued == set(serials) | more

    # Printed: the list is locked until every batch is voided, and each voiding is recorded.
    changed = tmp_path / "new.csv"
    changed.write_text(CANDIDATES + "5;Võ Thị Em;02/02/1994;Nữ;;\n", encoding="utf-8")
    with db.session() as session:
        from ballots.elections import get_election, import_candidates

        election = get_election(session, election_id)
        try:
            import_candidates(session, election, changed.read_bytes(), "t")
            raise AssertionError("changing printed candidates must be refused")
        except Exception as exc:  # noqa: BLE001
            assert getattr(exc, "code", "") == "candidates_locked"
    shown = json.loads(run(settings, "elections", "show", str(election_id), "--json").stdout)
    assert shown["locked"] is True and len(shown["candidates"]) == 4
    for run_info in shown["print_runs"]:
        voided = run(
            settings,
            "ballots",
            "void",
            "--election",
            str(election_id),
            "--run",
            str(run_info["id"]),
            "--reason",
            "in sai tên",
        )
        assert voided.exit_code == 0, voided.output
    with db.session() as session:
        election = get_election(session, election_id)
        assert import_candidates(session, election, changed.read_bytes(), "t") == 5
        actions = list(
            session.scalars(
                select(AuditEvent.action)
                .where(AuditEvent.action.like("ballots.%"))
                .order_by(AuditEvent.id)
            )
        )
    assert actions == ["ballots.printed", "ballots.printed", "ballots.voided", "ballots.voided"]
    again = run(
        settings,
        "ballots",
        "void",
        "--election",
        str(election_id),
        "--run",
        str(shown["print_runs"][0]["id"]),
        "--reason",
        "x",
    )
    assert again.exit_code == 1


def test_new_round_with_the_remaining_candidates(
    settings: Settings, db: Database, register: dict[str, Any], tmp_path: Path
) -> None:
    election = json.loads(_create(settings, tmp_path).stdout)
    eid = str(election["id"])
    early = run(settings, "elections", "new-round", eid, "--candidates", "1", "--seats", "1")
    assert early.exit_code == 1  # round 1 was never printed
    assert (
        run(
            settings,
            "ballots",
            "print",
            "--election",
            eid,
            "--count",
            "1",
            "--out",
            str(tmp_path / "r1.pdf"),
        ).exit_code
        == 0
    )
    remaining = [c["id"] for c in election["candidates"]][2:]
    second = run(
        settings,
        "elections",
        "new-round",
        eid,
        "--candidates",
        ",".join(map(str, remaining)),
        "--seats",
        "1",
    )
    assert second.exit_code == 0, second.output
    out = tmp_path / "r2.pdf"
    assert (
        run(
            settings, "ballots", "print", "--election", eid, "--count", "2", "--out", str(out)
        ).exit_code
        == 0
    )
    with db.session() as session:
        key = public_key(congresses.get_congress(session, "dai-hoi-the"))
    assert {decode_page_token(key, t).round for t in _decoded(out.read_bytes())} == {2}
    shown = json.loads(run(settings, "elections", "show", eid, "--json").stdout)
    assert shown["round"] == 2
    assert [c["id"] for c in shown["candidates"]] == sorted(
        remaining, key=lambda i: [c["id"] for c in election["candidates"]].index(i)
    )
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(IssuedSerial)) == 3


def test_pages_create_print_and_roles(
    client: TestClient, db: Database, make_user: Any, register: dict[str, Any]
) -> None:
    csrf = login(client, "btc", make_user("btc", "organizer"))
    created = client.post(
        "/c/dai-hoi-the/elections/new",
        data={
            "csrf_token": csrf,
            "title": "Bầu Đoàn đại biểu đi dự Đại hội cấp trên",
            "form": "agree",
            "seats": "2",
            "threshold_base": "present",
            "percentage_base": "present",
            "tie_rule": "older",
            "candidate_order": "alphabetical",
            "seal_required": "1",
        },
        files={"candidates": ("uv.csv", CANDIDATES.encode(), "text/csv")},
        follow_redirects=False,
    )
    assert created.status_code == 303, created.text
    page = client.get(created.headers["location"])
    assert page.status_code == 200 and "Nguyễn Thị An" in page.text
    bad = client.post(
        "/c/dai-hoi-the/elections/new",
        data={"csrf_token": csrf, "title": "X", "form": "lottery", "seats": "2"},
        files={"candidates": ("uv.csv", CANDIDATES.encode(), "text/csv")},
    )
    assert bad.status_code == 400
    client.cookies.clear()
    counter = login(client, "kp", make_user("kp", "counting"))
    url = created.headers["location"] + "/print"
    pdf = client.post(url, data={"csrf_token": counter, "count": "3"})
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert len(_decoded(pdf.content)) == 3
    refused = client.post(url, data={"csrf_token": counter, "count": "lots"})
    assert refused.status_code == 400
    assert client.post(url, data={"count": "3"}).status_code == 403  # no CSRF token
    client.cookies.clear()
    login(client, "qs", make_user("qs", "observer"))
    assert client.get(created.headers["location"]).status_code == 200
    obs_csrf = client.get("/").text.split('name="csrf_token" value="')[1].split('"')[0]
    assert client.post(url, data={"csrf_token": obs_csrf, "count": "1"}).status_code == 403
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(IssuedSerial)) == 3


def test_create_refused_rows_exit_non_zero_as_its_help_says(
    settings: Settings, register: dict[str, Any], tmp_path: Path
) -> None:
    # A script creating elections acts on the exit code: 1 when a row is refused, nothing made.
    bad = _create(settings, tmp_path, CANDIDATES + "5;;31/02/1990;Nam;;\n")
    assert bad.exit_code == 1 and bad.stdout.strip() == ""
    assert json.loads(run(settings, "elections", "list", "--json").stdout) == []
    help_text = run(settings, "elections", "create", "--help").stdout
    assert "Exit codes" in help_text and "candidate row refused" in help_text


def test_candidate_file_and_form_numbers_within_the_servers_limits(
    settings: Settings, db: Database, make_user: Any, register: dict[str, Any]
) -> None:
    """The candidate list is read under the server's own limits (not the defaults), and a
    number in the new-election form out of range is a 400, not a database overflow."""
    import dataclasses

    from congress.app import create_app
    from congress.limits import Limits

    narrow = dataclasses.replace(settings, limits=Limits(table_rows=3))
    application = create_app(narrow)
    try:
        with TestClient(application, base_url="http://testserver") as client:
            csrf = login(client, "btc", make_user("btc", "organizer"))
            form = {
                "csrf_token": csrf,
                "title": "Bầu Ban Chấp hành",
                "form": "agree",
                "seats": "2",
            }
            files = {"candidates": ("uv.csv", CANDIDATES.encode(), "text/csv")}
            too_many = client.post("/c/dai-hoi-the/elections/new", data=form, files=files)
            assert too_many.status_code == 422, too_many.text
            assert "3" in too_many.text  # the limit, named in the answer
            for sitting in ("99999999999999999999", "2147483648", "-1"):
                huge = client.post(
                    "/c/dai-hoi-the/elections/new",
                    data={**form, "sitting": sitting},
                    files={"candidates": ("uv.csv", b"full_name\nA\nB\n", "text/csv")},
                )
                assert huge.status_code == 400, (sitting, huge.status_code)
    finally:
        application.state.db.dispose()
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(IssuedSerial)) == 0
        from ballots.models import Election

        assert session.scalar(select(func.count()).select_from(Election)) == 0
