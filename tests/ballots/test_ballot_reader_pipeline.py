"""Tests of the ballot reader: each pipeline step, every reason code, file formats, determinism."""

from __future__ import annotations

import io
from collections import Counter
from dataclasses import replace
from itertools import pairwise

import cv2
import numpy as np
import pytest
import tifffile

from ballots.paper.serials import PageToken
from ballots.reading.geometry import find_marks, fit_page
from ballots.reading.imageio import load_bytes
from ballots.reading.marks import TargetScore, classify, strike_run
from ballots.reading.reader import (
    ElectionRules,
    PageReading,
    ReadingContext,
    ReadingSettings,
    annotate,
    judge,
    read_ballot,
    read_files,
    reference_pages,
)
from ballots.reading.synth import draw_marks, draw_seal, generate, make_election, print_pages
from congress.keys import generate_private_key

SETTINGS = ReadingSettings()


@pytest.fixture(scope="module")
def strike():
    election = make_election("strike", 12, seats=8, seed=5)
    refs = reference_pages(election.spec, election.layout, SETTINGS)
    return election, refs


def context(election, refs, **rules):
    base = {"seats": election.spec.seats, "nobody_elected_invalid": True, "seal_required": False}
    base.update(rules)
    return ReadingContext(
        election.layout, refs, election.private_key.public_key(), ElectionRules(**base), SETTINGS
    )


def marked_page(election, serial="AAAAAAAAAA", kinds=None, seal=False, seed=0, key=None):
    gray = print_pages(election, [serial], 200, key)[0]
    page = cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR)
    rng = np.random.default_rng(seed)
    layout_page = election.layout.pages[0]
    choose = {t.id: (kinds or {}).get(t.id, "none") for t in layout_page.targets}
    truth = draw_marks(page, layout_page, election.layout.form, 200, rng, choose)
    if seal:
        draw_seal(page, layout_page.seal_box, 200, rng)
    return page, truth


def test_classify_uses_both_thresholds():
    assert classify(0.7, 0.6, 0.1) == "marked"
    assert classify(0.6, 0.6, 0.1) == "marked"
    assert classify(0.3, 0.6, 0.1) == "ambiguous"
    assert classify(0.05, 0.6, 0.1) == "unmarked"


def test_strike_run_bridges_print_but_not_paper():
    ink = np.zeros((10, 100), bool)
    printed = np.zeros((10, 100), bool)
    ink[5, 0:40] = True
    ink[5, 60:100] = True
    assert strike_run(ink, printed, 3)[0] == pytest.approx(0.4)
    printed[:, 40:60] = True  # the stroke crosses a letter: hidden, not absent
    assert strike_run(ink, printed, 3)[0] == pytest.approx(1.0)


def test_strike_run_reports_paper_bridged_and_the_unseen_stretch_over_the_name():
    ink = np.zeros((10, 100), bool)
    printed = np.zeros((10, 100), bool)
    ink[5, 0:30] = ink[5, 70:100] = True  # a name (columns 10-90) struck on its two ends
    printed[:, 30:50] = printed[:, 52:70] = True  # two words; columns 50-51 are a word space
    run = strike_run(ink, printed, 3, (10.0, 90.0))
    assert (run.share, run.first, run.last) == (1.0, 0, 99)  # bridged as a pen lift
    assert (run.bridged, run.unseen) == (2, 40)
    ink[5, 50:52] = True  # the stroke shows in the word space: nothing bridged over paper
    assert strike_run(ink, printed, 3, (10.0, 90.0))[3:] == (0, 20)
    assert strike_run(ink, printed, 3)[3:] == (0, 0)  # measured only over a name
    # The name's columns are 10 <= x < 90: column 90, print after the name, is not its own.
    ink[5, 30:92] = False
    printed[:, 30:92] = True
    assert strike_run(ink, printed, 3, (10.0, 90.0))[3:] == (0, 60)


