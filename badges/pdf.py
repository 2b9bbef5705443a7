"""Printed delegate badges: one PDF of A6, CR80 or A4 multi-up sheets with both QR codes."""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Literal

import numpy as np
from PIL import Image
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from congress.fonts import register_reportlab_fonts
from congress.qr import ErrorCorrection, draw_qr, qr_modules
from congress.vietnamese import nfc

Layout = Literal["a6", "cr80", "a4-4up", "a4-8up"]
LAYOUTS: tuple[Layout, ...] = ("a6", "cr80", "a4-4up", "a4-8up")
Kind = Literal["full", "alternate"]
RGB = tuple[float, float, float]


@dataclass(frozen=True)
class BadgeCard:
    """Everything printed on one delegate's badge; text is printed as given, NFC-normalised."""

    congress_name: str
    congress_dates: str  # already formatted, e.g. "Ngày 20-21/11/2026"
    full_name: str
    delegation: str
    position: str
    unit: str
    kind: Kind
    photo: bytes | None  # JPEG or PNG; None (or empty): no photo (see photo_placeholder)
    token: str  # the signed badge token (badges.token.sign_badge)
    portal_url: str  # the documents portal link, printed as a small QR and as text


@dataclass(frozen=True)
class Rect:
    """A box in millimetres from the card's trim top-left corner, y downwards."""

    x: float
    y: float
    w: float
    h: float


@dataclass(frozen=True)
class TextBox:
    """Where a text goes and how far it may shrink; lines are centred in the box."""

    rect: Rect
    font: str
    max_size: float  # points
    min_size: float  # points; undercut only when the text cannot fit otherwise
    max_lines: int = 1
    align: Literal["center", "left"] = "center"


@dataclass(frozen=True)
class CardDesign:
    """Geometry of one badge size. The delegate QR box includes its 4-module quiet zone."""

    width: float  # trim size, mm
    height: float
    bleed: float  # colour that touches the trim edge is extended this far, mm
    safe: float  # margin inside the trim that nothing but the band's colour crosses, mm
    congress: TextBox
    dates: TextBox
    title: TextBox
    photo: Rect  # 3:4 portrait frame
    qr: Rect  # square; the symbol is at least `min_qr_symbol` wide
    min_qr_symbol: float  # mm, the scanning requirement this design guarantees
    name: TextBox
    delegation: TextBox
    position: TextBox  # "position, unit"
    band: Rect
    band_text: TextBox
    portal_qr: Rect  # square, quiet zone included
    portal_caption: TextBox
    portal_text: TextBox


# A6 portrait (105 x 148 mm): the a6 layout and the four cards of a4-4up.
TALL = CardDesign(
    width=105.0,
    height=148.0,
    bleed=0.0,
    safe=6.0,
    congress=TextBox(Rect(6, 6, 93, 11), "Sans-Bold", 10.5, 6.0, max_lines=2),
    dates=TextBox(Rect(6, 17.5, 93, 4.5), "Sans", 8.0, 6.0),
    title=TextBox(Rect(6, 23, 93, 9), "Sans-Bold", 18.0, 12.0),
    photo=Rect(9, 34, 30, 40),
    qr=Rect(55, 33, 42, 42),
    min_qr_symbol=25.0,
    name=TextBox(Rect(6, 77, 93, 16.5), "Sans-Bold", 17.0, 7.0, max_lines=2),
    delegation=TextBox(Rect(6, 94, 93, 8), "Sans-SemiBold", 9.5, 6.0, max_lines=2),
    position=TextBox(Rect(6, 102, 93, 8), "Sans", 9.0, 6.0, max_lines=2),
    band=Rect(6, 111, 93, 10),
    band_text=TextBox(Rect(8, 111, 89, 10), "Sans-Bold", 13.0, 8.0),
    portal_qr=Rect(4, 122.5, 20, 20),
    portal_caption=TextBox(Rect(27, 125, 72, 5), "Sans-SemiBold", 7.5, 5.5, align="left"),
    portal_text=TextBox(Rect(27, 130.5, 72, 9), "Sans", 7.5, 5.0, max_lines=2, align="left"),
)

