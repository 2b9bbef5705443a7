"""The portal on a phone-sized headless Chromium: list, read, sign in, search, comment, offline."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.sync_api import expect
from sqlalchemy import select

from badges.service import issue_token
from congress.db import Database
from congress.models import Delegate
from congress.settings import Settings
from docs_portal.models import DocumentComment
from tests.docs_portal.portal_helpers import add_document

SLUG = "dai-hoi-the"
PHONE = {"width": 390, "height": 844}


def _first_image_loaded(page: Any) -> int:
    """Wait until the first page image has decoded; the width the browser picked from srcset."""
    page.wait_for_function(
        "() => { const i = document.querySelector('.page img');"
        " return i && i.complete && i.naturalWidth > 0; }",
        timeout=20_000,
    )
    source = page.evaluate("document.querySelector('.page img').currentSrc")
    return int(source.split("w=")[1].split("&")[0])


def test_a_delegate_reads_searches_and_comments_on_a_phone(
    live_server: Any,
    browser: Any,
    db: Database,
    settings: Settings,
    register: dict[str, Any],
    tmp_path: Path,
) -> None:
    cid = register["congress_id"]
    programme = add_document(
        db,
        settings,
        cid,
        "Chương trình đại hội",
        ["Khai mạc đại hội", "Thảo luận văn kiện", "Bế mạc"],
        visibility="public",
        group="programme",
    )
    resolution = add_document(
        db,
        settings,
        cid,
        "Dự thảo nghị quyết",
        ["Nghị quyết về công tác thanh niên", "Điều 2. Tổ chức thực hiện"],
        visibility="delegates",
        group="resolutions",
        comments_open=True,
    )
    with db.session() as session:
        delegate = session.scalar(select(Delegate).where(Delegate.code == "DB0004"))
        token = issue_token(settings, session, delegate)
        delegate_id, delegate_name = delegate.id, delegate.full_name

    context = browser.new_context(
        viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, locale="vi-VN"
    )
    foreign: list[str] = []
    sizes: dict[str, int] = {}

    def on_request(request: Any) -> None:
        if not request.url.startswith(live_server.url):
            foreign.append(request.url)

    def on_response(response: Any) -> None:
        try:
            sizes[response.url] = len(response.body())
        except Exception:  # noqa: BLE001 - redirects and aborted loads have no body
            sizes.setdefault(response.url, 0)

    context.on("request", on_request)
    page = context.new_page()
    page.on("response", on_response)
    base = live_server.url

    # 1. The congress QR opens the list: only public documents before signing in.
    page.goto(f"{base}/p/{SLUG}")
    expect(page.locator("h1.congress")).to_contain_text("Nghệ An")
    expect(page.locator("main")).to_contain_text("Chương trình đại hội")
    expect(page.locator("body")).not_to_contain_text("Dự thảo nghị quyết")
    page.wait_for_load_state("networkidle")
    list_weight = sum(sizes.values())
    assert 0 < list_weight < 60_000, sizes

    # 2. Reading: page images come from the server, the first one light enough for a phone.
    sizes.clear()
    page.click("text=Chương trình đại hội")
    page.wait_for_url(f"{base}/p/{SLUG}/d/{programme}")
    width = _first_image_loaded(page)
    assert width == 1080  # 390 CSS pixels at 2x: the smallest offered width >= 780
    first_image = [size for url, size in sizes.items() if "/page/1.webp" in url]
    assert first_image and max(first_image) < 200_000
    expect(page.locator("figure.page")).to_have_count(3)

    # 3. Signing in with the soft-badge link shows the delegates' documents.
    page.goto(f"{base}/p/{SLUG}/enter/{token}")
    page.click("#enter-form button[type=submit]")
    page.wait_for_url(f"{base}/p/{SLUG}")
    expect(page.locator("main")).to_contain_text("Dự thảo nghị quyết")
    expect(page.locator("footer.who")).to_contain_text(delegate_name)

    # 4. Search typed without diacritics finds the text with them.
    page.fill("header input[type=search]", "nghi quyet thanh nien")
    page.press("header input[type=search]", "Enter")
    page.wait_for_url(f"{base}/p/{SLUG}/search?q=*")
    hit = page.locator("ul.hits li a").first
    expect(hit).to_contain_text("Dự thảo nghị quyết")
    hit.click()
    page.wait_for_url(f"{base}/p/{SLUG}/d/{resolution}*")
    _first_image_loaded(page)

    # 5. A comment on page 2, escaped and stored once.
    page.select_option("select[name=page]", "2")
    page.fill("textarea[name=body]", "Đề nghị bổ sung <i>Điều 2</i> về kinh phí")
    page.click("form[action$='/comments'] button[type=submit]")
    expect(page.locator("#comments p.ok")).to_be_visible()
    expect(page.locator("#comments ul.clist")).to_contain_text("<i>Điều 2</i>")
    with db.session() as session:
        stored = session.scalars(select(DocumentComment)).all()
        assert [(c.delegate_id, c.page, c.document_id) for c in stored] == [
            (delegate_id, 2, resolution)
        ]

    screenshot = tmp_path / "portal-390x844.png"
    page.goto(f"{base}/p/{SLUG}/d/{programme}")
    _first_image_loaded(page)
    page.screenshot(path=str(screenshot))
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    # 6. Offline after the first visit: the service worker serves the pages already read.
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.reload()  # now controlled by the service worker, which keeps what it serves
    _first_image_loaded(page)
    page.wait_for_load_state("networkidle")
    context.set_offline(True)
    page.reload()
    expect(page.locator("h1")).to_contain_text("Chương trình đại hội")
    _first_image_loaded(page)
    context.set_offline(False)

    # The sign-in page of the soft-badge link carries the card's code: never kept on the phone.
    kept = page.evaluate(
        "() => caches.open('congress-portal-v1').then(c => c.keys()).then(k => k.map(r => r.url))"
    )
    assert kept and not [url for url in kept if "/enter/" in url]
    assert foreign == []
    context.close()
