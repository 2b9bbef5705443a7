"""Issue 17: every mark kind of the widened corpus read as it must be, one image per kind built
here, and the rule that visible ink is never read `unmarked` (a score of 0 means no ink)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from ballots.reading.reader import (
    ElectionRules,
    ReadingContext,
    ReadingSettings,
    read_ballot,
    reference_pages,
)
from ballots.reading.synth import (
    BOX_KINDS,
    STRIKE_KINDS,
    WIDE_PENS,
    _stroke,
    draw_marks,
    make_election,
    photocopy,
    print_pages,
    scanner_degrade,
)

SETTINGS = ReadingSettings()
PRINT_DPI = 300
PENS = {pen.name: pen for pen in WIDE_PENS}


class Form:
    """A small election of one form, its reading context and its blank printed page."""

    def __init__(self, form: str, items: int, seed: int) -> None:
        self.election = make_election(form, items, seats=max(1, items - 1), seed=seed)
        layout = self.election.layout
        self.context = ReadingContext(
            layout,
            reference_pages(self.election.spec, layout, SETTINGS),
            self.election.private_key.public_key(),
            ElectionRules(self.election.spec.seats, True, False),
            SETTINGS,
        )
        self.page = layout.pages[0]
        self.blank = cv2.cvtColor(
            print_pages(self.election, ["KKKKKKKKKK"], PRINT_DPI)[0], cv2.COLOR_GRAY2BGR
        )

    def read(self, image: np.ndarray) -> dict[str, tuple[str, float, str | None]]:
        reading = read_ballot([image], self.context)
        assert reading.scores, reading.reasons
        return {s.target.id: (s.state, s.score, s.note) for s in reading.scores}


@pytest.fixture(scope="module")
def strike_form() -> Form:
    return Form("strike", 6, 17)


@pytest.fixture(scope="module")
def box_form() -> Form:
    return Form("agree", 3, 17)


def _scan(page: np.ndarray, seed: int, dpi: float = 200.0, gray: bool = False) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return scanner_degrade(
        page, rng, PRINT_DPI, False, 1.0 if gray else 0.0, (dpi,), jpeg_quality=(80, 95)
    )


def _marked_page(form: Form, target: int, kind: str, pen: str, seed: int) -> tuple[np.ndarray, str]:
    """The blank with `kind` drawn by `pen` on one target, every other target left clean."""
    page = form.blank.copy()
    ids = [t.id for t in form.page.targets]
    choose = {i: ("none" if n != target else kind) for n, i in enumerate(ids)}
    rng = np.random.default_rng(seed)
    draw_marks(page, form.page, form.election.layout.form, PRINT_DPI, rng, choose, True, PENS[pen])
    return page, ids[target]


@pytest.mark.parametrize("kind", sorted(set(STRIKE_KINDS) - {"none"}))
def test_each_strike_kind_reads_as_expected(strike_form, kind):
    # the middle name: an underline or a circle of one name never reaches the next
    page, target = _marked_page(strike_form, 2, kind, "ballpoint_blue", 5)
    states = strike_form.read(_scan(page, 6))
    state, score, note = states[target]
    assert state == STRIKE_KINDS[kind], (kind, state, score, note)
    # the names left clean are read clean
    others = [v for k, v in states.items() if k != target]
    assert all(s == "unmarked" for s, _, _ in others), states


@pytest.mark.parametrize("kind", sorted(set(BOX_KINDS) - {"none"}))
def test_each_box_kind_reads_as_expected(box_form, kind):
    page, target = _marked_page(box_form, 2, kind, "ballpoint_black", 7)
    states = box_form.read(_scan(page, 8))
    state, score, note = states[target]
    assert state == BOX_KINDS[kind], (kind, state, score, note)
    if kind == "circle_around":
        assert note == "around" and score == 0.0  # nothing inside the box: its score is 0
    others = [v for k, v in states.items() if k != target]
    assert all(s == "unmarked" and score == 0.0 for s, score, _ in others), states


@pytest.mark.parametrize(
    "pen, dpi, gray, kind",
    [
        ("pencil_2H", 150, True, "slash"),
        ("pencil_2H", 200, False, "backslash"),
        ("pencil_2H", 300, True, "slash"),
        ("gel_fine_black", 150, False, "backslash"),
        ("gel_fine_black", 200, True, "slash"),
        ("gel_fine_black", 300, False, "backslash"),
    ],
)
def test_a_015_mm_slash_in_a_box_is_a_vote(box_form, pen, dpi, gray, kind):
    # The reported failure: a thin slash read `unmarked`, score 0.00 (the 100-dpi ink
    # threshold and the 200-dpi check's 2x2 core erased the line).
    assert PENS[pen].width_mm == 0.15
    page, target = _marked_page(box_form, 0, kind, pen, dpi)
    state, score, note = box_form.read(_scan(page, dpi, dpi, gray))[target]
    assert state == "marked" and score >= SETTINGS.box_fine_marked, (state, score, note)


def _line(page: np.ndarray, a: tuple[float, float], b: tuple[float, float], grey: int,
          width_mm: float, seed: int) -> None:  # fmt: skip
    """A straight line between two layout points (pt), `width_mm` wide, even pressure."""
    scale = PRINT_DPI / 72
    pen = PENS["gel_fine_black"]
    points = np.array([a, b], np.float64) * scale
    rng = np.random.default_rng(seed)
    flat = type(pen)(pen.name, (grey, grey, grey), width_mm, 0.0, 0.0, 0.0)
    _stroke(page, points, (grey, grey, grey), width_mm * PRINT_DPI / 25.4, rng, flat, PRINT_DPI,
            ruler=True)  # fmt: skip


@pytest.mark.parametrize("grey", [60, 150])
def test_visible_ink_in_a_box_is_never_unmarked_and_score_0_means_no_ink(box_form, grey):
    # a short 0.15-mm line (2 mm) and a 3-mm one, dark and light, in two boxes; a speck of
    # dust-sized ink is not a mark; the clean boxes read 0 exactly.
    page = box_form.blank.copy()
    targets = box_form.page.targets
    for n, length_mm in ((0, 2.0), (3, 3.0)):
        x0, y0, x1, y1 = targets[n].box
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        half = length_mm * 72 / 25.4 / 2
        _line(page, (cx - half, cy - 1), (cx + half, cy + 1), grey, 0.15, n)
    states = box_form.read(_scan(page, grey))
    for n, target in enumerate(targets):
        state, score, note = states[target.id]
        if n in (0, 3):
            assert state != "unmarked" and score > 0, (target.id, state, score, note)
        else:
            assert state == "unmarked" and score == 0.0, (target.id, state, score, note)


def test_a_thin_strike_through_a_name_is_never_unmarked(strike_form):
    # A 0.15-mm line of hard pencil through names, scanned at 150 dpi, photocopied or not:
    # struck, or at the least in review; the clean names stay clean.
    for copy in (False, True):
        page = strike_form.blank.copy()
        targets = strike_form.page.targets
        for n in (1, 3):
            x0, y0, x1, y1 = targets[n].box
            cy = y0 + 0.55 * (y1 - y0)
            _line(page, (x0 - 6, cy), (x1 + 6, cy + 0.5), 150, 0.15, n)
        if copy:
            page = photocopy(page, np.random.default_rng(3))
        states = strike_form.read(_scan(page, 9 + copy, 150, True))
        for n, target in enumerate(targets):
            state, score, note = states[target.id]
            if n in (1, 3):
                assert state != "unmarked" and score > 0, (copy, target.id, state, score)
            else:
                assert state == "unmarked", (copy, target.id, state, score, note)
