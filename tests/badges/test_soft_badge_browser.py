"""The soft badge on a phone: the card, then the same card offline from the service worker."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select

from badges.service import issue_token
from congress.db import Database
from congress.models import Delegate
from congress.settings import Settings
from tests.artifacts import screenshot


def test_soft_badge_on_a_phone_works_offline(
    live_server: Any,
    browser: Any,
    db: Database,
    settings: Settings,
    register: dict[str, Any],
    tmp_path: Path,
) -> None:
    with db.session() as session:
        delegate = session.scalar(select(Delegate).where(Delegate.code == "DB0004"))
        token = issue_token(settings, session, delegate)
        name = delegate.full_name
        photo = bool(delegate.photo_sha256)
        other = issue_token(
            settings, session, session.scalar(select(Delegate).where(Delegate.code == "DB0005"))
        )
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2)
    page = context.new_page()
    outside: list[str] = []
    page.on(
        "request", lambda r: None if r.url.startswith(live_server.url) else outside.append(r.url)
    )
    try:
        url = f"{live_server.url}/b/{token}"
        page.goto(url)
        assert page.locator("h1.name").inner_text() == name
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        qr_width = page.locator(".qr svg").bounding_box()["width"]
        assert qr_width >= 250  # a large code, easy for a gate camera
        # The printed card's words, and what a phone needs to keep the card on its home screen.
        assert page.locator(".band").inner_text() == "ĐẠI BIỂU CHÍNH THỨC"
        assert page.locator(".install-hint").is_visible()
        icon = page.locator("link[rel=apple-touch-icon]").get_attribute("href")
        assert page.request.get(f"{live_server.url}{icon}").body()[:8] == b"\x89PNG\r\n\x1a\n"
        screenshot(page, "soft-badge-390.png", full_page=True)
        # Exactly one visit, as from a link in a chat message; then no network at the door.
        page.wait_for_function("() => document.documentElement.dataset.offlineReady === '1'")
        context.set_offline(True)
        page.reload()
        assert page.locator("h1.name").inner_text() == name
        assert page.locator(".offline-note").is_visible()
        assert page.locator(".qr svg").bounding_box()["width"] >= 250
        if photo:
            page.wait_for_function("() => document.querySelector('img.photo').naturalWidth > 0")
        screenshot(page, "soft-badge-offline-390.png", full_page=True)
        # Another card, never opened on this phone: words in Vietnamese, not a browser error.
        page.goto(f"{live_server.url}/b/{other}")
        assert page.locator("h1").inner_text() == "Không có mạng"
        assert outside == []
    finally:
        context.close()


def test_the_alternate_card_says_so_as_the_printed_one(
    live_server: Any, browser: Any, db: Database, settings: Settings, register: dict[str, Any]
) -> None:
    with db.session() as session:
        delegate = session.scalar(select(Delegate).where(Delegate.kind == "alternate").limit(1))
        token = issue_token(settings, session, delegate)
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/b/{token}")
        assert page.locator(".band").inner_text() == "ĐẠI BIỂU DỰ KHUYẾT"
        assert page.evaluate("document.documentElement.scrollWidth") <= 1366
    finally:
        context.close()
