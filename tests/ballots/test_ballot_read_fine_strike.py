"""A thin strike through a dense name, scanned at 150 dpi, is seen at 100 dpi only in pieces
(the blank's print, grown for the warp's error, hides the spaces between the letters); the
reader scores such a name again at 200 dpi, where a partial strike still reads as partial."""

from __future__ import annotations

from dataclasses import replace

import cv2
import numpy as np
import pytest

from ballots.paper.design import build_layout
from ballots.reading.geometry import detection_image, scale_homography
from ballots.reading.marks import fine_strike
from ballots.reading.reader import (
    ElectionRules,
    ReadingContext,
    ReadingSettings,
    read_ballot,
    reference_pages,
)
from ballots.reading.synth import (
    SynthElection,
    _stroke,
    make_election,
    print_pages,
    scanner_degrade,
)

SETTINGS = ReadingSettings()
PRINT_DPI = 300
PENCIL = (105, 105, 105)
# Dense names: at 100 dpi their letters leave almost no paper between them.
NAMES = [
    "Trần Duy Công Phúc",
    "Nguyễn Thùy Thanh Hằng",
    "Phan Thị Nhung",
    "Vũ Duy Giang",
    "Hoàng Hữu Kim Dũng",
    "Phạm Hữu Minh Giang",
]


@pytest.fixture(scope="module")
def dense():
    base = make_election("strike", 12, seats=8, seed=5)
    spec = replace(base.spec, items=NAMES + base.spec.items[len(NAMES) :], seal_required=False)
    election = SynthElection(spec, build_layout(spec), base.private_key)
    ctx = ReadingContext(
        election.layout,
        reference_pages(spec, election.layout, SETTINGS),
        election.private_key.public_key(),
        ElectionRules(spec.seats, True, False),
        SETTINGS,
    )
    return election, ctx


def _scan(election, strokes, seed, pen=(PENCIL, 0.35), blur=0.0):
    """The ballot printed at 300 dpi, `strokes` {target id: (start share, end share)} drawn
    through the names' middle with `pen` (colour, width in mm; thin pencil), scanned at 150 dpi
    in colour and blurred by `blur` px more."""
    scan = _scan_pieces(election, {k: [v] for k, v in strokes.items()}, seed, pen)
    return cv2.GaussianBlur(scan, (0, 0), blur) if blur else scan


@pytest.mark.parametrize("ends", [(-0.06, 1.04), (-0.03, 1.0), (0.0, 1.0)])
@pytest.mark.parametrize("seed", [1, 2])
def test_thin_strikes_through_dense_names_are_struck(dense, ends, seed):
    election, ctx = dense
    ids = [t.id for t in election.layout.pages[0].targets]
    whole = {ids[n]: ends for n in range(len(NAMES))}
    reading = read_ballot([_scan(election, whole, seed)], ctx)
    states = {s.target.id: s for s in reading.scores}
    doubted = []
    for target in ids:
        if target not in whole:
            assert states[target].state == "unmarked", (target, states[target])
        elif states[target].note == "hidden":
            # Seen through 60-85% of the name at 100 dpi and not through 85% by the sharp
            # blank at 200 dpi: a strike stopping short of an end looks the same, so the
            # committee decides (never counted the wrong way).
            assert states[target].state == "ambiguous", (target, states[target])
            doubted.append(target)
        else:
            assert states[target].state == "marked", (target, states[target])
            assert states[target].note in (None, "fine")
    assert len(doubted) <= 1, doubted  # 1 thin strike in 36 on these names


