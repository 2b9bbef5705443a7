"""The soft badge on a phone: the card, then the same card offline from the service worker."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select

from badges.service import issue_token
from congress.db import Database
from congress.models import Delegate
from congress.settings import Settings


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
        page.evaluate("navigator.serviceWorker.ready.then(() => true)")
        page.reload()  # now controlled by the service worker, which caches the card
        page.wait_for_function("navigator.serviceWorker.controller !== null")
        page.screenshot(path=str(tmp_path / "soft-badge-390.png"), full_page=True)
        context.set_offline(True)
        page.reload()
        assert page.locator("h1.name").inner_text() == name
        assert page.locator(".offline-note").is_visible()
        assert outside == []
    finally:
        context.close()
