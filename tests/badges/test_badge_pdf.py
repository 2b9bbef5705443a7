"""Printed badges: every layout's QR codes decode back to the cards, names fit, text is real."""

from __future__ import annotations

import dataclasses
import io
import math
import re
import unicodedata
from collections import Counter
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium
import pytest
import zxingcpp
from PIL import Image

from badges.pdf import (
    CARD,
    DEFAULT_SETTINGS,
    LAYOUTS,
    TALL,
    BadgeCard,
    CardDesign,
    Layout,
    card_origins,
    fit_text,
    render_badges,
    sheet_for,
)
from badges.token import BadgeToken, sign_badge
from congress.keys import generate_private_key
from congress.qr import qr_modules

# Only QR codes: zxing's other readers can see a 1D code in ordinary print (a spurious "8553").
QR = zxingcpp.BarcodeFormat.QRCode

DPI = 150
PX_PER_MM = DPI / 25.4
KEY = generate_private_key()
PORTAL = "https://daihoi.thanhdoan.hanoi.vn/vk/17"
CONGRESS = (
    "ĐẠI HỘI ĐẠI BIỂU ĐOÀN TNCS HỒ CHÍ MINH THÀNH PHỐ HÀ NỘI LẦN THỨ XVII, NHIỆM KỲ 2027 - 2032"
)
NAME_60 = [
    "Tôn Nữ Hoàng Thị Phương Thảo Nguyễn Huỳnh Ngọc Diễm Quỳnh Vy",
    "NGUYỄN ĐẶNG HUỲNH THỊ NGỌC DIỄM QUỲNH ANH THƯ HOÀNG PHƯỢNG Ễ",
    "Nguyễn" * 10,  # no space to wrap at
    "Ệ Ỗ Ẫ Ấ Ậ Ằ Ẵ Ặ Ầ Ẩ Ễ Ể Ế Ề Ọ Ộ Ờ Ở Ỡ Ợ Ụ Ừ Ử Ữ Ự Ỹ Ỷ Ỵ ỳ Ạg",
]
NAMES = [
    "Nguyễn Văn An",
    "Lê Thị Bích Ngọc",
    "Trần Quốc Đạt",
    "Hoàng Thị Hồng Nhung",
    *NAME_60,
    "Phạm Ánh Dương",
]


def _jpeg(colour: tuple[int, int, int], size: tuple[int, int] = (600, 800), **kw: object) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "JPEG", **kw)
    return out.getvalue()


def _png_with_alpha() -> bytes:
    image = Image.new("RGBA", (300, 400), (0, 120, 0, 255))
    image.paste((0, 0, 0, 0), (0, 0, 300, 100))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _rotated_jpeg() -> bytes:
    """A landscape JPEG, blue left half and yellow right, whose EXIF says: turn 90° clockwise.

    Shown upright it is a portrait, blue on top and yellow below.
    """
    image = Image.new("RGB", (800, 600), (230, 200, 20))
    image.paste((30, 60, 200), (0, 0, 400, 600))
    exif = Image.Exif()
    exif[0x0112] = 6
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


JPEG_PHOTO = _jpeg((190, 120, 90))
PHOTOS = [JPEG_PHOTO, _png_with_alpha(), None, _rotated_jpeg(), None]


def _card(index: int, name: str, **changes: object) -> BadgeCard:
    fields: dict[str, object] = {
        "congress_name": CONGRESS,
        "congress_dates": "Ngày 20 - 21/11/2026",
        "full_name": name,
        "delegation": "Đoàn đại biểu Quận Hoàn Kiếm",
        "position": "Bí thư Đoàn phường",
        "unit": "Phường Hàng Bạc",
        "kind": "full" if index % 3 else "alternate",
        "photo": PHOTOS[index % len(PHOTOS)],
        "token": sign_badge(KEY, BadgeToken(17, 1000 + index, 1 + index % 3)),
        "portal_url": PORTAL,
    }
    fields.update(changes)
    return BadgeCard(**fields)  # type: ignore[arg-type]


