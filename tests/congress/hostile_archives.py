"""Hostile ZIPs built by code (photos, XLSX, DOCX), shared by the import and memory tests."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from typing import IO

from congress.demo_data import delegate_rows, rows_to_xlsx
from congress.limits import MiB


def zip_of(files: dict[str, bytes], compression: int = zipfile.ZIP_STORED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return out.getvalue()


def zeros_photos_zip(entries: int = 40, size: int = 19 * MiB) -> bytes:
    """Issue 21, row 6: 40 "photos" of 19 MB of zeros each, in a 760 KB ZIP."""
    zeros = bytes(size)
    return zip_of({f"DB{n:04d}.jpg": zeros for n in range(1, entries + 1)}, zipfile.ZIP_DEFLATED)


def xlsx_with_workbook(workbook_xml: Callable[[IO[bytes]], None]) -> bytes:
    """A real delegate XLSX whose xl/workbook.xml is written by `workbook_xml`, streamed."""
    source = zipfile.ZipFile(io.BytesIO(rows_to_xlsx(delegate_rows(3, seed=2))))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            if info.filename == "xl/workbook.xml":
                with archive.open("xl/workbook.xml", "w", force_zip64=True) as member:
                    workbook_xml(member)
            else:
                archive.writestr(info.filename, source.read(info))
    return out.getvalue()


def spaces_workbook(member: IO[bytes]) -> None:
    # Issue 21, row 7: workbook.xml as 300 MB of spaces, a 306 KB file.
    piece = b" " * MiB
    for _ in range(300):
        member.write(piece)


def docx_bomb() -> bytes:
    """Issue 21, row 7: a DOCX whose document.xml unpacks to 300 MB of spaces (a small file)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("word/document.xml", "w", force_zip64=True) as member:
            for _ in range(300):
                member.write(b" " * MiB)
    return out.getvalue()