# CR80 (85.6 x 54 mm) landscape with bleed: the cr80 layout and the eight cards of a4-8up.
CARD = CardDesign(
    width=85.6,
    height=54.0,
    bleed=2.0,
    safe=3.0,
    congress=TextBox(Rect(3, 3, 79.6, 6.3), "Sans-Bold", 7.0, 4.5, max_lines=2),
    dates=TextBox(Rect(3, 9.4, 79.6, 3), "Sans", 5.5, 4.0),
    title=TextBox(Rect(23, 13.0, 33.5, 4.3), "Sans-Bold", 9.0, 6.0),
    photo=Rect(3, 13.5, 18, 24),
    qr=Rect(57.6, 13, 25, 25),
    min_qr_symbol=20.0,
    name=TextBox(Rect(3, 39.6, 79.6, 7.6), "Sans-Bold", 10.5, 5.0, max_lines=2),
    delegation=TextBox(Rect(23, 17.4, 33.5, 5.0), "Sans-SemiBold", 6.5, 4.5, max_lines=2),
    position=TextBox(Rect(23, 22.4, 33.5, 4.4), "Sans", 6.0, 4.2, max_lines=2),
    band=Rect(0, 47.5, 85.6, 6.5),
    band_text=TextBox(Rect(3, 47.5, 79.6, 6.5), "Sans-Bold", 8.5, 6.0),
    portal_qr=Rect(21.4, 26.9, 12.0, 12.0),
    portal_caption=TextBox(Rect(34, 28.2, 22.5, 3.2), "Sans-SemiBold", 5.0, 3.8, align="left"),
    portal_text=TextBox(Rect(34, 31.6, 22.5, 6), "Sans", 4.8, 3.5, max_lines=2, align="left"),
)


@dataclass(frozen=True)
class Sheet:
    """How cards sit on a page: a grid of `columns` x `rows` trim boxes, in mm."""

    design: CardDesign
    page_width: float
    page_height: float
    columns: int
    rows: int
    left: float  # trim left edge of the first column
    top: float  # trim top edge of the first row
    pitch_x: float
    pitch_y: float
    crop_marks: Literal["none", "cut_lines", "corners"]


@dataclass(frozen=True)
class BadgePrintSettings:
    """Every size, colour and limit of printed badges."""

    sheets: dict[str, Sheet] = field(
        default_factory=lambda: {
            "a6": Sheet(TALL, 105, 148, 1, 1, 0, 0, 105, 148, "none"),
            "cr80": Sheet(CARD, 89.6, 58, 1, 1, 2, 2, 89.6, 58, "none"),
            # Four A6 cells exactly tile A4 (A6 is a quarter of A4): the cuts are the two
            # middle lines, marked by ticks at the paper edges; 0.25 mm spare per cell.
            "a4-4up": Sheet(TALL, 210, 297, 2, 2, 0, 0.25, 105, 148.5, "cut_lines"),
            # Eight CR80 cards (standard lanyard holders) with 12 mm gutters, so each card
            # keeps its bleed and corner marks sit outside every card.
            "a4-8up": Sheet(CARD, 210, 297, 2, 4, 13.4, 22.5, 97.6, 66, "corners"),
        }
    )
    full_colour: RGB = (0.78, 0.07, 0.09)
    alternate_colour: RGB = (0.05, 0.29, 0.64)
    title_colour: RGB = (0.70, 0.05, 0.07)
    ink: RGB = (0.0, 0.0, 0.0)
    muted: RGB = (0.35, 0.35, 0.35)
    placeholder: RGB = (0.72, 0.72, 0.72)
    full_label: str = "ĐẠI BIỂU CHÍNH THỨC"
    alternate_label: str = "ĐẠI BIỂU DỰ KHUYẾT"
    title_text: str = "THẺ ĐẠI BIỂU"
    portal_caption: str = "Văn kiện đại hội (quét mã):"
    placeholder_text: str = "Ảnh 3×4"
    # A card without a photo leaves the photo's place blank. A congress that glues paper photos
    # onto the printed cards turns this on to print a dashed frame marked `placeholder_text`.
    photo_placeholder: bool = False
    quiet_zone_modules: int = 4  # the delegate QR, scanned at the gate in any light
    # The portal QR sits on white with nothing printed near it; 2 modules buy a larger
    # module on the crowded CR80 card, and phones read it from a hand's length.
    portal_quiet_zone_modules: int = 2
    delegate_qr_ec: ErrorCorrection = "M"
    portal_qr_ec: ErrorCorrection = "M"
    photo_dpi: float = 300.0  # photos are downscaled to this at their printed size
    photo_jpeg_quality: int = 85
    max_photo_bytes: int = 20_000_000
    # Photos are decoded and downscaled on threads: Pillow releases the GIL while it works.
    photo_workers: int = 4
    line_pitch: float = 1.2  # em between baselines of wrapped lines
    # Room above the baseline (em) kept for Vietnamese stacked marks such as "Ễ", below for "g".
    ascent: float = 1.15
    descent: float = 0.28
    crop_mark_offset: float = 3.0  # mm from the trim line, outside the bleed
    crop_mark_length: float = 4.0
    crop_mark_width: float = 0.25  # points
    max_cards: int = 20_000