CARDS = [_card(i, name) for i, name in enumerate(NAMES)]


def _render(cards: list[BadgeCard], layout: Layout, **kw: object) -> bytes:
    out = io.BytesIO()
    render_badges(cards, layout, out, **kw)  # type: ignore[arg-type]
    return out.getvalue()


def _pages(data: bytes, dpi: int = DPI) -> list[Image.Image]:
    pdf = pdfium.PdfDocument(data)
    return [page.render(scale=dpi / 72).to_pil().convert("RGB") for page in pdf]


def _text(data: bytes) -> str:
    pdf = pdfium.PdfDocument(data)
    return "\n".join(page.get_textpage().get_text_range() for page in pdf)


@pytest.fixture(scope="module", params=LAYOUTS)
def rendered(request: pytest.FixtureRequest) -> tuple[Layout, bytes, list[Image.Image]]:
    layout: Layout = request.param
    data = _render(CARDS, layout)
    return layout, data, _pages(data)


def test_every_qr_decodes_to_the_cards(rendered: tuple[Layout, bytes, list[Image.Image]]) -> None:
    layout, _, pages = rendered
    per_page = len(card_origins(layout))
    assert len(pages) == math.ceil(len(CARDS) / per_page)
    tokens: list[str] = []
    portals = 0
    for page in pages:
        for barcode in zxingcpp.read_barcodes(page, formats=QR):
            if barcode.text == PORTAL:
                portals += 1
            else:
                tokens.append(barcode.text)
    assert Counter(tokens) == Counter(card.token for card in CARDS)
    assert portals == len(CARDS)


def test_page_size(rendered: tuple[Layout, bytes, list[Image.Image]]) -> None:
    layout, data, _ = rendered
    expected = {"a6": (105, 148), "cr80": (89.6, 58), "a4-4up": (210, 297), "a4-8up": (210, 297)}
    for page in pdfium.PdfDocument(data):
        width, height = page.get_size()
        assert (round(width / 72 * 25.4, 1), round(height / 72 * 25.4, 1)) == expected[layout]


def test_delegate_qr_size_and_quiet_zone(rendered: tuple[Layout, bytes, list[Image.Image]]) -> None:
    layout, _, pages = rendered
    minimum = 25.0 if layout in ("a6", "a4-4up") else 20.0
    assert sheet_for(layout).design.min_qr_symbol == minimum
    gray = np.asarray(pages[0].convert("L"))
    symbols = [b for b in zxingcpp.read_barcodes(pages[0], formats=QR) if b.text != PORTAL]
    assert symbols
    for barcode in symbols:
        p = barcode.position
        x0, x1 = min(p.top_left.x, p.bottom_left.x), max(p.top_right.x, p.bottom_right.x)
        y0, y1 = min(p.top_left.y, p.top_right.y), max(p.bottom_left.y, p.bottom_right.y)
        assert (x1 - x0) / PX_PER_MM >= minimum - 0.3
        assert (y1 - y0) / PX_PER_MM >= minimum - 0.3
        module = (x1 - x0 + 1) / qr_modules(barcode.text).shape[1]
        quiet = int(4 * module) - 1
        ring = gray[y0 - quiet : y1 + quiet + 1, x0 - quiet : x1 + quiet + 1].copy()
        assert ring.shape == (y1 - y0 + 2 * quiet + 1, x1 - x0 + 2 * quiet + 1)
        # the symbol itself, widened by 2 pixels of anti-aliasing at unaligned edges
        ring[quiet - 2 : -quiet + 2, quiet - 2 : -quiet + 2] = 255
        assert ring.min() > 200, "ink inside the 4-module quiet zone"


def test_delegate_qr_is_version_5(rendered: tuple[Layout, bytes, list[Image.Image]]) -> None:
    assert all(qr_modules(card.token).shape == (37, 37) for card in CARDS)


