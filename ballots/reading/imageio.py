"""Load scanned ballot files (PNG, JPEG, TIFF multi-page, PDF multi-page) into numpy pages."""

from __future__ import annotations

import hashlib
import io
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import tifffile

from ballots.reading.bounds import (
    DEFAULT_PDF_DPI,
    ImageFileError,
    check_bytes,
    check_image,
    check_pdf,
    check_pdf_images,
    decoding,
    unreadable,
)
from congress.limits import Limits

__all__ = [
    "DEFAULT_PDF_DPI",
    "ImageFileError",
    "ScannedFile",
    "decode_pages",
    "load_bytes",
    "load_file",
]


@dataclass(frozen=True)
class ScannedFile:
    """The pages of one input file, as uint8 arrays (H x W grayscale or H x W x 3 BGR)."""

    name: str
    sha256: str  # of the file bytes, so a reading names exactly what it read
    pages: tuple[np.ndarray, ...]


def _normalise(image: np.ndarray) -> np.ndarray:
    """uint8 grayscale or 3-channel BGR; alpha is dropped and 16-bit is scaled down."""
    if image.dtype == np.uint16:
        image = (image >> 8).astype(np.uint8)
    elif image.dtype == np.bool_:
        image = image.astype(np.uint8) * 255
    elif image.dtype != np.uint8:
        image = np.clip(image, 0, 255).astype(np.uint8)
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    if image.ndim == 3 and image.shape[2] == 4:
        image = image[:, :, :3]
    return np.ascontiguousarray(image)


def _image_dpi(page: Any) -> float | None:
    """The resolution of a PDF page's scanned image (a scanner's PDF holds one image a page):
    of the images covering at least half the page, the finest (a mixed-raster scan lays a fine
    text mask over a coarse background); None when there is none (a vector page). Measured along
    the image's own axes from its matrix, so an image drawn turned is not taken for a coarse one.
    """
    width, height = page.get_size()
    finest: float | None = None
    for obj in page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_IMAGE,)):
        left, bottom, right, top = obj.get_bounds()
        if (right - left) * (top - bottom) < 0.5 * width * height:
            continue
        matrix = obj.get_matrix()
        columns, rows = obj.get_px_size()
        across, down = math.hypot(matrix.a, matrix.b), math.hypot(matrix.c, matrix.d)
        if across <= 0 or down <= 0:
            continue
        dpi = min(columns / across, rows / down) * 72
        finest = dpi if finest is None else max(finest, dpi)
    return finest if finest is not None and finest > 0 else None


def _pdf_pages(data: bytes, name: str, dpi: float, limits: Limits) -> list[np.ndarray]:
    """Every page rendered at `dpi`, or at its scanned image's own resolution when that is
    coarser: upsampling adds no detail, and the reader must see how coarse the scan really is
    (pages[].dpi, low_resolution). The pages, their sizes and the images on them are checked
    against the limits before anything is rendered."""
    document = pdfium.PdfDocument(data)
    try:
        check_pdf(document, data, name, limits, dpi)
        pages = []
        for index in range(len(document)):
            page = document[index]
            check_pdf_images(page, index, name, limits)
            native = _image_dpi(page)
            render_dpi = float(dpi) if native is None else min(float(dpi), max(72.0, native))
            # Colour, so a red seal stays visible to the seal check.
            # A scan has no annotations or form fields: their appearances are drawn by nobody, so an
            # image hidden in one cannot escape the pixel bounds checked before rendering.
            bitmap = page.render(
                scale=render_dpi / 72, rev_byteorder=False, draw_annots=False, may_draw_forms=False
            )
            array = np.asarray(bitmap.to_numpy())
            pages.append(_normalise(array[:, :, :3].copy()))
        return pages
    finally:
        document.close()


def _tiff_pages(data: bytes) -> list[np.ndarray]:
    pages = []
    with tifffile.TiffFile(io.BytesIO(data)) as tif:
        for page in tif.pages:
            array = np.asarray(page.asarray())
            if array.ndim == 3 and array.shape[2] in (3, 4):
                array = array[:, :, 2::-1] if array.shape[2] == 3 else array[:, :, [2, 1, 0]]
            if array.dtype == np.bool_ or array.max(initial=0) == 1:
                array = (array > 0).astype(np.uint8) * 255
            pages.append(_normalise(array))
    return pages


def decode_pages(
    data: bytes, name: str = "", pdf_dpi: int = DEFAULT_PDF_DPI, limits: Limits = Limits()
) -> list[np.ndarray]:
    """Every page in the bytes of one file, whatever its format (sniffed from the content).

    The file's size, pages and pixels are checked from its headers first; a file refused, or
    one a decoder trips on, raises ImageFileError (a CongressError with the reason)."""
    name = name or "file"
    kind = check_bytes(data, name, limits)
    dpi = float(min(pdf_dpi, limits.ballot_render_dpi))
    with decoding(name, (cv2.error,)):
        if kind == "pdf":
            return _pdf_pages(data, name, dpi, limits)
        check_image(data, kind, name, limits)
        if kind == "tiff":
            pages = _tiff_pages(data)
        else:
            image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
            pages = [] if image is None else [_normalise(image)]
    if not pages:
        raise unreadable(name)
    return pages


def load_file(
    path: Path | str, pdf_dpi: int = DEFAULT_PDF_DPI, limits: Limits = Limits()
) -> ScannedFile:
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise unreadable(path.name) from exc
    return load_bytes(data, path.name, pdf_dpi, limits)


def load_bytes(
    data: bytes, name: str, pdf_dpi: int = DEFAULT_PDF_DPI, limits: Limits = Limits()
) -> ScannedFile:
    return ScannedFile(
        name, hashlib.sha256(data).hexdigest(), tuple(decode_pages(data, name, pdf_dpi, limits))
    )


def to_gray(image: np.ndarray) -> np.ndarray:
    return image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)


def is_colour(image: np.ndarray, tolerance: int = 12) -> bool:
    """True when the image carries colour, not three equal channels (a grayscale scan saved as RGB)."""
    if image.ndim == 2:
        return False
    sample = image[::4, ::4].astype(np.int16)
    spread = sample.max(axis=2) - sample.min(axis=2)
    return bool(spread.max(initial=0) > tolerance)