def test_the_fine_score_needs_the_fine_step(dense):
    # A strike from the first letter to the last, none of it on paper outside the name: the
    # working resolution sees a quarter to a half of it on most of these names (a partial
    # strike's score); the fine step is what marks them (note "fine", score >= 0.6).
    election, ctx = dense
    ids = [t.id for t in election.layout.pages[0].targets]
    whole = {ids[n]: (0.0, 1.0) for n in range(len(NAMES))}
    scores = read_ballot([_scan(election, whole, 1)], ctx).scores
    fine = [s for s in scores if s.note == "fine"]
    assert len(fine) >= len(NAMES) // 2, [(s.target.id, s.score, s.note) for s in scores]
    assert all(s.state == "marked" and s.score >= SETTINGS.strike_marked for s in fine)


@pytest.mark.parametrize("share", [0.25, 0.4])
def test_partial_strikes_stay_partial_at_200_dpi(dense, share):
    election, ctx = dense
    ids = [t.id for t in election.layout.pages[0].targets]
    partial = {ids[n]: (-0.06, share) if n % 2 else (1 - share, 1.04) for n in range(len(NAMES))}
    image = _scan(election, partial, 4)
    reading = read_ballot([image], ctx)
    states = {s.target.id: s for s in reading.scores}
    gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    page = reading.pages[0]
    _, scale = detection_image(gray, SETTINGS)
    homography = scale_homography(page.geometry.homography, 1.0 / scale)
    fine_dark = ctx.fine_dark(election.layout.pages[0])
    for target in election.layout.pages[0].targets:
        if target.id in partial:
            assert states[target.id].state == "ambiguous", (target.id, states[target.id])
            measured = fine_strike(gray, homography, target, fine_dark, SETTINGS)
            assert measured < share + 0.08, (target.id, measured)


@pytest.mark.parametrize("seed", [3, 7])
@pytest.mark.parametrize("shape", [(0.25, 0.75), (-0.06, 0.52), (0.48, 1.04)])
def test_thick_partial_strikes_on_soft_scans_stay_in_review(dense, shape, seed):
    # A 1-mm marker through half a name, on a scan blurred further: its ink spreads over the
    # letters' edges and a fit of the blank can follow it past its end (0.61-0.69 of the name
    # at 200 dpi, found by review); only fine_strike_marked (0.85) marks at 200 dpi.
    election, ctx = dense
    ids = [t.id for t in election.layout.pages[0].targets]
    partial = {ids[n]: shape for n in range(len(NAMES))}
    image = _scan(election, partial, seed, pen=((30, 30, 30), 1.0), blur=0.8)
    reading = read_ballot([image], ctx)
    states = {s.target.id: s for s in reading.scores}
    for target in partial:
        assert states[target].state == "ambiguous", (target, states[target])
    assert "low_resolution" not in reading.reasons  # a 150-dpi scan: the rule did not help


def _scan_pieces(election, strokes, seed, pen):
    """The ballot printed at 300 dpi, with pieces of stroke {target id: [(start share, end
    share), ...]} drawn through the names' middle with `pen`, scanned at 150 dpi in colour."""
    layout_page = election.layout.pages[0]
    page = cv2.cvtColor(print_pages(election, ["AAAAAAAAAA"], PRINT_DPI)[0], cv2.COLOR_GRAY2BGR)
    rng = np.random.default_rng(seed)
    scale = PRINT_DPI / 72
    for target in layout_page.targets:
        for a, b in strokes.get(target.id, []):
            x0, y0, x1, y1 = target.box
            width, cy = x1 - x0, y0 + 0.56 * (y1 - y0)
            line = np.array([[x0 + a * width, cy], [x0 + b * width, cy]]) * scale
            _stroke(page, line, pen[0], pen[1] * PRINT_DPI / 25.4, rng)
    return scanner_degrade(page, rng, PRINT_DPI, grayscale_share=0.0, resolutions=(150.0,))


TWO_ENDS = [(-0.06, 0.28), (0.72, 1.04)]  # the middle 44% of the name untouched
PENS = [(PENCIL, 0.35), ((40, 40, 40), 0.45), ((30, 30, 30), 1.0)]