def test_vietnamese_names_in_text_layer(rendered: tuple[Layout, bytes, list[Image.Image]]) -> None:
    _, data, _ = rendered
    text = " ".join(_text(data).split())
    for card in CARDS:
        name = unicodedata.normalize("NFC", card.full_name)
        if " " in name:
            assert name in text
        else:
            # a name without spaces may be cut over two lines: compare without line breaks
            assert name in re.sub(r"\s+", "", text)
    assert "THẺ ĐẠI BIỂU" in text
    assert "ĐẠI BIỂU CHÍNH THỨC" in text and "ĐẠI BIỂU DỰ KHUYẾT" in text
    assert "Đoàn đại biểu Quận Hoàn Kiếm" in text
    # the link is printed without the scheme, wrapped without added spaces
    assert re.sub(r"\s+", "", text).count("daihoi.thanhdoan.hanoi.vn/vk/17") == len(CARDS)


def test_decomposed_input_is_printed_nfc() -> None:
    nfd = unicodedata.normalize("NFD", "Đặng Thị Hường")
    data = _render([_card(0, nfd)], "a6")
    text = _text(data)
    assert "Đặng Thị Hường" in text
    assert nfd not in text


def _ink_box(a: Image.Image, b: Image.Image) -> tuple[float, float, float, float]:
    """Bounding box (mm, x0, y0, x1, y1) of the pixels where two renderings differ."""
    diff = np.abs(
        np.asarray(a.convert("L"), dtype=np.int16) - np.asarray(b.convert("L"), dtype=np.int16)
    )
    ys, xs = np.nonzero(diff > 40)
    assert xs.size, "no difference: the name was not drawn"
    return (
        xs.min() / PX_PER_MM,
        ys.min() / PX_PER_MM,
        (xs.max() + 1) / PX_PER_MM,
        (ys.max() + 1) / PX_PER_MM,
    )


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("name", NAME_60)
def test_60_character_names_stay_inside(layout: Layout, name: str) -> None:
    assert len(name) == 60
    design: CardDesign = sheet_for(layout).design
    # Two renderings differing only in the name: their difference is the name's ink.
    cards = [_card(1, name), _card(1, "I")]
    page_long = _pages(_render(cards[:1], layout))[0]
    page_short = _pages(_render(cards[1:], layout))[0]
    x0, y0, x1, y1 = _ink_box(page_long, page_short)
    trim = card_origins(layout)[0]
    safe = design.safe
    assert x0 >= trim.x + safe and x1 <= trim.x + design.width - safe, (x0, x1)
    assert y0 >= trim.y + safe and y1 <= trim.y + design.height - safe, (y0, y1)
    box = design.name.rect
    tolerance = 0.4  # anti-aliasing and pixel rounding at 150 dpi
    assert x0 >= trim.x + box.x - tolerance and x1 <= trim.x + box.x + box.w + tolerance
    assert y0 >= trim.y + box.y - tolerance and y1 <= trim.y + box.y + box.h + tolerance
    # shrunk to fit, not shrunk to nothing: the name spans at least half the box
    assert x1 - x0 > 0.5 * box.w


@pytest.mark.parametrize("design", [TALL, CARD])
def test_fit_text_never_exceeds_the_box(design: CardDesign) -> None:
    from reportlab.lib.units import mm
    from reportlab.pdfbase.pdfmetrics import stringWidth

    settings = DEFAULT_SETTINGS
    for name in [*NAME_60, "A", "W" * 120, "Nguyễn Văn A " * 12]:
        lines, size = fit_text(name, design.name, settings)
        assert 1 <= len(lines) <= design.name.max_lines
        assert " ".join(lines).replace(" ", "") == name.replace(" ", "")
        assert max(stringWidth(line, design.name.font, size) for line in lines) <= (
            design.name.rect.w * mm
        )
        block = (len(lines) - 1) * settings.line_pitch + settings.ascent + settings.descent
        assert block * size <= design.name.rect.h * mm
    url = "daihoi.thanhdoan.thanhphohochiminh.gov.vn/van-kien/dai-hoi-2027/17"
    url_lines, _ = fit_text(url, design.portal_text, settings, url=True)
    assert len(url_lines) == 2 and "".join(url_lines) == url
    assert url_lines[0].endswith(("/", "."))
    short_lines, short_size = fit_text("Lê An", design.name, settings)
    assert short_lines == ["Lê An"] and short_size == design.name.max_size


