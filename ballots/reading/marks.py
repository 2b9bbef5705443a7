"""Measure the voter's ink on a warped page and score and classify every target."""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal, NamedTuple

import cv2
import numpy as np

from ballots.paper.layout import Box, PageLayout, Target
from ballots.reading.settings import ReadingSettings

State = Literal["marked", "unmarked", "ambiguous"]


@dataclass(frozen=True)
class TargetScore:
    """One target's measure, the thresholds that classified it, and the resulting state."""

    target: Target
    page: int
    score: float
    marked_at: float
    marginal_at: float
    state: State
    note: str | None = None  # e.g. "around": ink circles the name rather than crossing it
    # strike forms, marked: the strike may not cross the whole name (it scored under
    # fine_strike_marked, or crossed visible paper with no ink, or a long stretch hidden by
    # print): confirmed at touch_dpi. Not in the JSON.
    doubtful: bool = False


@dataclass(frozen=True)
class FlaggedInk:
    """Ink outside every target (written-in names, signatures, private marks)."""

    page: int
    box: Box  # layout points
    area_pt2: float


def printed_mask(reference: np.ndarray, settings: ReadingSettings) -> np.ndarray:
    """Where the blank ballot has print, grown to absorb registration error and toner gain."""
    mask = (reference < settings.reference_dark).astype(np.uint8)
    size = 2 * settings.reference_dilate_px + 1
    return cv2.dilate(mask, np.ones((size, size), np.uint8)) > 0