def _strike_run_by_columns(ink, printed, gap, within):
    """strike_run written column by column, as plainly as it reads in its docstring."""
    height = ink.shape[0]
    columns = [c for c in range(ink.shape[1]) if ink[:, c].any()]
    if not columns:
        return (0.0, 0, 0, 0, 0)
    centre = {c: float(np.flatnonzero(ink[:, c]).mean()) for c in columns}

    def paper(a, b):  # visible paper columns along the path from column a to column b
        found = []
        for x in range(a + 1, b):
            y = int(np.clip(np.round(np.interp(x, [a, b], [centre[a], centre[b]])), 0, height - 1))
            rows = {max(y - 1, 0), y, min(y + 1, height - 1)}
            if not any(printed[r, x] for r in rows):
                found.append(x)
        return found

    runs, current = [], [columns[0]]
    for a, b in pairwise(columns):
        if len(paper(a, b)) > gap:
            runs.append(current)
            current = []
        current.append(b)
    runs.append(current)
    best = max(runs, key=lambda run: run[-1] - run[0])  # the first of the longest
    first, last = best[0], best[-1]
    bridged = sum(
        sum(1 for x in paper(a, b) if within[0] <= x < within[1]) for a, b in pairwise(best)
    )
    lo, hi = max(first, int(np.ceil(within[0]))), min(last, int(np.ceil(within[1])) - 1)
    unseen = longest = 0
    for x in range(lo, hi + 1) if hi > lo else ():
        unseen = 0 if ink[:, x].any() else unseen + 1
        longest = max(longest, unseen)
    return ((last - first + 1) / ink.shape[1], first, last, bridged, longest)


def test_strike_run_equals_its_column_by_column_reading():
    # strike_run is vectorised for speed; it must decide exactly as the plain loop does.
    rng = np.random.default_rng(7)
    for _ in range(300):
        height, width = int(rng.integers(1, 20)), int(rng.integers(1, 160))
        ink = rng.random((height, width)) < rng.uniform(0.0, 0.3)
        ink[:, rng.random(width) < rng.uniform(0.0, 0.9)] = False
        printed = rng.random((height, width)) < rng.uniform(0.0, 1.0)
        gap = int(rng.integers(1, 8))
        within = (float(rng.uniform(-3, width / 2)), float(rng.uniform(width / 2, width + 3)))
        expected = _strike_run_by_columns(ink, printed, gap, within)
        assert tuple(strike_run(ink, printed, gap, within)) == pytest.approx(expected)


def test_marks_found_in_every_rotation(strike):
    election, _ = strike
    page = print_pages(election, ["AAAAAAAAAA"], 100)[0]
    for turn in (None, cv2.ROTATE_90_CLOCKWISE, cv2.ROTATE_180, cv2.ROTATE_90_COUNTERCLOCKWISE):
        image = page if turn is None else cv2.rotate(page, turn)
        marks = find_marks(image)
        assert sorted(m.aruco_id for m in marks) == [0, 1, 2, 3]
        geometry = fit_page(marks, election.layout.pages[0], SETTINGS)
        assert geometry is not None
        expected = {None: 0, cv2.ROTATE_90_CLOCKWISE: 90, cv2.ROTATE_180: 180}.get(turn, 270)
        assert geometry.rotation == expected
        assert geometry.mark_error_pt < 1.0


@pytest.mark.parametrize("turn", [0, 1, 2, 3])
def test_reads_strikes_in_every_orientation(strike, turn):
    election, refs = strike
    kinds = {"c001.strike": "strike", "c004.strike": "strike_wavy", "c009.strike": "strike_double"}
    page, _ = marked_page(election, kinds=kinds)
    if turn:
        page = cv2.rotate(
            page,
            [cv2.ROTATE_90_CLOCKWISE, cv2.ROTATE_180, cv2.ROTATE_90_COUNTERCLOCKWISE][turn - 1],
        )
    reading = read_ballot([page], context(election, refs))
    states = {s.target.id: s.state for s in reading.scores}
    assert {k for k, v in states.items() if v == "marked"} == set(kinds)
    assert all(v == "unmarked" for k, v in states.items() if k not in kinds)
    assert reading.status == "invalid"  # 9 names stand for 8 seats
    assert reading.reasons == ["more_than_seats"]


