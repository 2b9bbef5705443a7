"""The organizer's setup in Debian's Chromium, on a laptop (1366x768) and a phone (390x844): a
new congress guided to its first sitting, the warning while the public address is loopback,
and a print run that shows as soon as its PDF is downloaded (issue 22)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from congress.db import Database
from congress.settings import Settings
from tests.ballots.count_helpers import CANDIDATES
from tests.conftest import sign_in_page

SIZES = [(1366, 768), (390, 844)]
# What a browser shows does not depend on the database: these run on SQLite only (the pages'
# tests run on both).
pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def _sign_in(page: Any, url: str, username: str, password: str) -> None:
    sign_in_page(page, url, username, password)


def _fits(page: Any, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width


@pytest.mark.parametrize("size", SIZES, ids=["laptop", "phone"])
def test_a_new_congress_is_guided_to_its_first_sitting(
    live_server: Any, browser: Any, make_user: Any, tmp_path: Path, size: tuple[int, int]
) -> None:
    width, height = size
    password = make_user("bantochuc", "organizer")
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    url = live_server.url
    try:
        _sign_in(page, url, "bantochuc", password)
        page.click("text=Đại hội mới")
        page.fill("input[name=name]", "Đại hội Đoàn phường Hàng Bạc nhiệm kỳ 2027 - 2032")
        page.fill("input[name=slug]", "hang-bac-2027")
        page.fill("input[name=starts_on]", "2027-05-10")
        page.fill("input[name=ends_on]", "2027-05-11")
        page.click("main button[type=submit]")
        page.wait_for_url(f"{url}/c/hang-bac-2027")
        setup = page.locator("#setup")
        assert setup.is_visible()
        steps = setup.locator(".steps li")
        assert steps.count() == 6 and page.locator(".steps li.done").count() == 0
        assert "Thêm các phiên họp" in steps.nth(0).inner_text()
        assert "next" in (steps.nth(0).get_attribute("class") or "")
        assert page.locator("#add-sitting").is_visible()  # the form is on the overview
        _fits(page, width)
        page.screenshot(path=str(tmp_path / f"new-congress-{width}.png"), full_page=True)

        # The attendance page of a congress without a sitting is a page, not an error.
        page.goto(f"{url}/c/hang-bac-2027/attendance")
        assert page.locator(".error-card").count() == 0
        assert page.locator("#add-sitting").is_visible()
        page.goto(f"{url}/c/hang-bac-2027")

        form = page.locator("#add-sitting")
        form.locator("input[name=title]").fill("Phiên thứ nhất")
        form.locator("input[name=starts_at]").fill("2027-05-10T08:00")
        form.locator("button[type=submit]").click()
        page.wait_for_url(f"{url}/c/hang-bac-2027")
        first = page.locator(".steps li").nth(0)
        assert "done" in (first.get_attribute("class") or "")
        assert "✓" in first.inner_text()
        assert "Nhập danh sách đại biểu" in page.locator(".steps li.next").inner_text()
        assert page.locator("#add-sitting").count() == 0
        assert "Phiên thứ nhất" in page.locator("main").inner_text()
        # The next step's link leads where the step is done.
        page.locator(".steps li.next a").click()
        page.wait_for_url(f"{url}/c/hang-bac-2027/delegates/import")
        assert page.locator("a[href$='/delegates/template.xlsx']").is_visible()
        _fits(page, width)
    finally:
        context.close()


@pytest.mark.parametrize("size", SIZES, ids=["laptop", "phone"])
def test_the_loopback_warning_shows_before_printing(
    live_server: Any,
    browser: Any,
    make_user: Any,
    register: dict[str, Any],
    settings: Settings,
    tmp_path: Path,
    size: tuple[int, int],
) -> None:
    width, height = size
    assert settings.public_url == "http://127.0.0.1:8000"
    password = make_user("bantochuc", "organizer")
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    try:
        _sign_in(page, live_server.url, "bantochuc", password)
        for path in ("badges", "documents"):
            page.goto(f"{live_server.url}/c/{register['slug']}/{path}")
            warning = page.locator("#public-url-warning")
            assert warning.is_visible()
            text = warning.inner_text()
            assert "CONGRESS_PUBLIC_URL" in text and "http://127.0.0.1:8000" in text
            # Read before anything is printed: above the first form, inside the screen's width.
            box = warning.bounding_box()
            first_form = page.locator("main form").first.bounding_box()
            assert box["y"] + box["height"] <= first_form["y"]
            assert box["x"] >= 0 and box["x"] + box["width"] <= width
            _fits(page, width)
            page.screenshot(path=str(tmp_path / f"warning-{path}-{width}.png"), full_page=True)
    finally:
        context.close()


def test_the_print_run_shows_after_printing(
    live_server: Any,
    browser: Any,
    make_user: Any,
    db: Database,
    register: dict[str, Any],
    tmp_path: Path,
) -> None:
    from ballots.elections import create_election, import_candidates
    from congress import congresses

    with db.session() as session:
        congress = congresses.get_congress(session, register["slug"])
        election = create_election(
            session, congress, title="Bầu Ban Chấp hành", form="strike", seats=2, actor="t"
        )
        import_candidates(session, election, CANDIDATES.encode(), "t")
        election_id = election.id
    password = make_user("bantochuc", "organizer")
    context = browser.new_context(viewport={"width": 1366, "height": 768}, accept_downloads=True)
    page = context.new_page()
    try:
        _sign_in(page, live_server.url, "bantochuc", password)
        page.goto(f"{live_server.url}/c/{register['slug']}/elections/{election_id}")
        assert page.locator("#print-runs").count() == 0
        page.fill("input[name=count]", "3")
        with page.expect_download() as download:
            page.click("form[data-print-ballots] button[type=submit]")
        saved = tmp_path / download.value.suggested_filename
        download.value.save_as(saved)
        assert saved.read_bytes().startswith(b"%PDF")
        runs = page.locator("#print-runs")
        runs.wait_for()
        assert "3" in runs.locator("tbody tr").first.inner_text()
        assert page.locator("main [role=status]").first.is_visible()
        assert "đã in, đã khóa" in page.locator("main").inner_text()
        page.screenshot(path=str(tmp_path / "printed.png"), full_page=True)
    finally:
        context.close()
