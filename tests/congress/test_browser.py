"""The staff pages in a real browser: sign in, switch language, find a delegate on a phone."""

from __future__ import annotations

from typing import Any

from congress import congresses
from congress.db import Database


def test_phone_sign_in_and_language_switch(
    live_server: Any, browser: Any, make_user: Any, db: Database, tmp_path: Any
) -> None:
    import datetime as dt

    password = make_user("bantochuc", "organizer")
    with db.session() as session:
        congresses.create_congress(
            session,
            slug="thanh-doan-2027",
            name="Đại hội Đoàn TNCS Hồ Chí Minh thành phố",
            starts_on=dt.date(2027, 5, 10),
            ends_on=dt.date(2027, 5, 12),
            actor="test",
        )
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/login")
        assert page.locator("html").get_attribute("lang") == "vi"
        page.fill("input[name=username]", "bantochuc")
        page.fill("input[name=password]", password)
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")
        assert "Đại hội Đoàn TNCS Hồ Chí Minh thành phố" in page.content()
        # Nothing may be wider than the phone's screen.
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.screenshot(path=str(tmp_path / "home-390.png"), full_page=True)
        page.goto(f"{live_server.url}/lang/en?next=/")
        assert page.locator("html").get_attribute("lang") == "en"
    finally:
        context.close()
