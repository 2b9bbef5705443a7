"""Printed ballots: every page's QR decodes to its signed token; the reference page matches."""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path

import numpy as np
import pytest
import segno
import zxingcpp
from PIL import Image

from ballots.paper.design import MM, BallotSpec, build_layout
from ballots.paper.layout import BallotLayout, PageLayout
from ballots.paper.pdf import render_ballots
from ballots.paper.raster import rasterize_pdf, render_blank_page
from ballots.paper.serials import (
    PageToken,
    PageTokenError,
    ballot_page_tokens,
    decode_page_token,
    encode_page_token,
    new_serials,
)
from congress.keys import generate_private_key
from congress.qr import qr_modules

DPI = 150
PX = DPI / 72
KEY = generate_private_key()
PUBLIC = KEY.public_key()
FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi"]
GIVEN = ["An", "Bình", "Cường", "Dũng", "Giang", "Hà", "Hải", "Khánh", "Lan", "Nhung", "Quỳnh"]


def spec(form: str, count: int, election_id: int = 11) -> BallotSpec:
    return BallotSpec(
        election_id=election_id,
        round=2,
        form=form,  # type: ignore[arg-type]
        seats=max(1, count - 3),
        organisation="ĐOÀN TNCS HỒ CHÍ MINH\nTRUNG ƯƠNG ĐOÀN",
        title="Bầu Ban Chấp hành Trung ương Đoàn khóa XIII",
        items=[f"{FAMILY[i % 11]} Văn {GIVEN[(i * 3) % 11]} {i + 1}" for i in range(count)],
        sitting_label="Hà Nội, ngày 23 tháng 11 năm 2026",
    )


@cache
def printed(
    form: str, count: int, ballots: int
) -> tuple[BallotSpec, BallotLayout, list[str], bytes]:
    ballot = spec(form, count)
    layout = build_layout(ballot)
    tokens = ballot_page_tokens(KEY, 11, 2, len(layout.pages), new_serials(ballots))
    out = io.BytesIO()
    render_ballots(ballot, layout, tokens, out)
    return ballot, layout, tokens, out.getvalue()


def qr_box_px(page: PageLayout) -> tuple[int, int, int, int]:
    x0, y0, x1, y1 = page.qr
    return int(x0 * PX) - 1, int(y0 * PX) - 1, int(np.ceil(x1 * PX)) + 1, int(np.ceil(y1 * PX)) + 1


@pytest.mark.parametrize(
    ("form", "count", "ballots"), [("strike", 100, 3), ("strike", 250, 1), ("confidence", 8, 2)]
)
def test_every_page_qr_decodes_to_its_signed_token(form: str, count: int, ballots: int) -> None:
    _, layout, tokens, pdf = printed(form, count, ballots)
    pages = len(layout.pages)
    images = rasterize_pdf(pdf, DPI)
    assert len(images) == len(tokens) == ballots * pages
    serials: list[str] = []
    for index, (image, token) in enumerate(zip(images, tokens, strict=True)):
        page = layout.pages[index % pages]
        results = zxingcpp.read_barcodes(Image.fromarray(image))
        qrs = [r for r in results if r.format == zxingcpp.BarcodeFormat.QRCode]
        assert len(qrs) == 1, f"page {index}: {len(qrs)} QR codes"
        assert qrs[0].text == token
        assert qrs[0].ec_level == "M"
        decoded = decode_page_token(PUBLIC, qrs[0].text)
        assert (decoded.election_id, decoded.round) == (11, 2)
        assert (decoded.page, decoded.pages) == (page.number, pages)
        serials.append(decoded.serial)
        # The symbol sits inside the layout's QR area.
        x0, y0, x1, y1 = page.qr
        position = qrs[0].position
        for point in (
            position.top_left,
            position.top_right,
            position.bottom_left,
            position.bottom_right,
        ):
            assert x0 * PX <= point.x <= x1 * PX and y0 * PX <= point.y <= y1 * PX
    # All pages of one ballot share its serial; ballots have distinct serials.
    per_ballot = [serials[i : i + pages] for i in range(0, len(serials), pages)]
    assert all(len(set(group)) == 1 for group in per_ballot)
    assert len({group[0] for group in per_ballot}) == ballots


def test_qr_symbol_size_and_quiet_zone() -> None:
    _, layout, tokens, pdf = printed("strike", 100, 3)
    modules = qr_modules(tokens[0])
    page = layout.pages[0]
    area = page.qr[2] - page.qr[0]
    module = area / (modules.shape[0] + 8)
    assert 22 * MM <= module * modules.shape[0] <= 25 * MM
    image = rasterize_pdf(pdf, DPI, [0])[0]
    x0, y0, x1, _ = qr_box_px(page)
    quiet = int(4 * module * PX) - 2
    symbol_bottom = int((page.qr[1] + area) * PX)
    region = image[y0 + 2 : symbol_bottom - 1, x0 + 2 : x1 - 2]
    assert (region[: quiet - 2] > 250).all() and (region[:, : quiet - 2] > 250).all()
    assert (region[:, -(quiet - 2) :] > 250).all()
    assert (region < 128).mean() > 0.2


