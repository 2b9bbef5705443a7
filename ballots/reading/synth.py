"""A synthetic corpus of marked ballots with ground truth: printed, hand-marked, scanned or photographed."""

from __future__ import annotations

import io
import math
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Literal

import cv2
import numpy as np
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ballots.paper.design import BallotSpec, build_layout
from ballots.paper.layout import BallotLayout, Box, PageLayout
from ballots.paper.pdf import render_ballots
from ballots.paper.raster import rasterize_pdf
from ballots.paper.serials import SERIAL_ALPHABET, SERIAL_LENGTH, ballot_page_tokens

Expected = Literal["marked", "unmarked", "ambiguous"]
Mode = Literal["scanner", "phone"]

# Every mark kind a voter makes in the corpus, and what the reader must make of it.
STRIKE_KINDS: dict[str, Expected] = {
    "none": "unmarked",
    "strike": "marked",
    "strike_wavy": "marked",
    "strike_double": "marked",
    "strike_zigzag": "marked",
    "strike_diagonal": "marked",
    "underline": "unmarked",
    "stray_dot": "unmarked",
    "partial": "ambiguous",
    "strike_ends": "ambiguous",  # struck on its two ends only: "not through the whole name"
    "tick": "ambiguous",
    "circle": "ambiguous",
    "light_touch": "ambiguous",
    # the widened corpus (issue 17): strokes the first generator never drew
    "strike_uneven": "marked",  # one line, the pressure fading and rising along it
    "strike_inside": "marked",  # starts and ends a little inside the name's first/last letter
    "strike_outside": "marked",  # starts and ends well outside the name
    "strike_two": "marked",  # two strokes that meet near the middle
    "strike_zigzag_few": "marked",  # a zigzag of two to four turns
    "strike_zigzag_many": "marked",  # a zigzag of ten or more turns
    "strike_ruler": "marked",  # dead straight, even pressure
}
BOX_KINDS: dict[str, Expected] = {
    "none": "unmarked",
    "x": "marked",
    "check": "marked",
    "fill": "marked",
    "slash": "marked",  # "/"
    "dot": "ambiguous",
    "light_touch": "ambiguous",
    # the widened corpus (issue 17)
    "backslash": "marked",  # the other diagonal
    "tick_short": "marked",  # a small check inside the box, half to two thirds of it
    "check_out": "marked",  # a check whose long arm leaves the box
    "x_big": "marked",  # an X larger than the box
    "scribble": "marked",  # a loose scribble over the box
    "light_x": "marked",  # an X in light but clear ink
    "circle_around": "ambiguous",  # a ring drawn round the box, nothing in it
}
# How often a voter makes each kind: mostly clear marks, with every doubtful kind represented.
STRIKE_WEIGHTS = {
    "none": 30, "strike": 20, "strike_wavy": 6, "strike_double": 5, "strike_zigzag": 5,
    "strike_diagonal": 5, "underline": 4, "stray_dot": 4, "partial": 3, "strike_ends": 2,
    "tick": 2, "circle": 2, "light_touch": 2,
}  # fmt: skip
BOX_WEIGHTS = {"none": 45, "x": 25, "check": 10, "fill": 5, "slash": 8, "dot": 4, "light_touch": 3}
# The widened corpus draws every kind, the new ones as often as the common old ones' tail.
WIDE_STRIKE_WEIGHTS = STRIKE_WEIGHTS | {
    "strike": 8, "strike_uneven": 4, "strike_inside": 4, "strike_outside": 3, "strike_two": 4,
    "strike_zigzag_few": 3, "strike_zigzag_many": 3, "strike_ruler": 3,
}  # fmt: skip
WIDE_BOX_WEIGHTS = BOX_WEIGHTS | {
    "x": 12, "slash": 5, "backslash": 5, "tick_short": 4, "check_out": 4, "x_big": 4,
    "scribble": 4, "light_x": 4, "circle_around": 3,
}  # fmt: skip

PENS: dict[str, tuple[tuple[int, int, int], float]] = {
    # BGR colour, stroke width in mm
    "ballpoint_black": ((40, 40, 40), 0.45),
    "ballpoint_blue": ((150, 70, 25), 0.45),
    "pencil": ((105, 105, 105), 0.55),
}


@dataclass(frozen=True)
class Pen:
    """A writing tool of the widened corpus: its trace's colour (BGR, at full pressure) and
    width, how much its pressure fades along a stroke, how often it skips (gaps a mm of
    stroke) and the paper's tooth showing through (pencil)."""

    name: str
    colour: tuple[int, int, int]
    width_mm: float
    fade: float = 0.3  # the pressure falls to (1 - fade) of full somewhere along a stroke
    skips: float = 0.0  # expected gaps per mm of stroke (0.2-0.6 mm each)
    grain: float = 0.0  # share of the trace that paper tooth lightens (pencil)


