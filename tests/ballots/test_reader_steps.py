"""Each step of the reading pipeline alone: QR, warp, voter ink, scores, fine touch check, flags."""

from __future__ import annotations

import math
import multiprocessing
import pickle

import cv2
import numpy as np
import pytest

from ballots.paper.layout import Target
from ballots.paper.serials import decode_page_token
from ballots.reading.geometry import (
    detection_image,
    find_marks,
    fit_page,
    read_qr,
    scale_homography,
    warp_page,
)
from ballots.reading.marks import (
    darkness,
    flag_ink,
    printed_mask,
    reference_darkness,
    score_box,
    score_strike,
    touch_area,
    touch_region,
    voter_ink,
)
from ballots.reading.reader import (
    ElectionRules,
    ReadingContext,
    ReadingSettings,
    ReferencePages,
    read_ballot,
    reference_pages,
)
from ballots.reading.synth import make_election, print_pages, scanner_degrade

SETTINGS = ReadingSettings()
DPI = 200


@pytest.fixture(scope="module")
def strike():
    election = make_election("strike", 8, seats=5, seed=7)
    refs = reference_pages(election.spec, election.layout, SETTINGS)
    ctx = ReadingContext(
        election.layout,
        refs,
        election.private_key.public_key(),
        ElectionRules(5, True, False),
        SETTINGS,
    )
    page = print_pages(election, ["EEEEEEEEEE"], DPI)[0]
    return election, refs, ctx, page


def _geometry(page, election):
    small, scale = detection_image(page, SETTINGS)
    geometry = fit_page(find_marks(small), election.layout.pages[0], SETTINGS)
    assert geometry is not None
    return small, scale, geometry


def _line(image, a, b, grey, width_pt=1.3):
    """A pen line between two layout points on a 200-dpi page (in place)."""
    s = DPI / 72
    pa = (int(round(a[0] * s)), int(round(a[1] * s)))
    pb = (int(round(b[0] * s)), int(round(b[1] * s)))
    layer = np.zeros(image.shape[:2], np.uint8)
    cv2.line(layer, pa, pb, 255, max(1, int(round(width_pt * s))), cv2.LINE_AA)
    alpha = layer.astype(np.float32) / 255
    mixed = image * (1 - alpha) + np.minimum(image, grey) * alpha
    image[:] = np.clip(mixed, 0, 255).astype(np.uint8)


def test_qr_is_read_from_the_rectified_area_and_verifies(strike):
    election, _, _, page = strike
    small, scale, geometry = _geometry(page, election)
    homography = scale_homography(geometry.homography, 1 / scale)
    text = read_qr(page, homography, election.layout.pages[0], SETTINGS)
    assert text is not None
    token = decode_page_token(election.private_key.public_key(), text)
    assert (token.election_id, token.round, token.page, token.serial) == (7, 1, 1, "EEEEEEEEEE")


def test_warp_lays_the_scan_on_the_blank_and_print_is_not_ink(strike):
    election, refs, _, page = strike
    turned = cv2.rotate(page, cv2.ROTATE_180)
    small, _, geometry = _geometry(turned, election)
    assert geometry.rotation == 180
    warped = warp_page(small, geometry.homography, election.layout.pages[0], SETTINGS)
    reference = refs[1]
    assert warped.shape == reference.shape
    # The voter's area (the QR, left white on the blank, lies outside it).
    x0, y0, x1, y1 = (
        int(round(v * SETTINGS.working_dpi / 72)) for v in election.layout.pages[0].voter_area
    )
    scan_print = (warped < SETTINGS.reference_dark)[y0:y1, x0:x1]
    printed = printed_mask(reference, SETTINGS)
    # Every printed pixel of the scan lies on the blank's (dilated) print...
    assert (scan_print & ~printed[y0:y1, x0:x1]).sum() == 0
    assert scan_print.sum() > 2000
    # ...so an unmarked page has no voter ink there at all.
    assert not voter_ink(warped, printed, SETTINGS)[y0:y1, x0:x1].any()


def _target(box):
    return Target("c001.strike", "c001", "strike", box)