def test_qr_is_segno_symbol_with_level_m_alphanumeric() -> None:
    """The fast writer makes a symbol segno also makes (EC level M, alphanumeric mode)."""
    for token in printed("strike", 100, 3)[2][:4]:
        modules = qr_modules(token)
        reference = segno.make(
            token, error="m", mode="alphanumeric", micro=False, boost_error=False
        )
        assert modules.shape[0] == reference.symbol_size(border=0)[0]
        candidates = [
            np.array(
                segno.make(
                    token,
                    error="m",
                    mode="alphanumeric",
                    version=reference.version,
                    mask=mask,
                    boost_error=False,
                ).matrix,
                dtype=bool,
            )
            for mask in range(8)
        ]
        assert any((modules == candidate).all() for candidate in candidates)


def test_printed_text_shows_page_and_serial() -> None:
    _, layout, tokens, pdf = printed("strike", 100, 3)
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(pdf)
    try:
        for index in (0, 1, 5):
            text = document[index].get_textpage().get_text_range()
            serial = decode_page_token(PUBLIC, tokens[index]).serial
            assert f"Trang {index % 2 + 1}/2" in text
            assert serial in text
            assert "PHIẾU BẦU" in text
            if index % 2 == 0:
                assert "Gạch ngang giữa cả họ và tên người không bầu" in text
                assert "Dấu của Ban kiểm phiếu" in text
    finally:
        document.close()


@pytest.mark.parametrize(("form", "count"), [("strike", 100), ("agree", 6)])
def test_blank_page_equals_printed_page_outside_the_qr_area(form: str, count: int) -> None:
    ballot, layout, tokens, pdf = printed(form, count, 2)
    pages = len(layout.pages)
    images = rasterize_pdf(pdf, DPI)
    for page in layout.pages:
        blank = render_blank_page(ballot, layout, page.number, DPI)
        x0, y0, x1, y1 = qr_box_px(page)
        for printed_image in (images[page.number - 1], images[pages + page.number - 1]):
            assert blank.shape == printed_image.shape
            outside = np.ones(blank.shape, bool)
            outside[y0:y1, x0:x1] = False
            assert np.array_equal(blank[outside], printed_image[outside])
            assert (printed_image[y0:y1, x0:x1] < 128).sum() > 1000
        assert (blank[y0:y1, x0:x1] == 255).all()
        assert blank.dtype == np.uint8 and blank.ndim == 2
        assert (blank < 128).sum() > 10000  # the page itself is there


def test_pdf_embeds_its_fonts_and_uses_paper_size() -> None:
    _, layout, _, pdf = printed("confidence", 8, 2)
    assert pdf.count(b"/FontFile2") >= 2  # TrueType programs embedded, not referenced
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(pdf)
    try:
        width, height = document[0].get_size()
    finally:
        document.close()
    assert (round(width / MM), round(height / MM)) == (148, 210)
    assert (width, height) == pytest.approx(
        (layout.pages[0].width, layout.pages[0].height), abs=0.01
    )


def test_render_to_a_path(tmp_path: Path) -> None:
    ballot = spec("yesno", 1)
    layout = build_layout(ballot)
    target = tmp_path / "ballots.pdf"
    render_ballots(ballot, layout, ballot_page_tokens(KEY, 11, 2, 1, new_serials(2)), target)
    assert len(rasterize_pdf(target.read_bytes(), 50)) == 2


def test_render_refuses_tokens_that_do_not_match() -> None:
    ballot, layout, tokens, _ = printed("strike", 100, 3)
    out = io.BytesIO()
    with pytest.raises(ValueError):
        render_ballots(ballot, layout, tokens[:3], out)  # half a ballot
    with pytest.raises(ValueError):
        render_ballots(ballot, layout, [tokens[1], tokens[0]], out)  # pages swapped
    other = encode_page_token(KEY, PageToken(12, 2, 1, 2, "ABCDEFGHIJ"))
    with pytest.raises(ValueError):
        render_ballots(ballot, layout, [other, tokens[1]], out)  # another election
    with pytest.raises(PageTokenError):
        render_ballots(ballot, layout, ["garbage", tokens[1]], out)
    with pytest.raises(ValueError):
        render_ballots(ballot, layout, [], out)


def test_render_refuses_a_layout_of_another_spec() -> None:
    ballot, layout, tokens, _ = printed("strike", 100, 3)
    other = build_layout(spec("strike", 99))
    with pytest.raises(ValueError):
        render_ballots(ballot, other, tokens[:2], io.BytesIO())
    with pytest.raises(ValueError):
        render_blank_page(ballot, other, 1, DPI)
