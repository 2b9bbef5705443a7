"""The demo's ballots, read as the demo's station reads them: its 40 names, printed, filled and
scanned at 150 dpi in colour into one PDF a ballot. Real names once sent clean ballots to review
(a print-edge difference read as a light touch); the names of a real list must not."""

from __future__ import annotations

import csv
import io
import random
from collections import Counter
from dataclasses import dataclass

import numpy as np
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ballots.demo import DEMO_SEATS, _candidates, filled_scans
from ballots.paper.design import BallotSpec, build_layout
from ballots.paper.layout import BallotLayout
from ballots.paper.pdf import render_ballots
from ballots.paper.serials import ballot_page_tokens
from ballots.reading.imageio import load_bytes
from ballots.reading.reader import (
    ElectionRules,
    ReadingContext,
    ReadingSettings,
    read_files,
    reference_pages,
)
from ballots.reading.synth import serials_for

DEMO_SEED = 2026  # `congress demo`'s default seed


@dataclass
class DemoElection:
    spec: BallotSpec
    layout: BallotLayout
    key: Ed25519PrivateKey


def demo_election(seed: int = DEMO_SEED) -> DemoElection:
    """The demo's election as `congress demo` builds it: the same 40 names in the same order."""
    rows = list(csv.DictReader(io.StringIO(_candidates(random.Random(seed + 5)).decode())))
    spec = BallotSpec(
        election_id=1,
        round=1,
        form="strike",
        seats=DEMO_SEATS,
        organisation="ĐOÀN TNCS HỒ CHÍ MINH\nTHÀNH ĐOÀN HÀ NỘI",
        title="Bầu Ban Chấp hành Thành Đoàn khóa XVIII",
        items=[row["Họ và tên"] for row in rows],
        sitting_label="Hà Nội, ngày 23/11/2026",
        seal_required=True,
    )
    key = Ed25519PrivateKey.from_private_bytes(random.Random(seed).randbytes(32))
    return DemoElection(spec, build_layout(spec), key)


def read_demo_ballots(count: int, seed: int) -> Counter:
    """(kind, meant, read) counts over `count` demo ballots, each filled and scanned as the demo
    does it and read from its file bytes as the station reads it."""
    election = demo_election()
    settings = ReadingSettings()
    context = ReadingContext(
        election.layout,
        reference_pages(election.spec, election.layout, settings),
        election.key.public_key(),
        ElectionRules(DEMO_SEATS, True, True),
        settings,
    )
    serials = serials_for(np.random.default_rng(seed), count)
    tokens = ballot_page_tokens(election.key, 1, 1, len(election.layout.pages), serials)
    pdf = io.BytesIO()
    render_ballots(election.spec, election.layout, tokens, pdf)
    outcome: Counter = Counter()
    for index, kinds, meant, data, suffix in filled_scans(pdf.getvalue(), election.layout, seed):
        (reading,) = read_files([load_bytes(data, f"phieu-{index}{suffix}")], context)
        # A 150-dpi colour scan: identified, whole, sealed, and not too coarse.
        assert not {
            "page_unreadable", "serial_forged", "missing_page", "seal_missing",
            "seal_unverifiable", "low_resolution",
        } & set(reading.reasons), reading.reasons  # fmt: skip
        states = {s.target.id: s.state for s in reading.scores}
        assert set(states) == set(meant)
        for target, state in states.items():
            kind = kinds[target]
            expected = "ambiguous" if kind in ("partial", "light_touch") else meant[target]
            outcome[(kind, expected, state)] += 1
    return outcome


def test_the_demo_names_read_clean_on_the_demo_scans():
    outcome = read_demo_ballots(12, seed=7)
    wrong = {k: v for k, v in outcome.items() if {k[1], k[2]} == {"marked", "unmarked"}}
    assert wrong == {}, outcome
    doubtful = {k: v for k, v in outcome.items() if k[1] == "ambiguous"}
    assert all(state == "ambiguous" for _, _, state in doubtful), outcome
    clear = sum(v for k, v in outcome.items() if k[1] != "ambiguous")
    reviewed = sum(v for k, v in outcome.items() if k[1] != "ambiguous" and k[2] == "ambiguous")
    # 12 ballots of 40 names: at most 1% of the clear targets (4 of 480) sent to review.
    assert clear == 12 * 40 - sum(doubtful.values())
    assert reviewed <= 0.01 * clear, outcome