@pytest.mark.parametrize("pen", PENS)
def test_a_name_struck_on_its_two_ends_only_goes_to_review(dense, pen):
    # "Struck improperly (not through the whole name)" is the committee's decision. At 100 dpi
    # the two pieces are bridged across the middle's grown print (score 1.0, counted as struck);
    # the strike crossed paper with no ink, or a long stretch unseen, so 200 dpi must see it whole.
    election, ctx = dense
    ids = [t.id for t in election.layout.pages[0].targets]
    ends = {ids[n]: TWO_ENDS for n in range(len(NAMES))}
    states = {
        s.target.id: s for s in read_ballot([_scan_pieces(election, ends, 1, pen)], ctx).scores
    }
    for target in ends:
        assert states[target].state == "ambiguous", (target, states[target])
        assert states[target].note in ("hidden", None, "touch"), (target, states[target])
        assert states[target].score < SETTINGS.fine_strike_marked
    # The same names struck whole are struck, with the same pen.
    whole = {ids[n]: [(-0.06, 1.04)] for n in range(len(NAMES))}
    states = {
        s.target.id: s for s in read_ballot([_scan_pieces(election, whole, 1, pen)], ctx).scores
    }
    for target in whole:
        assert (states[target].state, states[target].note) == ("marked", None), states[target]


def test_two_ended_strikes_need_the_confirmation(dense):
    # Without the doubt (triggers set out of reach) most of these names read as struck: the
    # confirmation at 200 dpi is what sends them to review.
    election, ctx = dense
    ids = [t.id for t in election.layout.pages[0].targets]
    ends = {ids[n]: TWO_ENDS for n in range(len(NAMES))}
    image = _scan_pieces(election, ends, 1, PENS[1])
    trusting = replace(SETTINGS, strike_doubtful_paper_px=10**6, strike_doubtful_unseen=2.0)
    scores = read_ballot([image], replace(ctx, settings=trusting)).scores
    struck = [s.target.id for s in scores if s.target.id in ends and s.state == "marked"]
    assert len(struck) >= len(NAMES) // 2, [(s.target.id, s.state, s.score) for s in scores]
    hidden = [s for s in read_ballot([image], ctx).scores if s.note == "hidden"]
    assert {s.target.id for s in hidden} >= set(struck)


def test_without_fine_blanks_a_doubtful_strike_goes_to_review(dense):
    # A context without the 200-dpi blanks cannot confirm: the committee decides.
    election, ctx = dense
    ids = [t.id for t in election.layout.pages[0].targets]
    ends = {ids[n]: TWO_ENDS for n in range(len(NAMES))}
    coarse = replace(ctx, references=dict(ctx.references), fine_references=None)
    scores = {
        s.target.id: s
        for s in read_ballot([_scan_pieces(election, ends, 1, PENS[1])], coarse).scores
    }
    for target in ends:
        assert scores[target].state == "ambiguous", (target, scores[target])
    assert any(scores[target].note == "hidden" for target in ends)


@pytest.mark.parametrize("pen", PENS)
def test_a_strike_stopping_short_of_an_end_goes_to_review(dense, pen):
    # Through 75% of the name from either end: 0.6 or more at 100 dpi on most names, which used
    # to count as struck; short of an end, only the sharp blank's best fit can confirm it.
    election, ctx = dense
    ids = [t.id for t in election.layout.pages[0].targets]
    short = {ids[n]: [(-0.06, 0.75)] if n % 2 else [(0.25, 1.04)] for n in range(len(NAMES))}
    image = _scan_pieces(election, short, 2, pen)
    states = {s.target.id: s for s in read_ballot([image], ctx).scores}
    for target in short:
        assert states[target].state == "ambiguous", (target, states[target])
        assert states[target].score < SETTINGS.fine_strike_marked
    # Note "hidden": read 0.6 or more at 100 dpi (struck, before), not seen whole at 200 dpi.
    assert [states[t].note for t in short].count("hidden") >= len(NAMES) // 2, states
