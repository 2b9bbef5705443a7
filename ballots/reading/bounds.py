"""A scanned ballot file's size, pages and pixels, checked against the limits before decoding."""

from __future__ import annotations

import io
import math
import re
import struct
import zlib
from collections.abc import Iterator
from contextlib import contextmanager

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import tifffile

from congress.errors import CongressError
from congress.filetypes import FileKind, sniff
from congress.i18n import N_
from congress.limits import Limits

DEFAULT_PDF_DPI = 200  # scanners write PDFs of images; 200 dpi keeps strokes and the QR legible
UNREADABLE = N_("%(file)s is not an image or PDF that can be read")
# PDFium ignores /UserUnit and does not show a page's dictionary: it is read from the bytes.
_USER_UNIT = re.compile(rb"/UserUnit\s*([+-]?(?:\d+\.?\d*|\.\d+))")
# JPEG start-of-frame markers (baseline, progressive, lossless, arithmetic): they carry the size.
_JPEG_FRAMES = frozenset({0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE})
_JPEG_STANDALONE = frozenset({0x01, *range(0xD0, 0xD8)})  # markers with no length after them
# What the parsers and decoders raise on hostile bytes; each becomes "cannot be read".
DECODER_ERRORS: tuple[type[Exception], ...] = (
    pdfium.PdfiumError,
    tifffile.TiffFileError,
    ValueError,
    OSError,
    struct.error,
    IndexError,
    KeyError,
    NotImplementedError,
    EOFError,
    zlib.error,
)


class ImageFileError(CongressError):
    """A scanned file refused: not an image or PDF that can be read, or beyond the limits."""

    status = 422


def unreadable(name: str) -> ImageFileError:
    return ImageFileError("unreadable_file", UNREADABLE, file=name)


@contextmanager
def decoding(name: str, also: tuple[type[Exception], ...] = ()) -> Iterator[None]:
    """Whatever a decoder trips on in a file is that file's refusal, never a server error;
    `also`: the caller's decoders' own errors (OpenCV's, where it is loaded)."""
    try:
        yield
    except ImageFileError:
        raise
    except (*DECODER_ERRORS, *also) as exc:
        raise unreadable(name) from exc


def check_bytes(data: bytes, name: str, limits: Limits) -> FileKind:
    """The file's kind, when it is one a scanner writes and within the file size."""
    if not data:
        raise ImageFileError("empty_file", "%(file)s is empty", file=name)
    if len(data) > limits.ballot_file_bytes:
        raise ImageFileError(
            "file_too_large",
            "%(file)s is larger than %(max)s MB",
            status=413,
            file=name,
            max=limits.ballot_file_bytes // (1024 * 1024),
        )
    kind = sniff(data)
    if kind not in ("pdf", "png", "jpeg", "tiff"):
        raise unreadable(name)
    return kind


def _too_many_pages(name: str, pages: int, limits: Limits) -> ImageFileError:
    return ImageFileError(
        "too_many_pages",
        "%(file)s has %(pages)s pages; a ballot has at most %(max)s",
        file=name,
        pages=pages,
        max=limits.ballot_pages,
    )


def check_pixels(name: str, page: int, width: float, height: float, limits: Limits) -> None:
    """A page (or an image on it) of at most ballot_page_pixels."""
    if not (math.isfinite(width) and math.isfinite(height)) or width * height < 0:
        raise unreadable(name)
    if width * height > limits.ballot_page_pixels:
        raise ImageFileError(
            "page_too_many_pixels",
            "Page %(page)s of %(file)s has %(pixels)s megapixels; a ballot page has at most "
            "%(max)s",
            file=name,
            page=page,
            pixels=math.ceil(width * height / 1e6),
            max=limits.ballot_page_pixels // 1_000_000,
        )


def user_unit(data: bytes) -> float:
    """The largest /UserUnit the file declares (1 when none): one scale for every page, since a
    scanner never writes it. One in a compressed object stream is not seen, but PDFium renders
    the box in points whatever it says, so the pixel bound below holds all the same."""
    units = [1.0]
    for match in _USER_UNIT.finditer(data):
        try:
            value = float(match.group(1))
        except ValueError:
            continue
        if math.isfinite(value) and value > 0:
            units.append(value)
    return max(units)


