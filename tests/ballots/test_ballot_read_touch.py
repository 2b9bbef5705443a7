"""Short ticks and light touches on a name, mostly hidden by its letters, go to review."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from ballots.reading.marks import darkness, reference_darkness, residual_columns
from ballots.reading.reader import (
    ElectionRules,
    ReadingContext,
    ReadingSettings,
    read_ballot,
    reference_pages,
)
from ballots.reading.synth import draw_marks, make_election, print_pages, scanner_degrade

SETTINGS = ReadingSettings()


@pytest.fixture(scope="module")
def strike():
    election = make_election("strike", 12, seats=8, seed=5)
    refs = reference_pages(election.spec, election.layout, SETTINGS)
    ctx = ReadingContext(
        election.layout,
        refs,
        election.private_key.public_key(),
        ElectionRules(election.spec.seats, True, False),
        SETTINGS,
    )
    return election, refs, ctx


def test_residual_ignores_a_shifted_blank_but_not_ink():
    rng = np.random.default_rng(1)
    blank = np.full((40, 200), 255, np.uint8)
    for x in range(10, 190, 9):  # letters
        blank[12:28, x : x + 4] = 20
        blank[12:15, x : x + 8] = 20
    ref = reference_darkness(blank, SETTINGS)
    shifted = np.roll(np.roll(blank, 2, axis=1), -1, axis=0)
    noisy = np.clip(shifted.astype(int) + rng.normal(0, 3, shifted.shape), 0, 255).astype(np.uint8)
    box = (5, 10, 195, 30)
    assert residual_columns(darkness(noisy, SETTINGS), ref, box, SETTINGS) == 0
    ticked = noisy.copy()
    cv2.line(ticked, (60, 16), (90, 24), 40, 2)
    found = residual_columns(darkness(ticked, SETTINGS), ref, box, SETTINGS)
    assert found >= SETTINGS.residual_columns


@pytest.mark.parametrize("seed", [11, 12])
def test_ticks_and_light_touches_are_ambiguous(strike, seed):
    election, _, ctx = strike
    layout_page = election.layout.pages[0]
    ids = [t.id for t in layout_page.targets]
    kinds = {ids[0]: "tick", ids[2]: "light_touch", ids[4]: "tick", ids[6]: "light_touch"}
    kinds.update({ids[n]: "strike" for n in (8, 9, 10)})
    choose = {i: kinds.get(i, "none") for i in ids}
    gray = print_pages(election, ["AAAAAAAAAA"], 200)[0]
    page = cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR)
    rng = np.random.default_rng(seed)
    draw_marks(page, layout_page, "strike", 200, rng, choose)
    scan = scanner_degrade(page, rng, 200)
    reading = read_ballot([scan], ctx)
    states = {s.target.id: (s.state, s.note) for s in reading.scores}
    assert sum(note == "touch" for _, note in states.values()) >= 2
    for target, kind in choose.items():
        state, note = states[target]
        if kind in ("tick", "light_touch"):
            # A long enough tick already scores in the marginal band; a short one is "touch".
            assert state == "ambiguous" and note in (None, "touch"), (target, kind)
        elif kind == "strike":
            assert state == "marked", target
        else:
            assert state == "unmarked", target
    assert reading.status == "review" and "ambiguous_mark" in reading.reasons
