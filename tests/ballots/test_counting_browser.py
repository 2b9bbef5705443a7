"""The review flow in headless Chromium: upload scans, watch the projector, decide and confirm."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from ballots.counting import counts
from ballots.models import Election
from congress.db import Database
from congress.settings import Settings
from tests.ballots.count_helpers import printed_election, scans
from tests.conftest import REGISTER_SLUG, sign_in_page


def _sign_in(page: Any, url: str, username: str, password: str) -> None:
    sign_in_page(page, url, username, password)


@pytest.mark.parametrize("backend", ["sqlite"])
def test_review_by_two_members_with_the_projector_live(
    live_server: Any,
    browser: Any,
    db: Database,
    settings: Settings,
    make_user: Any,
    register: dict[str, Any],
    tmp_path: Path,
) -> None:
    printed = printed_election(db, settings, ballots=2)
    images = scans(
        printed,
        [
            {"c003.strike": "strike", "c004.strike": "strike"},
            {"c002.strike": "strike", "c003.strike": "strike", "c001.strike": "circle"},
        ],
    )
    paths = []
    for i, data in enumerate(images):
        path = tmp_path / f"phieu-{i + 1}.png"
        path.write_bytes(data)
        paths.append(str(path))
    with db.session() as session:
        count_id = counts.open_count(
            session,
            session.get(Election, printed.election_id),  # type: ignore[arg-type]
            members=["Nguyễn Văn Một", "Trần Thị Hai"],
            issued=2,
            collected=2,
            actor="t",
        ).id
    password = make_user("ana", "counting")
    make_user("binh", "counting")
    base = f"{live_server.url}/c/{REGISTER_SLUG}/counts/{count_id}"
    first = browser.new_context(viewport={"width": 1280, "height": 900})
    second = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        projector = second.new_page()
        _sign_in(projector, live_server.url, "binh", password)
        projector.goto(base + "/projector")
        assert projector.locator('[data-field="scanned"]').inner_text() == "0"
        page = first.new_page()
        _sign_in(page, live_server.url, "ana", password)
        page.goto(base)
        # The figures that disagree are named, with both values.
        verdict = page.locator("#reconciliation").inner_text()
        assert "Các số liệu không khớp: Thu vào 2 ≠ Đã quét 0" in verdict
        page.set_input_files("input[name=scans]", paths)
        page.click("form[action$='/scans'] button[type=submit]")
        expect(page.locator("#upload-results tbody tr")).to_have_count(2)
        # The projector follows the count live, with the last ballot's annotated image.
        expect(projector.locator('[data-field="scanned"]')).to_have_text("2", timeout=10_000)
        last = projector.locator("#last-ballot")
        # The hall's view of the image: no caption, the serial blanked.
        shown = f"/c/{REGISTER_SLUG}/counts/{count_id}/ballots/%s/annotated.jpg?view=hall"
        expect(last).to_have_attribute("src", shown % 1, timeout=10_000)  # 2 awaits review
        page.goto(base + "/review")
        page.click("#review-queue a.button")
        crop = page.locator("img.crop").first
        expect(crop).to_be_visible()
        page.wait_for_function("() => document.querySelector('img.crop').naturalWidth > 0")
        page.wait_for_function("() => document.getElementById('annotated').naturalWidth > 0")
        page.select_option("#decide-form select[name=member]", "Nguyễn Văn Một")
        page.check("input[name=status][value=valid]")
        page.check("input[name='mark:c001.strike'][value=marked]")
        page.fill("#decide-form input[name=note]", "Khoanh tròn tên: coi như gạch")
        page.screenshot(path=str(tmp_path / "review-decide.png"), full_page=True)
        page.click("#decide-form button[type=submit]")
        page.goto(page.url)  # the queue shows the decision awaiting its confirmation
        ballot_url = base + "/ballots/2"
        page.goto(ballot_url)
        expect(page.locator("#confirm-box")).to_contain_text("Một thành viên khác")
        assert page.locator("#confirm-form").count() == 0
        checker = second.new_page()
        checker.goto(ballot_url)
        checker.select_option("#confirm-form select[name=member]", "Trần Thị Hai")
        checker.click("#confirm-form button[type=submit]")
        expect(checker.locator("#queue-empty")).to_be_visible()
        expect(projector.locator('[data-field="counted"]')).to_have_text("2", timeout=10_000)
        expect(last).to_have_attribute("src", shown % 2, timeout=10_000)
        projector.wait_for_function("() => document.getElementById('last-ballot').naturalWidth > 0")
        checker.goto(ballot_url)
        history = checker.locator("#history").inner_text()
        assert "ana" in history and "binh" in history and "Khoanh tròn tên" in history
        checker.screenshot(path=str(tmp_path / "review-confirmed.png"), full_page=True)
    finally:
        first.close()
        second.close()
