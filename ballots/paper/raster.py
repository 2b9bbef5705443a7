"""Ballot PDFs as grayscale images: the reader's reference pages, and pages as a scanner sees
them for the demo, tests and benchmarks."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
import pypdfium2 as pdfium

from ballots.paper.design import DEFAULT_SETTINGS, BallotPrintSettings, BallotSpec
from ballots.paper.layout import BallotLayout
from ballots.paper.pdf import blank_page_pdf


def iter_pdf_pages(
    data: bytes, dpi: int, pages: Sequence[int] | None = None
) -> Iterator[np.ndarray]:
    """Grayscale uint8 images (white 255) of the PDF's pages (0-based indexes; None: all), one
    at a time: a print run of hundreds of ballots never sits in memory whole."""
    document = pdfium.PdfDocument(data)
    try:
        for index in range(len(document)) if pages is None else pages:
            bitmap = document[index].render(scale=dpi / 72, grayscale=True)
            image = np.asarray(bitmap.to_numpy())
            yield np.ascontiguousarray(image.reshape(image.shape[0], image.shape[1], -1)[:, :, 0])
    finally:
        document.close()


def rasterize_pdf(data: bytes, dpi: int, pages: Sequence[int] | None = None) -> list[np.ndarray]:
    """Grayscale uint8 images (white 255) of the PDF's pages (0-based indexes; None: all)."""
    return list(iter_pdf_pages(data, dpi, pages))


def render_blank_page(
    spec: BallotSpec,
    layout: BallotLayout,
    page_number: int,
    dpi: int,
    settings: BallotPrintSettings = DEFAULT_SETTINGS,
) -> np.ndarray:
    """The page as printed but with the QR area (QR and caption) left white: the reader's reference."""
    return rasterize_pdf(blank_page_pdf(spec, layout, page_number, settings), dpi)[0]