DEFAULT_SETTINGS = BadgePrintSettings()


def sheet_for(layout: Layout, settings: BadgePrintSettings = DEFAULT_SETTINGS) -> Sheet:
    if layout not in settings.sheets:
        raise ValueError(f"unknown layout {layout!r}; one of {', '.join(LAYOUTS)}")
    return settings.sheets[layout]


def card_origins(layout: Layout, settings: BadgePrintSettings = DEFAULT_SETTINGS) -> list[Rect]:
    """Trim boxes of the cards on one page, in mm from the page's top-left, in print order."""
    s = sheet_for(layout, settings)
    d = s.design
    return [
        Rect(s.left + c * s.pitch_x, s.top + r * s.pitch_y, d.width, d.height)
        for r in range(s.rows)
        for c in range(s.columns)
    ]


# --- text --------------------------------------------------------------------------------------


def _split(words: list[str], lines: int, font: str, joiner: str = " ") -> list[str]:
    """The split of `words` into `lines` lines whose widest line is narrowest."""
    if lines == 1 or len(words) <= 1:
        return [joiner.join(words)]
    best: list[str] = []
    best_width = float("inf")
    for cut in range(1, len(words)):
        head = joiner.join(words[:cut])
        rest = _split(words[cut:], lines - 1, font, joiner)
        width = max(stringWidth(line, font, 1.0) for line in [head, *rest])
        if width < best_width:
            best, best_width = [head, *rest], width
    return best


def _chunks(word: str, lines: int) -> list[str]:
    """A word too long for any line, cut into `lines` near-equal pieces (no space to wrap at)."""
    step = -(-len(word) // lines)
    return [word[i : i + step] for i in range(0, len(word), step)]


def fit_text(
    text: str,
    box: TextBox,
    settings: BadgePrintSettings = DEFAULT_SETTINGS,
    url: bool = False,
) -> tuple[list[str], float]:
    """Lines and font size that fit `text` in `box`: the largest size over 1..max_lines lines.

    Fewer lines win ties. When even `min_size` cannot fit, the size goes below it rather
    than letting ink cross the box: a badge name is never clipped or overflowing. A `url`
    breaks after "/" or "." and adds no spaces, so the printed link can be typed as read.
    """
    register_reportlab_fonts()  # the measures need the faces, whoever asks first (cached)
    text = nfc(text)
    if not text:
        return [], 0.0
    width = box.rect.w * mm
    height = box.rect.h * mm
    joiner = "" if url else " "
    words = [w for w in re.split(r"(?<=[/.])", text) if w] if url else text.split(" ")
    best: tuple[list[str], float] | None = None
    for count in range(1, box.max_lines + 1):
        if len(words) >= count:
            lines = _split(words, count, box.font, joiner)
        elif len(words) == 1:
            lines = _chunks(words[0], count)
        else:
            continue
        widest = max(stringWidth(line, box.font, 1.0) for line in lines)
        block = (len(lines) - 1) * settings.line_pitch + settings.ascent + settings.descent
        size = min(box.max_size, width / widest, height / block)
        if best is None or size > best[1] + 0.05:
            best = (lines, size)
    assert best is not None
    lines, size = best
    return lines, float(np.floor(size * 20) / 20)  # a hair smaller: no rounding over the box


def _draw_text(
    c: Canvas,
    d: CardDesign,
    box: TextBox,
    text: str,
    colour: RGB,
    settings: BadgePrintSettings,
    url: bool = False,
) -> None:
    lines, size = fit_text(text, box, settings, url)
    if not lines:
        return
    r = box.rect
    block = (len(lines) - 1) * settings.line_pitch + settings.ascent + settings.descent
    top = r.y * mm + (r.h * mm - block * size) / 2
    c.setFillColorRGB(*colour)
    c.setFont(box.font, size)
    for index, line in enumerate(lines):
        baseline = top + (settings.ascent + index * settings.line_pitch) * size
        y = d.height * mm - baseline
        if box.align == "center":
            c.drawCentredString((r.x + r.w / 2) * mm, y, line)
        else:
            c.drawString(r.x * mm, y, line)


# --- photos ------------------------------------------------------------------------------------


def _photo_jpeg(data: bytes, frame: Rect, settings: BadgePrintSettings) -> bytes:
    """The photo cropped to the frame's aspect (centred) at `photo_dpi`, as a JPEG."""
    from PIL import ImageOps

    if len(data) > settings.max_photo_bytes:
        raise ValueError("photo larger than max_photo_bytes")
    target = (
        max(1, round(frame.w / 25.4 * settings.photo_dpi)),
        max(1, round(frame.h / 25.4 * settings.photo_dpi)),
    )
    with Image.open(io.BytesIO(data)) as opened:
        # JPEG decodes at 1/2, 1/4 or 1/8 scale (never below `target`) for a fraction of
        # the time; phone photos are often 12 MP.
        opened.draft("RGB", target)
        image = ImageOps.exif_transpose(opened)
        if image.mode in ("RGBA", "LA", "P"):
            rgba = image.convert("RGBA")
            image = Image.new("RGB", rgba.size, (255, 255, 255))
            image.paste(rgba, mask=rgba.getchannel("A"))
        image = ImageOps.fit(image.convert("RGB"), target, Image.Resampling.BILINEAR)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=settings.photo_jpeg_quality)
    return out.getvalue()


