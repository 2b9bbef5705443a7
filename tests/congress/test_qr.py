"""The one QR writer: the matrix decodes, the PDF drawing lands where asked, the SVG is segno's."""

from __future__ import annotations

import io

import numpy as np
import pypdfium2 as pdfium
import pytest
import segno
import zxingcpp
from reportlab.pdfgen.canvas import Canvas

from congress.qr import draw_qr, qr_modules, qr_svg

TEXT = "https://daihoi.example.vn/p/hn-17"


def test_modules_are_shared_and_read_only() -> None:
    cells = qr_modules(TEXT)
    assert cells is qr_modules(TEXT)
    with pytest.raises(ValueError):
        cells[0, 0] = False


@pytest.mark.parametrize("ec_level", ["L", "M", "Q", "H"])
def test_error_correction_level_is_the_one_asked(ec_level: str) -> None:
    cells = qr_modules(TEXT, ec_level)  # type: ignore[arg-type]
    reference = segno.make(TEXT, error=ec_level, micro=False, boost_error=False)
    assert cells.shape == reference.symbol_size(border=0)


def test_drawn_symbol_decodes_inside_its_square() -> None:
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=(300, 300), invariant=1)
    draw_qr(canvas, qr_modules(TEXT), 50, 250, 200, quiet=2)
    canvas.showPage()
    canvas.save()
    page = pdfium.PdfDocument(out.getvalue())[0]
    image = np.asarray(page.render(scale=2, grayscale=True).to_pil().convert("L"))
    (found,) = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)  # type: ignore[arg-type]
    assert found.text == TEXT
    dark = np.argwhere(image < 128)
    module = 2 * 200 / (qr_modules(TEXT).shape[1] + 4)
    # the square's top-left is (50, 50) from the page's top-left, in points; 2 px a point
    assert dark.min(axis=0).tolist() == pytest.approx([100 + 2 * module] * 2, abs=1)
    assert dark.max(axis=0).tolist() == pytest.approx([500 - 2 * module] * 2, abs=1)


def test_svg_is_the_markup_segno_writes() -> None:
    symbol = segno.make(TEXT, error="m", micro=False)
    out = io.BytesIO()
    symbol.save(
        out,
        kind="svg",
        scale=8,
        border=4,
        xmldecl=False,
        svgns=True,
        dark="#000",
        light="#fff",
        svgclass="qr",
        lineclass=None,
        omitsize=True,
    )
    assert qr_svg(np.array(symbol.matrix, dtype=bool)) == out.getvalue().decode("ascii")
