"""The gate page in headless Chromium: USB scanner typing, a fake camera, offline and back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import segno
from playwright.sync_api import expect
from sqlalchemy import select

from congress.db import Database
from congress.settings import Settings
from scanner.models import Scan
from tests.conftest import CHROMIUM, CHROMIUM_ARGS, sign_in_page
from tests.scanner.checkin_helpers import admissions_and_scans, open_doors, tokens


def _sign_in(page: Any, url: str, username: str, password: str) -> None:
    # Door staff land on their gate, organizers on the congresses.
    sign_in_page(
        page, url, username, password, "/c/dai-hoi-the/gate" if username == "congvao" else "/"
    )


def _open_gate(page: Any, url: str) -> None:
    page.goto(f"{url}/c/dai-hoi-the/gate")
    page.fill("#gate-name", "Cổng Đông")
    page.dispatch_event("#gate-name", "change")


def _result(page: Any) -> tuple[str, str, str]:
    page.wait_for_selector("#result:not([hidden])", timeout=10_000)
    box = page.locator("#result")
    return (
        box.get_attribute("data-result") or "",
        box.get_attribute("class") or "",
        page.locator("#result-name").inner_text(),
    )


def test_keyboard_wedge_and_offline_queue(
    live_server: Any,
    browser: Any,
    db: Database,
    settings: Settings,
    make_user: Any,
    register: dict[str, Any],
    tmp_path: Path,
) -> None:
    password = make_user("congvao", "checkin")
    open_doors(db, register["congress_id"])
    badges = tokens(db, settings)
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        _sign_in(page, live_server.url, "congvao", password)
        _open_gate(page, live_server.url)
        page.fill("#wedge", badges["DB0001"])
        page.press("#wedge", "Enter")
        result, colour, name = _result(page)
        assert (result, "green" in colour) == ("admitted", True)
        assert name
        page.screenshot(path=str(tmp_path / "gate-admitted.png"))
        page.click("#result")
        page.fill("#wedge", badges["DB0001"])
        page.press("#wedge", "Enter")
        page.wait_for_selector('#result[data-result="already_admitted"]:not([hidden])')
        assert "yellow" in (page.locator("#result").get_attribute("class") or "")
        assert admissions_and_scans(db) == (1, 2)

        # The network drops: the gate checks the signature itself and keeps the scans.
        context.set_offline(True)
        page.click("#result")
        page.fill("#wedge", badges["DB0002"])
        page.press("#wedge", "Enter")
        page.wait_for_selector('#result[data-result="admitted"]:not([hidden])')
        page.click("#result")
        page.fill(
            "#wedge",
            badges["DB0003"][:-6]
            + "".join("B" if c == "A" else "A" for c in badges["DB0003"][-6:]),
        )
        page.press("#wedge", "Enter")
        page.wait_for_selector(
            '#result[data-result="forged"]:not([hidden]), '
            '#result[data-result="malformed"]:not([hidden])'
        )
        assert page.locator("#queue-count").inner_text() == "2"
        assert admissions_and_scans(db) == (1, 2)
        context.set_offline(False)
        expect(page.locator("#queue-count")).to_have_text("0", timeout=15_000)
        assert admissions_and_scans(db) == (2, 4)  # both queued scans recorded, one admitted
    finally:
        context.close()


def _y4m(path: Path, text: str, frames: int = 10) -> None:
    """A short video of the badge QR on white paper, as Chromium's fake camera plays it."""
    width, height = 640, 480
    qr = segno.make(text, error="m")
    modules = np.array(qr.matrix, dtype=bool)
    scale = 9
    symbol = np.kron(modules, np.ones((scale, scale), dtype=bool))
    luma = np.full((height, width), 235, dtype=np.uint8)
    y0 = (height - symbol.shape[0]) // 2
    x0 = (width - symbol.shape[1]) // 2
    luma[y0 : y0 + symbol.shape[0], x0 : x0 + symbol.shape[1]][symbol] = 16
    chroma = np.full((height // 2, width // 2), 128, dtype=np.uint8)
    with path.open("wb") as fh:
        fh.write(f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            fh.write(b"FRAME\n")
            fh.write(luma.tobytes() + chroma.tobytes() + chroma.tobytes())


def test_camera_scan_with_a_fake_camera(
    live_server: Any,
    playwright_driver: Any,
    db: Database,
    settings: Settings,
    make_user: Any,
    register: dict[str, Any],
    tmp_path: Path,
) -> None:
    password = make_user("congvao", "checkin")
    open_doors(db, register["congress_id"])
    video = tmp_path / "badge.y4m"
    _y4m(video, tokens(db, settings)["DB0005"])
    browser = playwright_driver.chromium.launch(
        executable_path=CHROMIUM,
        headless=True,
        args=[
            *CHROMIUM_ARGS,
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-video-capture={video}",
        ],
    )
    try:
        context = browser.new_context(viewport={"width": 390, "height": 844})
        context.grant_permissions(["camera"], origin=live_server.url)
        page = context.new_page()
        _sign_in(page, live_server.url, "congvao", password)
        _open_gate(page, live_server.url)
        page.click("#camera-start")
        result, colour, name = _result(page)
        assert result == "admitted" and "green" in colour and name
    finally:
        browser.close()
    assert admissions_and_scans(db)[0] == 1
    with db.session() as session:
        assert session.scalar(select(Scan.method)) == "camera"


def test_dashboard_updates_live(
    live_server: Any,
    browser: Any,
    db: Database,
    settings: Settings,
    make_user: Any,
    register: dict[str, Any],
) -> None:
    from congress.models import Congress
    from scanner.checkin import ScanInput, record_scan

    password = make_user("bantochuc", "organizer")
    open_doors(db, register["congress_id"])
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    try:
        _sign_in(page, live_server.url, "bantochuc", password)
        page.goto(f"{live_server.url}/c/dai-hoi-the/attendance/1/projector")
        assert page.locator('[data-field="present"]').inner_text() == "0"
        with db.write_session() as session:
            congress = session.get(Congress, register["congress_id"])
            for code in ("DB0001", "DB0002", "DB0003"):
                record_scan(
                    session,
                    congress,
                    ScanInput(f"dash-{code}", 1, "A", "manual", delegate_code=code),
                    "t",
                )
        expect(page.locator('[data-field="present"]')).to_have_text("3", timeout=10_000)
    finally:
        context.close()


def test_name_search_without_a_badge_online_and_offline(
    live_server: Any,
    browser: Any,
    db: Database,
    settings: Settings,
    make_user: Any,
    register: dict[str, Any],
) -> None:
    from congress.models import Delegate

    password = make_user("congvao", "checkin")
    open_doors(db, register["congress_id"])
    tokens(db, settings)  # the congress key, for the gate's offline copy
    with db.session() as session:
        people = list(session.scalars(select(Delegate).order_by(Delegate.id).limit(2)))
        first, second = [(d.code, d.full_name) for d in people]
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        _sign_in(page, live_server.url, "congvao", password)
        _open_gate(page, live_server.url)
        page.fill("#search", first[0])
        page.click("#search-form button[type=submit]")
        page.click("#search-results li button")
        page.wait_for_selector('#result[data-result="admitted"]:not([hidden])')
        assert page.locator("#result-name").inner_text() == first[1]
        page.click("#result")
        context.set_offline(True)
        page.fill("#search", second[0])
        page.click("#search-form button[type=submit]")
        page.click("#search-results li button")
        page.wait_for_selector('#result[data-result="admitted"]:not([hidden])')
        assert page.locator("#result-name").inner_text() == second[1]
        assert page.locator("#queue-count").inner_text() == "1"
        context.set_offline(False)
        expect(page.locator("#queue-count")).to_have_text("0", timeout=15_000)
    finally:
        context.close()
    with db.session() as session:
        methods = list(session.scalars(select(Scan.method).order_by(Scan.id)))
    assert methods == ["manual", "manual"]
    assert admissions_and_scans(db) == (2, 2)
