"""The embedded TTF fonts every printed document uses, so Vietnamese diacritics print right."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import fontpkg_be_vietnam_pro

FONT_DIR = Path(fontpkg_be_vietnam_pro.ROOT) / "files"

# reportlab names -> files of the Be Vietnam Pro family (OFL licensed, shipped on PyPI).
FACES = {
    "Sans": "BeVietnamPro-Regular.ttf",
    "Sans-Bold": "BeVietnamPro-Bold.ttf",
    "Sans-Italic": "BeVietnamPro-Italic.ttf",
    "Sans-SemiBold": "BeVietnamPro-SemiBold.ttf",
}


def font_path(name: str = "Sans") -> Path:
    return FONT_DIR / FACES[name]


@cache
def register_reportlab_fonts() -> tuple[str, ...]:
    """Register the faces with reportlab once per process; returns their names."""
    from reportlab.lib.fonts import addMapping
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    for name, filename in FACES.items():
        pdfmetrics.registerFont(TTFont(name, str(FONT_DIR / filename)))
    addMapping("Sans", 0, 0, "Sans")
    addMapping("Sans", 1, 0, "Sans-Bold")
    addMapping("Sans", 0, 1, "Sans-Italic")
    addMapping("Sans", 1, 1, "Sans-Bold")
    return tuple(FACES)


def fit_font_size(text: str, font: str, max_width: float, start: float, minimum: float) -> float:
    """Largest size from `start` down to `minimum` at which `text` fits `max_width` points."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    register_reportlab_fonts()
    size = start
    while size > minimum and stringWidth(text, font, size) > max_width:
        size -= 0.25
    return max(size, minimum)
