"""Hostile scan files built by code: huge pages in tiny PDFs, too many pages, broken bytes."""

from __future__ import annotations

import io
import random
import struct
import zlib

import numpy as np
from PIL import Image

# The code each file of bad_scans() is refused with.
REFUSALS = {
    "empty.pdf": "empty_file",
    "random.pdf": "unreadable_file",
    "truncated.pdf": "unreadable_file",
    "noise.png": "unreadable_file",
    "userunit.pdf": "page_too_large",
    "pages600.pdf": "too_many_pages",
    "huge.png": "page_too_many_pixels",
}


def pdf(pages: int = 1, box: float = 595, user_unit: float | None = None) -> bytes:
    """A minimal PDF of `pages` blank pages of `box` points square (with /UserUnit when given)."""
    unit = f"/UserUnit {user_unit:g}" if user_unit is not None else ""
    kids = " ".join(f"{3 + i} 0 R" for i in range(pages))
    page = f"<</Type/Page/Parent 2 0 R/MediaBox[0 0 {box:g} {box:g}]{unit}>>".encode()
    objects = [
        b"<</Type/Catalog/Pages 2 0 R>>",
        f"<</Type/Pages/Kids[{kids}]/Count {pages}>>".encode(),
        *[page] * pages,
    ]
    out = b"%PDF-1.7\n"
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj".encode() + body + b"endobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += f"trailer<</Size {len(objects) + 1}/Root 1 0 R>>\nstartxref\n{xref}\n%%EOF".encode()
    return out


def huge_user_unit_pdf() -> bytes:
    """The audit's page: 14400 points, each 75000 units, in a couple of hundred bytes."""
    return pdf(1, 14400, 75000)


def many_pages_pdf(pages: int = 600) -> bytes:
    return pdf(pages)


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png(width: int, height: int, text: str = "") -> bytes:
    """A grey PNG; the pixels of a huge one are one compressed row repeated, so it stays small
    until someone decodes it."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    compressor = zlib.compressobj(9)
    row = b"\x00" + b"\xff" * width
    data = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    tag = _chunk(b"tEXt", b"Comment\x00" + text.encode()) if text else b""
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + tag
        + _chunk(b"IDAT", data)
        + _chunk(b"IEND", b"")
    )


def huge_png_header() -> bytes:
    """A PNG claiming 100000 x 100000 pixels (10 GP) in a few dozen bytes."""
    header = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IEND", b"")


def random_bytes(size: int = 4096, seed: int = 21) -> bytes:
    return random.Random(seed).randbytes(size)


def random_pdf(size: int = 4096) -> bytes:
    """Random bytes behind a PDF signature."""
    return b"%PDF-1.7\n" + random_bytes(size)


def truncated(data: bytes, keep: float = 0.5) -> bytes:
    return data[: max(1, int(len(data) * keep))]


def scanner_pdf(pages: int = 2) -> bytes:
    """A scanner's PDF: one image a page."""
    image = Image.fromarray(np.full((400, 300, 3), 250, np.uint8))
    buffer = io.BytesIO()
    image.save(
        buffer, format="PDF", resolution=150.0, save_all=True, append_images=[image] * (pages - 1)
    )
    return buffer.getvalue()


def huge_jpeg_header() -> bytes:
    """A JPEG whose frame header claims 65000 x 65000 pixels, and no data."""
    frame = struct.pack(">BHHB", 8, 65000, 65000, 1) + b"\x01\x11\x00"
    return b"\xff\xd8" + b"\xff\xc0" + struct.pack(">H", len(frame) + 2) + frame + b"\xff\xd9"


def image_bomb_pdf() -> bytes:
    """A small page drawing an image that declares 30000 x 30000 pixels (PDFium decodes it
    whole to render the page)."""
    stream = b"q 500 0 0 500 0 0 cm /Im0 Do Q"
    image = b"<</Type/XObject/Subtype/Image/Width 30000/Height 30000/ColorSpace/DeviceGray"
    image += b"/BitsPerComponent 8/Length 1>>stream\n\x00\nendstream"
    objects = [
        b"<</Type/Catalog/Pages 2 0 R>>",
        b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
        b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Contents 4 0 R"
        b"/Resources<</XObject<</Im0 5 0 R>>>>>>",
        b"<</Length %d>>stream\n" % len(stream) + stream + b"\nendstream",
        image,
    ]
    out = b"%PDF-1.7\n"
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj" % number + body + b"endobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer<</Size %d/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF" % (len(objects) + 1, xref)
    return out


def bad_scans() -> dict[str, bytes]:
    """A folder's worth of bad files, by the name a scanner might give them (see REFUSALS)."""
    return {
        "empty.pdf": b"",
        "random.pdf": random_pdf(),
        "truncated.pdf": truncated(scanner_pdf(), 0.3),
        "noise.png": random_bytes(),
        "userunit.pdf": huge_user_unit_pdf(),
        "pages600.pdf": many_pages_pdf(),
        "huge.png": huge_png_header(),
    }
