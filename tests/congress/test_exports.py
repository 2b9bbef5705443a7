"""The export helpers: formula-like cells become text, numbers stay numbers, markup stays text."""

from __future__ import annotations

import ast
import datetime as dt
import io
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import SimpleDocTemplate

from congress.capabilities import MAY_IMPORT
from congress.exports import append_row, csv_document, paragraph, safe_cell
from congress.fonts import register_reportlab_fonts
from tests.congress.hostile_exports import (
    FORMULAS,
    MARKUP,
    assert_csv_field,
    assert_xlsx_text,
    csv_fields,
    pdf_images,
    pdf_text,
    xlsx_cells,
)

PLAIN = ["Nguyễn Văn An", "Đoàn Thanh niên", "", "a=b", "1-2", "mail@example.vn", " =1+1"]
NUMBERS = [-1, 0, 3.5, -2.25, Decimal("-7.5"), dt.date(2027, 6, 2)]


@pytest.mark.parametrize("value", FORMULAS)
def test_a_formula_like_string_gets_a_quote(value: str) -> None:
    assert safe_cell(value) == "'" + value


@pytest.mark.parametrize("value", PLAIN + NUMBERS + [None])
def test_other_values_are_unchanged(value: object) -> None:
    assert safe_cell(value) == value


def test_csv_document() -> None:
    data = csv_document([["Họ và tên", "Đoàn"], *([value, 1] for value in FORMULAS + PLAIN)])
    assert data.startswith("\ufeff".encode())
    for value in FORMULAS:
        assert_csv_field(data, value)
    fields = csv_fields(data)
    assert all(value in fields for value in PLAIN)
    assert csv_document([["-1+2", -1]]) == "\ufeff'-1+2,-1\r\n".encode()


def test_xlsx_rows_are_string_cells_and_numbers_stay_numbers() -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for value in FORMULAS + PLAIN:
        append_row(sheet, [value, -1])
    append_row(sheet, ["bell\x07 and nul\x00"])  # XML cannot hold them: openpyxl would refuse
    out = io.BytesIO()
    book.save(out)
    for value in FORMULAS:
        assert_xlsx_text(out.getvalue(), value)
    cells = xlsx_cells(out.getvalue())
    assert {c.value for c in cells if c.data_type == "n" and c.value is not None} == {-1}
    assert "bell\ufffd and nul\ufffd" in [c.value for c in cells]


def test_a_paragraph_shows_markup_as_text() -> None:
    register_reportlab_fonts()
    style = ParagraphStyle("b", fontName="Sans", fontSize=10, leading=14)
    values = [*MARKUP, "Nguyễn <b>Văn</b> & An", "&nbsp;&#65;", "dòng một\ndòng hai"]
    out = io.BytesIO()
    SimpleDocTemplate(out).build([paragraph(value, style) for value in values])
    text = pdf_text(out.getvalue())
    for value in values:
        assert "".join(value.split()) in "".join(text.split()), value
    assert "dòng một\r\ndòng hai" in text  # a line break stays a line break
    assert pdf_images(out.getvalue()) == 0


ROOT = Path(__file__).resolve().parents[2]
# The demo's delegate files are what an organizer's spreadsheet brings in, written as they are.
IMPORT_FIXTURES = {"congress/demo_data.py"}
# The minutes compose markup (line breaks, italics) from pieces each escaped by paragraph_text.
COMPOSED_MARKUP = {"ballots/proof/minutes.py"}


def _sheets_appended(tree: ast.AST) -> Iterator[int]:
    """Lines where a worksheet (`book.active`, `book.create_sheet(...)`) gets a row of its own."""
    sheets = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
            made = (isinstance(value, ast.Attribute) and value.attr == "active") or (
                isinstance(value, ast.Call)
                and isinstance(value.func, ast.Attribute)
                and value.func.attr == "create_sheet"
            )
            if made and isinstance(target, ast.Name):
                sheets.add(target.id)
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "append"
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id in sheets
        ):
            yield node.lineno


def _writers() -> Iterator[tuple[str, int, str]]:
    """(module, line, what) of every CSV writer, sheet row and Paragraph made in the packages."""
    for package in MAY_IMPORT:
        for path in sorted((ROOT / package).rglob("*.py")):
            name = path.relative_to(ROOT).as_posix()
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for line in _sheets_appended(tree):
                yield name, line, "sheet.append"
            for node in ast.walk(tree):
                if isinstance(node, ast.Call):
                    func = node.func
                    called = (
                        func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                    )
                    if called in {"writer", "DictWriter", "Paragraph"}:
                        yield name, node.lineno, called


def test_every_export_writes_through_congress_exports() -> None:
    # A check of this test itself: it finds what the exports wrote before congress.exports.
    before = ast.parse("book = Workbook()\nsheet = book.active\nsheet.append([name])\n")
    assert list(_sheets_appended(before)) == [3]
    wrong = [
        f"{name}:{line} {called}"
        for name, line, called in _writers()
        if name != "congress/exports.py"
        and name not in IMPORT_FIXTURES
        and not (called == "Paragraph" and name in COMPOSED_MARKUP)
    ]
    assert not wrong, "write through congress.exports: " + ", ".join(wrong)
