"""The audit itself: the sample drawn, the hand readings compared, the risk and the conclusion.

A pure function of the closed count (ballots with their recorded outcomes, the tally), the
public seed, the settings and the members' hand readings, so the server and `congress ballots
verify` reach the same conclusion from the same record.

Each sampled ballot is read by two members; while they disagree it waits (they look again).
Their agreed reading is compared with the ballot's recorded outcome (the machine reading plus
the committee's decisions); the largest overstatement of any margin (0, 1 or 2 votes) counts.
The sample grows (escalates) until the risk is within the limit, up to every ballot: then the
hand count is the count, and the audit says whether it elects the same people.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from ballots.audit.hand import HandReading, hand_outcome, same_outcome
from ballots.audit.margins import Assertion, assertions, contribution, narrowest
from ballots.audit.risk import AuditSettings, p_value, sample_size
from ballots.audit.sampling import check_seed, ranked
from ballots.paper.layout import BallotLayout
from ballots.tally import (
    VOTE_CHOICE,
    BallotOutcome,
    CandidateInfo,
    CountFigures,
    TallyRules,
    tally,
)
from congress.i18n import N_

__all__ = ["CONCLUSION_NAMES", "AuditBallot", "AuditCount", "Conclusion", "run_audit"]

Conclusion = Literal["in_progress", "confirmed", "full_count_confirms", "full_count_differs"]
# What each conclusion says, on the pages, the minutes, the commands and verify's output.
CONCLUSION_NAMES: dict[str, str] = {
    "in_progress": N_("in progress: sampled ballots still to be read by two members"),
    "confirmed": N_("the outcome is confirmed within the risk limit"),
    "full_count_confirms": N_("full hand count: it elects the same candidates"),
    "full_count_differs": N_(
        "full hand count: it does NOT elect the same candidates; the committee must recount"
    ),
}


@dataclass(frozen=True)
class AuditBallot:
    ballot: str  # image SHA-256 (hex)
    serial: str | None
    outcome: Mapping[str, Any]  # the recorded final outcome {"status", "reasons", "choices"}
    where: str = ""  # stack and position, when the station recorded them


@dataclass(frozen=True)
class AuditCount:
    """What the audit needs of a closed count (from the database or from a bundle)."""

    layout: BallotLayout
    seats: int
    nobody_elected_invalid: bool
    result: Mapping[str, Any]  # the recorded tally (TallyResult.to_dict())
    candidates: Sequence[CandidateInfo]
    ballots: Sequence[AuditBallot]  # counted ballots; copies of a serial left out


def _latest(readings: Sequence[HandReading]) -> dict[tuple[str, int], HandReading]:
    out: dict[tuple[str, int], HandReading] = {}
    for reading in readings:
        out[(reading.ballot, reading.slot)] = reading
    return out


def _overstatement(
    found: Sequence[Assertion], recorded: Mapping[str, Any], actual: Mapping[str, Any], vote: str,
    base_is_valid: bool,
) -> int:  # fmt: skip
    """The largest overstatement of any margin by this ballot's recorded outcome (0, 1, 2);
    understatements count as none (conservative)."""
    if same_outcome(recorded, actual):
        return 0  # the usual case, spared the thousands of pairs of a long list
    worst = 0
    for a in found:
        over = contribution(a, recorded, vote, base_is_valid) - contribution(
            a, actual, vote, base_is_valid
        )
        worst = max(worst, over)
    return min(worst, 2)


def run_audit(
    count: AuditCount,
    seed: str,
    settings: AuditSettings,
    readings: Sequence[HandReading],
) -> dict[str, Any]:
    """The audit as it stands (JSON data, the record's "report")."""
    seed = check_seed(seed)
    settings = settings.check()
    found = assertions(count.result)
    margin = min((a.margin for a in found), default=0)
    total = len(count.ballots)
    by_ballot = {b.ballot: b for b in count.ballots}
    order = ranked(seed, by_ballot)
    vote = VOTE_CHOICE[count.result["rules"]["form"]]
    assert vote is not None
    base_is_valid = count.result["bases"]["threshold"]["name"] == "valid"
    latest = _latest(readings)
    initial = sample_size(settings, margin, total)
    stages = [initial]
    n = initial
    sampled: list[dict[str, Any]] = []
    while True:
        sampled = [
            _sampled(count, by_ballot[t.ballot], t.ticket, i, latest)
            for i, t in enumerate(order[:n], 1)
        ]
        for s in sampled:
            if s["agreed"] is not None:
                s["overstatement"] = _overstatement(
                    found, s["recorded"], s["agreed"], vote, base_is_valid
                )
        if any(s["agreed"] is None for s in sampled):
            status: Conclusion = "in_progress"
            break
        n1 = sum(1 for s in sampled if s["overstatement"] == 1)
        n2 = sum(1 for s in sampled if s["overstatement"] == 2)
        if n >= total:
            status = _full_count(count, sampled)
            break
        if p_value(settings, margin, total, n, n1, n2) <= settings.alpha:
            status = "confirmed"
            break
        n = sample_size(settings, margin, total, n1, n2)
        stages.append(n)
    n1 = sum(1 for s in sampled if s.get("overstatement") == 1)
    n2 = sum(1 for s in sampled if s.get("overstatement") == 2)
    read = sum(1 for s in sampled if s["agreed"] is not None)
    return {
        "seed": seed,
        "settings": settings.to_dict(),
        "ballots": total,
        "margin": margin,
        "margins": [a.to_dict() for a in narrowest(found)],
        "stages": stages,
        "sample_size": n,
        "full_hand_count": n >= total,
        "sample": sampled,
        "read": read,
        "disagreements": sum(1 for s in sampled if s["members_disagree"]),
        "discrepancies": sum(1 for s in sampled if s["discrepancy"]),
        "one_vote_overstatements": n1,
        "two_vote_overstatements": n2,
        "risk": f"{p_value(settings, margin, total, read, n1, n2):.6f}",
        "conclusion": status,
    }


def _sampled(
    count: AuditCount,
    ballot: AuditBallot,
    ticket: str,
    position: int,
    latest: Mapping[tuple[str, int], HandReading],
) -> dict[str, Any]:
    outcomes: list[dict[str, Any] | None] = []
    members: list[str | None] = []
    for slot in (1, 2):
        reading = latest.get((ballot.ballot, slot))
        members.append(reading.member if reading else None)
        outcomes.append(
            hand_outcome(count.layout, reading, count.seats, count.nobody_elected_invalid).to_dict()
            if reading
            else None
        )
    first, second = outcomes
    both = first is not None and second is not None
    disagree = both and not same_outcome(first or {}, second or {})
    agreed = first if both and not disagree else None
    recorded = dict(ballot.outcome)
    return {
        "position": position,
        "ballot": ballot.ballot,
        "serial": ballot.serial,
        "where": ballot.where,
        "ticket": ticket,
        "recorded": recorded,
        "members": members,
        "hand": outcomes,
        "members_disagree": disagree,
        "agreed": agreed,
        "discrepancy": agreed is not None and not same_outcome(agreed, recorded),
        "overstatement": None,
    }


def _full_count(count: AuditCount, sampled: Sequence[Mapping[str, Any]]) -> Conclusion:
    """Every ballot read by hand: the hand count's result against the recorded one."""
    r = count.result
    rules = TallyRules(**{k: r["rules"][k] for k in (
        "form", "seats", "threshold_base", "percentage_base", "tie_rule")})  # fmt: skip
    f = r["figures"]
    figures = CountFigures(f["summoned"], f["present"], f["issued"], f["collected"])
    outcomes = [
        BallotOutcome(s["agreed"]["status"], tuple(s["agreed"]["reasons"]), s["agreed"]["choices"])
        for s in sampled
    ]
    by_hand = tally(rules, list(count.candidates), figures, outcomes).to_dict()
    same = all(by_hand[k] == r[k] for k in ("elected", "tie", "decided_by_age", "seats_left"))
    return "full_count_confirms" if same else "full_count_differs"
