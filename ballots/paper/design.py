"""The design of a paper ballot: what the committee prints, every size, and where each line,
text, box, mark and QR area goes on every page.

One planning step (`plan_ballot`) decides every line, text and box of every page; `build_layout`
publishes the machine-readable part of that plan and `ballots.paper.pdf` draws exactly that plan,
so the layout can never drift from what is printed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal

from reportlab.pdfbase.pdfmetrics import getAscentDescent, stringWidth

from ballots.paper.layout import (
    CHOICES,
    SCHEMA_VERSION,
    BallotLayout,
    Box,
    Form,
    Item,
    PageLayout,
    RegistrationMark,
    Target,
)
from congress.fonts import fit_font_size, register_reportlab_fonts
from congress.vietnamese import nfc

MM = 72 / 25.4  # points per millimetre
Paper = Literal["auto", "A3", "A4", "A5"]
PAPER_SIZES_MM: dict[str, tuple[float, float]] = {
    "A3": (297.0, 420.0),
    "A4": (210.0, 297.0),
    "A5": (148.0, 210.0),
}

INSTRUCTIONS: dict[str, str] = {
    "strike": "Gạch ngang giữa cả họ và tên người không bầu",
    "agree": "Đánh dấu X vào một ô Đồng ý hoặc Không đồng ý cho mỗi người",
    "yesno": "Đánh dấu X vào một ô Đồng ý hoặc Không đồng ý",
    "confidence": (
        "Đánh dấu X vào một trong ba ô Tín nhiệm cao, Tín nhiệm hoặc Tín nhiệm thấp cho mỗi người"
    ),
}
CHOICE_HEADINGS: dict[str, str] = {
    "agree": "Đồng ý",
    "disagree": "Không đồng ý",
    "yes": "Đồng ý",
    "no": "Không đồng ý",
    "high": "Tín nhiệm cao",
    "normal": "Tín nhiệm",
    "low": "Tín nhiệm thấp",
}
ARUCO_IDS = {"tl": 0, "tr": 1, "bl": 2, "br": 3}


@dataclass(frozen=True)
class BallotPrintSettings:
    """Every size of the printed ballot, in millimetres unless the name says pt."""

    mark_size_mm: float = 12.0  # ArUco marker incl. its black border (6 x 6 cells of 2 mm)
    mark_inset_mm: float = 10.0  # paper edge to marker; office printers lose up to ~5 mm
    mark_quiet_mm: float = 3.0  # nothing printed this close to a marker
    body_margin_mm: float = 15.0  # left/right edge of the table
    seal_box_mm: tuple[float, float] = (46.0, 30.0)  # width, height; a round seal is ~35-40 mm
    qr_area_mm: float = 27.0  # QR symbol plus its 4-module quiet zone
    qr_caption_mm: float = 6.5
    qr_gap_mm: float = 2.0  # between the QR area and the top-right marker
    header_gap_mm: float = 3.0
    strike_row_mm: float = 9.5  # the strike row a list gets when it fits its pages so
    strike_row_min_mm: float = 7.25  # a long list's rows shrink to this, no further, to fit
    # fewer pages (250 names on 3 A4 sides); by steps of strike_row_step_mm
    strike_row_step_mm: float = 0.25
    # A strike row is at least this many name heights (ascent to descent) tall: the reader
    # looks for a circle round a name 0.6 name heights above and below it, clear of the
    # neighbours' strikes (ReadingSettings.around_zone); names shrink to keep it so.
    strike_row_per_name: float = 1.5
    strike_table_min_mm: float = 55.0  # a strike list has as many tables side by side as keep
    # each this wide (A4: 3, A3: 4)
    box_row_mm: float = 10.0
    box_mm: float = 7.0
    table_header_mm: float = 8.0
    number_column_mm: float = 11.0
    agree_box_column_mm: float = 26.0
    confidence_box_column_mm: float = 24.0
    column_gap_mm: float = 6.0  # between the tables of a strike list printed side by side
    name_padding_mm: float = 2.5
    name_size_pt: float = 12.0
    box_form_name_size_pt: float = 11.0
    name_min_size_pt: float = 5.5
    two_column_min_name_size_pt: float = 8.0  # names in tables side by side never go below
    question_size_pt: float = 11.0
    number_size_pt: float = 11.0
    table_heading_size_pt: float = 9.5
    title_size_pt: float = 13.0
    title_min_size_pt: float = 10.0
    ballot_word_size_pt: float = 22.0
    organisation_size_pt: float = 9.0
    line_size_pt: float = 10.0  # sitting label, counts, instruction
    caption_size_pt: float = 7.0
    seal_label_size_pt: float = 7.0
    next_page_heading_size_pt: float = 12.0
    next_page_text_size_pt: float = 9.0
    small_text_min_size_pt: float = 5.0  # headings and header lines shrink to this, no further
    line_spacing: float = 1.35  # baseline to baseline, in font sizes
    text_padding_mm: float = 1.0  # between a text and the frame of its cell
    table_line_pt: float = 0.6
    box_line_pt: float = 0.8
    a5_max_rows: int = 12  # "auto" paper picks A5 for lists this short that fit one page


DEFAULT_SETTINGS = BallotPrintSettings()


@dataclass(frozen=True)
class BallotSpec:
    """What the counting committee decided to print."""

    election_id: int
    round: int
    form: Form
    seats: int
    organisation: str  # lines separated by "\n", e.g. "ĐOÀN TNCS HỒ CHÍ MINH\nTHÀNH ĐOÀN HÀ NỘI"
    title: str  # e.g. "Bầu Ban Chấp hành Thành Đoàn khóa XIX"
    items: Sequence[str]  # candidate full names (or yes/no questions) in ballot order
    sitting_label: str | None = None  # place and date line
    seal_required: bool = True
    paper: Paper = "auto"
    instruction: str | None = None  # None: the standard instruction of the form

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields (the station API and the audit bundle's spec.json)."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BallotSpec:
        return cls(**{**data, "items": tuple(data["items"])})


# ---------------------------------------------------------------- the plan: primitives per page


@dataclass(frozen=True)
class _Text:
    x: float
    baseline: float
    text: str
    font: str
    size: float
    align: Literal["left", "center", "right"] = "left"


@dataclass(frozen=True)
class _Line:
    x0: float
    y0: float
    x1: float
    y1: float
    width: float


@dataclass(frozen=True)
class _Frame:
    box: Box
    width: float
    dashed: bool = False


@dataclass
class PagePlan:
    """Everything printed on one page, in points from its top-left corner, y downwards."""

    number: int
    texts: list[_Text] = field(default_factory=list)
    lines: list[_Line] = field(default_factory=list)
    frames: list[_Frame] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)
    marks: list[RegistrationMark] = field(default_factory=list)
    qr: Box = (0.0, 0.0, 0.0, 0.0)
    qr_symbol_area: Box = (0.0, 0.0, 0.0, 0.0)
    seal_box: Box | None = None
    voter_area: Box = (0.0, 0.0, 0.0, 0.0)


@dataclass
class BallotPlan:
    """The pages of one ballot as planned, in points; `ballots.paper.pdf` draws exactly this."""

    width: float
    height: float
    items: tuple[Item, ...]
    pages: list[PagePlan]
    columns: int = 1  # tables side by side
    row_mm: float = 0.0  # the row height of a strike list or a box form (questions may grow)
    name_sizes: tuple[float, float] = (0.0, 0.0)  # smallest and largest printed name, pt


@dataclass(frozen=True)
class _Column:
    """One table on a page: its x extents and where each of its cells sits."""

    x0: float
    x1: float
    number_x1: float
    label_x1: float
    box_columns: tuple[tuple[str, float, float], ...]  # choice, x0, x1


def _items(spec: BallotSpec) -> tuple[Item, ...]:
    prefix = "q" if spec.form == "yesno" else "c"
    width = 1 if spec.form == "yesno" else 3
    return tuple(
        Item(f"{prefix}{n:0{width}d}", nfc(label.strip()), n)
        for n, label in enumerate(spec.items, start=1)
    )


def _wrap(text: str, font: str, size: float, width: float) -> list[str]:
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}" if current else word
        if current and stringWidth(candidate, font, size) > width:
            lines.append(current)
            current = word
        else:
            current = candidate
    if current:
        lines.append(current)
    return lines or [""]


def _baseline_centered(y_center: float, font: str, size: float) -> float:
    ascent, descent = getAscentDescent(font, size)
    return y_center + (ascent + descent) / 2


def _columns(spec: BallotSpec, s: BallotPrintSettings, width: float, count: int) -> list[_Column]:
    x0 = s.body_margin_mm * MM
    x1 = width - s.body_margin_mm * MM
    if spec.form == "strike":
        gap = s.column_gap_mm * MM
        table_width = (x1 - x0 - gap * (count - 1)) / count
        columns = []
        for index in range(count):
            left = x0 + index * (table_width + gap)
            right = left + table_width
            columns.append(_Column(left, right, left + s.number_column_mm * MM, right, ()))
        return columns
    box_width = (
        s.confidence_box_column_mm if spec.form == "confidence" else s.agree_box_column_mm
    ) * MM
    choices = CHOICES[spec.form]
    label_x1 = x1 - box_width * len(choices)
    boxes = tuple(
        (choice, label_x1 + i * box_width, label_x1 + (i + 1) * box_width)
        for i, choice in enumerate(choices)
    )
    return [_Column(x0, x1, x0 + s.number_column_mm * MM, label_x1, boxes)]


def _name_font(spec: BallotSpec, s: BallotPrintSettings) -> tuple[str, float]:
    return "Sans", s.name_size_pt if spec.form == "strike" else s.box_form_name_size_pt


def _label_width(column: _Column, s: BallotPrintSettings) -> float:
    return column.label_x1 - column.number_x1 - 2 * s.name_padding_mm * MM


def _row_height(spec: BallotSpec, s: BallotPrintSettings, column: _Column, item: Item) -> float:
    if spec.form == "strike":
        return s.strike_row_mm * MM
    if spec.form == "yesno":
        lines = _wrap(item.label, "Sans", s.question_size_pt, _label_width(column, s))
        text_height = len(lines) * s.question_size_pt * s.line_spacing + 2 * s.name_padding_mm * MM
        return max(s.box_row_mm * MM, text_height)
    return s.box_row_mm * MM


def _header_page_one(
    spec: BallotSpec, s: BallotPrintSettings, page: PagePlan, width: float, qr_bottom: float
) -> float:
    """Draws the page-1 header into `page`; returns where the table may start."""
    inset = s.mark_inset_mm * MM
    seal_x0 = inset + (s.mark_size_mm + s.mark_quiet_mm + 1) * MM
    seal_w, seal_h = s.seal_box_mm[0] * MM, s.seal_box_mm[1] * MM
    seal = (seal_x0, inset, seal_x0 + seal_w, inset + seal_h)
    pad = 2 * s.text_padding_mm * MM
    if spec.seal_required:
        page.seal_box = seal
        page.frames.append(_Frame(seal, s.table_line_pt, dashed=True))
        label = "(Dấu của Ban kiểm phiếu)"
        size = fit_font_size(
            label, "Sans-Italic", seal_w - pad, s.seal_label_size_pt, s.small_text_min_size_pt
        )
        page.texts.append(
            _Text((seal[0] + seal[2]) / 2, seal[3] - 2.2 * MM, label, "Sans-Italic", size, "center")
        )
    baseline = inset + 4.5 * MM
    for index, line in enumerate(ln.strip() for ln in spec.organisation.splitlines()):
        if not line:
            continue
        font = "Sans" if index == 0 else "Sans-Bold"
        size = fit_font_size(
            line, font, seal_w - pad, s.organisation_size_pt, s.small_text_min_size_pt
        )
        page.texts.append(_Text((seal[0] + seal[2]) / 2, baseline, line, font, size, "center"))
        baseline += size * s.line_spacing
    y = max(seal[3], qr_bottom) + s.header_gap_mm * MM
    center = width / 2
    body_width = width - 2 * s.body_margin_mm * MM

    y += s.ballot_word_size_pt * 0.95
    page.texts.append(_Text(center, y, "PHIẾU BẦU", "Sans-Bold", s.ballot_word_size_pt, "center"))
    y += 3 * MM
    title_size = fit_font_size(
        spec.title, "Sans-Bold", body_width, s.title_size_pt, s.title_min_size_pt
    )
    for line in _wrap(spec.title, "Sans-Bold", title_size, body_width):
        y += title_size * 1.25
        page.texts.append(_Text(center, y, line, "Sans-Bold", title_size, "center"))
    lines: list[tuple[str, str]] = []
    if spec.sitting_label:
        lines.append((spec.sitting_label, "Sans-Italic"))
    if spec.form in ("strike", "agree") and spec.seats > 0:
        lines.append(
            (f"Danh sách gồm {len(spec.items)} người, số lượng bầu: {spec.seats} người", "Sans")
        )
    instruction = spec.instruction or INSTRUCTIONS[spec.form]
    lines.append((f"({instruction})", "Sans-Italic"))
    y += 1.5 * MM
    for text, font in lines:
        for line in _wrap(text, font, s.line_size_pt, body_width):
            y += s.line_size_pt * s.line_spacing
            page.texts.append(_Text(center, y, line, font, s.line_size_pt, "center"))
    return y + 3 * MM


def _header_next_page(
    spec: BallotSpec, s: BallotPrintSettings, page: PagePlan, pages: int, qr_x0: float
) -> None:
    inset = s.mark_inset_mm * MM
    x = inset + (s.mark_size_mm + s.mark_quiet_mm + 1) * MM
    room = qr_x0 - x - 3 * MM
    heading = s.next_page_heading_size_pt
    text = s.next_page_text_size_pt
    page.texts.append(_Text(x, inset + 5 * MM, "PHIẾU BẦU (tiếp theo)", "Sans-Bold", heading))
    size = fit_font_size(spec.title, "Sans", room, text, s.small_text_min_size_pt)
    page.texts.append(_Text(x, inset + 10.5 * MM, spec.title, "Sans", size))
    page.texts.append(_Text(x, inset + 15.5 * MM, f"Trang {page.number}/{pages}", "Sans", text))


def _fixed_parts(s: BallotPrintSettings, page: PagePlan, width: float, height: float) -> None:
    """Registration marks and the QR area: the same place on every page."""
    inset = s.mark_inset_mm * MM
    size = s.mark_size_mm * MM
    corners = {
        "tl": (inset, inset),
        "tr": (width - inset - size, inset),
        "bl": (inset, height - inset - size),
        "br": (width - inset - size, height - inset - size),
    }
    page.marks = [
        RegistrationMark(name, (x, y, x + size, y + size), ARUCO_IDS[name])
        for name, (x, y) in corners.items()
    ]
    qr_size = s.qr_area_mm * MM
    qr_x1 = width - inset - size - s.qr_gap_mm * MM - s.mark_quiet_mm * MM
    qr_x0 = qr_x1 - qr_size
    page.qr_symbol_area = (qr_x0, inset, qr_x1, inset + qr_size)
    page.qr = (qr_x0, inset, qr_x1, inset + qr_size + s.qr_caption_mm * MM)


def _place_row(
    spec: BallotSpec,
    s: BallotPrintSettings,
    page: PagePlan,
    column: _Column,
    item: Item,
    y0: float,
    y1: float,
    name_size: float,
) -> None:
    center = (y0 + y1) / 2
    page.lines.append(_Line(column.x0, y1, column.x1, y1, s.table_line_pt))
    number = str(item.number)
    page.texts.append(
        _Text(
            (column.x0 + column.number_x1) / 2,
            _baseline_centered(center, "Sans", s.number_size_pt),
            number,
            "Sans",
            s.number_size_pt,
            "center",
        )
    )
    name_x = column.number_x1 + s.name_padding_mm * MM
    if spec.form == "yesno":
        lines = _wrap(item.label, "Sans", s.question_size_pt, _label_width(column, s))
        step = s.question_size_pt * s.line_spacing
        top = center - step * len(lines) / 2
        for index, line in enumerate(lines):
            baseline = _baseline_centered(top + step * (index + 0.5), "Sans", s.question_size_pt)
            page.texts.append(_Text(name_x, baseline, line, "Sans", s.question_size_pt))
    else:
        baseline = _baseline_centered(center, "Sans", name_size)
        page.texts.append(_Text(name_x, baseline, item.label, "Sans", name_size))
        if spec.form == "strike":
            ascent, descent = getAscentDescent("Sans", name_size)
            name_width = stringWidth(item.label, "Sans", name_size)
            box = (name_x, baseline - ascent, name_x + name_width, baseline - descent)
            page.targets.append(Target(f"{item.id}.strike", item.id, "strike", box))
    half = s.box_mm * MM / 2
    inner = s.box_line_pt / 2
    for choice, bx0, bx1 in column.box_columns:
        cx = (bx0 + bx1) / 2
        outline = (cx - half, center - half, cx + half, center + half)
        page.frames.append(_Frame(outline, s.box_line_pt))
        box = (outline[0] + inner, outline[1] + inner, outline[2] - inner, outline[3] - inner)
        page.targets.append(Target(f"{item.id}.{choice}", item.id, choice, box))


def _table_frame(
    spec: BallotSpec, s: BallotPrintSettings, page: PagePlan, column: _Column, y0: float, y1: float
) -> None:
    """Outer border, heading row and vertical rules of one table from y0 (heading top) to y1."""
    heading_y1 = y0 + s.table_header_mm * MM
    pad = 2 * s.text_padding_mm * MM
    page.frames.append(_Frame((column.x0, y0, column.x1, y1), s.table_line_pt))
    page.lines.append(_Line(column.x0, heading_y1, column.x1, heading_y1, s.table_line_pt))
    verticals = [column.number_x1] + [bx0 for _, bx0, _ in column.box_columns]
    for x in verticals:
        page.lines.append(_Line(x, y0, x, y1, s.table_line_pt))
    center = (y0 + heading_y1) / 2
    label = "Nội dung" if spec.form == "yesno" else "Họ và tên"
    cells = [("STT", column.x0, column.number_x1), (label, column.number_x1, column.label_x1)]
    cells += [(CHOICE_HEADINGS[c], bx0, bx1) for c, bx0, bx1 in column.box_columns]
    for text, x0, x1 in cells:
        size = fit_font_size(
            text, "Sans-Bold", x1 - x0 - pad, s.table_heading_size_pt, s.small_text_min_size_pt
        )
        baseline = _baseline_centered(center, "Sans-Bold", size)
        page.texts.append(_Text((x0 + x1) / 2, baseline, text, "Sans-Bold", size, "center"))


def _name_sizes(
    spec: BallotSpec, s: BallotPrintSettings, column: _Column, items: Sequence[Item]
) -> dict[str, float]:
    font, start = _name_font(spec, s)
    room = _label_width(column, s)
    return {
        item.id: fit_font_size(item.label, font, room, start, s.name_min_size_pt) for item in items
    }


def _flow(
    spec: BallotSpec, s: BallotPrintSettings, paper: str, column_count: int
) -> BallotPlan | None:
    """Lay the list out on `paper`; None when a name cannot fit its column."""
    width_mm, height_mm = PAPER_SIZES_MM[paper]
    width, height = width_mm * MM, height_mm * MM
    items = _items(spec)
    columns = _columns(spec, s, width, column_count)
    sizes = _name_sizes(spec, s, columns[0], items)
    font, _ = _name_font(spec, s)
    room = _label_width(columns[0], s)
    if spec.form != "yesno" and any(
        stringWidth(item.label, font, sizes[item.id]) > room for item in items
    ):
        return None
    bottom = height - (s.mark_inset_mm + s.mark_size_mm + s.mark_quiet_mm) * MM
    pages: list[PagePlan] = []
    remaining = list(items)
    while remaining:
        page = PagePlan(number=len(pages) + 1)
        _fixed_parts(s, page, width, height)
        if page.number == 1:
            table_top = _header_page_one(spec, s, page, width, page.qr[3])
        else:
            table_top = page.qr[3] + s.header_gap_mm * MM
        body_top = table_top + s.table_header_mm * MM
        body_bottom = body_top
        for column in columns:
            y = body_top
            while remaining:
                item = remaining[0]
                row_height = _row_height(spec, s, column, item)
                if y + row_height > bottom:
                    break
                _place_row(spec, s, page, column, item, y, y + row_height, sizes[item.id])
                remaining.pop(0)
                y += row_height
            if y > body_top:
                _table_frame(spec, s, page, column, table_top, y)
                body_bottom = max(body_bottom, y)
        if body_bottom == body_top:
            raise ValueError(f"item {remaining[0].number} is too tall for one page")
        page.voter_area = (columns[0].x0, body_top, columns[-1].x1, body_bottom)
        pages.append(page)
    total = len(pages)
    for page in pages:
        if page.number > 1:
            _header_next_page(spec, s, page, total, page.qr[0])
    row_mm = s.strike_row_mm if spec.form == "strike" else s.box_row_mm
    name_sizes = (min(sizes.values()), max(sizes.values()))
    return BallotPlan(width, height, items, pages, column_count, row_mm, name_sizes)


def _check_spec(spec: BallotSpec) -> None:
    if spec.form not in CHOICES:
        raise ValueError(f"unknown ballot form {spec.form!r}")
    if not spec.items:
        raise ValueError("a ballot needs at least one candidate or question")
    if spec.paper not in PAPER_SIZES_MM and spec.paper != "auto":
        raise ValueError(f"unknown paper {spec.paper!r}")


# A layout is rebuilt for every print job and every reference page: keep recent plans.
_PLANS: dict[tuple[object, ...], BallotPlan] = {}
_PLANS_KEPT = 16


def plan_ballot(spec: BallotSpec, settings: BallotPrintSettings) -> BallotPlan:
    key = (*_spec_key(spec), settings)
    plan = _PLANS.get(key)
    if plan is None:
        if len(_PLANS) >= _PLANS_KEPT:
            _PLANS.clear()
        plan = _PLANS[key] = _plan_uncached(spec, settings)
    return plan


def _spec_key(spec: BallotSpec) -> tuple[object, ...]:
    return (
        spec.election_id,
        spec.round,
        spec.form,
        spec.seats,
        spec.organisation,
        spec.title,
        tuple(spec.items),
        spec.sitting_label,
        spec.seal_required,
        spec.paper,
        spec.instruction,
    )


def _plan_uncached(spec: BallotSpec, s: BallotPrintSettings) -> BallotPlan:
    _check_spec(spec)
    register_reportlab_fonts()
    if spec.paper in ("auto", "A5") and len(spec.items) <= s.a5_max_rows:
        plan = _flow(spec, s, "A5", 1)
        if plan is not None and (spec.paper == "A5" or len(plan.pages) == 1):
            return plan
    if spec.paper == "A5":
        plan = _flow(spec, s, "A5", 1)
        if plan is None:
            raise ValueError("a name does not fit its column on A5 paper")
        return plan
    paper = "A3" if spec.paper == "A3" else "A4"
    if spec.form == "strike":
        return _fit_strike_list(spec, s, paper)
    plan = _flow(spec, s, paper, 1)
    if plan is None:
        raise ValueError("a name does not fit its column")
    return plan


def _strike_options(spec: BallotSpec, s: BallotPrintSettings, paper: str) -> list[BallotPlan]:
    """Every way to print the strike list on `paper`: one to as many tables side by side as
    keep strike_table_min_mm, rows from strike_row_mm down to strike_row_min_mm."""
    width_mm = PAPER_SIZES_MM[paper][0]
    body_mm = width_mm - 2 * s.body_margin_mm
    most = max(1, int((body_mm + s.column_gap_mm) // (s.strike_table_min_mm + s.column_gap_mm)))
    _, descent = getAscentDescent("Sans", 1.0)
    name_height = 1.0 - descent  # per pt of font size: ascent to descent (Be Vietnam Pro 1.265)
    options = []
    for columns in range(1, most + 1):
        steps = int(round((s.strike_row_mm - s.strike_row_min_mm) / s.strike_row_step_mm))
        pages_seen: set[int] = set()
        for step in range(steps + 1):
            row = s.strike_row_mm - step * s.strike_row_step_mm
            largest = row * MM / s.strike_row_per_name / name_height
            row_settings = replace(
                s,
                strike_row_mm=row,
                name_size_pt=min(s.name_size_pt, largest),
                name_min_size_pt=min(
                    largest, s.name_min_size_pt if columns == 1 else s.two_column_min_name_size_pt
                ),
            )
            plan = _flow(spec, row_settings, paper, columns)
            if plan is None or len(plan.pages) in pages_seen:
                continue  # a shorter row only helps when it saves a page
            pages_seen.add(len(plan.pages))
            options.append(plan)
            if len(plan.pages) == 1:
                break
    return options


def _fit_strike_list(spec: BallotSpec, s: BallotPrintSettings, paper: str) -> BallotPlan:
    """The fewest pages; among them the largest smallest name, then the tallest row, then the
    fewest tables: as readable as the list allows on as little paper as it needs."""
    options = _strike_options(spec, s, paper)
    if not options:
        raise ValueError("a name does not fit its column")
    return min(options, key=lambda p: (len(p.pages), -p.name_sizes[0], -p.row_mm, p.columns))


# ---------------------------------------------------------------- public: layout


def build_layout(
    spec: BallotSpec, settings: BallotPrintSettings = DEFAULT_SETTINGS
) -> BallotLayout:
    """The machine-readable layout of `spec`, exactly as render_ballots prints it."""
    plan = plan_ballot(spec, settings)
    return BallotLayout(
        schema=SCHEMA_VERSION,
        election_id=spec.election_id,
        round=spec.round,
        form=spec.form,
        seats=spec.seats,
        items=plan.items,
        pages=tuple(
            PageLayout(
                number=page.number,
                width=round(plan.width, 3),
                height=round(plan.height, 3),
                targets=tuple(
                    Target(t.id, t.item, t.choice, _round_box(t.box)) for t in page.targets
                ),
                qr=_round_box(page.qr),
                marks=tuple(
                    RegistrationMark(m.id, _round_box(m.box), m.aruco_id) for m in page.marks
                ),
                seal_box=_round_box(page.seal_box) if page.seal_box else None,
                voter_area=_round_box(page.voter_area),
            )
            for page in plan.pages
        ),
    )


def _round_box(box: Box) -> Box:
    x0, y0, x1, y1 = (round(v, 3) for v in box)
    return (x0, y0, x1, y1)


def checked_plan(spec: BallotSpec, layout: BallotLayout, s: BallotPrintSettings) -> BallotPlan:
    """The plan of `spec`, refused unless `layout` is what it publishes: a printer given a stale
    layout must not print pages the reader would measure wrongly."""
    if build_layout(spec, s) != layout:
        raise ValueError("the layout was not built from this ballot spec and settings")
    return plan_ballot(spec, s)