def check_pdf(
    document: pdfium.PdfDocument, data: bytes, name: str, limits: Limits, dpi: float
) -> None:
    """Pages, page sizes (UserUnit included) and pixels at `dpi`, from the page tree alone."""
    pages = len(document)
    if pages == 0:
        raise unreadable(name)
    if pages > limits.ballot_pages:
        raise _too_many_pages(name, pages, limits)
    unit = user_unit(data)
    for index in range(pages):
        width, height = document.get_page_size(index)  # points; no page is loaded
        longest = max(abs(width), abs(height)) * unit
        if not math.isfinite(longest):
            raise unreadable(name)
        if longest > limits.ballot_page_points:
            raise ImageFileError(
                "page_too_large",
                "Page %(page)s of %(file)s is %(size)s points long; a ballot page is at most "
                "%(max)s",
                file=name,
                page=index + 1,
                size=math.ceil(longest),
                max=math.floor(limits.ballot_page_points),
            )
        scale = dpi / 72
        check_pixels(name, index + 1, abs(width) * scale, abs(height) * scale, limits)


def check_pdf_images(page: pdfium.PdfPage, index: int, name: str, limits: Limits) -> None:
    """Every image drawn on a loaded page within the pixel bound: PDFium decodes them whole."""
    for obj in page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_IMAGE,)):
        columns, rows = obj.get_px_size()
        check_pixels(name, index + 1, float(columns), float(rows), limits)


def _png_size(data: bytes) -> tuple[int, int]:
    if len(data) < 24 or data[12:16] != b"IHDR":
        raise ValueError("no IHDR")
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def _jpeg_size(data: bytes) -> tuple[int, int]:
    """(width, height) from the first start-of-frame marker, walking the markers' lengths."""
    at = 2
    while at + 4 <= len(data):
        if data[at] != 0xFF:
            raise ValueError("not a marker")
        marker = data[at + 1]
        if marker == 0xFF:  # fill byte
            at += 1
            continue
        if marker in _JPEG_STANDALONE:
            at += 2
            continue
        (length,) = struct.unpack(">H", data[at + 2 : at + 4])
        if marker in _JPEG_FRAMES:
            height, width = struct.unpack(">HH", data[at + 5 : at + 9])
            return width, height
        if marker == 0xDA or length < 2:  # scan data before any frame: not a JPEG we read
            break
        at += 2 + length
    raise ValueError("no frame header")


def _check_tiff(data: bytes, name: str, limits: Limits) -> None:
    with tifffile.TiffFile(io.BytesIO(data)) as tif:
        count = 0
        for page in tif.pages:
            count += 1
            if count > limits.ballot_pages:
                raise _too_many_pages(name, count, limits)
            shape = page.shape
            if len(shape) < 2:
                raise unreadable(name)
            # The samples are the last axis when there are three: (rows, columns, samples).
            rows, columns = (shape[-3], shape[-2]) if len(shape) >= 3 else shape[-2:]
            check_pixels(name, count, float(columns), float(rows), limits)
            if len(shape) > 3 or (len(shape) == 3 and shape[-1] > 4):
                raise unreadable(name)  # volumes and many-sample pages are not scans
        if count == 0:
            raise unreadable(name)


def check_image(data: bytes, kind: FileKind, name: str, limits: Limits) -> None:
    """An image's width, height and frames from its header, before it is decoded."""
    with decoding(name):
        if kind == "tiff":
            _check_tiff(data, name, limits)
            return
        width, height = _png_size(data) if kind == "png" else _jpeg_size(data)
        if width == 0 or height == 0:
            raise unreadable(name)
        check_pixels(name, 1, float(width), float(height), limits)


def check_scan(data: bytes, name: str, limits: Limits, dpi: float) -> None:
    """Every bound of a scanned file without decoding a pixel: for a file whose reading came with
    it (a station's), so the server stores nothing a reviewer's page could not open."""
    kind = check_bytes(data, name, limits)
    if kind != "pdf":
        check_image(data, kind, name, limits)
        return
    with decoding(name):
        document = pdfium.PdfDocument(data)
        try:
            check_pdf(document, data, name, limits, dpi)
            for index in range(len(document)):
                page = document[index]
                try:
                    check_pdf_images(page, index, name, limits)
                finally:
                    page.close()
        finally:
            document.close()
