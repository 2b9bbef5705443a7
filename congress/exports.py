"""What the server writes into spreadsheets and PDF paragraphs is text: never a formula, never markup."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from typing import Any, Protocol, TypeVar
from xml.sax.saxutils import escape

from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import Paragraph

__all__ = [
    "FORMULA_STARTS",
    "append_row",
    "import_template",
    "csv_document",
    "paragraph",
    "paragraph_text",
    "safe_cell",
]

# Names, comments and gate names come from delegates, imports and devices. A spreadsheet reads a
# cell starting with one of these as a formula, which can fetch a URL or run a command on the
# organizer's computer (OWASP's CSV-injection rule); ReportLab reads `<...>` in a Paragraph as
# markup, which can fail the whole PDF or draw a file of the server's disk into it. Every export
# writes its cells and paragraphs through this module, so no export can forget.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

# Characters XML 1.0 forbids: openpyxl refuses to write them (the whole export would fail).
_NOT_IN_XLSX = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")

T = TypeVar("T")


def safe_cell(value: T) -> T | str:
    """A cell's value as written: a string a spreadsheet would run as a formula gets a `'` first.

    Only strings change: a number stays a number (a negative number is a value, not a formula),
    while the text "-1+2" is text and is prefixed.
    """
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_document(rows: Iterable[Iterable[Any]]) -> bytes:
    """Rows as UTF-8 CSV, every cell through `safe_cell`; the BOM lets Excel read Vietnamese."""
    buffer = io.StringIO()
    csv.writer(buffer).writerows([safe_cell(value) for value in row] for row in rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


class Sheet(Protocol):
    """An openpyxl worksheet (also a write-only one), as far as a row is appended to it."""

    def append(self, iterable: Any, /) -> None: ...


def _xlsx_value(value: Any) -> Any:
    cell = safe_cell(value)
    if isinstance(cell, str):
        # U+FFFD shows where a character was that XML cannot hold, rather than failing the file.
        return _NOT_IN_XLSX.sub("\ufffd", cell)
    return cell


def append_row(sheet: Sheet, values: Iterable[Any]) -> None:
    """Append one row: strings become string cells (openpyxl makes a formula of a leading `=`)."""
    sheet.append([_xlsx_value(value) for value in values])


def import_template(
    sheet_title: str, headers: Sequence[str], notes_title: str, notes: Iterable[Sequence[str]]
) -> bytes:
    """An XLSX to fill in and import: the first sheet holds only the header row (what an import
    reads: the first sheet), a second sheet explains each column."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = sheet_title[:31]
    append_row(sheet, headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for index, header in enumerate(headers):
        letter = sheet.cell(row=1, column=index + 1).column_letter
        sheet.column_dimensions[letter].width = max(14, len(header) + 4)
    sheet.freeze_panes = "A2"
    guide = book.create_sheet(notes_title[:31])
    for row in notes:
        append_row(guide, row)
    for cell in guide[1]:
        cell.font = Font(bold=True)
    guide.column_dimensions["A"].width = 22
    guide.column_dimensions["B"].width = 14
    guide.column_dimensions["C"].width = 80
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def paragraph_text(value: object) -> str:
    """Plain text made safe to place inside a ReportLab `Paragraph`'s markup: `& < >` escaped."""
    return escape(str(value))


def paragraph(value: object, style: ParagraphStyle) -> Paragraph:
    """A `Paragraph` showing `value` as it is: markup escaped, line breaks kept."""
    return Paragraph(paragraph_text(value).replace("\n", "<br/>"), style)