def test_valid_ballot_and_json_is_deterministic(strike):
    election, refs = strike
    kinds = {f"c{n:03d}.strike": "strike" for n in range(1, 6)}
    page, _ = marked_page(election, kinds=kinds)
    ctx = context(election, refs)
    first = read_ballot([page], ctx, file="a.png").to_json()
    second = read_ballot([page.copy()], context(election, refs), file="a.png").to_json()
    assert first == second
    assert '"status":"valid"' in first
    assert '"thresholds"' in first and '"settings"' in first


def test_doubtful_marks_go_to_review(strike):
    election, refs = strike
    kinds = {"c002.strike": "circle", "c003.strike": "partial"}
    kinds.update({f"c{n:03d}.strike": "strike" for n in range(5, 12)})
    page, _ = marked_page(election, kinds=kinds, seed=3)
    reading = read_ballot([page], context(election, refs))
    states = {s.target.id: s.state for s in reading.scores}
    assert states["c002.strike"] == "ambiguous"
    assert states["c003.strike"] == "ambiguous"
    assert reading.status == "review"
    assert "ambiguous_mark" in reading.reasons


def test_nobody_elected_and_one_person_exception(strike):
    election, refs = strike
    kinds = {t.id: "strike" for t in election.layout.pages[0].targets}
    page, _ = marked_page(election, kinds=kinds)
    reading = read_ballot([page], context(election, refs))
    assert reading.reasons == ["nobody_elected"] and reading.status == "invalid"
    allowed = read_ballot([page], context(election, refs, nobody_elected_invalid=False))
    assert allowed.status == "valid"


def test_private_mark_is_flagged_with_location(strike):
    election, refs = strike
    page, _ = marked_page(election, kinds={f"c{n:03d}.strike": "strike" for n in range(1, 6)})
    # a signature in the empty space under the table
    y = int(election.layout.pages[0].voter_area[3] * 200 / 72) + 60
    cv2.putText(page, "Ky ten", (500, y), cv2.FONT_HERSHEY_SCRIPT_SIMPLEX, 2.0, (30, 30, 30), 3)
    reading = read_ballot([page], context(election, refs))
    assert reading.status == "review" and reading.reasons == ["private_mark"]
    box = reading.flagged[0].box
    assert 150 < box[0] < 260 and box[1] > election.layout.pages[0].voter_area[3]


def test_seal_rules(strike):
    election, refs = strike
    kinds = {f"c{n:03d}.strike": "strike" for n in range(1, 6)}
    with_seal, _ = marked_page(election, kinds=kinds, seal=True)
    without, _ = marked_page(election, kinds=kinds)
    without[0, 0] = (0, 0, 255)  # still a colour scan
    ctx = context(election, refs, seal_required=True)
    assert read_ballot([with_seal], ctx).status == "valid"
    assert read_ballot([without], ctx).reasons == ["seal_missing"]
    gray = cv2.cvtColor(with_seal, cv2.COLOR_BGR2GRAY)
    reading = read_ballot([gray], ctx)
    assert reading.status == "review" and reading.reasons == ["seal_unverifiable"]


def test_forged_wrong_election_unreadable_seen(strike):
    election, refs = strike
    ctx = context(election, refs)
    forged, _ = marked_page(election, key=generate_private_key())
    assert read_ballot([forged], ctx).reasons == ["serial_forged"]
    assert read_ballot([forged], ctx).status == "rejected"
    other = make_election("strike", 12, seats=8, seed=5)
    other = replace(other, layout=replace(other.layout, round=2), spec=replace(other.spec, round=2))
    wrong, _ = marked_page(other, key=election.private_key)
    assert read_ballot([wrong], ctx).reasons == ["wrong_election"]
    blank = np.full((1000, 700), 255, np.uint8)
    assert read_ballot([blank], ctx).reasons == ["page_unreadable"]
    page, _ = marked_page(election, serial="BBBBBBBBBB", kinds={"c001.strike": "strike"})
    seen = read_ballot([page], ctx, seen_serials={"BBBBBBBBBB"})
    assert seen.status == "rejected" and seen.reasons[0] == "serial_seen"


