"""The delegates' reader as a phone and a laptop meet it: the list offline after one visit, the
offline page in Vietnamese, a page opened and zoomed inside the reader, search hits marked."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from congress.db import Database
from congress.settings import Settings
from tests.artifacts import screenshot
from tests.docs_portal.portal_helpers import add_document

SLUG = "dai-hoi-the"
PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1366, "height": 768}
FILLER = "\n".join(f"Dòng {i}: nội dung báo cáo chính trị của đại hội." for i in range(30))


def _documents(db: Database, settings: Settings, cid: int) -> tuple[int, int]:
    report = add_document(
        db,
        settings,
        cid,
        "Báo cáo chính trị",
        [
            "Phần một. Đánh giá kết quả\n" + FILLER,
            "Phần hai. Phương hướng nhiệm kỳ\nThảo luận văn kiện tại tổ",
            "Phần ba. Tổ chức thực hiện",
        ],
        visibility="public",
        group="reports",
    )
    # A long page where the words searched for are far apart.
    resolution = add_document(
        db,
        settings,
        cid,
        "Dự thảo nghị quyết",
        ["Nghị quyết về công tác\n" + FILLER + "\nĐoàn viên thanh niên tình nguyện"],
        visibility="public",
        group="resolutions",
    )
    return report, resolution


def _touch(cdp: Any, kind: str, points: list[tuple[float, float]]) -> None:
    cdp.send(
        "Input.dispatchTouchEvent",
        {
            "type": kind,
            "touchPoints": [{"x": x, "y": y, "id": i} for i, (x, y) in enumerate(points)],
        },
    )


def test_a_phone_reads_offline_after_one_visit_and_zooms_in_the_reader(
    live_server: Any, browser: Any, db: Database, settings: Settings, register: dict[str, Any]
) -> None:
    report, resolution = _documents(db, settings, register["congress_id"])
    base = live_server.url
    context = browser.new_context(
        viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, locale="en-US"
    )
    page = context.new_page()
    try:
        # One visit of the list, then no network: the list still opens.
        page.goto(f"{base}/p/{SLUG}")
        page.wait_for_function("() => document.documentElement.dataset.offlineReady === '1'")
        context.set_offline(True)
        page.reload()
        expect(page.locator("main")).to_contain_text("Báo cáo chính trị")
        # A document never opened: the offline page, in Vietnamese, with what can be read.
        page.click("ul.docs a:has-text('Dự thảo nghị quyết')")
        expect(page.locator("h1")).to_have_text("Không có mạng")
        expect(page.locator("#saved")).to_contain_text("Nghệ An")
        assert page.locator("body").evaluate("b => getComputedStyle(b).fontFamily") != "monospace"
        screenshot(page, "portal-offline-390.png", full_page=True)
        context.set_offline(False)

        # The reader: a tap opens the page inside the reader, never the raw image.
        page.goto(f"{base}/p/{SLUG}/d/{report}")
        reader_url = page.url
        page.locator("figure.page").first.locator("img").tap()
        viewer = page.locator("#viewer")
        expect(viewer).to_be_visible()
        assert page.url == reader_url
        image = page.locator(".viewer-image")
        page.wait_for_function(
            "() => { const i = document.querySelector('.viewer-image');"
            " return i.complete && i.naturalWidth >= 1440; }"
        )
        assert image.bounding_box()["width"] >= 380  # the page fits the phone's width
        expect(page.locator(".viewer-where")).to_have_text("Trang 1 / 3")
        expect(page.locator(".viewer-text")).to_contain_text("Phần một")

        # Double-tap zooms in, with a sharper image; double-tap again fits the page.
        box = page.locator(".viewer-stage").bounding_box()
        cx, cy = box["x"] + box["width"] / 3, box["y"] + 120
        page.touchscreen.tap(cx, cy)
        page.touchscreen.tap(cx, cy)
        expect(viewer).to_have_attribute("data-scale", "2.50")
        expect(image).to_have_attribute("src", f"/p/{SLUG}/d/{report}/v/1/page/1.webp?w=2160")
        page.wait_for_function(
            "() => document.querySelector('.viewer-image').naturalWidth === 2160"
        )
        screenshot(page, "reader-zoomed-390.png")
        page.touchscreen.tap(cx, cy)
        page.touchscreen.tap(cx, cy)
        expect(viewer).to_have_attribute("data-scale", "1.00")

        # Two fingers spread apart: pinch-zoom inside the reader.
        cdp = context.new_cdp_session(page)
        mid = box["y"] + 200
        _touch(cdp, "touchStart", [(150, mid), (240, mid)])
        for step in range(1, 6):
            _touch(cdp, "touchMove", [(150 - 20 * step, mid), (240 + 20 * step, mid)])
        _touch(cdp, "touchEnd", [])
        assert float(viewer.get_attribute("data-scale") or 0) > 1.5

        # The next page without leaving; its text under it can be selected.
        page.click('#viewer [data-act="next"]')
        expect(page.locator(".viewer-where")).to_have_text("Trang 2 / 3")
        expect(viewer).to_have_attribute("data-scale", "1.00")
        text = page.locator(".viewer-text")
        expect(text).to_contain_text("Thảo luận văn kiện tại tổ")
        text.select_text()
        assert "Thảo luận văn kiện" in page.evaluate("String(window.getSelection())")
        assert page.url == reader_url
        page.wait_for_function(
            "() => { const i = document.querySelector('.viewer-image');"
            " return i.currentSrc.includes('/page/2.webp') && i.complete && i.naturalWidth > 0"
            " && i.style.visibility !== 'hidden'; }"
        )
        screenshot(page, "reader-page-2-390.png")
        page.click('#viewer [data-act="close"]')
        expect(viewer).to_be_hidden()
        assert page.url == reader_url
    finally:
        context.close()


def test_search_marks_the_words_found_in_the_list_and_in_the_page(
    live_server: Any, browser: Any, db: Database, settings: Settings, register: dict[str, Any]
) -> None:
    report, resolution = _documents(db, settings, register["congress_id"])
    base = live_server.url
    context = browser.new_context(viewport=LAPTOP, locale="vi-VN")
    page = context.new_page()
    try:
        page.goto(f"{base}/p/{SLUG}/search?q=nghi+quyet+thanh+nien")
        hit = page.locator("ul.hits li a").first
        expect(hit).to_contain_text("Dự thảo nghị quyết")
        marks = [m.lower() for m in hit.locator(".s mark").all_inner_texts()]
        # Every word found is in the snippet, though far apart on the page.
        assert {"nghị", "quyết", "thanh", "niên"} <= set(marks), marks
        screenshot(page, "search-marks-1366.png")
        hit.click()
        page.wait_for_url(f"{base}/p/{SLUG}/d/{resolution}?q=*")
        pagetext = page.locator("figure.page .pagetext").first
        expect(pagetext).to_be_visible()  # opened where words were found
        assert {"Nghị", "quyết", "thanh", "niên"} <= set(pagetext.locator("mark").all_inner_texts())
        # On a laptop: a click opens the reader, the arrow keys turn the pages, Escape closes.
        page.goto(f"{base}/p/{SLUG}/d/{report}")
        page.locator("figure.page").nth(1).locator("img").click()
        expect(page.locator(".viewer-where")).to_have_text("Trang 2 / 3")
        page.keyboard.press("ArrowRight")
        expect(page.locator(".viewer-where")).to_have_text("Trang 3 / 3")
        page.wait_for_function("() => document.querySelector('.viewer-image').naturalWidth > 0")
        screenshot(page, "reader-1366.png")
        page.keyboard.press("Escape")
        expect(page.locator("#viewer")).to_be_hidden()
    finally:
        context.close()