# From 0.15 mm (hard pencil, fine gel) to 1.5 mm (felt tip); black, blue, dark blue, red, green.
WIDE_PENS: tuple[Pen, ...] = (
    Pen("pencil_2H", (150, 150, 150), 0.15, 0.35, 0.02, 0.45),
    Pen("pencil_HB", (115, 115, 115), 0.3, 0.35, 0.02, 0.35),
    Pen("pencil_2B", (80, 80, 80), 0.5, 0.3, 0.0, 0.3),
    Pen("gel_fine_black", (30, 30, 30), 0.15, 0.2, 0.03),
    Pen("gel_blue", (165, 60, 20), 0.3, 0.2, 0.02),
    Pen("ballpoint_black", (40, 40, 40), 0.45, 0.35, 0.05),
    Pen("ballpoint_blue", (150, 70, 25), 0.45, 0.35, 0.05),
    Pen("ballpoint_dark_blue", (110, 40, 25), 0.4, 0.35, 0.05),
    Pen("ballpoint_red", (45, 40, 195), 0.45, 0.35, 0.05),
    Pen("ballpoint_green", (60, 135, 30), 0.45, 0.35, 0.05),
    Pen("felt_black", (25, 25, 25), 1.0, 0.15),
    Pen("felt_blue", (170, 65, 20), 1.5, 0.15),
    Pen("felt_red", (40, 30, 205), 1.2, 0.15),
    Pen("felt_green", (60, 145, 40), 1.0, 0.15),
)

SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi"]
MIDDLE = ["Thị", "Văn", "Minh", "Ngọc", "Thanh", "Đức", "Quốc", "Thu", "Hữu", "Kim"]
GIVEN = [
    "An",
    "Bình",
    "Cường",
    "Dũng",
    "Giang",
    "Hà",
    "Hải",
    "Khánh",
    "Lan",
    "Nhung",
    "Quân",
    "Yến",
]


@dataclass(frozen=True)
class SynthElection:
    spec: BallotSpec
    layout: BallotLayout
    private_key: Ed25519PrivateKey


@dataclass(frozen=True)
class TruthMark:
    target: str  # layout target id
    kind: str
    expected: Expected
    pen: str = ""  # the pen's name (PENS or WIDE_PENS)
    width_mm: float = 0.0  # its nominal trace width


@dataclass
class SyntheticPage:
    image: np.ndarray  # uint8, BGR or grayscale, as a scanner or phone would deliver it
    serial: str
    page: int
    truth: list[TruthMark]
    mode: Mode