def test_strike_score_tells_a_strike_from_underline_dot_circle_and_partial():
    # A 100-dpi working image of one name (x 20..120 pt, y 40..55 pt), no print around it.
    scale = SETTINGS.working_dpi / 72
    shape = (int(100 * scale), int(160 * scale))
    printed = np.zeros(shape, bool)
    target = _target((20.0, 40.0, 120.0, 55.0))

    def score(*segments):
        ink = np.zeros(shape, np.uint8)
        for (x0, y0), (x1, y1) in segments:
            p0 = (int(x0 * scale), int(y0 * scale))
            p1 = (int(x1 * scale), int(y1 * scale))
            cv2.line(ink, p0, p1, 1, 2)
        return score_strike(target, 1, ink > 0, printed, SETTINGS)

    struck = score(((14, 48), (126, 49)))
    assert (struck.state, struck.note) == ("marked", None) and struck.score == 1.0
    diagonal = score(((15, 44), (125, 52)))
    assert diagonal.state == "marked"
    partial = score(((14, 48), (55, 48)))
    assert partial.state == "ambiguous" and 0.3 < partial.score < SETTINGS.strike_marked
    underline = score(((18, 58), (122, 58)))
    assert (underline.state, underline.score) == ("unmarked", 0.0)
    dot = score(((130, 47), (131, 48)))
    assert (dot.state, dot.score) == ("unmarked", 0.0)
    tick = score(((60, 45), (64, 50)))
    assert tick.state == "ambiguous" and tick.note in (None, "touch")
    circle = np.zeros(shape, np.uint8)
    cv2.ellipse(circle, (int(70 * scale), int(47.5 * scale)), (int(56 * scale), int(13 * scale)),
                0, 0, 360, 1, 2)  # fmt: skip
    around = score_strike(target, 1, circle > 0, printed, SETTINGS)
    assert (around.state, around.note) == ("ambiguous", "around")
    assert score().state == "unmarked"


def test_a_print_edge_sliver_does_not_turn_a_partial_strike_into_a_strike():
    # 100-dpi band of a name (x 20..120 pt): its second word (40..75 pt) lies under print,
    # a one-column sliver of "ink" at the first word's edge, a stroke over the last 35%.
    scale = SETTINGS.working_dpi / 72
    shape = (int(100 * scale), int(160 * scale))
    target = _target((20.0, 40.0, 120.0, 55.0))
    printed = np.zeros(shape, bool)
    rows = slice(int(40 * scale), int(55 * scale))
    printed[rows, int(40 * scale) : int(75 * scale)] = True
    ink = np.zeros(shape, bool)
    ink[int(44 * scale) : int(50 * scale), int(39 * scale) - 1] = True  # sliver, 1 column
    ink[int(47 * scale) : int(49 * scale), int(75 * scale) : int(128 * scale)] = True  # partial
    partial = score_strike(target, 1, ink, printed, SETTINGS)
    assert partial.state == "ambiguous" and partial.score < 0.5, partial.score
    # A real stroke seen as 2-column pieces between hidden letters is still a strike.
    ink[int(47 * scale) : int(49 * scale), int(14 * scale) : int(40 * scale)] = True
    struck = score_strike(target, 1, ink, printed, SETTINGS)
    assert struck.state == "marked" and struck.score == 1.0