def test_cr80_band_extends_into_bleed() -> None:
    cards = [_card(1, "Nguyễn Văn An", kind="full"), _card(2, "Lê Văn Bình", kind="alternate")]
    pages = _pages(_render(cards, "cr80"))
    for page, colour in zip(pages, ("red", "blue"), strict=True):
        rgb = np.asarray(page).astype(int)
        height, width = rgb.shape[:2]
        for x, y in [(1, height - 2), (width - 2, height - 2), (width // 2, height - 2)]:
            r, g, b = rgb[y, x]
            assert (r > 150 and g < 60 and b < 60) if colour == "red" else (b > 130 and r < 60)
        # the top of the bleed stays white: only the band touches the edge
        assert rgb[1, width // 2].min() > 240


def test_crop_marks() -> None:
    pages = _pages(_render(CARDS, "a4-4up"))
    gray = np.asarray(pages[0].convert("L"))
    x = round(105 * PX_PER_MM)
    # hairlines (0.25 pt) render grey at 150 dpi
    assert gray[0 : round(3 * PX_PER_MM), x - 1 : x + 2].min() < 180  # tick at the top edge
    y = round(148.5 * PX_PER_MM)
    assert gray[y - 1 : y + 2, 0 : round(3 * PX_PER_MM)].min() < 180  # tick at the left edge
    # no tick away from the cut lines
    assert gray[0 : round(3 * PX_PER_MM), x + 10 : x + 200].min() > 240

    pages = _pages(_render(CARDS[:3], "a4-8up"))
    gray = np.asarray(pages[0].convert("L"))
    trims = card_origins("a4-8up")
    first = trims[0]
    # a vertical mark above the first card's left trim edge, 3 to 7 mm out
    x = round(first.x * PX_PER_MM)
    y_top = round((first.y - 6) * PX_PER_MM)
    assert gray[y_top, x - 1 : x + 2].min() < 180
    # nothing printed in the bleed zone just outside the trim except the band
    y_above = round((first.y - 1.5) * PX_PER_MM)
    assert (
        gray[y_above, round(first.x * PX_PER_MM) + 3 : round((first.x + 80) * PX_PER_MM)].min()
        > 240
    )
    # only three cards on the page: the fourth slot and its mark positions stay white
    empty = trims[3]

    def white(x0: float, y0: float, x1: float, y1: float) -> bool:
        box = gray[
            round(y0 * PX_PER_MM) : round(y1 * PX_PER_MM),
            round(x0 * PX_PER_MM) : round(x1 * PX_PER_MM),
        ]
        return bool(box.size) and bool(box.min() > 240)

    assert white(empty.x - 2, empty.y - 2, empty.x + empty.w + 2, empty.y + empty.h + 2)
    assert white(empty.x + empty.w + 2, empty.y - 1, empty.x + empty.w + 9, empty.y + empty.h + 1)
    # while the same places beside a printed card hold its marks
    assert not white(first.x - 9, first.y - 1, first.x - 2, first.y + first.h + 1)


def test_photos_and_placeholder() -> None:
    cards = [
        _card(0, "Có Ảnh", photo=PHOTOS[0]),
        _card(1, "Không Ảnh", photo=None),
        _card(2, "Ảnh PNG", photo=PHOTOS[1]),
        _card(3, "Ảnh Xoay", photo=PHOTOS[3]),
        _card(4, "Ảnh Rỗng", photo=b""),
    ]
    pages = _pages(_render(cards, "a6"))
    frame = TALL.photo

    def crop(page: Image.Image) -> np.ndarray:
        box = [
            round(v * PX_PER_MM) for v in (frame.x, frame.y, frame.x + frame.w, frame.y + frame.h)
        ]
        inner = np.asarray(page)[box[1] + 3 : box[3] - 3, box[0] + 3 : box[2] - 3].astype(int)
        return inner

    photo = crop(pages[0])
    assert np.abs(photo.mean(axis=(0, 1)) - (190, 120, 90)).max() < 12  # the whole frame filled
    # No photo: the photo's place is left blank, no empty "Ảnh 3×4" frame (issue 22).
    blank = crop(pages[1])
    assert blank.min() > 250, "a card without a photo prints nothing in the photo's place"
    frame_px = [round(v * PX_PER_MM) for v in (frame.x, frame.y, frame.x + frame.w)]
    border = np.asarray(pages[1])[frame_px[1] - 2 : frame_px[1] + 3, frame_px[0] : frame_px[2]]
    assert border.min() > 250, "no dashed frame either"
    assert "Ảnh 3×4" not in _text(_render(cards[1:2], "a6"))
    png = crop(pages[2])
    assert png[2, png.shape[1] // 2].min() > 235  # transparent top printed white
    assert png[-3, png.shape[1] // 2][1] > 90 and png[-3, png.shape[1] // 2][0] < 40
    rotated = crop(pages[3])
    top, bottom = rotated[: rotated.shape[0] // 3], rotated[-rotated.shape[0] // 3 :]
    assert np.abs(top.mean(axis=(0, 1)) - (30, 60, 200)).max() < 20
    assert np.abs(bottom.mean(axis=(0, 1)) - (230, 200, 20)).max() < 20
    assert np.array_equal(crop(pages[4]), blank)  # empty bytes: no photo


def test_photo_placeholder_when_the_congress_glues_photos() -> None:
    """The dashed "Ảnh 3×4" frame is a setting, for congresses that glue paper photos on."""
    glued = dataclasses.replace(DEFAULT_SETTINGS, photo_placeholder=True)
    data = _render([_card(1, "Không Ảnh", photo=None)], "a6", settings=glued)
    assert "Ảnh 3×4" in _text(data)
    frame = TALL.photo
    page = np.asarray(_pages(data)[0]).astype(int)
    box = [round(v * PX_PER_MM) for v in (frame.x, frame.y, frame.x + frame.w, frame.y + frame.h)]
    inner = page[box[1] + 3 : box[3] - 3, box[0] + 3 : box[2] - 3]
    assert (inner.min(axis=2) > 235).mean() > 0.9  # an empty frame, not a fake photo
    edge = page[box[1] - 2 : box[1] + 3, box[0] : box[2]]
    assert edge.min() < 235  # the dashed line is there


def test_each_distinct_photo_embedded_once() -> None:
    cards = [_card(i, f"Đại Biểu {i}", photo=PHOTOS[0] if i % 2 else PHOTOS[3]) for i in range(12)]
    data = _render(cards, "a4-8up")
    assert data.count(b"/Subtype /Image") == 2


def test_progress_and_path_output(tmp_path: Path) -> None:
    seen: list[int] = []
    target = tmp_path / "badges.pdf"
    render_badges(CARDS, "a4-4up", target, progress=seen.append)
    assert seen == [4, 8, 9]
    assert target.read_bytes().startswith(b"%PDF")


@pytest.mark.parametrize(
    "cards, layout",
    [
        ([], "a6"),
        ([_card(0, "An", kind="observer")], "a6"),
        ([_card(0, "   ")], "a6"),
        ([_card(0, "An", token="")], "a6"),
        ([_card(0, "An")], "a5"),
        ([_card(0, "An"), _card(1, "Bình", photo=b"not an image")], "a6"),
        ([_card(0, "An", photo=JPEG_PHOTO[:200])], "cr80"),
    ],
)
def test_refused_input(cards: list[BadgeCard], layout: str) -> None:
    with pytest.raises(ValueError):
        _render(cards, layout)  # type: ignore[arg-type]


def test_output_is_deterministic() -> None:
    assert _render(CARDS[:3], "cr80") == _render(CARDS[:3], "cr80")
