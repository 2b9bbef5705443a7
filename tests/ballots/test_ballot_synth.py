"""The synthetic corpus is deterministic and the reader meets the accuracy targets on a small one."""

from __future__ import annotations

from collections import Counter

import numpy as np

from ballots.reading.reader import (
    ElectionRules,
    ReadingContext,
    ReadingSettings,
    read_ballot,
    reference_pages,
)
from ballots.reading.synth import BOX_KINDS, STRIKE_KINDS, generate, make_election


def test_same_seed_same_images():
    election = make_election("strike", 8, seed=1)
    a = [p.image for p in generate(election, 2, seed=9)]
    b = [p.image for p in generate(election, 2, seed=9)]
    c = [p.image for p in generate(election, 2, seed=10)]
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    assert not np.array_equal(a[0], c[0])


def test_every_kind_has_an_expected_state():
    assert STRIKE_KINDS["circle"] == STRIKE_KINDS["partial"] == "ambiguous"
    assert STRIKE_KINDS["underline"] == "unmarked" and BOX_KINDS["slash"] == "marked"


def _accuracy(form: str, mode: str, ballots: int, seed: int) -> tuple[int, Counter, int]:
    election = make_election(form, 30, seed=seed)
    settings = ReadingSettings()
    refs = reference_pages(election.spec, election.layout, settings)
    ctx = ReadingContext(
        election.layout, refs, election.private_key.public_key(),
        ElectionRules(election.spec.seats, True, True), settings,
    )  # fmt: skip
    wrong = total = 0
    outcome: Counter = Counter()
    # The first corpus (three pens, its kinds): the widened one, every pen from 0.15-mm pencil
    # to felt tip, is tests/ballots/test_reader_accuracy.py's and the benchmark's.
    pages = generate(election, ballots, seed=seed, mode=mode, phone_size=(2000, 1500), wide=False)  # type: ignore[arg-type]
    for page in pages:
        reading = read_ballot([page.image], ctx)
        states = {s.target.id: s.state for s in reading.scores}
        assert states, reading.reasons
        for truth in page.truth:
            state = states[truth.target]
            total += 1
            outcome[(truth.expected, state)] += 1
            if {truth.expected, state} == {"marked", "unmarked"}:
                wrong += 1
    return wrong, outcome, total


def test_no_wrong_calls_on_scanner_strike_ballots():
    wrong, outcome, total = _accuracy("strike", "scanner", 8, 21)
    assert total == 240
    assert wrong == 0, outcome
    # clear marks are never sent to review more than rarely
    clear = outcome[("marked", "marked")] + outcome[("unmarked", "unmarked")]
    clear_total = sum(v for (e, _), v in outcome.items() if e != "ambiguous")
    assert clear >= 0.99 * clear_total, outcome
    # doubtful marks are never counted as a vote either way the wrong way round
    assert outcome[("ambiguous", "marked")] == 0, outcome


def test_no_wrong_calls_on_box_ballots_and_phone_photos():
    wrong, outcome, total = _accuracy("agree", "scanner", 3, 22)
    assert wrong == 0, outcome
    assert outcome[("ambiguous", "marked")] == 0, outcome
    wrong, outcome, total = _accuracy("strike", "phone", 2, 23)
    assert wrong == 0, outcome
    clear_total = sum(v for (e, _), v in outcome.items() if e != "ambiguous")
    assert outcome[("marked", "marked")] + outcome[("unmarked", "unmarked")] >= 0.97 * clear_total
