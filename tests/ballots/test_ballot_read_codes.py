"""The reason codes are stable, and a ballot of another election is rejected as such."""

from __future__ import annotations

from dataclasses import replace

import cv2
import pytest

from ballots.reader import (
    REASONS,
    ElectionRules,
    ReadingContext,
    ReadingSettings,
    read_ballot,
    reference_pages,
)
from ballots.synth import make_election, print_pages

SETTINGS = ReadingSettings()


def test_reason_codes_and_their_status_are_stable():
    # Stored with every reading and documented in docs/ballot-reading.md: never renamed.
    assert REASONS == {
        "page_unreadable": "rejected",
        "serial_forged": "rejected",
        "wrong_election": "rejected",
        "serial_seen": "rejected",
        "seal_missing": "invalid",
        "more_than_seats": "invalid",
        "nobody_elected": "invalid",
        "missing_page": "review",
        "seal_unverifiable": "review",
        "ambiguous_mark": "review",
        "private_mark": "review",
    }
    assert list(REASONS) == [
        "page_unreadable", "serial_forged", "wrong_election", "serial_seen", "seal_missing",
        "more_than_seats", "nobody_elected", "missing_page", "seal_unverifiable",
        "ambiguous_mark", "private_mark",
    ]  # fmt: skip


@pytest.mark.parametrize("election_id, round_", [(8, 1), (7, 2)])
def test_another_election_or_round_is_rejected(election_id, round_):
    election = make_election("strike", 6, seats=4, seed=2)
    refs = reference_pages(election.spec, election.layout, SETTINGS)
    ctx = ReadingContext(
        election.layout, refs, election.private_key.public_key(),
        ElectionRules(4, True, False), SETTINGS,
    )  # fmt: skip
    other = replace(
        election,
        spec=replace(election.spec, election_id=election_id, round=round_),
        layout=replace(election.layout, election_id=election_id, round=round_),
    )
    gray = print_pages(other, ["DDDDDDDDDD"], 200)[0]  # signed with the same congress key
    reading = read_ballot([cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR)], ctx)
    assert (reading.status, reading.reasons) == ("rejected", ["wrong_election"])
    assert (reading.election_id, reading.round) == (election_id, round_)
    assert reading.scores == []
    # The same page of the right election is read: nobody struck, 6 names for 4 seats.
    own = read_ballot([print_pages(election, ["DDDDDDDDDD"], 200)[0]], ctx)
    assert (own.election_id, own.status, own.reasons) == (7, "invalid", ["more_than_seats"])
    assert [s.state for s in own.scores] == ["unmarked"] * 6
