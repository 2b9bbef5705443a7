"""Print ballots as one PDF: each page's static part drawn once as a PDF Form XObject, each
ballot page adding only its QR code and caption."""

from __future__ import annotations

import io
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import BinaryIO

import cv2
import numpy as np
from reportlab.pdfgen.canvas import Canvas

from ballots.paper.design import (
    DEFAULT_SETTINGS,
    BallotPlan,
    BallotPrintSettings,
    BallotSpec,
    PagePlan,
    checked_plan,
)
from ballots.paper.layout import BallotLayout
from ballots.paper.serials import parse_page_token
from congress.qr import draw_cells, draw_qr, qr_modules


@cache
def _aruco_cells(aruco_id: int) -> np.ndarray:
    """The marker's 6 x 6 cells (black border included), True where black."""
    dictionary = cv2.aruco.getPredefinedDictionary(cv2.aruco.DICT_4X4_50)
    image = cv2.aruco.generateImageMarker(dictionary, aruco_id, 6, borderBits=1)
    return np.asarray(image) < 128


def _draw_static(canvas: Canvas, plan: BallotPlan, page: PagePlan) -> None:
    h = plan.height
    canvas.setStrokeGray(0)
    canvas.setFillGray(0)
    for frame in page.frames:
        canvas.setLineWidth(frame.width)
        canvas.setDash(3, 2) if frame.dashed else canvas.setDash()
        x0, y0, x1, y1 = frame.box
        canvas.rect(x0, h - y1, x1 - x0, y1 - y0, stroke=1, fill=0)
    canvas.setDash()
    for line in page.lines:
        canvas.setLineWidth(line.width)
        canvas.line(line.x0, h - line.y0, line.x1, h - line.y1)
    for text in page.texts:
        canvas.setFont(text.font, text.size)
        if text.align == "center":
            canvas.drawCentredString(text.x, h - text.baseline, text.text)
        elif text.align == "right":
            canvas.drawRightString(text.x, h - text.baseline, text.text)
        else:
            canvas.drawString(text.x, h - text.baseline, text.text)
    for mark in page.marks:
        assert mark.aruco_id is not None
        cells = _aruco_cells(mark.aruco_id)
        x0, y0, x1, _ = mark.box
        draw_cells(canvas, cells, x0, h - y0, (x1 - x0) / cells.shape[1])


def _form_name(page_number: int) -> str:
    return f"BallotPage{page_number}"


def _define_forms(canvas: Canvas, plan: BallotPlan) -> None:
    for page in plan.pages:
        canvas.beginForm(_form_name(page.number), 0, 0, plan.width, plan.height)
        _draw_static(canvas, plan, page)
        canvas.endForm()


def _draw_variable(
    canvas: Canvas,
    plan: BallotPlan,
    page: PagePlan,
    token: str,
    caption: tuple[str, str],
    s: BallotPrintSettings,
) -> None:
    area = page.qr_symbol_area
    draw_qr(canvas, qr_modules(token), area[0], plan.height - area[1], area[2] - area[0], quiet=4)
    canvas.setFont("Sans", s.caption_size_pt)
    center = (page.qr[0] + page.qr[2]) / 2
    first = area[3] + s.caption_size_pt * 0.6
    canvas.drawCentredString(center, plan.height - first, caption[0])
    canvas.drawCentredString(center, plan.height - (first + s.caption_size_pt * 1.25), caption[1])


def render_ballots(
    spec: BallotSpec,
    layout: BallotLayout,
    tokens: Sequence[str],
    out: BinaryIO | Path,
    settings: BallotPrintSettings = DEFAULT_SETTINGS,
) -> None:
    """Print one ballot per len(layout.pages) consecutive page tokens as one PDF into `out`."""
    plan = checked_plan(spec, layout, settings)
    pages = len(plan.pages)
    if not tokens or len(tokens) % pages:
        raise ValueError(f"need a whole number of ballots of {pages} page tokens each")
    captions: list[tuple[str, str]] = []
    for index, text in enumerate(tokens):
        token = parse_page_token(text)
        page_number = index % pages + 1
        if (token.election_id, token.round, token.page, token.pages) != (
            spec.election_id,
            spec.round,
            page_number,
            pages,
        ):
            raise ValueError(f"token {index} is not page {page_number}/{pages} of this election")
        captions.append((f"Trang {page_number}/{pages}", f"Số: {token.serial}"))
    target: BinaryIO | str = str(out) if isinstance(out, Path) else out
    canvas = Canvas(target, pagesize=(plan.width, plan.height), pageCompression=1, invariant=1)
    canvas.setTitle(f"Phiếu bầu - {spec.title}")
    _define_forms(canvas, plan)
    for index, text in enumerate(tokens):
        page = plan.pages[index % pages]
        canvas.doForm(_form_name(page.number))
        _draw_variable(canvas, plan, page, text, captions[index], settings)
        canvas.showPage()
    canvas.save()


def blank_page_pdf(
    spec: BallotSpec,
    layout: BallotLayout,
    page_number: int,
    settings: BallotPrintSettings = DEFAULT_SETTINGS,
) -> bytes:
    """A one-page PDF of the page as printed but with the QR area (QR and caption) left white."""
    plan = checked_plan(spec, layout, settings)
    page = plan.pages[page_number - 1]
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(plan.width, plan.height), pageCompression=1, invariant=1)
    _define_forms(canvas, plan)
    canvas.doForm(_form_name(page.number))
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