def test_box_score_excludes_the_outline_and_grades_the_fill():
    scale = SETTINGS.working_dpi / 72
    shape = (int(40 * scale), int(40 * scale))
    target = Target("c001.agree", "c001", "agree", (10.0, 10.0, 24.0, 24.0))
    x0, y0, x1, y1 = (int(v * scale) for v in target.box)

    def score(draw):
        ink = np.zeros(shape, np.uint8)
        cv2.rectangle(ink, (x0, y0), (x1, y1), 1, 1)  # the outline, were it not removed
        draw(ink)
        return score_box(target, 1, ink > 0, SETTINGS)

    outline = score(lambda ink: None)
    assert (outline.state, outline.score) == ("unmarked", 0.0)
    cross = score(lambda ink: (cv2.line(ink, (x0, y0), (x1, y1), 1, 2),
                               cv2.line(ink, (x1, y0), (x0, y1), 1, 2)))  # fmt: skip
    assert cross.state == "marked" and cross.score > 0.9
    slash = score(lambda ink: cv2.line(ink, (x0 + 1, y1 - 1), (x1 - 1, y0 + 1), 1, 2))
    assert slash.state == "marked"
    dot = score(lambda ink: cv2.circle(ink, ((x0 + x1) // 2, (y0 + y1) // 2), 1, 1, -1))
    assert dot.state == "ambiguous" and SETTINGS.box_marginal <= dot.score < SETTINGS.box_marked


def test_fine_check_finds_faint_pencil_the_working_image_misses(strike):
    election, refs, ctx, page = strike
    layout_page = election.layout.pages[0]
    faint = page.copy()
    names = layout_page.targets
    # Faint pencil (grey 175), 12% of the name long, across its middle: a light touch.
    x0, y0, x1, y1 = names[1].box
    middle = (y0 + y1) / 2
    width = x1 - x0
    _line(faint, (x0 + 0.3 * width, middle - 1), (x0 + 0.42 * width, middle + 1), 175)
    rng = np.random.default_rng(3)
    scan = scanner_degrade(cv2.cvtColor(faint, cv2.COLOR_GRAY2BGR), rng, DPI, False)
    gray = scan if scan.ndim == 2 else cv2.cvtColor(scan, cv2.COLOR_BGR2GRAY)
    _, scale, geometry = _geometry(gray, election)
    homography = scale_homography(geometry.homography, 1 / scale)
    fine_dark = ctx.fine_dark(layout_page)
    assert fine_dark is not None and fine_dark.shape[1] == math.ceil(layout_page.width * 200 / 72)
    areas = [
        touch_area(gray, homography, touch_region(t, "strike", SETTINGS), fine_dark, SETTINGS)
        for t in names
    ]
    assert areas[1] >= 2 * SETTINGS.touch_area_pt2, areas
    assert max(areas[:1] + areas[2:]) < SETTINGS.touch_area_pt2 / 2, areas
    # The same scan read whole: only that name goes to review, and as a touch.
    reading = read_ballot([scan], ctx)
    states = [(s.state, s.note) for s in reading.scores]
    assert states[1] == ("ambiguous", "touch")
    assert all(state == ("unmarked", None) for i, state in enumerate(states) if i != 1)
    # (nobody struck: 8 names stand for 5 seats even if the touched one is a strike)
    assert reading.reasons == ["more_than_seats", "ambiguous_mark"]
    # Without the fine blank pages the coarse check is all there is (and is recorded as such).
    coarse = ReadingContext(election.layout, dict(refs), ctx.public_key, ctx.rules, SETTINGS)
    assert coarse.fine_references is None and coarse.fine_dark(layout_page) is None
    # Fine pages at another resolution than touch_dpi are not used either.
    wrong_dpi = ReadingContext(
        election.layout, refs, ctx.public_key, ctx.rules, SETTINGS, fine_references=dict(refs)
    )
    assert wrong_dpi.fine_dark(layout_page) is None


def test_reference_pages_carry_the_fine_pages_and_pickle(strike):
    election, refs, _, _ = strike
    assert isinstance(refs, ReferencePages)
    fine = refs.fine[1]
    assert fine.shape == (
        math.ceil(election.layout.pages[0].height * SETTINGS.touch_dpi / 72),
        math.ceil(election.layout.pages[0].width * SETTINGS.touch_dpi / 72),
    )
    again = pickle.loads(pickle.dumps(refs))
    assert isinstance(again, ReferencePages) and np.array_equal(again.fine[1], fine)
    assert np.array_equal(again[1], refs[1])


def test_darkness_ignores_shadows_and_reference_darkness_spreads_print():
    gray = np.full((60, 200), 230, np.uint8)
    gray[:, 100:] = 150  # half the sheet in a shadow
    gray[28:32, 20:40] = 60  # ink in the light
    gray[28:32, 150:170] = 40  # ink in the shadow
    dark = darkness(gray, SETTINGS)
    assert dark[5, 10] < 0.05 and dark[5, 190] < 0.05
    assert dark[30, 30] > 0.6 and dark[30, 160] > 0.6
    spread = reference_darkness(gray, SETTINGS)
    assert spread[27, 30] == pytest.approx(dark[28, 30], abs=1e-6)


def test_flagged_ink_reports_its_place_in_points():
    scale = SETTINGS.working_dpi / 72
    ink = np.zeros((int(200 * scale), int(200 * scale)), bool)
    allowed = np.zeros_like(ink)
    allowed[:, : int(100 * scale)] = True
    ink[int(50 * scale) : int(60 * scale), int(30 * scale) : int(40 * scale)] = True  # allowed
    ink[int(120 * scale) : int(130 * scale), int(140 * scale) : int(160 * scale)] = True
    flagged = flag_ink(1, ink, allowed, SETTINGS)
    assert len(flagged) == 1
    x0, y0, x1, y1 = flagged[0].box
    assert x0 == pytest.approx(140, abs=3) and y0 == pytest.approx(120, abs=3)
    assert x1 == pytest.approx(160, abs=3) and y1 == pytest.approx(130, abs=3)
    assert flagged[0].area_pt2 == pytest.approx(200, rel=0.1)


_SHARED: dict[str, object] = {}


def _read_json(_: int) -> str:
    reading = read_ballot([_SHARED["scan"]], _SHARED["ctx"], file="x.png")  # type: ignore[list-item,arg-type]
    return reading.to_json()


def test_same_bytes_in_another_process(strike):
    election, refs, ctx, page = strike
    rng = np.random.default_rng(8)
    scan = scanner_degrade(cv2.cvtColor(page, cv2.COLOR_GRAY2BGR), rng, DPI)
    here = read_ballot([scan], ctx, file="x.png").to_json()
    # A fresh context in a forked worker (as the benchmark's pool) gives the same bytes.
    _SHARED.update(scan=scan, ctx=ReadingContext(election.layout, refs, ctx.public_key, ctx.rules))
    with multiprocessing.get_context("fork").Pool(1) as pool:
        there = pool.map(_read_json, [0])[0]
    assert there == here
