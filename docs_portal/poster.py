"""The congress QR poster: one QR that opens the documents portal, for the hall's walls and tables."""

from __future__ import annotations

import io

from reportlab.lib.pagesizes import A3, A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from congress.fonts import fit_font_size, register_reportlab_fonts
from congress.models import Congress
from congress.qr import draw_qr, qr_modules

SIZES = {"a4": A4, "a3": A3}
# The poster speaks to delegates in the hall, in Vietnamese, whatever the organizer's language.
INSTRUCTION = "Quét mã QR bằng điện thoại để đọc tài liệu đại hội"
HEADING = "TÀI LIỆU ĐẠI HỘI"


def short_address(url: str) -> str:
    return url.split("://", 1)[-1]


def _centred_lines(
    c: Canvas, text: str, font: str, size: float, width: float, centre: float, y: float
) -> float:
    """Draw text centred, wrapped on words to `width`; returns the y below the last line."""
    words, line, lines = text.split(), "", []
    for word in words:
        candidate = f"{line} {word}".strip()
        if line and c.stringWidth(candidate, font, size) > width:
            lines.append(line)
            line = word
        else:
            line = candidate
    if line:
        lines.append(line)
    c.setFont(font, size)
    for text_line in lines:
        c.drawCentredString(centre, y, text_line)
        y -= size * 1.3
    return y


def render_poster(congress: Congress, url: str, size: str = "a4") -> bytes:
    register_reportlab_fonts()
    width, height = SIZES[size]
    scale = width / A4[0]
    margin = 18 * mm * scale
    out = io.BytesIO()
    c = Canvas(out, pagesize=(width, height))
    c.setTitle(f"{HEADING} - {congress.name}")
    centre = width / 2
    usable = width - 2 * margin
    y = height - margin - 14 * scale
    y = _centred_lines(c, congress.name.upper(), "Sans-Bold", 17 * scale, usable, centre, y)
    c.setFillColorRGB(0.70, 0.0, 0.106)
    y = _centred_lines(c, HEADING, "Sans-Bold", 34 * scale, usable, centre, y - 10 * scale)
    c.setFillGray(0)
    qr_size = min(usable, 150 * mm * scale)
    top = y - 6 * scale
    draw_qr(c, qr_modules(url), centre - qr_size / 2, top, qr_size, quiet=2)
    y = top - qr_size - 16 * scale
    y = _centred_lines(c, INSTRUCTION, "Sans-SemiBold", 20 * scale, usable, centre, y)
    address = short_address(url)
    font_size = fit_font_size(address, "Sans-Bold", usable, 26 * scale, 10)
    c.setFont("Sans-Bold", font_size)
    c.drawCentredString(centre, y - 8 * scale, address)
    c.showPage()
    c.save()
    return out.getvalue()
