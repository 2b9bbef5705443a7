"""`congress docs ...`: upload, new versions, list, refusals that store nothing, the QR poster."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
import zxingcpp

from congress.settings import Settings
from docs_portal.poster import HEADING, INSTRUCTION
from tests.congress.test_cli import run
from tests.docs_portal.portal_helpers import pdf_with

# Only QR codes: zxing's other readers can see a 1D code in ordinary print (a spurious "8553").
QR = zxingcpp.BarcodeFormat.QRCode

SLUG = "dai-hoi-the"


def _stored(settings: Settings) -> list[Path]:
    return sorted(p for p in settings.files_dir.rglob("*") if p.is_file())


def test_upload_replace_and_list(
    settings: Settings, register: dict[str, Any], tmp_path: Path
) -> None:
    first = tmp_path / "bao-cao.pdf"
    first.write_bytes(pdf_with(["Báo cáo chính trị", "Phần II", "Phần III"]))
    made = run(
        settings,
        "docs", "upload", str(first), "--congress", SLUG, "--title", "Báo cáo chính trị",
        "--group", "reports", "--visibility", "public", "--comments", "--json",
    )  # fmt: skip
    assert made.exit_code == 0, made.output
    created = json.loads(made.stdout)
    assert created["version"] == 1 and created["pages"] == 3
    assert created["url"].endswith(f"/p/{SLUG}/d/{created['id']}")

    second = tmp_path / "bao-cao-v2.pdf"
    second.write_bytes(pdf_with(["Báo cáo chính trị (sửa)", "Phần II"]))
    replaced = run(
        settings,
        "docs", "upload", str(second), "--congress", SLUG, "--title", "ignored",
        "--replace", str(created["id"]), "--json",
    )  # fmt: skip
    assert replaced.exit_code == 0, replaced.output
    version = json.loads(replaced.stdout)
    assert (version["id"], version["version"], version["pages"]) == (created["id"], 2, 2)
    assert version["pdf_sha256"] != created["pdf_sha256"]

    listed = json.loads(run(settings, "docs", "list", "--congress", SLUG, "--json").stdout)
    assert listed == [
        {
            "id": created["id"],
            "title": "Báo cáo chính trị",
            "group": "reports",
            "order": 0,
            "visibility": "public",
            "version": 2,
            "pages": 2,
        }
    ]


def test_refused_uploads_say_why_and_store_nothing(
    settings: Settings, register: dict[str, Any], tmp_path: Path
) -> None:
    fake = tmp_path / "nghi-quyet.pdf"
    fake.write_text("<html><script>alert(1)</script></html>", encoding="utf-8")
    locked = tmp_path / "mat.pdf"
    locked.write_bytes(pdf_with(["bí mật"], encrypt="mat-khau"))
    broken = tmp_path / "hong.pdf"
    broken.write_bytes(pdf_with(["một trang"])[:400])
    before = _stored(settings)
    cases = [
        (fake, "vi", "không phải"),
        (locked, "en", "password"),
        (broken, "en", "cannot be opened"),
    ]
    for path, lang, words in cases:
        refused = run(
            settings, "docs", "upload", str(path), "--congress", SLUG, "--title", "X", lang=lang
        )
        assert refused.exit_code == 1, (path, refused.output)
        assert refused.stdout == ""
        line = refused.stderr.strip()
        assert line.startswith("congress: ") and "\n" not in line and words in line, line
    unknown = run(settings, "docs", "upload", str(fake), "--congress", "khong-co", "--title", "X")
    assert unknown.exit_code == 1
    assert _stored(settings) == before
    assert json.loads(run(settings, "docs", "list", "--congress", SLUG, "--json").stdout) == []


def test_the_poster_carries_the_portal_qr(
    settings: Settings, register: dict[str, Any], tmp_path: Path
) -> None:
    expected = f"{settings.public_url}/p/{SLUG}"
    for size, (width_mm, height_mm) in {"a4": (210, 297), "a3": (297, 420)}.items():
        out = tmp_path / f"poster-{size}.pdf"
        made = run(
            settings, "docs", "poster", "--congress", SLUG, "--size", size, "--out", str(out)
        )
        assert made.exit_code == 0, made.output
        pdf = pdfium.PdfDocument(out.read_bytes())
        assert len(pdf) == 1
        page = pdf[0]
        width, height = page.get_size()
        assert abs(width / 72 * 25.4 - width_mm) < 1 and abs(height / 72 * 25.4 - height_mm) < 1
        decoded = [
            r.text for r in zxingcpp.read_barcodes(page.render(scale=100 / 72).to_pil(), formats=QR)
        ]
        assert decoded == [expected]
        text = " ".join(page.get_textpage().get_text_bounded().split())
        assert HEADING in text and INSTRUCTION in text
        assert expected.split("://", 1)[1] in text
