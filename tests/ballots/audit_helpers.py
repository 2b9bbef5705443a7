"""Helpers for the hand-audit tests: a closed count of synthetic ballots, and readings of them."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from functools import cache

from ballots.audit.comparison import AuditBallot, AuditCount
from ballots.audit.hand import HandReading
from ballots.paper.design import BallotSpec, build_layout
from ballots.paper.layout import BallotLayout
from ballots.tally import CandidateInfo, CountFigures, TallyRules, marks_outcome, tally

NAMES = ["Nguyễn Thị An", "Phạm Đức Anh", "Trần Văn Bình", "Lê Minh Châu", "Vũ Thu Hà"]
SEED = "38475610293847561029"


@cache
def layout(seats: int = 2) -> BallotLayout:
    return build_layout(
        BallotSpec(
            election_id=3,
            round=1,
            form="strike",
            seats=seats,
            organisation="ĐOÀN TNCS HỒ CHÍ MINH",
            title="Bầu Ban Chấp hành",
            items=NAMES,
        )
    )


def struck_for(elected: set[str] | None) -> list[str]:
    """The targets a voter strikes to elect `elected` (None: strikes nobody, an over-vote)."""
    items = [i.id for i in layout().items]
    return [] if elected is None else [f"{i}.strike" for i in items if i not in elected]


def closed_count(
    ballots: Sequence[set[str] | None], *, seats: int = 2, base: str = "valid"
) -> AuditCount:
    """A closed count of these ballots (the items each elects; None: strikes nobody)."""
    lay = layout(seats)
    audit_ballots = []
    outcomes = []
    for index, elected in enumerate(ballots):
        chosen = set(struck_for(elected))
        states = {t.id: ("marked" if t.id in chosen else "unmarked") for t in lay.targets()}
        outcome = marks_outcome(lay, states, seats, True)
        outcomes.append(outcome)
        digest = hashlib.sha256(f"ballot {index}".encode()).hexdigest()
        audit_ballots.append(AuditBallot(digest, f"S{index:05d}", outcome.to_dict()))
    candidates = [CandidateInfo(i.id, i.label) for i in lay.items]
    n = len(ballots)
    result = tally(
        TallyRules("strike", seats, base, "valid", "new_round"),
        candidates,
        CountFigures(n, n, n, n),
        outcomes,
    ).to_dict()
    return AuditCount(lay, seats, True, result, candidates, audit_ballots)


def votes_count(an: int, anh: int, binh: int, total: int = 440) -> list[set[str] | None]:
    """Ballots electing c001 on `an`, c002 on `anh`, c003 on `binh` of them (at most two each),
    the rest over-votes; the counts must fit two names a ballot."""
    out: list[set[str] | None] = []
    left = {"c001": an, "c002": anh, "c003": binh}
    for _ in range(total):
        chosen = {i for i in sorted(left, key=lambda i: -left[i])[:2] if left[i] > 0}
        for i in chosen:
            left[i] -= 1
        out.append(chosen or None)
    assert not any(left.values())
    return out


def faithful(count: AuditCount, ballot: str, slot: int, member: str) -> HandReading:
    """A member's reading that says what the recorded outcome says."""
    found = next(b for b in count.ballots if b.ballot == ballot)
    choices = found.outcome["choices"]
    elected = {i for i, c in choices.items() if c == "elect"} if choices else None
    return HandReading.make(count.layout, ballot, slot, member, struck_for(elected))