def darkness(gray: np.ndarray, settings: ReadingSettings, dpi: float | None = None) -> np.ndarray:
    """0 (paper) .. 1 (black), relative to a local paper brightness so shadows and cast vanish.

    `dpi` is the image's resolution (default: the working resolution).
    """
    factor = 4
    dpi = settings.working_dpi if dpi is None else dpi
    small = cv2.resize(
        gray,
        (max(1, gray.shape[1] // factor), max(1, gray.shape[0] // factor)),
        interpolation=cv2.INTER_AREA,
    )
    kernel = max(3, int(settings.background_kernel_pt * dpi / 72 / factor) | 1)
    # A max filter wider than any glyph or stroke leaves the paper alone.
    paper = cv2.dilate(small, np.ones((kernel, kernel), np.uint8))
    paper = cv2.blur(paper, (kernel, kernel))
    paper = cv2.resize(paper, (gray.shape[1], gray.shape[0]), interpolation=cv2.INTER_LINEAR)
    paper_f = np.maximum(paper.astype(np.float32), 32.0)
    return np.clip(1.0 - gray.astype(np.float32) / paper_f, 0.0, 1.0)


def reference_darkness(
    reference: np.ndarray, settings: ReadingSettings, dpi: float | None = None
) -> np.ndarray:
    """The blank ballot's darkness, each pixel the darkest of its 3x3 neighbourhood."""
    return cv2.dilate(darkness(reference, settings, dpi), np.ones((3, 3), np.uint8))


def touch_region(target: Target, form: str, settings: ReadingSettings) -> Box:
    """Where hidden or faint ink is looked for: a name's middle rows, or a box's inside."""
    x0, y0, x1, y1 = target.box
    if form == "strike":
        h = y1 - y0
        return (x0, y0 + settings.touch_band[0] * h, x1, y0 + settings.touch_band[1] * h)
    inset = settings.box_inset_pt
    return (x0 + inset, y0 + inset, x1 - inset, y1 - inset)


def fine_blank_darkness(reference: np.ndarray, settings: ReadingSettings) -> tuple[np.ndarray, ...]:
    """The fine blank page's darkness at touch_dpi, once per `touch_blur_px` blur; unblurred,
    each pixel the darkest of its 3x3 neighbourhood (a sharp scan's print edges wander)."""
    dark = darkness(reference, settings, settings.touch_dpi)
    square = np.ones((3, 3), np.uint8)
    return tuple(
        cv2.GaussianBlur(dark, (0, 0), sigma) if sigma > 0 else cv2.dilate(dark, square)
        for sigma in settings.touch_blur_px
    )


def _fine_window(
    gray: np.ndarray,
    homography: np.ndarray,
    region: Box,
    shape: tuple[int, ...],
    settings: ReadingSettings,
) -> tuple[np.ndarray, tuple[int, int, int, int]] | None:
    """`region` re-warped from the full-resolution scan at touch_dpi, as darkness (with
    `touch_margin_pt` of paper around it for the local paper brightness), and its pixel box on
    the fine blank page of `shape`, kept `touch_align_px` inside the page; None when empty."""
    from ballots.reading.geometry import warp_region

    scale = settings.touch_dpi / 72
    reach = settings.touch_align_px
    margin = int(round(settings.touch_margin_pt * scale))
    height, width = shape[:2]
    x0 = max(reach, int(math.floor(region[0] * scale)))
    y0 = max(reach, int(math.floor(region[1] * scale)))
    x1 = min(width - reach, int(math.ceil(region[2] * scale)))
    y1 = min(height - reach, int(math.ceil(region[3] * scale)))
    if x1 - x0 < 1 or y1 - y0 < 1:
        return None
    crop = warp_region(
        gray,
        homography,
        (
            (x0 - margin) / scale,
            (y0 - margin) / scale,
            (x1 + margin) / scale,
            (y1 + margin) / scale,
        ),
        scale,
    )
    scan = darkness(crop, settings, settings.touch_dpi)[
        margin : margin + y1 - y0, margin : margin + x1 - x0
    ]
    if scan.shape != (y1 - y0, x1 - x0):
        return None
    return scan, (x0, y0, x1, y1)


def _best_fit(blank: np.ndarray, scan: np.ndarray) -> tuple[np.ndarray, int, int]:
    """Where the blank window (`scan` plus touch_align_px each side) fits the scan best:
    (the TM_SQDIFF map, row, column)."""
    fit = cv2.matchTemplate(blank, scan, cv2.TM_SQDIFF)
    best_y, best_x = divmod(int(np.argmin(fit)), fit.shape[1])
    return fit, best_y, best_x


def touch_area(
    gray: np.ndarray,
    homography: np.ndarray,
    region: Box,
    fine_dark: np.ndarray | Sequence[np.ndarray],
    settings: ReadingSettings,
) -> float:
    """Area (pt^2) of ink in `region` that the blank does not explain, read at `touch_dpi`.

    The region is warped again from the full-resolution scan (the working image is too coarse
    for a faint pencil touch), compared with the blank rendered at the same resolution, and the
    blank moved to its best alignment within `touch_align_px` (least squared difference, then
    the least ink among that shift and its 8 neighbours): what no shift explains is the
    voter's. Only the core of that ink counts (pixels whose 2x2 block is all ink): a pen
    stroke is several pixels wide, while print edges the scan's blur or a slightly different
    scale leave unexplained are one-pixel slivers. `homography` maps layout points to `gray`
    pixels; `fine_dark` is `fine_blank_darkness` of the blank page (or one such array). Of
    several blanks, sharp to soft, the least ink any leaves is returned (a blurry photo spreads
    print further than a sharp scan); the search stops at the first that leaves less than
    `touch_area_pt2`.
    """
    scale = settings.touch_dpi / 72
    reach = settings.touch_align_px
    blanks = [fine_dark] if isinstance(fine_dark, np.ndarray) else list(fine_dark)
    window = _fine_window(gray, homography, region, blanks[0].shape, settings)
    if window is None:
        return 0.0
    scan, (x0, y0, x1, y1) = window
    rows, cols = scan.shape
    core = np.ones((2, 2), np.uint8)
    least_pt2 = math.inf
    for candidate in blanks:
        blank = candidate[y0 - reach : y1 + reach, x0 - reach : x1 + reach]
        fit, best_y, best_x = _best_fit(blank, scan)
        least = rows * cols
        for dy in (-1, 0, 1):
            for dx in (-1, 0, 1):
                sy, sx = best_y + dy, best_x + dx
                if 0 <= sy < fit.shape[0] and 0 <= sx < fit.shape[1]:
                    excess = (scan - blank[sy : sy + rows, sx : sx + cols]) > settings.touch_dark
                    found = cv2.erode(excess.astype(np.uint8), core)
                    least = min(least, int(np.count_nonzero(found)))
        least_pt2 = min(least_pt2, least / (scale * scale))
        if least_pt2 < settings.touch_area_pt2:
            break  # explained: the softer blanks cannot find more
    return least_pt2


def _pieces(ink: np.ndarray, settings: ReadingSettings, specks: int = 0) -> np.ndarray:
    """The pieces of ink (uint8 0/1) of `box_fine_min_px` pixels or more that reach
    `box_fine_min_extent_px` across or down: a stroke, not a speck of toner or dust. With
    `specks`, short pieces count too once there are more than `specks` pixels of them (a
    pencil line between a name's letters shows only in short pieces)."""
    count, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    if count <= 1:
        return ink
    extent = np.maximum(stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT])
    big = stats[:, cv2.CC_STAT_AREA] >= settings.box_fine_min_px
    keep = big & (extent >= settings.box_fine_min_extent_px)
    keep[0] = big[0] = False
    if (
        specks
        and not keep.any()
        and int(stats[big, cv2.CC_STAT_AREA].sum()) > specks
        or specks
        and keep.any()
    ):
        keep = big
    return keep[labels].astype(np.uint8)


class FineBox(NamedTuple):
    """A box read again at touch_dpi (fine_box)."""

    score: float  # as score_box: sqrt(share of ink columns x share of ink rows) inside the box
    ink_px: int  # ink pixels inside the box (0: no ink there at all)
    around: bool  # ink rings the box on three sides or more, outside it


def fine_box(
    gray: np.ndarray,
    homography: np.ndarray,
    target: Target,
    fine_dark: Sequence[np.ndarray],
    settings: ReadingSettings,
) -> FineBox | None:
    """A box and `box_ring_pt` round it re-warped from the full-resolution scan at touch_dpi
    and compared with each fine blank at its best alignment (the blank that leaves the least
    ink is the measure: a soft photo spreads the outline further than a sharp scan).

    Ink is what the blank does not explain by `box_fine_dark`, in pieces of at least
    `box_fine_min_px` pixels, not within `box_fine_print_px` of the blank's print (the
    outline, which a soft or resampled scan draws wider). No opening, no core rule: a 0.15 mm
    line (a hard pencil, a fine gel pen) is one or two pixels wide here, and the inside of a
    box is blank paper, so a stroke there need not be told from a letter's edge. Inside the box (minus `box_inset_pt`)
    it is scored as score_box scores; outside it, `around` tells whether it rings the box
    (ink, not touching print, in `box_ring_share` of `box_ring_sectors` angular sectors
    round the box's centre, beyond the outline). None when the box lies off the page."""
    scale = settings.touch_dpi / 72
    reach = settings.touch_align_px
    room = settings.box_ring_pt
    x0, y0, x1, y1 = target.box
    window = _fine_window(
        gray, homography, (x0 - room, y0 - room, x1 + room, y1 + room), fine_dark[0].shape,
        settings,
    )  # fmt: skip
    if window is None:
        return None
    scan, (wx0, wy0, wx1, wy1) = window
    rows, cols = scan.shape
    # The box (inset) and the box's own edges, in the window's pixels.
    inset = settings.box_inset_pt
    ix0, iy0 = int(round((x0 + inset) * scale)) - wx0, int(round((y0 + inset) * scale)) - wy0
    ix1, iy1 = int(round((x1 - inset) * scale)) - wx0, int(round((y1 - inset) * scale)) - wy0
    ox0, oy0 = int(round(x0 * scale)) - wx0, int(round(y0 * scale)) - wy0
    ox1, oy1 = int(round(x1 * scale)) - wx0, int(round(y1 * scale)) - wy0
    if ix1 <= max(0, ix0) or iy1 <= max(0, iy0):
        return None
    ix0, iy0, ix1, iy1 = max(0, ix0), max(0, iy0), min(cols, ix1), min(rows, iy1)
    best: tuple[int, np.ndarray, np.ndarray] | None = None
    for candidate in fine_dark:
        around_blank = candidate[wy0 - reach : wy1 + reach, wx0 - reach : wx1 + reach]
        _, by, bx = _best_fit(around_blank, scan)
        blank = around_blank[by : by + rows, bx : bx + cols]
        # Print edges (the outline, the table's lines) a soft or resampled scan draws wider
        # than the blank: nothing within box_fine_print_px of print is ink inside the box,
        # nothing within a pixel of it outside (a ring drawn round the box runs close to it).
        printed = (blank > settings.box_fine_dark).astype(np.uint8)
        size = 2 * settings.box_fine_print_px + 1
        near = cv2.dilate(printed, np.ones((size, size), np.uint8)) > 0
        touching = cv2.dilate(printed, np.ones((3, 3), np.uint8)) > 0
        raw = scan - blank > settings.box_fine_dark
        ink = (raw & ~near).astype(np.uint8)
        ring = (raw & ~touching).astype(np.uint8)
        for layer in (ink, ring):
            layer[:] = _pieces(layer, settings)
        amount = int(np.count_nonzero(ink[iy0:iy1, ix0:ix1]))
        if best is None or amount < best[0]:
            best = (amount, ink > 0, ring > 0)
        if amount == 0 and not ring.any():
            break
    assert best is not None
    _, ink, ring = best
    inside = ink[iy0:iy1, ix0:ix1]
    inside_px = int(np.count_nonzero(inside))
    score = (
        math.sqrt(float(inside.any(axis=0).mean()) * float(inside.any(axis=1).mean()))
        if inside_px
        else 0.0
    )
    # A ring round the box: ink outside the box's edges (and its outline, box_ring_gap_pt)
    # in most of `box_ring_sectors` angular sectors round the box's centre.
    gap = settings.box_ring_gap_pt * scale
    ys, xs = np.nonzero(ring)
    cx, cy = (ox0 + ox1) / 2, (oy0 + oy1) / 2
    half_x, half_y = (ox1 - ox0) / 2 + gap, (oy1 - oy0) / 2 + gap
    outside = (np.abs(xs - cx) > half_x) | (np.abs(ys - cy) > half_y)
    sectors = settings.box_ring_sectors
    angles = np.arctan2(ys[outside] - cy, xs[outside] - cx)
    hit = np.unique(((angles + math.pi) / (2 * math.pi) * sectors).astype(int) % sectors)
    return FineBox(score, inside_px, hit.size >= settings.box_ring_share * sectors)


def _fine_strike_scores(
    gray: np.ndarray,
    homography: np.ndarray,
    target: Target,
    blanks: Sequence[np.ndarray],
    settings: ReadingSettings,
    around_best: bool,
) -> Iterator[float]:
    """The strike score of a name re-read at touch_dpi, per fine blank (sharp, then blurred)
    at its best alignment, then (with `around_best`) at the 8 shifts around it. Nothing when
    the name's band lies off the page. See fine_strike."""
    scale = settings.touch_dpi / 72
    reach = settings.touch_align_px
    window = _fine_window(
        gray, homography, strike_band(target, settings), blanks[0].shape, settings
    )
    if window is None:
        return
    scan, (bx0, by0, bx1, by1) = window
    rows, cols = scan.shape
    name0, name1 = target.box[0] * scale - bx0, target.box[2] * scale - bx0
    core = np.ones((2, 2), np.uint8)
    gap = max(1, int(round(settings.strike_gap_pt * scale)))
    shifts = [(0, 0)] + [(dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1) if dy or dx]
    for candidate in blanks:
        around = candidate[by0 - reach : by1 + reach, bx0 - reach : bx1 + reach]
        fit, best_y, best_x = _best_fit(around, scan)
        for dy, dx in shifts if around_best else shifts[:1]:
            sy, sx = best_y + dy, best_x + dx
            if not (0 <= sy < fit.shape[0] and 0 <= sx < fit.shape[1]):
                continue
            blank = around[sy : sy + rows, sx : sx + cols]
            excess = ((scan - blank) > settings.touch_dark).astype(np.uint8)
            ink = cv2.morphologyEx(excess, cv2.MORPH_OPEN, core) > 0
            pieces = without_slivers(ink, settings.strike_sliver_px * 2)
            run = strike_run(pieces, blank > settings.touch_dark, gap)
            yield _name_share(run.first, run.last, name0, name1)


def fine_strike(
    gray: np.ndarray,
    homography: np.ndarray,
    target: Target,
    fine_dark: np.ndarray | Sequence[np.ndarray],
    settings: ReadingSettings,
    stop_below: float | None = None,
) -> float:
    """The strike score of a name re-read at touch_dpi (see score_strike): the LEAST score any
    fine blank and alignment gives, so that no single fit can make a strike out of nothing
    (with `stop_below`, the first score under it as soon as one is found: enough to refuse).

    At the working resolution the blank's print, grown by `reference_dilate_px` for the warp's
    error, hides the spaces between a name's letters, and a thin stroke through a dense name
    shows only in pieces. Here the name's band is warped again from the full-resolution scan
    and compared with each fine blank (`fine_blank_darkness`: sharp, then blurred) at its best
    alignment and the 8 shifts around it (a thick stroke can pull the best fit a pixel or two
    off, and a wrongly aligned blank leaves letter edges that look like a stroke): ink is what
    the blank does not explain by `touch_dark`, kept only where a 2x2 block is all ink
    (print-edge slivers are one pixel wide) and in pieces wider than 2 x `strike_sliver_px`;
    the print hiding the stroke is the blank's darkness above `touch_dark`.
    """
    blanks = [fine_dark] if isinstance(fine_dark, np.ndarray) else list(fine_dark)
    least: float | None = None
    for score in _fine_strike_scores(gray, homography, target, blanks, settings, True):
        least = score if least is None else min(least, score)
        if stop_below is not None and least < stop_below:
            break
    return 0.0 if least is None else least


class FineInk(NamedTuple):
    """A name read again at touch_dpi for thin or faint ink on paper (visible_strike)."""

    score: float  # the share of the name the strike through its visible ink crosses
    ink_px: int  # ink pixels on the name's visible paper (0: none there at all)
    doubtful: bool  # the strike bridges visible paper or a long unseen stretch (see score_strike)
    bridged: int = 0  # visible paper of the name bridged with no ink (pixels at touch_dpi)
    unseen: float = 0.0  # the longest stretch of the name with no ink, a share of the name


def visible_strike(
    gray: np.ndarray,
    homography: np.ndarray,
    target: Target,
    fine_dark: Sequence[np.ndarray],
    settings: ReadingSettings,
) -> FineInk | None:
    """Thin or faint ink on a name's visible paper, and the strike it makes, at touch_dpi.

    The working resolution's ink (`ink_darkness`) and the fine checks' (`touch_dark`, then a
    2x2 core) miss a 0.15 mm line of a hard pencil: 0.2-0.4 darker than the paper, one or
    two pixels wide at 200 dpi. Here ink is darker than the blank by `thin_dark` on the
    paper only: not within `thin_print_px` of the blank's print (a letter's edge, which a
    soft scan draws wider, is never ink), in pieces of `box_fine_min_px` pixels or more, over
    the name's columns and `strike_touch_reach_pt` beyond. The blank is the one of the fine
    blanks that leaves the least such ink. The strike is followed through that ink as
    score_strike follows it, print hiding it wherever the blank (grown as above) has print;
    it is `doubtful` when it bridges `thin_doubtful_paper_px` of visible paper or crosses
    `thin_doubtful_unseen` of the name with no ink (the grown print hides about a third of a
    whole strike; a name struck on its two ends only shows no ink over 0.59 or more of it).
    None when the name lies off the page."""
    scale = settings.touch_dpi / 72
    reach = settings.touch_align_px
    x0, y0, x1, y1 = strike_band(target, settings)
    top, bottom = settings.thin_band
    h = target.box[3] - target.box[1]
    band = (x0, target.box[1] + top * h, x1, target.box[1] + bottom * h)
    window = _fine_window(gray, homography, band, fine_dark[0].shape, settings)
    if window is None:
        return None
    scan, (bx0, by0, bx1, by1) = window
    rows, cols = scan.shape
    name0, name1 = target.box[0] * scale - bx0, target.box[2] * scale - bx0
    pad = settings.strike_touch_reach_pt * scale
    c0, c1 = max(0, int(round(name0 - pad))), min(cols, int(round(name1 + pad)))
    size = 2 * settings.thin_print_px + 1
    square = np.ones((size, size), np.uint8)
    best: tuple[int, np.ndarray, np.ndarray] | None = None
    for candidate in fine_dark:
        around = candidate[by0 - reach : by1 + reach, bx0 - reach : bx1 + reach]
        _, by, bx = _best_fit(around, scan)
        blank = around[by : by + rows, bx : bx + cols]
        printed = cv2.dilate((blank > settings.thin_dark).astype(np.uint8), square) > 0
        ink = ((scan - blank > settings.thin_dark) & ~printed).astype(np.uint8)
        ink[:, :c0] = 0
        ink[:, c1:] = 0
        ink = _pieces(ink, settings, settings.thin_speck_px)
        amount = int(np.count_nonzero(ink))
        if best is None or amount < best[0]:
            best = (amount, ink > 0, printed)
        if amount == 0:
            break
    assert best is not None
    amount, ink, printed = best
    if amount == 0:
        return FineInk(0.0, 0, False)
    gap = max(1, int(round(settings.strike_gap_pt * scale)))
    run = strike_run(ink, printed, gap, (name0, name1))
    score = _name_share(run.first, run.last, name0, name1)
    doubtful = (
        run.bridged >= settings.thin_doubtful_paper_px
        or run.unseen >= settings.thin_doubtful_unseen * (name1 - name0)
    )
    return FineInk(score, amount, doubtful, run.bridged, run.unseen / max(1e-6, name1 - name0))


def confirm_strike(
    gray: np.ndarray,
    homography: np.ndarray,
    target: Target,
    fine_dark: Sequence[np.ndarray],
    settings: ReadingSettings,
) -> float:
    """The strike score of a name re-read at touch_dpi, the BEST any fine blank gives at its
    best alignment (stopping at the first that reaches `fine_strike_marked`): whether the
    stroke that the working resolution bridged across print shows through the whole name
    where the letters' spaces are visible. A blurred blank can explain a thin stroke away
    between letters that the sharp one still sees; a name struck on its two ends only shows
    no stroke in its middle at any fit (0.31-0.61 measured, whole strikes 0.93-1.0). Given
    only the sharp blank, its best fit alone: a blurred blank on a sharp scan leaves letter
    edges that can carry a stroke past its end (a strike through 60% of a name read 0.99 on
    the most blurred blank, at most 0.81 on the sharp one for strikes through 60-80%)."""
    best = 0.0
    for score in _fine_strike_scores(gray, homography, target, fine_dark, settings, False):
        best = max(best, score)
        if best >= settings.fine_strike_marked:
            break
    return best


def residual_columns(
    dark: np.ndarray,
    reference_dark: np.ndarray,
    box: tuple[int, int, int, int],
    settings: ReadingSettings,
) -> int:
    """Columns of a name box where the scan is darker than the blank, at the blank's best shift.

    The page warp is only accurate to a pixel or two, so the blank is moved by up to
    `residual_align_px` to explain the print as well as it can; what no shift explains is ink
    the voter put on the name (a tick or a light touch mostly hidden by the letters).
    """
    x0, y0, x1, y1 = box
    reach = settings.residual_align_px
    height, width = reference_dark.shape
    x0, y0 = max(reach, x0), max(reach, y0)
    x1, y1 = min(width - reach, x1), min(height - reach, y1)
    if x1 <= x0 or y1 <= y0:
        return 0
    scan = dark[y0:y1, x0:x1]
    around = reference_dark[y0 - reach : y1 + reach, x0 - reach : x1 + reach]
    # Every shift of the blank at once: (shifts y, shifts x, rows, columns).
    shifted = np.lib.stride_tricks.sliding_window_view(around, scan.shape)
    residue = (scan[None, None] - shifted) > settings.residual_dark
    return int(residue.any(axis=2).sum(axis=-1).min())


def voter_ink(
    gray: np.ndarray,
    printed: np.ndarray,
    settings: ReadingSettings,
    dark: np.ndarray | None = None,
) -> np.ndarray:
    """Ink that the blank ballot does not explain, without dust specks: the voter's marks."""
    if dark is None:
        dark = darkness(gray, settings)
    ink = (dark > settings.ink_darkness) & ~printed
    ink_u8 = ink.astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(ink_u8, connectivity=8)
    if count > 1:
        keep = stats[:, cv2.CC_STAT_AREA] >= settings.min_component_px
        keep[0] = False
        ink = keep[labels]
    return ink


def _px_box(box: Box, scale: float, shape: tuple[int, ...]) -> tuple[int, int, int, int]:
    x0 = max(0, int(math.floor(box[0] * scale)))
    y0 = max(0, int(math.floor(box[1] * scale)))
    x1 = min(shape[1], int(math.ceil(box[2] * scale)))
    y1 = min(shape[0], int(math.ceil(box[3] * scale)))
    return x0, y0, x1, y1


def classify(score: float, marked_at: float, marginal_at: float) -> State:
    if score >= marked_at:
        return "marked"
    if score < marginal_at:
        return "unmarked"
    return "ambiguous"


def without_slivers(ink: np.ndarray, width_px: int) -> np.ndarray:
    """The ink without pieces at most `width_px` columns wide.

    Print edges leave one-column slivers of "ink" beside letters; a strike may only be bridged
    across hidden print from real pieces of stroke, or a sliver at one word and a partial strike
    at the next would make a whole strike. A real stroke loses at most such a column of visible
    paper, which the gap allowance absorbs.
    """
    if width_px < 1 or not ink.any():
        return ink
    count, labels, stats, _ = cv2.connectedComponentsWithStats(ink.astype(np.uint8), connectivity=8)
    keep = stats[:, cv2.CC_STAT_WIDTH] > width_px
    keep[0] = False
    return keep[labels]


class StrikeRun(NamedTuple):
    """The longest strike through a band (columns of the band)."""

    share: float  # its length / the band's width
    first: int
    last: int
    # Within `within` columns (the name): visible paper the run crosses with no ink (bridged
    # as a pen lift), and the longest stretch it crosses with no ink at all (hidden by print).
    bridged: int = 0
    unseen: int = 0


def strike_run(
    ink: np.ndarray,
    printed: np.ndarray,
    max_gap_px: int,
    within: tuple[float, float] | None = None,
) -> StrikeRun:
    """The longest strike through a band.

    A stroke is hidden wherever it crosses a printed letter, so between two inked columns the
    path is interpolated (straight between the two columns' ink centres) and only visible,
    un-inked paper along it (no print on its row or the rows above and below) counts as a gap;
    a gap of more than `max_gap_px` such columns breaks the strike. Of equally long strikes the
    leftmost is returned. With `within` (first and last column, fractional: the name), the
    run's `bridged` and `unseen` are measured there.
    """
    width = ink.shape[1]
    columns = np.flatnonzero(ink.any(axis=0))
    if width == 0 or columns.size == 0:
        return StrikeRun(0.0, 0, 0)
    height = ink.shape[0]
    rows_index = np.arange(height, dtype=np.float64)[:, None]
    inked = ink[:, columns]
    centres = (inked * rows_index).sum(axis=0) / inked.sum(axis=0)
    # Every pair of neighbouring inked columns with paper between them, all at once.
    left, right = columns[:-1], columns[1:]
    gaps = np.flatnonzero(right - left > 1)
    visible = np.zeros(columns.size - 1)
    inside = np.zeros(columns.size - 1)
    if gaps.size:
        a, b = left[gaps], right[gaps]
        lengths = b - a - 1
        owner = np.repeat(np.arange(gaps.size), lengths)
        offsets = np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        xs = a[owner] + 1 + offsets
        ca, cb = centres[gaps][owner], centres[gaps + 1][owner]
        slope = (cb - ca) / (b - a)[owner]  # as np.interp computes it, for the same rounding
        ys = np.clip(np.round(slope * (xs - a[owner]) + ca).astype(np.int64), 0, height - 1)
        covered = printed[ys, xs]
        if height > 1:
            covered = covered | printed[np.maximum(ys - 1, 0), xs]
            covered = covered | printed[np.minimum(ys + 1, height - 1), xs]
        visible[gaps] = np.bincount(owner, weights=~covered, minlength=gaps.size)
        if within is not None:
            paper = ~covered & (xs >= within[0]) & (xs < within[1])
            inside[gaps] = np.bincount(owner, weights=paper, minlength=gaps.size)
    broken = visible > max_gap_px
    # Runs of columns between breaks; the longest (first of equals) is the strike.
    ends = np.append(np.flatnonzero(broken), columns.size - 1)
    starts = np.insert(ends[:-1] + 1, 0, 0)
    spans = columns[ends] - columns[starts] + 1
    best = int(np.argmax(spans))
    first, last = int(columns[starts[best]]), int(columns[ends[best]])
    share = float(spans[best]) / width
    if within is None:
        return StrikeRun(share, first, last)
    bridged = int(inside[starts[best] : ends[best]].sum())
    # The name's columns x, within[0] <= x < within[1] (as for `bridged`).
    lo, hi = max(first, math.ceil(within[0])), min(last, math.ceil(within[1]) - 1)
    if hi <= lo:
        return StrikeRun(share, first, last, bridged)
    # Inked columns of the run over the name, with the stretch's ends as sentinels.
    seen = columns[(columns >= lo) & (columns <= hi)]
    stops = np.concatenate(([lo - 1], seen, [hi + 1]))
    return StrikeRun(share, first, last, bridged, int(np.diff(stops).max()) - 1)


def strike_band(target: Target, settings: ReadingSettings) -> Box:
    """Where a strike through a name is followed: the name's `strike_band` rows, from
    `strike_reach_pt` before the name to as far after it (layout points)."""
    x0, y0, x1, y1 = target.box
    h = y1 - y0
    reach = settings.strike_reach_pt
    return (
        x0 - reach,
        y0 + settings.strike_band[0] * h,
        x1 + reach,
        y0 + settings.strike_band[1] * h,
    )


def _name_share(first: int, last: int, name0: float, name1: float) -> float:
    """The share of a name (pixel columns name0..name1) that the strike first..last crosses:
    the ends of a strike often lie hidden in the first and last letters, so only the part over
    the name counts."""
    covered = max(0.0, min(last + 1, name1) - max(first, name0)) if last > first else 0.0
    return min(1.0, covered / max(1e-6, name1 - name0))


def score_strike(
    target: Target,
    page_number: int,
    ink: np.ndarray,
    printed: np.ndarray,
    settings: ReadingSettings,
    dark: np.ndarray | None = None,
    reference_dark: np.ndarray | None = None,
) -> TargetScore:
    scale = settings.working_dpi / 72
    x0, y0, x1, y1 = target.box
    h = y1 - y0
    bx0, by0, bx1, by1 = _px_box(strike_band(target, settings), scale, ink.shape)
    gap = max(1, int(round(settings.strike_gap_pt * scale)))
    pieces = without_slivers(ink[by0:by1, bx0:bx1], settings.strike_sliver_px)
    name0, name1 = x0 * scale - bx0, x1 * scale - bx0
    run = strike_run(pieces, printed[by0:by1, bx0:bx1], gap, (name0, name1))
    score = _name_share(run.first, run.last, name0, name1)
    state = classify(score, settings.strike_marked, settings.strike_marginal)
    note = None
    pad = settings.strike_touch_reach_pt * scale
    nx0, nx1 = max(0, int(round(name0 - pad))), int(round(name1 + pad))
    touched = int(ink[by0:by1, bx0 + nx0 : bx0 + nx1].any(axis=0).sum())
    if state == "unmarked" and touched >= settings.strike_touch_columns:
        # Print hides most of a short mark on a name, so any visible ink there is a question.
        state, note = "ambiguous", "touch"
    if state == "unmarked" and dark is not None and reference_dark is not None:
        middle = _px_box((x0, y0 + 0.3 * h, x1, y0 + 0.75 * h), scale, ink.shape)
        if residual_columns(dark, reference_dark, middle, settings) >= settings.residual_columns:
            # Ink hidden in the letters: a short tick or a light touch, never silently dropped.
            state, note = "ambiguous", "touch"
    zone = settings.around_zone * h
    above = _px_box((x0, y0 - zone, x1, y0 - 0.05 * h), scale, ink.shape)
    below = _px_box((x0, y1 + 0.05 * h, x1, y1 + zone), scale, ink.shape)
    width = max(1, int(round((x1 - x0) * scale)))
    cover_above = ink[above[1] : above[3], above[0] : above[2]].any(axis=0).sum() / width
    cover_below = ink[below[1] : below[3], below[0] : below[2]].any(axis=0).sum() / width
    if min(cover_above, cover_below) >= settings.around_coverage:
        # Ink above and below the whole name: a circle, or a box drawn round it; the committee
        # decides what the voter meant, the machine never does.
        state, note = "ambiguous", "around"
    doubtful = state == "marked" and (
        score < settings.fine_strike_marked
        or run.bridged >= settings.strike_doubtful_paper_px
        or run.unseen >= settings.strike_doubtful_unseen * (name1 - name0)
    )
    return TargetScore(
        target,
        page_number,
        score,
        settings.strike_marked,
        settings.strike_marginal,
        state,
        note,
        doubtful,
    )


def score_box(
    target: Target, page_number: int, ink: np.ndarray, settings: ReadingSettings
) -> TargetScore:
    scale = settings.working_dpi / 72
    inset = settings.box_inset_pt
    x0, y0, x1, y1 = target.box
    bx0, by0, bx1, by1 = _px_box((x0 + inset, y0 + inset, x1 - inset, y1 - inset), scale, ink.shape)
    region = ink[by0:by1, bx0:bx1]
    if region.size == 0:
        score = 0.0
    else:
        columns = float(region.any(axis=0).mean())
        rows = float(region.any(axis=1).mean())
        score = math.sqrt(columns * rows)
    state = classify(score, settings.box_marked, settings.box_marginal)
    return TargetScore(
        target, page_number, score, settings.box_marked, settings.box_marginal, state
    )


def score_page(
    page: PageLayout,
    form: str,
    ink: np.ndarray,
    printed: np.ndarray,
    settings: ReadingSettings,
    dark: np.ndarray | None = None,
    reference_dark: np.ndarray | None = None,
) -> list[TargetScore]:
    if form == "strike":
        return [
            score_strike(t, page.number, ink, printed, settings, dark, reference_dark)
            for t in page.targets
        ]
    return [score_box(t, page.number, ink, settings) for t in page.targets]


def allowed_ink_mask(page: PageLayout, form: str, settings: ReadingSettings) -> np.ndarray:
    """Where voter ink is expected or harmless; ink anywhere else is reported."""
    from ballots.reading.geometry import page_size_px

    scale = settings.working_dpi / 72
    width, height = page_size_px(page, settings)
    allowed = np.zeros((height, width), bool)
    margin = settings.page_margin_pt
    allowed[:, :] = True
    allowed[
        int(margin * scale) : height - int(margin * scale),
        int(margin * scale) : width - int(margin * scale),
    ] = False

    def allow(box: Box) -> None:
        x0, y0, x1, y1 = _px_box(box, scale, allowed.shape)
        allowed[y0:y1, x0:x1] = True

    for mark in page.marks:
        allow(mark.box)
    allow(page.qr)
    if page.seal_box is not None:
        x0, y0, x1, y1 = page.seal_box
        allow((x0 - 6, y0 - 6, x1 + 6, y1 + 6))
    for target in page.targets:
        x0, y0, x1, y1 = target.box
        if form == "strike":
            px, py = settings.strike_pad_pt
        else:
            px = py = settings.box_pad_pt
        allow((x0 - px, y0 - py, x1 + px, y1 + py))
    return allowed


def flag_ink(
    page_number: int, ink: np.ndarray, allowed: np.ndarray, settings: ReadingSettings
) -> list[FlaggedInk]:
    """Blobs of voter ink outside the allowed areas, biggest problems first in reading order."""
    stray = (ink & ~allowed).astype(np.uint8)
    if not stray.any():
        return []
    scale = settings.working_dpi / 72
    # Strokes of one handwritten word are joined so a signature is one finding, not twenty.
    joined = cv2.dilate(stray, np.ones((7, 7), np.uint8))
    count, labels, stats, _ = cv2.connectedComponentsWithStats(joined, connectivity=8)
    areas = np.bincount(labels[stray > 0], minlength=count)
    found = []
    for index in range(1, count):
        area_pt2 = float(areas[index]) / (scale * scale)
        if area_pt2 < settings.private_min_area_pt2:
            continue
        x, y, w, h = (int(v) for v in stats[index, :4])
        box = (
            round(x / scale, 1),
            round(y / scale, 1),
            round((x + w) / scale, 1),
            round((y + h) / scale, 1),
        )
        found.append(FlaggedInk(page_number, box, round(area_pt2, 1)))
    found.sort(key=lambda f: (f.box[1], f.box[0]))
    return found


def seal_present(seal_bgr: np.ndarray, settings: ReadingSettings) -> tuple[bool, float]:
    """Whether red seal ink covers enough of the seal box; with the red share measured."""
    pixels = seal_bgr.astype(np.int16)
    red = pixels[:, :, 2] - np.maximum(pixels[:, :, 0], pixels[:, :, 1])
    share = float((red > settings.seal_red_delta).mean()) if red.size else 0.0
    return share >= settings.seal_min_fraction, share