def test_judge_rules_on_box_forms():
    election = make_election("agree", 3, seats=2, seed=1)
    layout = election.layout
    token = PageToken(layout.election_id, layout.round, 1, len(layout.pages), "AAAAAAAAAA")

    def page(states):
        scores = [
            TargetScore(t, 1, 0.0, 0.45, 0.12, states.get(t.id, "unmarked"))
            for t in layout.pages[0].targets
        ]
        return PageReading(0, "f", "h", token, None, scores=scores, colour=True, seal=True)

    rules = ElectionRules(2, True, True)
    all_agree = {f"c00{i}.agree": "marked" for i in (1, 2, 3)}
    assert judge(layout, rules, [page(all_agree)]) == ("invalid", ["more_than_seats"])
    both = dict(all_agree, **{"c003.disagree": "marked"})
    assert judge(layout, rules, [page(both)]) == ("valid", [])
    assert judge(layout, rules, [page({})]) == ("invalid", ["nobody_elected"])
    unsure = dict(all_agree, **{"c003.agree": "ambiguous"})
    assert judge(layout, rules, [page(unsure)]) == ("review", ["ambiguous_mark"])


def test_pdf_and_multipage_tiff_join_by_serial():
    election = make_election("agree", 30, seats=20, seed=2)  # two pages
    assert len(election.layout.pages) == 2
    refs = reference_pages(election.spec, election.layout, SETTINGS)
    ctx = ReadingContext(
        election.layout, refs, election.private_key.public_key(), ElectionRules(20, True, False)
    )
    pages = list(generate(election, 2, seed=4, seal=False))
    images = [
        cv2.cvtColor(p.image, cv2.COLOR_BGR2GRAY) if p.image.ndim == 3 else p.image for p in pages
    ]
    # TIFF: ballot 1 page 2, ballot 2 page 1, ballot 1 page 1; ballot 2 page 2 in a PDF
    buffer = io.BytesIO()
    with tifffile.TiffWriter(buffer) as tif:
        for image in (images[1], images[2], images[0]):
            tif.write(image, compression="zlib")
    tiff = load_bytes(buffer.getvalue(), "batch.tif")
    assert len(tiff.pages) == 3
    from PIL import Image

    pdf_buffer = io.BytesIO()
    Image.fromarray(images[3]).save(pdf_buffer, "PDF", resolution=200)
    pdf = load_bytes(pdf_buffer.getvalue(), "last.pdf")
    readings = read_files([tiff, pdf], ctx)
    assert [r.serial for r in readings] == [pages[0].serial, pages[2].serial]
    for reading in readings:
        assert "missing_page" not in reading.reasons
        assert [p.token.page for p in reading.pages if p.token] == [1, 2]
    alone = read_files([tiff], ctx)
    assert "missing_page" in alone[1].reasons and alone[1].status == "review"
    twice = read_files([tiff, tiff], ctx)
    assert Counter(r.status for r in twice)["rejected"] == 3
    assert all(r.reasons[0] == "serial_seen" for r in twice if r.status == "rejected")


def test_annotate_draws_on_the_scan(strike):
    election, refs = strike
    page, _ = marked_page(election, kinds={"c001.strike": "strike"})
    ctx = context(election, refs)
    reading = read_ballot([page], ctx)
    out = annotate(page, reading, ctx)
    assert out.shape == page.shape
    red = (out[:, :, 2] > 180) & (out[:, :, 1] < 80) & (out[:, :, 0] < 80)
    green = (out[:, :, 1] > 140) & (out[:, :, 2] < 80)
    assert red.sum() > 100 and green.sum() > 100
