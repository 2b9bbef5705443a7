"""A scanned ballot file's pages and pixels, decided from its headers before decoding (issue 21).

Row 1: a PDF page of 14400 points with /UserUnit 75000, 600 pages, a PNG or JPEG that claims
gigapixels, a small page drawing a huge image. Row 2: truncated, random and empty files. Each is
one ImageFileError (a CongressError with a code), never PdfiumError or cv2.error.
"""

from __future__ import annotations

import time

import pytest

from ballots.reading.imageio import ImageFileError, load_bytes
from congress.limits import Limits
from tests.ballots import hostile_files as hostile


def test_loader_refuses_each_hostile_file_with_its_reason() -> None:
    for name, data in hostile.bad_scans().items():
        with pytest.raises(ImageFileError) as refused:
            load_bytes(data, name)
        assert refused.value.code == hostile.REFUSALS[name], name
        assert refused.value.status == 422 and name in str(refused.value)
    for name, data, code in [
        ("huge.jpg", hostile.huge_jpeg_header(), "page_too_many_pixels"),
        ("bomb.pdf", hostile.image_bomb_pdf(), "page_too_many_pixels"),
        ("big.pdf", hostile.pdf(1, 14400), "page_too_large"),
        ("nine.pdf", hostile.pdf(9), "too_many_pages"),
    ]:
        with pytest.raises(ImageFileError) as refused:
            load_bytes(data, name)
        assert refused.value.code == code, name


def test_the_audits_userunit_pdf_is_refused_in_well_under_a_second() -> None:
    data = hostile.huge_user_unit_pdf()
    assert len(data) < 400
    started = time.perf_counter()
    with pytest.raises(ImageFileError) as refused:
        load_bytes(data, "userunit.pdf")
    assert time.perf_counter() - started < 0.2
    assert refused.value.code == "page_too_large"
    assert refused.value.params["size"] == 14400 * 75000
    started = time.perf_counter()
    with pytest.raises(ImageFileError):
        load_bytes(hostile.many_pages_pdf(), "pages600.pdf")
    assert time.perf_counter() - started < 0.2


def test_the_limits_are_the_settings_and_the_rendering_resolution_is_bounded() -> None:
    pdf = hostile.scanner_pdf(2)
    assert len(load_bytes(pdf, "two.pdf").pages) == 2
    with pytest.raises(ImageFileError) as refused:
        load_bytes(pdf, "two.pdf", limits=Limits(ballot_pages=1))
    assert refused.value.code == "too_many_pages"
    with pytest.raises(ImageFileError) as refused:
        load_bytes(pdf, "two.pdf", limits=Limits(ballot_file_bytes=100))
    assert refused.value.code == "file_too_large" and refused.value.status == 413
    # An A4 page asked for at 10000 dpi is rendered at the bound (300 dpi), not 1.3 GP.
    (page,) = load_bytes(hostile.pdf(1, 595), "a4.pdf", pdf_dpi=10_000).pages
    assert all(abs(side - 595 * 300 / 72) < 2 for side in page.shape[:2])
    with pytest.raises(ImageFileError) as refused:
        load_bytes(hostile.png(2000, 2000), "big.png", limits=Limits(ballot_page_pixels=1_000_000))
    assert refused.value.code == "page_too_many_pixels"
