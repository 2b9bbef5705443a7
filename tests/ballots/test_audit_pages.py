"""The hand audit's and the paper fallback's pages: the seed on the count page, two screens that
never show the machine's reading, a discrepancy shown with the image; the keyboard flow of hand
entry in headless Chromium."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select
from starlette.testclient import TestClient

from ballots.models import CountedBallot, Election, IssuedSerial
from congress.db import Database
from congress.settings import Settings
from tests.ballots.audit_helpers import SEED
from tests.ballots.test_audit_count import _closed
from tests.ballots.test_counting_browser import _sign_in
from tests.conftest import REGISTER_SLUG, csrf_from, login


@pytest.mark.parametrize("backend", ["sqlite"])
def test_the_audit_through_the_pages(
    app: Any, db: Database, settings: Settings, register: dict[str, Any], make_user: Any
) -> None:
    _, count_id = _closed(db, settings)
    password = make_user("ana", "counting")
    make_user("xem", "observer")
    base = f"/c/{REGISTER_SLUG}/counts/{count_id}"
    with TestClient(app) as ana, TestClient(app) as xem:
        csrf = login(ana, "ana", password)
        page = ana.get(base + "/audit")
        assert page.status_code == 200 and 'name="seed"' in page.text
        bad = ana.post(base + "/audit/start", data={"csrf_token": csrf, "seed": "123"})
        assert bad.status_code == 400 and "20 đến 64 chữ số" in bad.text
        started = ana.post(base + "/audit/start", data={"csrf_token": csrf, "seed": SEED},
                           follow_redirects=False)  # fmt: skip
        assert started.status_code == 303
        shown = ana.get(base + "/audit").text
        assert SEED in shown and "Kiểm tra xác suất bằng tay" in shown
        login(xem, "xem", password)
        assert xem.get(base + "/audit").status_code == 200
        assert xem.get(base + "/audit/screen/1").status_code == 403
        assert ana.get(base + "/audit/screen/3").status_code == 404
        first_ballot = None
        for slot, member, struck in ((1, "Lan", ["c003.strike", "c004.strike"]),
                                     (2, "Minh", ["c004.strike"])):  # fmt: skip
            screen = ana.get(base + f"/audit/screen/{slot}")
            assert screen.status_code == 200 and "SERIAL" in screen.text
            # The screen shows where the paper is, never what the machine read.
            # (no box comes ticked, no status is named: the member reads the paper alone).
            assert "c003.strike" in screen.text and "checked" not in screen.text
            assert "phiếu hợp lệ" not in screen.text and "Khi kiểm" not in screen.text
            ballot = screen.text.split('name="ballot" value="')[1].split('"')[0]
            first_ballot = first_ballot or ballot
            saved = ana.post(
                base + f"/audit/screen/{slot}",
                data={"csrf_token": csrf_from(screen.text), "ballot": ballot, "member": member,
                      "marked": struck},
                follow_redirects=False,
            )  # fmt: skip
            assert saved.status_code == 303, saved.text
        # Screen 2 read the paper otherwise: the members disagree, shown with the image.
        audit = ana.get(base + "/audit").text
        assert "hai thành viên đọc khác nhau" in audit and "annotated.jpg" in audit
        with db.session() as session:
            ballot_id = session.scalar(
                select(CountedBallot.id).where(CountedBallot.image_sha256 == first_ballot)
            )
        assert f"/ballots/{ballot_id}/annotated.jpg" in audit


@pytest.mark.parametrize("backend", ["sqlite"])
def test_hand_entry_by_keyboard_in_chromium(
    live_server: Any,
    browser: Any,
    db: Database,
    settings: Settings,
    make_user: Any,
    register: dict[str, Any],
) -> None:
    from ballots.counting import counts
    from tests.ballots.count_helpers import printed_election

    printed = printed_election(db, settings, ballots=2)
    with db.session() as session:
        count_id = counts.open_count(
            session,
            session.get(Election, printed.election_id),  # type: ignore[arg-type]
            members=["Nguyễn Văn Một", "Trần Thị Hai"],
            issued=2,
            collected=2,
            actor="t",
        ).id
        serial = session.scalars(select(IssuedSerial.serial)).first()
    assert serial is not None
    password = make_user("ana", "counting")
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        _sign_in(page, live_server.url, "ana", password)
        page.goto(f"{live_server.url}/c/{REGISTER_SLUG}/counts/{count_id}/enter")
        for member in ("Lan", "Minh"):
            name = page.locator("input[name=member]")
            name.fill(member)
            page.locator("input[name=serial]").focus()
            page.keyboard.type(serial.lower())
            page.keyboard.press("Enter")  # to the number box, not a submit
            expect(page.locator("#toggle")).to_be_focused()
            for key in ("3", "Enter", "4", "Enter", "2", "Enter", "2", "Enter", "9", "Enter"):
                page.keyboard.press(key) if key == "Enter" else page.keyboard.type(key)
            expect(page.locator("#toggle")).to_have_class("unknown")  # there is no name 9
            struck = page.locator("label.struck")
            expect(struck).to_have_count(2)
            assert "3." in struck.nth(0).inner_text() and "4." in struck.nth(1).inner_text()
            page.keyboard.press("Enter")  # an empty number box saves the entry
            expect(page.locator("#entry-result")).to_contain_text(serial)
        expect(page.locator("#entry-result")).to_have_class("ok")
        expect(page.locator("input[name=member]")).to_have_value("Minh")
        # The ballot's page says it has no image and who typed it.
        page.goto(f"{live_server.url}/c/{REGISTER_SLUG}/counts/{count_id}/ballots/1")
        expect(page.locator("#hand-entered")).to_contain_text("nhập bằng tay")
        expect(page.locator("#hand-entered")).to_contain_text("Minh")
    finally:
        context.close()
    with db.session() as session:
        ballot = session.scalars(select(CountedBallot)).one()
    assert ballot.station == "hand" and ballot.serial == serial
    assert [t["target"] for t in ballot.reading["targets"] if t["state"] == "marked"] == [
        "c003.strike",
        "c004.strike",
    ]
    assert ballot.reading["hand_entry"]["members"] == ["Lan", "Minh"]
