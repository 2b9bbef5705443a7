"""A ballot is read when it can be read: sheets fed off-centre, skewed, a corner mark beyond the
image's edge, at 150, 200 and 300 dpi (images built by ballots.reading.synth_feed), and a long
list on the one page it is fitted to."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from ballots.reading.geometry import (
    detection_image,
    find_marks,
    find_qr,
    fit_page,
    map_points,
    qr_symbol_corners,
)
from ballots.reading.reader import (
    ElectionRules,
    ReadingContext,
    ReadingSettings,
    read_ballot,
    reference_pages,
)
from ballots.reading.settings import settings_for_layout
from ballots.reading.synth import draw_marks, make_election, print_pages
from ballots.reading.synth_feed import Feed, _page_to_image, feed_page, marks_inside

SETTINGS = ReadingSettings()


@pytest.fixture(scope="module")
def ballot():
    """A 12-name strike ballot printed at 300 dpi, every third name struck."""
    election = make_election("strike", 12, seats=12, seed=5)
    refs = reference_pages(election.spec, election.layout, SETTINGS)
    ctx = ReadingContext(
        election.layout,
        refs,
        election.private_key.public_key(),
        ElectionRules(12, True, False),
        SETTINGS,
    )
    layout_page = election.layout.pages[0]
    page = cv2.cvtColor(print_pages(election, ["AAAAAAAAAA"], 300)[0], cv2.COLOR_GRAY2BGR)
    kinds = {t.id: "strike" if i % 3 == 0 else "none" for i, t in enumerate(layout_page.targets)}
    truth = draw_marks(page, layout_page, "strike", 300, np.random.default_rng(3), kinds)
    return ctx, layout_page, page, {t.target: t.expected for t in truth}


def _partial(inside: dict[str, float]) -> list[str]:
    return sorted(k for k, v in inside.items() if 0 < v < 1)


FEEDS = {
    # off the bed's centre by 5 mm (the image is the paper's size: a strip of margin is lost)
    "off-centre": lambda dpi, i: Feed(dpi, offset_mm=((5, -5), (-5, 5), (5, 5))[i]),
    # skewed 5 degrees on a bed of the paper's size: two corner marks partly beyond the image
    "skew": lambda dpi, i: Feed(dpi, skew_deg=(5, -5, 5)[i], seed=i),
    # one corner mark partly beyond the image, three whole (the report of issue 17)
    "clipped corner": lambda dpi, i: Feed(
        dpi, offset_mm=((8, 0), (8, 0), (-8, 0))[i], skew_deg=(3, -3, 3)[i]
    ),
}


@pytest.mark.parametrize("dpi", [150, 200, 300])
@pytest.mark.parametrize("kind", list(FEEDS))
def test_fed_sheets_read_as_marked(ballot, kind, dpi):
    ctx, layout_page, page, expected = ballot
    feed = FEEDS[kind](dpi, (150, 200, 300).index(dpi))
    inside = marks_inside(layout_page, feed)
    # The feed is what it says.
    if kind == "off-centre":
        assert min(inside.values()) == 1.0
    elif kind == "skew":
        assert len(_partial(inside)) == 2
    else:
        assert len(_partial(inside)) == 1 and sorted(inside.values())[1:] == [1.0] * 3
    reading = read_ballot([feed_page(page, layout_page, feed)], ctx)
    assert reading.status == "valid" and reading.reasons == [], (kind, dpi, reading.reasons)
    assert {s.target.id: s.state for s in reading.scores} == expected
    assert reading.flagged == []
    assert reading.pages[0].geometry is not None


def test_a_clipped_corner_mark_leaves_no_private_mark_behind(ballot):
    """The image's edge across a mark is no voter's ink (it was flagged before)."""
    ctx, layout_page, page, expected = ballot
    feed = Feed(200, offset_mm=(12, 0), skew_deg=3)
    assert _partial(marks_inside(layout_page, feed)) == ["tr"]
    reading = read_ballot([feed_page(page, layout_page, feed)], ctx)
    assert (reading.status, reading.flagged) == ("valid", [])
    assert reading.pages[0].geometry.marks_found == ("bl", "br", "tl")  # type: ignore[union-attr]


def test_two_marks_lost_the_page_is_placed_by_its_qr_and_print(ballot):
    ctx, layout_page, page, expected = ballot
    feed = Feed(200, offset_mm=(-16, 0))  # both left marks half beyond the image
    assert _partial(marks_inside(layout_page, feed)) == ["bl", "tl"]
    image = feed_page(page, layout_page, feed)
    reading = read_ballot([image], ctx)
    assert reading.status == "valid"
    assert {s.target.id: s.state for s in reading.scores} == expected
    geometry = reading.pages[0].geometry
    assert geometry is not None and geometry.marks_found == ("br", "tr")
    # Placed within a point of where the sheet lies.
    truth, _ = _page_to_image(layout_page.width, layout_page.height, feed)
    small, scale = detection_image(image, SETTINGS)
    corners = np.array([[0, 0], [595, 0], [0, 842], [595, 842]], np.float64)
    placed = map_points(geometry.homography, corners) / scale
    true = corners @ truth[:, :2].T + truth[:, 2]
    assert np.linalg.norm(placed - true, axis=1).max() < 200 / 72


def test_targets_beyond_the_image_go_to_review_not_unmarked(ballot):
    ctx, layout_page, page, expected = ballot
    feed = Feed(200, offset_mm=(0, 155))  # the sheet beyond the image from 142 mm down
    reading = read_ballot([feed_page(page, layout_page, feed)], ctx)
    states = {s.target.id: (s.state, s.note) for s in reading.scores}
    unseen = [t for t, (state, note) in states.items() if note == "unseen"]
    assert unseen and all(states[t][0] == "ambiguous" for t in unseen)
    assert all(states[t][0] == expected[t] for t in states if t not in unseen)
    assert reading.status == "review" and "ambiguous_mark" in reading.reasons


def test_a_page_that_cannot_be_placed_is_unreadable_with_its_serial(ballot):
    """Its QR read but its print not matching the blank: the count sends it to the committee
    (tests/ballots/test_tally.py: page_unreadable is a review item, never a silent reject)."""
    ctx, layout_page, page, _ = ballot
    feed = Feed(200, offset_mm=(-16, 0))
    image = feed_page(page, layout_page, feed)
    # Everything but the QR's corner of the page painted over: nothing to align.
    h, w = image.shape[:2]
    image[:, : int(w * 0.55)] = 255
    image[int(h * 0.2) :, :] = 255
    reading = read_ballot([image], ctx)
    assert (reading.status, reading.reasons) == ("rejected", ["page_unreadable"])
    assert reading.serial == "AAAAAAAAAA"


def test_fit_page_drops_a_mark_found_in_the_wrong_place(ballot):
    ctx, layout_page, page, _ = ballot
    image = feed_page(page, layout_page, Feed(200))
    small, _ = detection_image(image, SETTINGS)
    marks = find_marks(small)
    assert len(marks) == 4
    moved = [
        type(m)(m.aruco_id, m.corners + (150.0 if m.aruco_id == 3 else 0.0)) for m in marks
    ]  # a look-alike of "br" 150 px off
    geometry = fit_page(moved, layout_page, SETTINGS)
    assert geometry is not None and geometry.marks_found == ("bl", "tl", "tr")


def test_qr_corners_are_where_the_layout_prints_the_symbol(ballot):
    ctx, layout_page, page, _ = ballot
    feed = Feed(300, skew_deg=-4)
    found = find_qr(feed_page(page, layout_page, feed))
    assert found is not None
    truth, _ = _page_to_image(layout_page.width, layout_page.height, feed)
    printed = qr_symbol_corners(layout_page, found.text) @ truth[:, :2].T + truth[:, 2]
    assert np.linalg.norm(found.corners - printed, axis=1).max() < 300 / 72  # within 1 pt


def test_a_sixty_name_list_on_one_page_reads_every_strike():
    """Sixty names in three tables print at 9-12 pt; the smallest name's grown print hid whole
    strikes at 100 dpi (2 of these 60 went to review), so such a layout is read finer."""
    election = make_election("strike", 60, seed=4)
    layout_page = election.layout.pages[0]
    assert len(election.layout.pages) == 1
    settings = settings_for_layout(election.layout)
    assert settings.working_dpi == 134.0
    assert settings_for_layout(make_election("strike", 30, seed=4).layout) == ReadingSettings()
    page = cv2.cvtColor(print_pages(election, ["AAAAAAAAAA"], 300)[0], cv2.COLOR_GRAY2BGR)
    kinds = {t.id: "strike" for t in layout_page.targets}
    draw_marks(page, layout_page, "strike", 300, np.random.default_rng(0), kinds)
    image = feed_page(page, layout_page, Feed(150, offset_mm=(3, -2), skew_deg=1.5))
    ctx = ReadingContext(
        election.layout,
        reference_pages(election.spec, election.layout, settings),
        election.private_key.public_key(),
        ElectionRules(election.spec.seats, True, False),
        settings,
    )
    assert [s.state for s in read_ballot([image], ctx).scores] == ["marked"] * 60
