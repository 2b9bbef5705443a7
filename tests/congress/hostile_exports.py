"""Hostile names for the export tests, and how to read a CSV, an XLSX or a PDF back to check them."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import pypdfium2 as pdfium
from openpyxl import load_workbook

from congress import congresses
from congress.db import Database
from congress.delegate_import import import_delegates
from congress.demo_data import delegate_rows, rows_to_csv

# OWASP's CSV-injection openings, as the audit of issue 21 sent them.
FORMULAS = [
    '=HYPERLINK("http://evil.example/","Xem")',
    "=cmd|' /C calc'!A0",
    "+1+2",
    "-1+2",
    "@SUM(A1:A9)",
    "\t=1+1",
    "\r=1+1",
]
# Markup ReportLab's Paragraph would read: a broken tag fails the PDF, an <img> embeds a file.
MARKUP = ["<img src=x onerror=alert(1)>", '<img src="/etc/hostname"/>']


def csv_fields(data: bytes) -> list[str]:
    """Every field of a CSV export (UTF-8 with BOM)."""
    return [field for row in csv.reader(io.StringIO(data.decode("utf-8-sig"))) for field in row]


def xlsx_cells(data: bytes) -> list[Any]:
    """Every non-empty cell of every sheet of an XLSX export."""
    book = load_workbook(io.BytesIO(data))
    return [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]


def assert_csv_field(data: bytes, value: str) -> None:
    """`value` is in the CSV only as text: prefixed with a quote, never bare."""
    fields = csv_fields(data)
    assert "'" + value in fields, (value, fields)
    assert value not in fields, value


def assert_xlsx_text(data: bytes, value: str) -> None:
    """`value` is in the XLSX only as a string cell prefixed with a quote, never a formula."""
    value = value.replace("\r", "\n")  # XML reads a carriage return in text back as a newline
    cells = xlsx_cells(data)
    assert not [c.coordinate for c in cells if c.data_type == "f"], "a formula cell"
    found = [c for c in cells if c.value == "'" + value]
    assert found and all(c.data_type == "s" for c in found), value
    assert not [c for c in cells if c.value == value], value


def pdf_text(data: bytes) -> str:
    assert data[:5] == b"%PDF-"
    document = pdfium.PdfDocument(data)
    return "".join(page.get_textpage().get_text_range() for page in document)


def pdf_images(data: bytes) -> int:
    """How many images the PDF's pages draw (an <img> read as markup would add one)."""
    document = pdfium.PdfDocument(data)
    return sum(
        1 for page in document for obj in page.get_objects(filter=(pdfium.raw.FPDF_PAGEOBJ_IMAGE,))
    )


HOSTILE_SLUG = "dai-hoi-the"
# A congress name that is both a formula and markup, and delegations named by the audit's repros.
HOSTILE_CONGRESS = '=HYPERLINK("http://evil.example/","<b>Xem</b>")'
HOSTILE_SITTING = '<img src="/etc/hostname"/> Phiên trù bị'
HOSTILE_DELEGATIONS = [FORMULAS[0], MARKUP[0], MARKUP[1], "-1+2", "@SUM(A1:A9)"]
HOSTILE_NAMES = {
    "DB0001": '=HYPERLINK("http://evil.example/","Xem hồ sơ")',
    "DB0002": "+Trần Thị Bích",
    "DB0003": "<b>Nguyễn Văn An",
    "DB0005": "@Lê Văn Cường",
}


def make_hostile_register(db: Database) -> dict[str, Any]:
    """Congress HOSTILE_SLUG with 10 delegates, imported as an organizer's file would bring them."""
    with db.session() as session:
        congress = congresses.create_congress(
            session,
            slug=HOSTILE_SLUG,
            name=HOSTILE_CONGRESS,
            starts_on=dt.date(2027, 6, 2),
            ends_on=dt.date(2027, 6, 3),
            actor="t",
        )
        congresses.add_sitting(
            session,
            congress,
            title=HOSTILE_SITTING,
            starts_at=dt.datetime(2027, 6, 2, 8, 0),
            actor="t",
        )
        rows = delegate_rows(10, seed=5, delegations=len(HOSTILE_DELEGATIONS))
        for row in rows:
            row["delegation"] = HOSTILE_DELEGATIONS[int(row["code"][2:]) % len(HOSTILE_DELEGATIONS)]
            row["full_name"] = HOSTILE_NAMES.get(row["code"], row["full_name"])
        import_delegates(session, congress, rows_to_csv(rows), actor="t")
        session.flush()
        stored = {
            d.code: (d.full_name, delegation.name)
            for delegation in congress.delegations
            for d in delegation.delegates
        }
        return {"congress_id": congress.id, "slug": HOSTILE_SLUG, "delegates": stored}
