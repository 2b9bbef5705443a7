"""The export helpers: formula-like cells become text, numbers stay numbers, markup stays text."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from openpyxl import Workbook
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import SimpleDocTemplate

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
    assert csv_document([["-1+2"]], delimiter=";", bom=False) == b"'-1+2\r\n"


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
