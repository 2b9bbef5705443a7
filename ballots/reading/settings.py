"""Every threshold and limit of the ballot reader, in one JSON-serialisable settings object."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from ballots.paper.layout import BallotLayout


@dataclass(frozen=True)
class ReadingSettings:
    """Recorded with every reading, so a result can be re-checked with the numbers that made it."""

    # geometry
    working_dpi: float = 100.0  # the page is warped once to this resolution; strokes stay >= 2 px
    detect_max_side: int = 1600  # ArUco search (and the page warp source) on an image this size
    min_marks: int = 3  # registration marks needed for a trustworthy homography
    max_mark_error_pt: float = 6.0  # a homography that misplaces a mark corner more is refused
    place_min_correlation: float = 0.7  # a page placed by its QR and print (fewer than
    # min_marks marks found) is read only when its print correlates this well with the blank's
    qr_dpi: float = 250.0  # the QR area alone is warped at this resolution for decoding
    min_dpi: float = 147.0  # a page sampled coarser than this anywhere (a small or far phone
    # photo) cannot rule out a light touch: its ballot goes to review (a 150-dpi scan passes)
    # ink
    background_kernel_pt: float = 20.0  # wider than any printed glyph: the paper's own brightness
    ink_darkness: float = 0.28  # 1 - pixel/background above this is ink (pencil included)
    reference_dark: int = 150  # reference pixels darker than this are printed
    reference_dilate_px: int = 2  # print registration error and toner gain, at working_dpi
    min_component_px: int = 3  # specks smaller than this are scanner dust
    # strike forms
    strike_band: tuple[float, float] = (0.15, 0.8)  # rows of the name box a strike must cross
    strike_reach_pt: float = 8.0  # a strike is followed this far beyond the name's ends
    strike_gap_pt: float = 3.0  # a strike may skip this much visible paper (pen lift, pencil)
    strike_sliver_px: int = 1  # ink pieces this narrow (print-edge slivers) never anchor a strike
    strike_marked: float = 0.6  # bridged strike length / name width: at or above = struck
    strike_marginal: float = 0.03  # below = untouched; between = ambiguous
    strike_doubtful_paper_px: int = 2  # a marked strike that crosses this much visible paper
    # of its name with no ink (a gap the pen-lift allowance bridged: one column is a print
    # edge or the path's rounding, two are a word space with no stroke in it)...
    strike_doubtful_unseen: float = 0.35  # ...or this share of it with no ink at all (print
    # hides a stroke there, or there is none: a name struck on its two ends only), or that
    # scores under fine_strike_marked (it may stop short of an end), must show whole at
    # touch_dpi (fine_strike_marked), or the name goes to review (note "hidden")
    strike_touch_columns: int = 3  # columns of visible ink on a name that send it to review
    # (print-edge residue shows as one-pixel vertical slivers, a pen touch as a short dash)
    strike_touch_reach_pt: float = 3.0  # ...counting ink this close beyond the name's ends
    residual_dark: float = 0.25  # scan darkness above the aligned blank's (3x3 max) = hidden ink
    residual_columns: int = 3  # columns of such ink on a name's middle that send it to review
    residual_align_px: int = 2  # the blank is re-aligned per name within this many pixels
    # (the three residual_* settings apply only when no fine blank pages are given)
    # fine re-reading of every target still unmarked (strike names and boxes)
    touch_dpi: float = 200.0  # the target is re-warped from the full-resolution scan at this dpi
    touch_band: tuple[float, float] = (0.3, 0.75)  # rows of a name box searched for hidden ink
    touch_margin_pt: float = 10.0  # paper around the target, for the local paper brightness
    touch_align_px: int = 4  # the fine blank is re-aligned per target within this many pixels
    touch_blur_px: tuple[float, ...] = (0.0, 1.0, 2.0)  # blurs of the fine blank, at touch_dpi:
    # per target the one that fits the scan best (a phone photo is softer) is compared with it
    touch_dark: float = 0.25  # scan darkness above the aligned fine blank's (3x3 max) = ink
    fine_strike_marked: float = 0.85  # a name between the strike thresholds is marked only
    # when its strike, followed again at touch_dpi, crosses this share of it: whole strikes
    # measured 0.92-1.0 there, partial ones up to about 0.7 (a thick marker, a blurred scan)
    touch_area_pt2: float = 0.2  # that much such ink's core (pixels whose 2x2 block is all
    # such ink: print-edge slivers are one pixel wide) on an unmarked target sends it to review
    # thin or faint ink on an unmarked name's paper (visible_strike; box_fine_* for ink)
    thin_dark: float = 0.1  # scan darkness above the aligned fine blank's = ink, on paper
    thin_speck_px: int = 12  # short pieces alone (none 0.6 mm long) are ink only when more
    # than this many pixels of them lie on the name's paper (toner specks measured 6-10)
    thin_print_px: int = 2  # ...not within this many pixels (at touch_dpi) of the blank's print
    thin_band: tuple[float, float] = (0.08, 0.9)  # rows of the name box searched (a zigzag
    # or a wavy line leaves the strike band at its turns)
    thin_doubtful_paper_px: int = 4  # a thin strike bridging this much visible paper (pixels
    # at touch_dpi; whole 2H-pencil strikes bridged at most 3, skips included)...
    thin_doubtful_unseen: float = 0.55  # ...or crossing this share of the name with no ink
    # (whole strikes at most 0.49, names struck on their two ends 0.59 or more) is doubtful
    around_zone: float = 0.6  # above/below zones, in name-box heights, where circles show
    around_coverage: float = 0.4  # ink across this share of the name above AND below = circle
    # box forms
    box_inset_pt: float = 0.8  # keeps the printed outline out of the measure
    box_marked: float = 0.5  # sqrt(ink columns share x ink rows share): at or above = marked
    box_marginal: float = 0.12
    # every box not marked at the working resolution is read again at touch_dpi (fine_box)
    box_fine_dark: float = 0.1  # scan darkness above the aligned fine blank's = ink (a clean
    # box's inside measured at most 0.03 on scans; a 0.15-mm 2H pencil line 0.19-0.38)
    box_fine_min_px: int = 3  # ink pieces smaller than this (pixels at touch_dpi) are specks
    box_fine_min_extent_px: int = 5  # ...and so are pieces not this long either way (0.6 mm:
    # a photocopier's toner speck, dust; a 0.15-mm line 0.6 mm long is seen)
    box_fine_marked: float = 0.55  # a box not marked at the working resolution is marked
    # only at this fine score or more (a thin slash 0.6-1.0; a felt tip's short dab, a light
    # touch, up to 0.49; a small check 0.5-0.7 goes to review when only this step sees it)
    box_ring_pt: float = 5.0  # the ring round a box searched for a circle drawn round it
    box_ring_gap_pt: float = 1.2  # ...beyond the box's edge and its printed outline
    box_ring_sectors: int = 16  # ...in this many angular sectors round the box's centre:
    box_ring_share: float = 0.6  # ink in this share of them is a ring (an X larger than the
    # box reaches 4 corners, a check that leaves the box one or two)
    box_fine_print_px: int = 3  # ...and no ink within this many pixels (at touch_dpi) of the
    # blank's print: a soft scan draws the outline wider than the blank (1 pt in)
    # ink outside targets
    page_margin_pt: float = 22.0  # scanner edge shadows and the paper edge are not private marks
    strike_pad_pt: tuple[float, float] = (20.0, 6.0)  # x, y room around a name for its strike
    box_pad_pt: float = 9.0  # room around a box for an X that overshoots it
    private_min_area_pt2: float = 4.0  # smallest ink blob reported as a private mark
    # seal
    seal_red_delta: int = 40  # R - max(G, B) above this is red seal ink
    seal_min_fraction: float = 0.01  # share of the seal box that must be red

    def to_dict(self) -> dict[str, Any]:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ReadingSettings:
        known = {f.name for f in fields(cls)}
        values = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items() if k in known}
        return cls(**values)  # type: ignore[arg-type]


# A 12-pt name (Be Vietnam Pro, ascent to descent 1.265 of the size) at the default working
# resolution: the reader's pixel settings were measured on names this many pixels tall.
_NAME_BOX_PT = 12 * 1.265


def settings_for_layout(
    layout: BallotLayout, base: ReadingSettings | None = None
) -> ReadingSettings:
    """The reader's settings for a printed layout: `base` (the defaults), with the working
    resolution raised so the smallest printed name of a strike list spans as many pixels as a
    12-pt name does at `base.working_dpi`. A long list fitted to its paper prints names at
    9-11 pt in three tables; at 100 dpi their grown print hid whole strikes (a strike through
    a 9-pt name scored 0 and went to review as a touch)."""
    base = base or ReadingSettings()
    if layout.form != "strike":
        return base
    heights = [t.box[3] - t.box[1] for t in layout.targets()]
    if not heights or min(heights) >= _NAME_BOX_PT - 0.01:  # the layout rounds to 0.001 pt
        return base
    dpi = float(math.ceil(base.working_dpi * _NAME_BOX_PT / min(heights)))
    return replace(base, working_dpi=dpi)