# --- drawing -----------------------------------------------------------------------------------


def _extend_to_bleed(d: CardDesign, r: Rect) -> Rect:
    """`r` grown by the bleed on each side where it touches the trim edge."""
    left = d.bleed if r.x <= 0 else 0.0
    top = d.bleed if r.y <= 0 else 0.0
    right = d.bleed if r.x + r.w >= d.width else 0.0
    bottom = d.bleed if r.y + r.h >= d.height else 0.0
    return Rect(r.x - left, r.y - top, r.w + left + right, r.h + top + bottom)


def _fill_rect(c: Canvas, d: CardDesign, r: Rect, colour: RGB) -> None:
    c.setFillColorRGB(*colour)
    c.rect(r.x * mm, (d.height - r.y - r.h) * mm, r.w * mm, r.h * mm, stroke=0, fill=1)


def _draw_static(c: Canvas, d: CardDesign, key: _StaticKey, settings: BadgePrintSettings) -> None:
    """The parts every card of one congress, kind and portal link shares."""
    congress_name, dates, kind, portal_url = key
    _draw_text(c, d, d.congress, congress_name, settings.ink, settings)
    _draw_text(c, d, d.dates, dates, settings.muted, settings)
    _draw_text(c, d, d.title, settings.title_text, settings.title_colour, settings)
    colour = settings.full_colour if kind == "full" else settings.alternate_colour
    _fill_rect(c, d, _extend_to_bleed(d, d.band), colour)
    label = settings.full_label if kind == "full" else settings.alternate_label
    _draw_text(c, d, d.band_text, label, (1.0, 1.0, 1.0), settings)
    if portal_url:
        cells = qr_modules(portal_url, settings.portal_qr_ec)
        box = d.portal_qr
        quiet = settings.portal_quiet_zone_modules
        draw_qr(c, cells, box.x * mm, (d.height - box.y) * mm, box.w * mm, quiet)
        _draw_text(c, d, d.portal_caption, settings.portal_caption, settings.ink, settings)
        short = portal_url.split("://", 1)[-1]  # phones add the scheme; people type less
        _draw_text(c, d, d.portal_text, short, settings.ink, settings, url=True)