def make_election(
    form: str = "strike",
    candidates: int = 30,
    seats: int | None = None,
    seed: int = 0,
    seal_required: bool = True,
) -> SynthElection:
    """A deterministic election (names, key) for the corpus."""
    rng = np.random.default_rng(seed)
    if form == "yesno":
        items = ["Thông qua Nghị quyết Đại hội"]
    else:
        items = [
            f"{rng.choice(SURNAMES)} {rng.choice(MIDDLE)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"
            for _ in range(candidates)
        ]
    spec = BallotSpec(
        election_id=7,
        round=1,
        form=form,  # type: ignore[arg-type]
        seats=seats if seats is not None else max(1, len(items) * 2 // 3),
        organisation="ĐOÀN TNCS HỒ CHÍ MINH\nTHÀNH ĐOÀN HÀ NỘI",
        title="Bầu Ban Chấp hành Thành Đoàn khóa XIX",
        items=items,
        sitting_label="Hà Nội, ngày 23 tháng 11 năm 2026",
        seal_required=seal_required,
    )
    key = Ed25519PrivateKey.from_private_bytes(bytes(rng.integers(0, 256, 32, dtype=np.uint8)))
    return SynthElection(spec, build_layout(spec), key)


def serials_for(rng: np.random.Generator, count: int) -> list[str]:
    return [
        "".join(SERIAL_ALPHABET[int(i)] for i in rng.integers(0, 32, SERIAL_LENGTH))
        for _ in range(count)
    ]


def print_pages(
    election: SynthElection, serials: list[str], dpi: int, key: Ed25519PrivateKey | None = None
) -> list[np.ndarray]:
    """The printed ballots (every page of every serial, in order) as grayscale images."""
    pages = len(election.layout.pages)
    spec = election.spec
    tokens = ballot_page_tokens(
        key or election.private_key, spec.election_id, spec.round, pages, serials
    )
    buffer = io.BytesIO()
    render_ballots(spec, election.layout, tokens, buffer)
    return rasterize_pdf(buffer.getvalue(), dpi)


# ---------------------------------------------------------------- hand-like strokes


def _stroke(
    canvas: np.ndarray,
    points: np.ndarray,
    colour: tuple[int, int, int],
    width_px: float,
    rng: np.random.Generator,
    pen: Pen | None = None,
    dpi: float = 300.0,
    ruler: bool = False,
) -> None:
    """Darken `canvas` along a jittered polyline, as ink multiplies the paper beneath it.

    With a `pen` (the widened corpus), the pressure fades and rises along the stroke, the pen
    skips (gaps of 0.2-0.6 mm), a pencil's trace shows the paper's tooth, and a trace thinner
    than a pixel is drawn one pixel wide and lighter; `ruler` draws it dead straight."""
    pts = np.asarray(points, np.float64)
    # Resample and wobble so no two strokes are the same straight line.
    lengths = np.linalg.norm(np.diff(pts, axis=0), axis=1)
    total = float(lengths.sum())
    n = max(2, int(total / 3))
    t = np.concatenate([[0.0], np.cumsum(lengths)]) / max(total, 1e-9)
    u = np.linspace(0, 1, n)
    xs = np.interp(u, t, pts[:, 0])
    ys = np.interp(u, t, pts[:, 1])
    if pen is None or not ruler:
        wobble = np.cumsum(rng.normal(0, 0.25, n))
        wobble -= np.linspace(wobble[0], wobble[-1], n)
        ys = ys + wobble * 0.5
    if pen is None:
        layer = np.zeros(canvas.shape[:2], np.uint8)
        poly = np.round(np.stack([xs, ys], axis=1) * 4).astype(np.int32)
        cv2.polylines(layer, [poly], False, 255, max(1, int(round(width_px))), cv2.LINE_AA, shift=2)
        _apply_ink(canvas, layer, colour)
        return
    thick = max(1, int(round(width_px)))
    strength = min(1.0, width_px / thick)  # a trace under a pixel wide covers it partly
    # Pressure along the stroke: a smooth random curve between (1 - fade) and 1.
    knots = rng.uniform(1 - pen.fade, 1.0, 4) if not ruler else np.ones(4)
    pressure = np.interp(u, np.linspace(0, 1, 4), knots) * strength
    mm = dpi / 25.4
    gaps = rng.poisson(pen.skips * total / mm) if not ruler else 0
    for _ in range(int(gaps)):
        at, span = rng.uniform(0.1, 0.9), rng.uniform(0.2, 0.6) * mm / max(total, 1e-9)
        pressure[(u >= at) & (u < at + span)] = 0.0
    margin = thick + 3
    x0, y0 = int(max(0, math.floor(xs.min()) - margin)), int(max(0, math.floor(ys.min()) - margin))
    x1 = int(min(canvas.shape[1], math.ceil(xs.max()) + margin))
    y1 = int(min(canvas.shape[0], math.ceil(ys.max()) + margin))
    if x1 <= x0 or y1 <= y0:
        return
    layer = np.zeros((y1 - y0, x1 - x0), np.uint8)
    fixed = np.round(np.stack([xs - x0, ys - y0], axis=1) * 4).astype(np.int32)
    for i in range(n - 1):
        value = int(round(255 * min(pressure[i], pressure[i + 1])))
        if value > 0:  # each segment in its own small window, the darker of overlaps kept
            ax, ay, bx, by = (int(v) for v in (*fixed[i], *fixed[i + 1]))
            sx0 = max(0, min(ax, bx) // 4 - margin)
            sy0 = max(0, min(ay, by) // 4 - margin)
            sx1 = min(x1 - x0, max(ax, bx) // 4 + margin + 1)
            sy1 = min(y1 - y0, max(ay, by) // 4 + margin + 1)
            if sx1 <= sx0 or sy1 <= sy0:
                continue
            segment = np.zeros((sy1 - sy0, sx1 - sx0), np.uint8)
            start_pt = (ax - sx0 * 4, ay - sy0 * 4)
            end_pt = (bx - sx0 * 4, by - sy0 * 4)
            cv2.line(segment, start_pt, end_pt, value, thick, cv2.LINE_AA, shift=2)
            window = layer[sy0:sy1, sx0:sx1]
            np.maximum(window, segment, out=window)
    if pen.grain > 0:
        speckle = rng.uniform(0, 1, layer.shape).astype(np.float32)
        tooth = cv2.GaussianBlur(speckle, (0, 0), 0.6)
        keep = np.clip(1.0 - pen.grain * 2.2 * np.maximum(tooth - 0.35, 0), 0, 1)
        layer = (layer * keep).astype(np.uint8)
    _apply_ink(canvas[y0:y1, x0:x1], layer, colour)


def _apply_ink(canvas: np.ndarray, layer: np.ndarray, colour: tuple[int, int, int]) -> None:
    rows = np.flatnonzero(layer.any(axis=1))
    cols = np.flatnonzero(layer.any(axis=0))
    if rows.size == 0:
        return
    # Only the stroke's bounding box changes (a page-sized float mix per stroke is slow).
    y0, y1, x0, x1 = int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1
    alpha = (layer[y0:y1, x0:x1].astype(np.float32) / 255.0)[:, :, None]
    ink = np.array(colour, np.float32)[None, None, :]
    region = canvas[y0:y1, x0:x1].astype(np.float32)
    mixed = region * (1 - alpha) + np.minimum(region, ink) * alpha
    canvas[y0:y1, x0:x1] = np.clip(mixed, 0, 255).astype(np.uint8)


def _dot(
    canvas: np.ndarray, centre: tuple[float, float], radius_px: float, colour: tuple[int, int, int]
) -> None:
    layer = np.zeros(canvas.shape[:2], np.uint8)
    cx, cy = (int(round(v * 4)) for v in centre)
    cv2.circle(layer, (cx, cy), max(4, int(radius_px * 4)), 255, -1, cv2.LINE_AA, shift=2)
    _apply_ink(canvas, layer, colour)


def _strike_paths(
    kind: str, box: Box, rng: np.random.Generator
) -> tuple[list[np.ndarray], list[tuple[tuple[float, float], float]], bool]:
    """Polylines (in points), dots (centre, radius pt) and whether the ink is faint."""
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    cy = y0 + h * rng.uniform(0.45, 0.62)
    start = x0 - rng.uniform(2, 9)
    end = x1 + rng.uniform(0, 9)
    slope = rng.uniform(-0.12, 0.12) * h
    line = np.array([[start, cy - slope], [end, cy + slope]])
    if kind in ("strike", "strike_uneven", "strike_ruler"):
        return [line], [], False
    if kind == "strike_inside":  # each end a little inside the name (up to 4% of it, 3 pt)
        a = x0 + min(3.0, rng.uniform(0.0, 0.04) * w)
        b = x1 - min(3.0, rng.uniform(0.0, 0.04) * w)
        return [np.array([[a, cy - slope], [b, cy + slope]])], [], False
    if kind == "strike_outside":  # well beyond both ends
        a, b = x0 - rng.uniform(8, 20), x1 + rng.uniform(8, 20)
        return [np.array([[a, cy - slope], [b, cy + slope]])], [], False
    if kind == "strike_two":  # two strokes meeting near the middle, overlapping a little
        meet = x0 + rng.uniform(0.35, 0.65) * w
        mid = cy + rng.uniform(-0.08, 0.08) * h
        first = np.array([[start, cy - slope], [meet + rng.uniform(0, 2), mid]])
        second = np.array([[meet - rng.uniform(0, 2), mid + rng.uniform(-0.5, 0.5)],
                           [end, cy + rng.uniform(-0.12, 0.12) * h]])  # fmt: skip
        return [first, second], [], False
    if kind in ("strike_zigzag_few", "strike_zigzag_many"):
        turns = (
            int(rng.integers(2, 5)) if kind == "strike_zigzag_few" else int(rng.integers(10, 22))
        )
        xs = np.linspace(start, end, turns + 1)
        amp = rng.uniform(0.15, 0.28) * h
        ys = cy + amp * np.where(np.arange(xs.size) % 2 == 0, -1, 1)
        return [np.stack([xs, ys], 1)], [], False
    if kind == "strike_wavy":
        xs = np.linspace(start, end, 60)
        period = rng.uniform(18, 40)
        amp = rng.uniform(0.08, 0.18) * h
        return [np.stack([xs, cy + amp * np.sin(xs / period * 2 * math.pi)], 1)], [], False
    if kind == "strike_double":
        off = rng.uniform(0.08, 0.14) * h
        return [line + [0, -off], line + [0, off]], [], False
    if kind == "strike_zigzag":
        step = rng.uniform(6, 12)
        xs = np.arange(start, end, step)
        amp = rng.uniform(0.15, 0.25) * h
        ys = cy + amp * np.where(np.arange(xs.size) % 2 == 0, -1, 1)
        return [np.stack([xs, ys], 1)], [], False
    if kind == "strike_diagonal":
        a, b = (
            (y0 + 0.25 * h, y1 - 0.2 * h) if rng.random() < 0.5 else (y1 - 0.2 * h, y0 + 0.25 * h)
        )
        return [np.array([[start, a], [end, b]])], [], False
    if kind == "partial":  # from either end, up to 70% of the name (0.6 or more reads struck
        # at 100 dpi: only the doubtful strike's 200-dpi re-reading sends those to review)
        share = rng.uniform(0.15, 0.7)
        if rng.random() < 0.5:
            return [np.array([[start, cy], [x0 + share * w, cy + slope]])], [], False
        return [np.array([[x1 - share * w, cy], [end, cy + slope]])], [], False
    if kind == "strike_ends":  # the first and last 15-35% of the name, the middle untouched
        left, right = x0 + rng.uniform(0.15, 0.35) * w, x1 - rng.uniform(0.15, 0.35) * w
        return (
            [np.array([[start, cy], [left, cy + slope]]), np.array([[right, cy], [end, cy]])],
            [],
            False,
        )
    if kind in ("tick", "light_touch"):
        share = rng.uniform(0.1, 0.25) if kind == "tick" else rng.uniform(0.08, 0.14)
        left = x0 + rng.uniform(0.1, 0.9 - share) * w
        return (
            [np.array([[left, cy - 0.1 * h], [left + share * w, cy + 0.1 * h]])],
            [],
            kind == "light_touch",
        )
    if kind == "underline":
        uy = y1 + rng.uniform(0.12, 0.3) * h
        return [np.array([[x0 - 2, uy], [x1 + 2, uy + rng.uniform(-1, 1)]])], [], False
    if kind == "circle":
        rx = w / 2 + rng.uniform(4, 10)
        ry = h / 2 + rng.uniform(0.2, 0.4) * h
        begin = rng.uniform(0, 2 * math.pi)
        angles = np.linspace(begin, begin + rng.uniform(1.9, 2.05) * math.pi, 90)
        cx = (x0 + x1) / 2
        ellipse = np.stack([cx + rx * np.cos(angles), (y0 + y1) / 2 + ry * np.sin(angles)], 1)
        return [ellipse], [], False
    if kind == "stray_dot":
        return (
            [],
            [((x1 + rng.uniform(8, 15), y0 + h * rng.uniform(0.3, 0.7)), rng.uniform(1.5, 2.5))],
            False,
        )
    return [], [], False


def _box_paths(
    kind: str, box: Box, rng: np.random.Generator
) -> tuple[list[np.ndarray], list[tuple[tuple[float, float], float]], bool]:
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0

    def p(u: float, v: float) -> list[float]:
        return [x0 + u * w + rng.normal(0, 0.03 * w), y0 + v * h + rng.normal(0, 0.03 * h)]

    a, b = rng.uniform(0.0, 0.15), rng.uniform(0.85, 1.05)
    if kind == "x":
        return [np.array([p(a, a), p(b, b)]), np.array([p(b, a), p(a, b)])], [], False
    if kind == "slash":
        return [np.array([p(a, b), p(b, a)])], [], False
    if kind == "backslash":
        return [np.array([p(a, a), p(b, b)])], [], False
    if kind == "tick_short":  # a small check, half to two thirds of the box
        size, u0, v0 = rng.uniform(0.5, 0.68), rng.uniform(0.12, 0.3), rng.uniform(0.12, 0.3)
        return [np.array([p(u0, v0 + 0.55 * size), p(u0 + 0.3 * size, v0 + size),
                          p(u0 + size, v0)])], [], False  # fmt: skip
    if kind == "check_out":  # the long arm leaves the box at its top right
        return (
            [
                np.array(
                    [p(0.1, 0.5), p(0.38, 0.9), p(rng.uniform(1.2, 1.6), rng.uniform(-0.6, -0.2))]
                )
            ],
            [],
            False,
        )
    if kind in ("x_big", "light_x"):
        lo, hi = (rng.uniform(-0.45, -0.15), rng.uniform(1.15, 1.45)) if kind == "x_big" else (a, b)
        return [np.array([p(lo, lo), p(hi, hi)]), np.array([p(hi, lo), p(lo, hi)])], [], False
    if kind == "scribble":  # a loose tangle over most of the box
        count = int(rng.integers(6, 12))
        pts = [p(rng.uniform(0.0, 1.0), rng.uniform(0.0, 1.0)) for _ in range(count)]
        return [np.array(pts)], [], False
    if kind == "circle_around":  # a ring round the box, 1.5-4 pt off it, nothing inside
        rx, ry = w / 2 + rng.uniform(1.5, 4), h / 2 + rng.uniform(1.5, 4)
        begin = rng.uniform(0, 2 * math.pi)
        angles = np.linspace(begin, begin + rng.uniform(1.9, 2.05) * math.pi, 60)
        ring = np.stack(
            [(x0 + x1) / 2 + rx * np.cos(angles), (y0 + y1) / 2 + ry * np.sin(angles)], 1
        )
        return [ring], [], False
    if kind == "check":
        return [np.array([p(0.1, 0.5), p(0.38, 0.88), p(0.95, 0.05)])], [], False
    if kind == "fill":
        rows = np.linspace(0.08, 0.92, 9)
        zig = [p(0.08 if i % 2 == 0 else 0.92, v) for i, v in enumerate(rows)]
        return [np.array(zig)], [], False
    if kind == "dot":
        cx, cy = p(rng.uniform(0.35, 0.65), rng.uniform(0.35, 0.65))
        return [], [((cx, cy), rng.uniform(1.4, 2.4))], False
    if kind == "light_touch":
        u, v = rng.uniform(0.3, 0.6), rng.uniform(0.3, 0.6)
        return [np.array([p(u, v), p(u + rng.uniform(0.15, 0.25), v + 0.1)])], [], True
    return [], [], False


def draw_marks(
    page: np.ndarray,
    layout_page: PageLayout,
    form: str,
    dpi: float,
    rng: np.random.Generator,
    choose: dict[str, str] | None = None,
    wide: bool = False,
    pen: Pen | None = None,
) -> list[TruthMark]:
    """Mark every target of a BGR page in place with a random (or chosen) kind; the truth.

    One pen a ballot. `wide`: the widened corpus (every kind, WIDE_PENS with fading pressure
    and skips; or the given `pen`); otherwise the first corpus's kinds and PENS, as the demo
    and the older tests draw them."""
    kinds = STRIKE_KINDS if form == "strike" else BOX_KINDS
    if wide:
        weights = WIDE_STRIKE_WEIGHTS if form == "strike" else WIDE_BOX_WEIGHTS
    else:
        weights = STRIKE_WEIGHTS if form == "strike" else BOX_WEIGHTS
    names = list(weights)
    probs = np.array([weights[n] for n in names], np.float64)
    probs /= probs.sum()
    if wide:
        tool = pen if pen is not None else WIDE_PENS[int(rng.integers(0, len(WIDE_PENS)))]
        pen_name, colour, width_mm = tool.name, tool.colour, tool.width_mm
    else:
        tool = None
        pen_name = str(rng.choice(list(PENS)))
        colour, width_mm = PENS[pen_name]
    scale = dpi / 72
    truth = []
    for target in layout_page.targets:
        kind = (choose or {}).get(target.id) or str(rng.choice(names, p=probs))
        paths, dots, faint = (
            _strike_paths(kind, target.box, rng)
            if form == "strike"
            else _box_paths(kind, target.box, rng)
        )
        lighten = 0.45 if faint else rng.uniform(0.2, 0.35) if kind == "light_x" else 0.0
        ink = tuple(int(c + (255 - c) * lighten) for c in colour)
        tool_here: Pen | None
        if tool is not None and kind == "strike_uneven":
            tool_here = replace(tool, fade=max(tool.fade, 0.6))  # pressing hard, then barely
        else:
            tool_here = tool
        width_px = width_mm * dpi / 25.4 * rng.uniform(0.85, 1.2)
        for path in paths:
            if tool is None:
                _stroke(page, path * scale, ink, width_px, rng)  # type: ignore[arg-type]
            else:
                _stroke(page, path * scale, ink, width_px, rng, tool_here, dpi,  # type: ignore[arg-type]
                        ruler=kind == "strike_ruler")  # fmt: skip
        for centre, radius in dots:
            _dot(page, (centre[0] * scale, centre[1] * scale), radius * scale, ink)  # type: ignore[arg-type]
        truth.append(TruthMark(target.id, kind, kinds[kind], pen_name, width_mm))
    return truth


def draw_seal(page: np.ndarray, box: Box, dpi: float, rng: np.random.Generator) -> None:
    """The counting committee's red seal: a ring and some lettering, over the seal box."""
    scale = dpi / 72
    x0, y0, x1, y1 = box
    cx, cy = (x0 + x1) / 2 * scale, (y0 + y1) / 2 * scale
    radius = min(x1 - x0, y1 - y0) * 0.45 * scale
    layer = np.zeros(page.shape[:2], np.uint8)
    centre = (int(cx + rng.normal(0, 3)), int(cy + rng.normal(0, 3)))
    cv2.circle(layer, centre, int(radius), 255, max(2, int(scale * 2)), cv2.LINE_AA)
    cv2.circle(layer, centre, int(radius * 0.7), 255, max(1, int(scale)), cv2.LINE_AA)
    cv2.putText(layer, "BKP", (centre[0] - int(radius * 0.5), centre[1] + int(radius * 0.2)),
                cv2.FONT_HERSHEY_SIMPLEX, radius / 40, 255, max(1, int(scale)))  # fmt: skip
    _apply_ink(page, layer, (60, 40, 200))


# ---------------------------------------------------------------- degradations


def scanner_degrade(
    page: np.ndarray,
    rng: np.random.Generator,
    source_dpi: float,
    allow_rotation: bool = True,
    grayscale_share: float = 0.3,
    resolutions: tuple[float, ...] = (150, 200, 300),
    jpeg_quality: tuple[int, int] = (70, 95),
    photocopy_share: float = 0.0,
) -> np.ndarray:
    """A sheet-fed scan: any 90-degree turn, skew up to 5 degrees, one of `resolutions` (dpi),
    blur, noise, JPEG (half the scans, quality within `jpeg_quality`); a `grayscale_share` of
    the scans come from a scanner set to grayscale, a `photocopy_share` of the sheets are
    photocopies of the marked ballot."""
    if photocopy_share and rng.random() < photocopy_share:
        page = photocopy(page, rng)
    out_dpi = float(rng.choice(list(resolutions)))
    scale = out_dpi / source_dpi * rng.uniform(0.99, 1.01)
    angle = rng.uniform(-5, 5)
    h, w = page.shape[:2]
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), angle, scale)
    cos, sin = abs(matrix[0, 0]), abs(matrix[0, 1])
    nw, nh = int(h * sin + w * cos) + 20, int(h * cos + w * sin) + 20
    matrix[0, 2] += nw / 2 - w / 2
    matrix[1, 2] += nh / 2 - h / 2
    out = cv2.warpAffine(page, matrix, (nw, nh), flags=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR,
                         borderValue=(250, 250, 250))  # fmt: skip
    if allow_rotation:
        turn = int(rng.integers(0, 4))
        if turn:
            out = cv2.rotate(
                out,
                [cv2.ROTATE_90_CLOCKWISE, cv2.ROTATE_180, cv2.ROTATE_90_COUNTERCLOCKWISE][turn - 1],
            )
    out = cv2.GaussianBlur(out, (0, 0), rng.uniform(0.3, 0.8))
    noise = rng.normal(0, rng.uniform(1.5, 4.0), out.shape)
    out = np.clip(out.astype(np.float32) * rng.uniform(0.92, 1.0) + noise, 0, 255).astype(np.uint8)
    if rng.random() < grayscale_share:
        out = cv2.cvtColor(out, cv2.COLOR_BGR2GRAY)
    if rng.random() < 0.5:
        quality = int(rng.integers(jpeg_quality[0], jpeg_quality[1] + 1))
        ok, data = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, quality])
        assert ok
        decoded = cv2.imdecode(data, cv2.IMREAD_UNCHANGED)
        assert decoded is not None
        out = decoded
    return out


def photocopy(page: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The marked ballot through an office copier: grey, contrast raised (dark darker, the
    paper whiter), toner grain and specks, a little softness and a slight scale error."""
    gray = cv2.cvtColor(page, cv2.COLOR_BGR2GRAY).astype(np.float32) / 255.0
    gamma = rng.uniform(1.0, 1.35)
    gray = np.clip((gray**gamma - 0.04) / 0.92, 0, 1) * 255
    gray = cv2.GaussianBlur(gray, (0, 0), rng.uniform(0.4, 0.9))
    gray += rng.normal(0, rng.uniform(2, 5), gray.shape).astype(np.float32)
    specks = rng.random(gray.shape) < rng.uniform(2e-6, 1e-5)
    gray[cv2.dilate(specks.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0] = 60
    scale = rng.uniform(0.985, 1.015)
    h, w = gray.shape
    matrix = np.array([[scale, 0, (1 - scale) * w / 2], [0, scale, (1 - scale) * h / 2]])
    copied = cv2.warpAffine(gray, matrix, (w, h), borderValue=250)
    out = np.clip(copied, 0, 255).astype(np.uint8)
    return cv2.cvtColor(out, cv2.COLOR_GRAY2BGR)


# Phone cameras of the widened corpus: 3, 5, 8 and 12 megapixels.
PHONE_SIZES: tuple[tuple[int, int], ...] = ((2000, 1500), (2592, 1944), (3264, 2448), (4000, 3000))


def phone_degrade(
    page: np.ndarray, rng: np.random.Generator, size: tuple[int, int] = (4000, 3000)
) -> np.ndarray:
    """A phone photo of the sheet on a table: perspective, shadow, colour cast, background."""
    width, height = size
    h, w = page.shape[:2]
    portrait = rng.random() < 0.7
    out_w, out_h = (height, width) if portrait else (width, height)
    fill = rng.uniform(0.72, 0.88)
    sheet_h = out_h * fill if portrait else out_w * fill
    sheet_w = sheet_h * w / h
    cx, cy = (
        out_w / 2 + rng.uniform(-0.04, 0.04) * out_w,
        out_h / 2 + rng.uniform(-0.04, 0.04) * out_h,
    )
    corners = np.array([[-1, -1], [1, -1], [1, 1], [-1, 1]], np.float64) * [
        sheet_w / 2,
        sheet_h / 2,
    ]
    angle = math.radians(
        rng.uniform(-8, 8) + (0 if portrait else 90) + 180 * int(rng.integers(0, 2))
    )
    rot = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    dst = corners @ rot.T + [cx, cy]
    dst += rng.normal(0, 0.025 * sheet_w, dst.shape)
    src = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float64)
    matrix = cv2.getPerspectiveTransform(src.astype(np.float32), dst.astype(np.float32))
    base = np.array([rng.uniform(60, 140), rng.uniform(80, 150), rng.uniform(110, 190)], np.float32)
    table = np.empty((out_h, out_w, 3), np.float32)
    table[:] = base
    grain = cv2.resize(
        rng.normal(0, 14, (out_h // 16, out_w // 16)).astype(np.float32), (out_w, out_h)
    )
    table += grain[:, :, None]
    sheet = cv2.warpPerspective(
        page.astype(np.float32), matrix, (out_w, out_h), flags=cv2.INTER_LINEAR
    )
    mask = cv2.warpPerspective(
        np.ones((h, w), np.float32), matrix, (out_w, out_h), flags=cv2.INTER_LINEAR
    )
    img = table * (1 - mask[:, :, None]) + sheet * mask[:, :, None]
    # Light falls off across the table and a hand or phone shadows part of the sheet.
    yy, xx = np.mgrid[0:out_h, 0:out_w].astype(np.float32)
    gx, gy = rng.uniform(-0.25, 0.25, 2)
    light = 1.0 + gx * (xx / out_w - 0.5) + gy * (yy / out_h - 0.5)
    sx, sy, sr = rng.uniform(0, out_w), rng.uniform(0, out_h), rng.uniform(0.2, 0.5) * out_w
    shadow = 1.0 - rng.uniform(0.15, 0.35) * np.exp(
        -((xx - sx) ** 2 + (yy - sy) ** 2) / (2 * sr * sr)
    )
    cast = np.array(
        [rng.uniform(0.85, 1.0), rng.uniform(0.9, 1.0), rng.uniform(0.92, 1.08)], np.float32
    )
    img = img * (light * shadow)[:, :, None] * cast[None, None, :]
    img = cv2.GaussianBlur(img, (0, 0), rng.uniform(0.6, 1.2))
    img += rng.normal(0, rng.uniform(2, 4), img.shape).astype(np.float32)
    out = np.clip(img, 0, 255).astype(np.uint8)
    ok, data = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(82, 95))])
    assert ok
    decoded = cv2.imdecode(data, cv2.IMREAD_COLOR)
    assert decoded is not None
    return decoded


def generate(
    election: SynthElection,
    count: int,
    seed: int,
    mode: Mode = "scanner",
    print_dpi: int = 300,
    phone_size: tuple[int, int] | None = (4000, 3000),
    seal: bool = True,
    wide: bool = True,
) -> Iterator[SyntheticPage]:
    """`count` marked ballots (every page of each), deterministic for a seed. Printed at
    `print_dpi`, finer than any scan and than the reader's fine blank (200 dpi): paper is not
    pixels, and a corpus printed at the blank's own resolution hides print-edge differences.

    `wide` (the default): the widened corpus of issue 17: every kind, every pen of WIDE_PENS,
    JPEG quality 60-95, one scan in six a photocopy, and with `phone_size` None phone cameras
    of 3 to 12 megapixels (PHONE_SIZES)."""
    rng = np.random.default_rng(seed)
    serials = serials_for(rng, count)
    printed = print_pages(election, serials, print_dpi)
    pages = len(election.layout.pages)
    for index, gray in enumerate(printed):
        serial = serials[index // pages]
        layout_page = election.layout.pages[index % pages]
        page = cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR)
        truth = draw_marks(page, layout_page, election.layout.form, print_dpi, rng, wide=wide)
        if seal and layout_page.seal_box is not None:
            draw_seal(page, layout_page.seal_box, print_dpi, rng)
        if mode == "scanner":
            image = (
                scanner_degrade(page, rng, print_dpi, jpeg_quality=(60, 95), photocopy_share=1 / 6)
                if wide
                else scanner_degrade(page, rng, print_dpi)
            )
        else:
            size = phone_size or PHONE_SIZES[int(rng.integers(0, len(PHONE_SIZES)))]
            image = phone_degrade(page, rng, size)
        yield SyntheticPage(image, serial, layout_page.number, truth, mode)
