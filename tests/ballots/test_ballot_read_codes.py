"""The reason codes are stable, and a ballot of another election is rejected as such."""

from __future__ import annotations

from dataclasses import replace

import cv2
import pytest

from ballots.reading.reader import (
    ElectionRules,
    ReadingContext,
    ReadingSettings,
    read_ballot,
    reference_pages,
)
from ballots.reading.synth import make_election, print_pages
from ballots.reasons import READER_REASONS as REASONS

SETTINGS = ReadingSettings()


def test_reason_codes_and_their_status_are_stable():
    # Stored with every reading and documented in docs/ballot-reading.md: never renamed (codes
    # may be added: low_resolution came with reader version 2).
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
        "low_resolution": "review",
        "ambiguous_mark": "review",
        "private_mark": "review",
    }
    assert list(REASONS) == [
        "page_unreadable", "serial_forged", "wrong_election", "serial_seen", "seal_missing",
        "more_than_seats", "nobody_elected", "missing_page", "seal_unverifiable",
        "low_resolution", "ambiguous_mark", "private_mark",
    ]  # fmt: skip


def _six_names(seats: int) -> tuple:
    """An election of 6 names (seats `seats`, no seal) and its reading context."""
    election = make_election("strike", 6, seats=4, seed=2)
    refs = reference_pages(election.spec, election.layout, SETTINGS)
    ctx = ReadingContext(
        election.layout, refs, election.private_key.public_key(),
        ElectionRules(seats, True, False), SETTINGS,
    )  # fmt: skip
    return election, ctx


def _at_dpi(page, dpi: int):
    """A page printed at 300 dpi as a scanner sampling it at `dpi` sees it."""
    return cv2.resize(page, None, fx=dpi / 300, fy=dpi / 300, interpolation=cv2.INTER_AREA)


@pytest.mark.parametrize("election_id, round_", [(8, 1), (7, 2)])
def test_another_election_or_round_is_rejected(election_id, round_):
    election, ctx = _six_names(4)
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


def test_a_page_sampled_coarser_than_min_dpi_goes_to_review():
    # A light touch on a 3-MP photo (the sheet at 120-145 dpi) can be too faint to find; such
    # a ballot is never counted without the committee. A 150-dpi scan is not coarse.
    election, ctx = _six_names(6)
    page = print_pages(election, ["DDDDDDDDDD"], 300)[0]
    read = {dpi: read_ballot([_at_dpi(page, dpi)], ctx) for dpi in (150, 140)}
    assert (read[150].status, read[150].reasons) == ("valid", [])
    assert read[150].pages[0].dpi == pytest.approx(150, abs=0.5)
    assert (read[140].status, read[140].reasons) == ("review", ["low_resolution"])
    assert read[140].pages[0].dpi == pytest.approx(140, abs=0.5)
    assert read[140].to_dict()["pages"][0]["dpi"] == round(read[140].pages[0].dpi, 1)
    # Every target is still read and scored; the committee sees them with the scan.
    assert [s.state for s in read[140].scores] == ["unmarked"] * 6
    # Nobody struck: 6 names for 4 seats is invalid on a fine scan; on a coarse one a light
    # touch may be hidden in any name, so the committee, not the machine, decides.
    strict = replace(ctx, rules=ElectionRules(4, True, False))
    assert read_ballot([_at_dpi(page, 150)], strict).reasons == ["more_than_seats"]
    coarse = read_ballot([_at_dpi(page, 140)], strict)
    assert (coarse.status, coarse.reasons) == ("review", ["low_resolution"])
    relaxed = replace(ctx, settings=replace(SETTINGS, min_dpi=130.0))
    assert read_ballot([_at_dpi(page, 140)], relaxed).status == "valid"


def test_a_pdf_is_read_at_its_scanned_image_resolution_at_most():
    # A scanner's PDF of a 140-dpi image is as coarse as the image: rendering it at 200 dpi
    # would hide that. A 300-dpi image is read at 200 dpi.
    import io

    from PIL import Image

    from ballots.reading.imageio import load_bytes

    election, ctx = _six_names(6)
    page = print_pages(election, ["DDDDDDDDDD"], 300)[0]
    seen = {}
    for dpi in (140, 150, 300):
        buffer = io.BytesIO()
        Image.fromarray(_at_dpi(page, dpi)).save(buffer, format="PDF", resolution=float(dpi))
        (scanned_page,) = load_bytes(buffer.getvalue(), "scan.pdf").pages
        assert abs(scanned_page.shape[1] - page.shape[1] * min(dpi, 200) / 300) <= 1
        reading = read_ballot([scanned_page], ctx)
        seen[dpi] = (reading.reasons, round(reading.pages[0].dpi or 0))
    assert seen == {140: (["low_resolution"], 140), 150: ([], 150), 300: ([], 200)}