def _draw_placeholder(c: Canvas, d: CardDesign, settings: BadgePrintSettings) -> None:
    r = d.photo
    c.setStrokeColorRGB(*settings.placeholder)
    c.setLineWidth(0.6)
    c.setDash(2, 1.5)
    c.rect(r.x * mm, (d.height - r.y - r.h) * mm, r.w * mm, r.h * mm, stroke=1, fill=0)
    c.setDash()
    label = TextBox(Rect(r.x + 1, r.y + r.h / 2 - 2.5, r.w - 2, 5), "Sans", 8.0, 4.0)
    _draw_text(c, d, label, settings.placeholder_text, settings.placeholder, settings)


def _draw_photo(c: Canvas, d: CardDesign, jpeg: bytes) -> None:
    from reportlab.lib.utils import ImageReader

    r = d.photo
    c.drawImage(
        ImageReader(io.BytesIO(jpeg)), r.x * mm, (d.height - r.y - r.h) * mm, r.w * mm, r.h * mm
    )


def _draw_variable(c: Canvas, d: CardDesign, card: BadgeCard, settings: BadgePrintSettings) -> None:
    cells = qr_modules(card.token, settings.delegate_qr_ec)
    module = d.qr.w / (cells.shape[1] + 2 * settings.quiet_zone_modules)
    if module * cells.shape[1] < d.min_qr_symbol:
        raise ValueError(f"token too long: its QR would be under {d.min_qr_symbol} mm")
    box, quiet = d.qr, settings.quiet_zone_modules
    draw_qr(c, cells, box.x * mm, (d.height - box.y) * mm, box.w * mm, quiet)
    _draw_text(c, d, d.name, card.full_name, settings.ink, settings)
    _draw_text(c, d, d.delegation, card.delegation, settings.ink, settings)
    position = ", ".join(p for p in (nfc(card.position), nfc(card.unit)) if p)
    _draw_text(c, d, d.position, position, settings.muted, settings)


def _crop_marks(c: Canvas, sheet: Sheet, trims: list[Rect], settings: BadgePrintSettings) -> None:
    if sheet.crop_marks == "none" or not trims:
        return
    h = sheet.page_height
    c.saveState()
    c.setStrokeGray(0)
    c.setLineWidth(settings.crop_mark_width)
    length = settings.crop_mark_length
    segments: list[tuple[float, float, float, float]] = []
    if sheet.crop_marks == "cut_lines":
        # Cells tile the paper: a tick at each paper edge where an inner cut line meets it.
        for col in range(1, sheet.columns):
            x = sheet.left + col * sheet.pitch_x
            segments += [(x, 0, x, length), (x, h - length, x, h)]
        for row in range(1, sheet.rows):
            y = sheet.top + row * sheet.pitch_y - (sheet.pitch_y - sheet.design.height) / 2
            segments += [(0, y, length, y), (sheet.page_width - length, y, sheet.page_width, y)]
    else:
        off = settings.crop_mark_offset
        for t in trims:
            for x in (t.x, t.x + t.w):
                segments += [(x, t.y - off - length, x, t.y - off)]
                segments += [(x, t.y + t.h + off, x, t.y + t.h + off + length)]
            for y in (t.y, t.y + t.h):
                segments += [(t.x - off - length, y, t.x - off, y)]
                segments += [(t.x + t.w + off, y, t.x + t.w + off + length, y)]
    c.lines([(x0 * mm, (h - y0) * mm, x1 * mm, (h - y1) * mm) for x0, y0, x1, y1 in segments])
    c.restoreState()


_StaticKey = tuple[str, str, str, str]


def _static_key(card: BadgeCard) -> _StaticKey:
    return (nfc(card.congress_name), nfc(card.congress_dates), card.kind, card.portal_url.strip())


def _check_card(index: int, card: BadgeCard) -> None:
    if card.kind not in ("full", "alternate"):
        raise ValueError(f"card {index}: kind must be 'full' or 'alternate', not {card.kind!r}")
    if not card.token or not card.token.isascii():
        raise ValueError(f"card {index}: no badge token")
    if not nfc(card.full_name):
        raise ValueError(f"card {index}: no name")


@contextmanager
def _binary_streams() -> Iterator[None]:
    """reportlab without ASCII85 stream wrapping, for the duration of one document.

    Its ASCII85 encoder is pure Python without the optional C accelerator and took a third
    of the time for 1,500 badges with photos; binary streams are also 20 % smaller. The
    setting is global in reportlab, so it is restored afterwards.
    """
    from reportlab import rl_config

    previous = rl_config.useA85
    rl_config.useA85 = 0
    try:
        yield
    finally:
        rl_config.useA85 = previous


