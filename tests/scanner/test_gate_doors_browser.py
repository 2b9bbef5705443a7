"""The gate as door staff meet it on a phone and a laptop: offline after one visit, the kind of
delegate in large words, scans kept until the gate is named, camera trouble as a message."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import select

from congress import congresses
from congress.db import Database
from congress.models import Congress, Delegate
from congress.settings import Settings
from congress.storage import FileStore, store_file
from scanner.models import Scan
from tests.artifacts import screenshot
from tests.conftest import sign_in_page
from tests.scanner.checkin_helpers import admissions_and_scans, open_doors, tokens

SLUG = "dai-hoi-the"
PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1366, "height": 768}


def _sign_in(page: Any, url: str, username: str, password: str) -> None:
    # Door staff land on their gate, other staff on the congresses.
    sign_in_page(
        page, url, username, password, "/c/dai-hoi-the/gate" if username == "congvao" else "/"
    )


def _scan(page: Any, token: str) -> None:
    page.fill("#wedge", token)
    page.press("#wedge", "Enter")


def _verdict(page: Any, result: str) -> Any:
    box = page.locator(f'#result[data-result="{result}"]:not([hidden])')
    expect(box).to_be_visible(timeout=10_000)
    return box


def _dismiss(page: Any) -> None:
    """Away with the verdict screen, as staff tap it (a green one also goes by itself)."""
    page.evaluate("() => { document.getElementById('result').hidden = true; }")


def _codes(db: Database) -> tuple[str, str]:
    """A full delegate's code and an alternate's."""
    with db.session() as session:
        full = session.scalar(select(Delegate.code).where(Delegate.kind == "full").limit(1))
        alternate = session.scalar(
            select(Delegate.code).where(Delegate.kind == "alternate").limit(1)
        )
    assert full and alternate
    return full, alternate


def _give_photo(db: Database, settings: Settings, code: str) -> None:
    image = Image.new("RGB", (90, 120), (40, 90, 160))
    out = io.BytesIO()
    image.save(out, format="JPEG")
    with db.write_session() as session:
        delegate = session.scalar(select(Delegate).where(Delegate.code == code))
        assert delegate is not None
        stored = store_file(session, FileStore(settings.files_dir), out.getvalue(), "image/jpeg")
        delegate.photo_sha256 = stored.sha256


def test_the_gate_reloads_offline_after_one_visit_and_shows_the_kind(
    live_server: Any,
    browser: Any,
    db: Database,
    settings: Settings,
    make_user: Any,
    register: dict[str, Any],
) -> None:
    password = make_user("congvao", "checkin")
    open_doors(db, register["congress_id"])
    badges = tokens(db, settings)
    full, alternate = _codes(db)
    url = live_server.url
    # A phone whose own language is English, on the gate page in the interface's Vietnamese.
    context = browser.new_context(
        viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, locale="en-US"
    )
    page = context.new_page()
    try:
        _sign_in(page, url, "congvao", password)
        page.wait_for_url(f"{url}/c/{SLUG}/gate")  # door staff land on their gate
        page.fill("#gate-name", "Cổng Đông")
        page.dispatch_event("#gate-name", "change")
        expect(page.locator("#gate")).to_have_attribute("data-offline-ready", "1", timeout=20_000)

        # One visit only, then the network is cut and the page refreshed.
        context.set_offline(True)
        page.reload()
        expect(page.locator("h1.gate-title")).to_contain_text("Điểm danh")
        _scan(page, badges[full])
        box = _verdict(page, "admitted")
        expect(page.locator("#result-kind")).to_have_text("ĐẠI BIỂU CHÍNH THỨC")
        assert "green" in (box.get_attribute("class") or "")
        screenshot(page, "gate-offline-full-390.png")
        _dismiss(page)
        _scan(page, badges[alternate])
        _verdict(page, "admitted")
        kind = page.locator("#result-kind")
        expect(kind).to_have_text("DỰ KHUYẾT")
        assert "alternate" in (kind.get_attribute("class") or "")
        assert kind.evaluate("e => parseFloat(getComputedStyle(e).fontSize)") >= 32
        screenshot(page, "gate-offline-alternate-390.png")
        assert admissions_and_scans(db) == (0, 0)

        # The network is back: the queue goes out, and the server answers in Vietnamese.
        context.set_offline(False)
        expect(page.locator("#queue-count")).to_have_text("0", timeout=15_000)
        assert admissions_and_scans(db) == (2, 2)
        _dismiss(page)
        _scan(page, badges[full])
        _verdict(page, "already_admitted")
        expect(page.locator("#result-message")).to_contain_text("Đã vào lúc")
        expect(page.locator("#result-message")).to_contain_text("cổng Cổng Đông")
        screenshot(page, "gate-already-admitted-390.png")
    finally:
        context.close()


def test_a_scan_before_the_gate_is_named_is_kept_and_a_closed_sitting_is_named(
    live_server: Any,
    browser: Any,
    db: Database,
    settings: Settings,
    make_user: Any,
    register: dict[str, Any],
) -> None:
    password = make_user("bantochuc", "organizer")
    with db.session() as session:
        congress = session.get(Congress, register["congress_id"])
        congresses.add_sitting(
            session,
            congress,
            title="Phiên chính thức",
            starts_at=dt.datetime(2027, 6, 3, 8, 0),
            actor="t",
        )
    open_doors(db, register["congress_id"], number=2)
    badges = tokens(db, settings)
    full, alternate = _codes(db)
    _give_photo(db, settings, alternate)
    url = live_server.url
    context = browser.new_context(viewport=LAPTOP, locale="vi-VN")
    page = context.new_page()
    try:
        _sign_in(page, url, "bantochuc", password)
        page.wait_for_url(f"{url}/")  # an organizer still lands on the congresses
        page.goto(f"{url}/c/{SLUG}/gate")
        assert page.locator("#gate-name").input_value() == ""
        expect(page.locator("#sitting")).to_have_value("2")  # the open sitting, chosen
        expect(page.locator("#sitting-note")).to_be_hidden()

        # A badge scanned before the gate has a name: kept, said so, nothing lost.
        _scan(page, badges[alternate])
        expect(page.locator("#gate-needed")).to_be_visible()
        expect(page.locator("#gate-needed")).to_contain_text("1")
        expect(page.locator("#result")).to_be_hidden()
        expect(page.locator("#wedge")).to_be_focused()  # the scanner's next badge goes there
        expect(page.locator("#gate-name")).to_have_class("needed")
        screenshot(page, "gate-unnamed-1366.png")
        assert admissions_and_scans(db) == (0, 0)
        page.fill("#gate-name", "Cổng Tây")
        page.dispatch_event("#gate-name", "change")
        _verdict(page, "admitted")
        expect(page.locator("#result-kind")).to_have_text("DỰ KHUYẾT")
        expect(page.locator("#result-photo")).to_be_visible()  # the delegate's own photo
        expect(page.locator("#gate-needed")).to_be_hidden()
        screenshot(page, "gate-alternate-1366.png")
        with db.session() as session:
            assert list(session.execute(select(Scan.gate, Scan.result))) == [
                ("Cổng Tây", "admitted")
            ]

        # The closed first sitting chosen while the second is open: said before and at the scan.
        _dismiss(page)
        page.select_option("#sitting", "1")
        expect(page.locator("#sitting-note")).to_be_visible()
        expect(page.locator("#sitting-note")).to_contain_text("phiên họp đang mở")
        _scan(page, badges[full])
        box = _verdict(page, "sitting_closed")
        assert "red" in (box.get_attribute("class") or "")
        expect(page.locator("#result-message")).to_contain_text("phiên họp đang mở")
        screenshot(page, "gate-sitting-closed-1366.png")
    finally:
        context.close()


def test_no_camera_is_a_message_not_a_verdict(
    live_server: Any,
    browser: Any,
    db: Database,
    make_user: Any,
    register: dict[str, Any],
) -> None:
    password = make_user("congvao", "checkin")
    url = live_server.url
    context = browser.new_context(viewport=PHONE, locale="en-US")
    context.grant_permissions(["camera"], origin=url)
    page = context.new_page()
    try:
        _sign_in(page, url, "congvao", password)
        page.wait_for_url(f"{url}/c/{SLUG}/gate")
        page.click("#camera-start")
        message = page.locator("#camera-message")
        expect(message).to_be_visible()
        expect(message).to_contain_text("camera")
        assert "device" not in message.inner_text().lower()
        assert page.locator("#result").is_hidden()
        screenshot(page, "gate-no-camera-390.png")
    finally:
        context.close()


def test_the_roll_of_the_absent_follows_the_doors(
    live_server: Any, browser: Any, db: Database, make_user: Any, register: dict[str, Any]
) -> None:
    from scanner.checkin import ScanInput, record_scan

    password = make_user("quansat", "observer")
    open_doors(db, register["congress_id"])
    full, _ = _codes(db)
    with db.session() as session:
        name = session.scalar(select(Delegate.full_name).where(Delegate.code == full))
    context = browser.new_context(viewport=LAPTOP)
    page = context.new_page()
    try:
        _sign_in(page, live_server.url, "quansat", password)
        page.wait_for_url(f"{live_server.url}/")
        page.goto(f"{live_server.url}/c/{SLUG}/attendance/1")
        expect(page.locator("#absent")).to_contain_text(name)
        with db.write_session() as session:
            congress = session.get(Congress, register["congress_id"])
            record_scan(
                session, congress, ScanInput("roll-1", 1, "A", "manual", delegate_code=full), "t"
            )
        expect(page.locator("#absent")).not_to_contain_text(name, timeout=10_000)
        screenshot(page, "attendance-absent-1366.png", full_page=True)
    finally:
        context.close()
