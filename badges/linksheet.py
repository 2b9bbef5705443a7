"""A printable sheet per delegation: each delegate's name and the QR of their soft-badge link.

The delegation's head hands it out (or posts it in the delegation's chat) before the congress,
so each delegate opens their own card on their phone.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import groupby
from pathlib import Path
from typing import BinaryIO

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from badges.cards import BadgeLink
from congress.fonts import fit_font_size, register_reportlab_fonts
from congress.i18n import Translator
from congress.qr import draw_qr, qr_modules

ROW_HEIGHT = 30 * mm
MARGIN = 15 * mm
QR_SIZE = 26 * mm
HEADER = 28 * mm


def _wrap(text: str, font: str, size: float, width: float, c: Canvas) -> list[str]:
    """Break a long link anywhere (it has no spaces) so that it never runs off the page."""
    lines, line = [], ""
    for ch in text:
        if c.stringWidth(line + ch, font, size) > width:
            lines.append(line)
            line = ch
        else:
            line += ch
    return [*lines, line] if line else lines


def render_link_sheet(
    congress_name: str, links: Sequence[BadgeLink], out: BinaryIO | Path, tr: Translator
) -> int:
    """One section per delegation, each starting on a new page; returns the page count."""
    register_reportlab_fonts()
    c = Canvas(str(out) if isinstance(out, Path) else out, pagesize=A4)
    heading = tr.gettext("Soft badge links")
    c.setTitle(f"{heading} - {congress_name}")
    width, height = A4
    text_width = width - 2 * MARGIN - QR_SIZE - 6 * mm
    pages = 0
    for delegation, group in groupby(links, key=lambda link: link.delegation):
        members = list(group)
        per_page = int((height - 2 * MARGIN - HEADER) // ROW_HEIGHT)
        for first in range(0, len(members), per_page):
            pages += 1
            y = height - MARGIN
            size = fit_font_size(congress_name, "Sans-Bold", width - 2 * MARGIN, 12, 7)
            c.setFont("Sans-Bold", size)
            c.drawString(MARGIN, y - 12, congress_name)
            c.setFont("Sans", 11)
            c.drawString(MARGIN, y - 28, f"{delegation} · {heading}")
            c.setFont("Sans", 8)
            c.drawString(
                MARGIN,
                y - 42,
                tr.gettext(
                    "Scan your own code with the phone camera and keep the page: "
                    "it is your delegate card at the door."
                ),
            )
            y -= HEADER
            for link in members[first : first + per_page]:
                draw_qr(c, qr_modules(link.url), MARGIN, y, QR_SIZE, quiet=2)
                tx = MARGIN + QR_SIZE + 6 * mm
                name_size = fit_font_size(link.full_name, "Sans-Bold", text_width, 13, 7)
                c.setFont("Sans-Bold", name_size)
                c.drawString(tx, y - 16, link.full_name)
                c.setFont("Sans", 9)
                kind = (
                    tr.gettext("Alternate")
                    if link.kind == "alternate"
                    else tr.gettext("Full delegate")
                )
                c.drawString(tx, y - 29, f"{link.code} · {kind}")
                c.setFont("Sans", 6.5)
                for i, part in enumerate(_wrap(link.url, "Sans", 6.5, text_width, c)[:4]):
                    c.drawString(tx, y - 41 - i * 8, part)
                c.setStrokeGray(0.8)
                c.line(MARGIN, y - ROW_HEIGHT + 2, width - MARGIN, y - ROW_HEIGHT + 2)
                y -= ROW_HEIGHT
            c.showPage()
    if pages == 0:
        raise ValueError("no links to print")
    c.save()
    return pages
