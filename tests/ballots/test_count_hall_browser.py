"""The count as the hall sees it, in headless Chromium at 1920x1080 and 390x844: words in
Vietnamese (no target id, reason code or English word on the pages, the images or the exports),
an upside-down ballot shown upright, the machine's invalid ballot decided by the committee, the
projector marking the elected. Screenshots are saved under the directory the test prints."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pypdfium2
import pytest
from babel.messages.pofile import read_po
from openpyxl import load_workbook
from playwright.sync_api import expect

from ballots.counting import counts, intake
from ballots.counting.intake import ContextCache
from ballots.models import Election
from ballots.reading.annotated import annotated_images, caption_band
from ballots.reasons import REASONS
from congress.db import Database
from congress.i18n import LOCALE_DIR
from congress.settings import Settings
from tests.ballots.count_helpers import printed_election, scans
from tests.conftest import REGISTER_SLUG, sign_in_page

MEMBERS = ("Nguyễn Văn Một", "Trần Thị Hai")
TARGET_ID = re.compile(r"\b[cq]\d{3}\.[a-z]+\b|\bq\d\.[a-z]+\b")
# Words of the count's English messages a Vietnamese reader must never meet (4+ letters).
ALLOWED = {"English", "CSV", "XLSX", "PDF", "PNG", "JPEG", "TIFF"}  # a language's name; formats


def _english_words() -> set[str]:
    with (LOCALE_DIR / "vi" / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        catalog = read_po(fh)
    words: set[str] = set()
    for message in catalog:
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        if not ids[0] or not any("ballots/" in f for f, _ in message.locations):
            continue
        for text in ids:
            words |= {
                w.lower() for w in re.findall(r"\b[A-Za-z]{4,}\b", re.sub(r"%\(\w+\)s", "", text))
            }
    return words - {w.lower() for w in ALLOWED}


def _vietnamese_only(text: str, where: str, english: set[str]) -> None:
    assert not TARGET_ID.findall(text), (where, TARGET_ID.findall(text))
    codes = [c for c in REASONS if re.search(rf"\b{c}\b", text)]
    assert not codes, (where, codes)
    found = {w for w in re.findall(r"\b[A-Za-z]{4,}\b", text) if w.lower() in english}
    assert not found - ALLOWED, (where, sorted(found - ALLOWED))


def _sign_in(page: Any, url: str, username: str, password: str) -> None:
    sign_in_page(page, url, username, password)


def _visible_text(page: Any) -> str:
    """What a person reads: the body without the language switcher (it names English)."""
    return str(page.evaluate(
        "() => { const b = document.body.cloneNode(true);"
        " b.querySelectorAll('nav.lang, script, style').forEach(e => e.remove());"
        " return b.innerText; }"
    ))  # fmt: skip


def _decode(data: bytes) -> np.ndarray:
    return cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)


@pytest.mark.parametrize("backend", ["sqlite"])
def test_the_hall_sees_words_upright_ballots_and_the_elected(
    live_server: Any,
    browser: Any,
    db: Database,
    settings: Settings,
    make_user: Any,
    register: dict[str, Any],
    tmp_path: Path,
) -> None:
    shots = tmp_path / "screenshots"
    shots.mkdir()
    print(f"\nscreenshots: {shots}")
    english = _english_words()
    printed = printed_election(db, settings, ballots=4)
    straight = scans(
        printed,
        [
            {"c003.strike": "strike", "c004.strike": "strike"},  # An and Anh stand
            {"c002.strike": "strike", "c003.strike": "strike", "c001.strike": "circle"},
            {},  # four names standing for two seats: the machine finds it invalid
            {"c001.strike": "strike", "c003.strike": "strike"},  # Anh and Châu stand
        ],
    )
    # The doubtful ballot was fed upside down.
    upside = _decode(straight[1])
    upside = cv2.imencode(".png", cv2.rotate(upside, cv2.ROTATE_180))[1].tobytes()
    files = [straight[0], upside, straight[2], straight[3]]
    paths = []
    for i, data in enumerate(files):
        path = tmp_path / f"phieu-{i + 1}.png"
        path.write_bytes(data)
        paths.append(str(path))
    with db.session() as session:
        count_id = counts.open_count(
            session,
            session.get(Election, printed.election_id),  # type: ignore[arg-type]
            members=list(MEMBERS),
            issued=4,
            collected=4,
            actor="t",
        ).id
    password = make_user("ana", "counting")
    make_user("binh", "counting")
    url = live_server.url
    base = f"{url}/c/{REGISTER_SLUG}/counts/{count_id}"
    wide = {"width": 1920, "height": 1080}
    first = browser.new_context(viewport=wide)
    second = browser.new_context(viewport=wide)
    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    try:
        page = first.new_page()
        _sign_in(page, url, "ana", password)
        page.goto(base)
        page.set_input_files("input[name=scans]", paths)
        page.click("form[action$='/scans'] button[type=submit]")
        expect(page.locator("#upload-results tbody tr")).to_have_count(4)
        _vietnamese_only(_visible_text(page), "count page", english)
        assert "tải lên trên trang" in _visible_text(page)
        page.screenshot(path=str(shots / "count-1920.png"), full_page=True)

        # The review queue: the doubtful ballot and the machine's invalid one, in words.
        page.goto(base + "/review")
        rows = page.locator("#review-queue tbody tr")
        expect(rows).to_have_count(2)
        queue = _visible_text(page)
        _vietnamese_only(queue, "review queue", english)
        assert "bầu quá số lượng" in queue
        invalid_row = page.locator("#review-queue tr", has_text="bầu quá số lượng")
        invalid_id = invalid_row.get_attribute("data-ballot")
        doubtful_id = page.locator("#review-queue tr", has_text="không rõ ràng").get_attribute(
            "data-ballot"
        )
        box = invalid_row.locator("input.seen")
        invalid_row.locator("img.thumb").scroll_into_view_if_needed()
        expect(box).to_be_enabled(timeout=15_000)  # once its image is shown
        page.screenshot(path=str(shots / "review-1920.png"), full_page=True)
        box.check()
        page.select_option("#batch-form select[name=member]", MEMBERS[0])
        page.click("#batch-form button[type=submit]")
        expect(page.locator("#batch-done")).to_be_visible()

        # The machine's invalid ballot: its picture carries words, not codes.
        shown = page.request.get(f"{base}/ballots/{invalid_id}/annotated.jpg").body()
        image = _decode(shown)
        words = "Máy đọc: không hợp lệ — bầu quá số lượng"
        band = caption_band(words, image.shape[1])
        codes = caption_band("Máy đọc: invalid — more_than_seats", image.shape[1])
        top = image[: band.shape[0]].astype(np.int16)
        assert np.abs(top - band).mean() < 6 < np.abs(top - codes).mean()
        page.goto(f"{base}/ballots/{invalid_id}")
        _vietnamese_only(_visible_text(page), "invalid ballot page", english)

        # The upside-down ballot: shown upright, its doubtful mark named and cropped upright.
        page.goto(f"{base}/ballots/{doubtful_id}")
        page.wait_for_function("() => document.getElementById('annotated').naturalWidth > 0")
        page.wait_for_function("() => document.querySelector('img.crop').naturalWidth > 0")
        ballot_text = _visible_text(page)
        _vietnamese_only(ballot_text, "ballot page", english)
        assert "1. Nguyễn Thị An" in ballot_text and "nét gạch qua" in ballot_text
        size = page.evaluate(
            "() => [document.getElementById('annotated').naturalWidth,"
            " document.getElementById('annotated').naturalHeight]"
        )
        assert size[1] > size[0]  # the portrait sheet, upright
        crop = _decode(
            page.request.get(f"{base}/ballots/{doubtful_id}/crop/c001.strike.png").body()
        )
        with db.session() as session:
            count = counts.get_count(session, count_id)
            context = intake.reading_context(session, count, ContextCache(2))
        _, upright_crops = annotated_images(context, straight[1], "upright.png", settings.limits)
        expected = _decode(upright_crops["c001.strike"])
        a = cv2.cvtColor(expected, cv2.COLOR_BGR2GRAY).astype(np.float32)
        b = cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY).astype(np.float32)
        assert a.shape == b.shape
        assert float(cv2.matchTemplate(a, b, cv2.TM_CCOEFF_NORMED).max()) > 0.8
        turned = cv2.rotate(b, cv2.ROTATE_180)
        assert float(cv2.matchTemplate(a, turned, cv2.TM_CCOEFF_NORMED).max()) < 0.8
        page.select_option("#decide-form select[name=member]", MEMBERS[0])
        page.check("input[name=status][value=valid]")
        page.check("input[name='mark:c001.strike'][value=marked]")
        page.fill("#decide-form input[name=note]", "Khoanh tròn tên: coi như gạch")
        page.screenshot(path=str(shots / "ballot-1920.png"), full_page=True)
        page.click("#decide-form button[type=submit]")

        # The second member confirms both, in one batch, after seeing each image.
        checker = second.new_page()
        _sign_in(checker, url, "binh", password)
        checker.goto(base + "/review")
        for seen in checker.locator("#review-queue input.seen").all():
            seen.scroll_into_view_if_needed()
            expect(seen).to_be_enabled(timeout=15_000)
            seen.check()
        checker.select_option("#batch-form select[name=member]", MEMBERS[1])
        checker.click("#batch-form button[type=submit]")
        expect(checker.locator("#queue-empty")).to_be_visible()

        # The projector while counting, then closed: the elected marked, big names, no serial.
        projector = second.new_page()
        projector.goto(base + "/projector")
        expect(projector.locator("#live-rows li.passed").first).to_be_visible()
        page.goto(base)
        page.click("form[action$='/close'] button[type=submit]")
        expect(page.locator("#root-hash")).to_be_visible(timeout=20_000)
        close_text = _visible_text(page)
        _vietnamese_only(close_text, "closed count page", english)
        projector.reload()
        elected = projector.locator("#live-rows li.elected")
        expect(elected).to_have_count(2)  # An 2 votes, Anh 2... the two of the most votes
        assert "trúng cử" in elected.first.inner_text()
        size_px = projector.evaluate(
            "() => parseFloat(getComputedStyle(document.querySelector('#live-rows .name')).fontSize)"
        )
        assert size_px >= 28
        hall = _visible_text(projector)
        _vietnamese_only(hall, "projector", english)
        for serial in re.findall(r"[A-Z0-9]{10}", page.locator("body").inner_text()):
            assert serial not in hall
        filled = projector.evaluate(
            "() => document.querySelector('.progress .bar').getBoundingClientRect().width /"
            " document.querySelector('.progress').getBoundingClientRect().width"
        )
        assert filled > 0.99 and "Đã kiểm 4 trên 4 phiếu thu vào" in hall
        projector.wait_for_function("() => document.getElementById('last-ballot').naturalWidth > 0")
        projector.screenshot(path=str(shots / "projector-1920.png"))
        # A long list (a national ballot): in columns and pages, every shown name on the screen.
        long_list = projector.evaluate(
            """() => {
              const list = document.getElementById('live-rows');
              const first = list.children[0];
              for (let i = 5; i <= 120; i++) {
                const li = first.cloneNode(true);
                li.dataset.item = 'x' + i;
                li.querySelector('.no').textContent = String(i);
                li.querySelector('.name').textContent = 'Nguyễn Thị Thu Hương ' + i;
                list.appendChild(li);
              }
              window.hallLayout();
              const shown = Array.from(list.children).filter((li) => !li.hidden);
              const lefts = new Set(shown.map((li) => Math.round(li.getBoundingClientRect().left)));
              return {shown: shown.length, columns: lefts.size,
                      bottom: Math.max(...shown.map((li) => li.getBoundingClientRect().bottom)),
                      height: window.innerHeight,
                      page: document.getElementById('hall-page').textContent};
            }"""
        )
        assert long_list["columns"] >= 2 and long_list["shown"] < 120
        assert long_list["bottom"] <= long_list["height"]
        assert re.fullmatch(r"Trang 1/\d+", long_list["page"]), long_list
        projector.screenshot(path=str(shots / "projector-long-1920.png"))

        # The public results, on a phone: nothing wider than the screen; CSV and XLSX in words.
        mobile = phone.new_page()
        mobile.goto(base + "/public")
        public = _visible_text(mobile)
        _vietnamese_only(public, "public page", english)
        overflow = mobile.evaluate("() => document.documentElement.scrollWidth")
        assert overflow <= 390
        mobile.screenshot(path=str(shots / "public-390.png"), full_page=True)
        mobile_projector = phone.new_page()
        _sign_in(mobile_projector, url, "binh", password)
        for path, name in (("/review", "review"), ("/projector", "projector"),
                           (f"/ballots/{doubtful_id}", "ballot"), ("", "count")):  # fmt: skip
            mobile_projector.goto(base + path)
            _vietnamese_only(_visible_text(mobile_projector), f"{name} on a phone", english)
            wide = mobile_projector.evaluate("() => document.documentElement.scrollWidth")
            assert wide <= 390, f"the {name} page is {wide} px wide on a 390-px phone"
            mobile_projector.screenshot(path=str(shots / f"{name}-390.png"), full_page=True)
        for name in ("public/results.csv", "entry-log.csv"):
            body = page.request.get(f"{base}/{name}").body().decode("utf-8-sig")
            rows_ = list(csv.reader(io.StringIO(body)))
            text = "\n".join(" ".join(r) for r in rows_)
            _vietnamese_only(text, name, english)
            assert "Nguyễn Thị An" in text
        assert "Trần Thị Hai" in page.request.get(f"{base}/entry-log.csv").text()
        for name in ("public/results.xlsx", "entry-log.xlsx"):
            book = load_workbook(io.BytesIO(page.request.get(f"{base}/{name}").body()))
            cells = [str(c) for row in book.active.iter_rows(values_only=True) for c in row if c]
            _vietnamese_only("\n".join(cells), name, english)
        results = page.request.get(f"{base}/public/results.csv").text()
        assert re.search(r"\d+,\d\d %", results)  # the decimal comma
        # One local time: the close time the browser shows on the public page and the count
        # page is the minutes' local time ("Kiểm phiếu kết thúc lúc HH:MM ngày dd/mm/yyyy.").
        minutes = pypdfium2.PdfDocument(page.request.get(f"{base}/minutes.pdf").body())
        try:
            minutes_text = " ".join(p.get_textpage().get_text_range() for p in minutes)
        finally:
            minutes.close()
        said = re.search(
            r"kết thúc lúc (\d\d:\d\d) ngày (\d\d/\d\d/\d{4})", re.sub(r"\s+", " ", minutes_text)
        )
        assert said, "the minutes do not state when the count closed"
        closed = f"{said.group(2)} {said.group(1)}"
        assert f"Kết thúc kiểm phiếu lúc {closed}" in public
        page.goto(base)
        assert f"kết thúc lúc {closed}" in _visible_text(page)
    finally:
        first.close()
        second.close()
        phone.close()