def render_badges(
    cards: Sequence[BadgeCard],
    layout: Layout,
    out: BinaryIO | Path,
    progress: Callable[[int], None] | None = None,
    settings: BadgePrintSettings = DEFAULT_SETTINGS,
) -> None:
    """Print `cards` in order as one PDF into `out`; `progress(n)` after each page, n cards done.

    Shared parts (header, colour band, portal QR) and each distinct photo are drawn once as
    PDF forms and reused, which keeps 1,500 badges fast and the file small.
    """
    sheet = sheet_for(layout, settings)
    if len(cards) > settings.max_cards:
        raise ValueError(f"more than {settings.max_cards} cards in one PDF")
    if not cards:
        raise ValueError("no cards to print")
    for index, card in enumerate(cards):
        _check_card(index, card)
    register_reportlab_fonts()
    with _binary_streams():
        _render(cards, sheet, layout, out, progress, settings)


def _render(
    cards: Sequence[BadgeCard],
    sheet: Sheet,
    layout: Layout,
    out: BinaryIO | Path,
    progress: Callable[[int], None] | None,
    settings: BadgePrintSettings,
) -> None:
    d = sheet.design
    target: BinaryIO | str = str(out) if isinstance(out, Path) else out
    c = Canvas(
        target,
        pagesize=(sheet.page_width * mm, sheet.page_height * mm),
        pageCompression=1,
        invariant=1,
    )
    c.setTitle("Thẻ đại biểu")
    # Forms must all be defined before the first page: reportlab starts a form by resetting
    # the current page's content.
    bbox = (-d.bleed * mm, -d.bleed * mm, (d.width + d.bleed) * mm, (d.height + d.bleed) * mm)
    statics: dict[_StaticKey, str] = {}
    for card in cards:
        key = _static_key(card)
        if key not in statics:
            statics[key] = f"BadgeStatic{len(statics)}"
            c.beginForm(statics[key], *bbox)
            _draw_static(c, d, key, settings)
            c.endForm()
    distinct: dict[str, tuple[int, bytes]] = {}
    for index, card in enumerate(cards):
        if card.photo:
            distinct.setdefault(hashlib.sha256(card.photo).hexdigest(), (index, card.photo))
    photos = {digest: f"BadgePhoto{i}" for i, digest in enumerate(distinct)}

    def prepare(item: tuple[int, bytes]) -> bytes:
        try:
            return _photo_jpeg(item[1], d.photo, settings)
        except (OSError, ValueError, Image.DecompressionBombError) as exc:
            raise ValueError(f"card {item[0]}: photo unreadable: {exc}") from exc

    with ThreadPoolExecutor(max_workers=max(1, settings.photo_workers)) as pool:
        prepared = pool.map(prepare, distinct.values())
        for digest, jpeg in zip(distinct, prepared, strict=True):
            c.beginForm(photos[digest], *bbox)
            _draw_photo(c, d, jpeg)
            c.endForm()
    placeholder = "BadgePhotoPlaceholder"
    draw_placeholder = settings.photo_placeholder and any(not card.photo for card in cards)
    if draw_placeholder:
        c.beginForm(placeholder, *bbox)
        _draw_placeholder(c, d, settings)
        c.endForm()

    trims = card_origins(layout, settings)
    per_page = len(trims)
    for start in range(0, len(cards), per_page):
        page_cards = cards[start : start + per_page]
        for trim, card in zip(trims, page_cards, strict=False):
            c.saveState()
            c.translate(trim.x * mm, (sheet.page_height - trim.y - d.height) * mm)
            c.doForm(statics[_static_key(card)])
            if not card.photo:
                if draw_placeholder:
                    c.doForm(placeholder)
            else:
                c.doForm(photos[hashlib.sha256(card.photo).hexdigest()])
            _draw_variable(c, d, card, settings)
            c.restoreState()
        _crop_marks(c, sheet, trims[: len(page_cards)], settings)
        c.showPage()
        if progress is not None:
            progress(start + len(page_cards))
    c.save()
