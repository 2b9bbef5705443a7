"""The hand audit's pure core: consistent sampling, Stark's sample size, margins, conclusions."""

from __future__ import annotations

import hashlib
import math

import pytest
from scipy.stats import chi2

from ballots.audit.comparison import run_audit
from ballots.audit.hand import HandReading
from ballots.audit.margins import assertions, narrowest
from ballots.audit.risk import AuditSettings, p_value, sample_size
from ballots.audit.sampling import check_seed, ranked, ticket
from congress.errors import CongressError
from tests.ballots.audit_helpers import SEED, closed_count, faithful, struck_for, votes_count

BALLOTS = [hashlib.sha256(f"ballot {i}".encode()).hexdigest() for i in range(440)]
ALPHA = AuditSettings()


def test_the_sample_is_the_same_for_the_same_seed_and_another_for_another() -> None:
    first = [t.ballot for t in ranked(SEED, BALLOTS)]
    assert first == [t.ballot for t in ranked(SEED, list(reversed(BALLOTS)))]
    assert sorted(first) == sorted(BALLOTS)
    other = [t.ballot for t in ranked("1" + SEED[1:], BALLOTS)]
    assert other[:20] != first[:20]
    # The ticket is SHA-256 of "<seed>,<hash>": anyone can recompute it with standard tools.
    top = ranked(SEED, BALLOTS)[0]
    assert top.ticket == hashlib.sha256(f"{SEED},{top.ballot}".encode()).hexdigest()
    assert top.ticket == ticket(SEED, top.ballot)
    # Spaces typed between groups of digits do not change the seed.
    assert check_seed("38475 61029 38475 61029") == SEED


@pytest.mark.parametrize("seed", ["123", "1" * 65, "3847561029384756102a", "", "١" * 20])
def test_a_seed_is_20_to_64_digits(seed: str) -> None:
    with pytest.raises(CongressError) as err:
        check_seed(seed)
    assert err.value.code == "bad_seed"


def test_the_sample_is_uniform_over_many_seeds() -> None:
    """Every ballot of 440 as likely to be drawn: chi-square over 1,000 seeds of 20 ballots."""
    seeds, size = 1000, 20
    drawn = dict.fromkeys(BALLOTS, 0)
    first = dict.fromkeys(BALLOTS, 0)
    for s in range(seeds):
        order = ranked(f"{s:020d}", BALLOTS)
        first[order[0].ballot] += 1
        for t in order[:size]:
            drawn[t.ballot] += 1
    expected = seeds * size / len(BALLOTS)
    statistic = sum((n - expected) ** 2 / expected for n in drawn.values())
    # Fails for a sampler that favours some ballots (p < 0.001), and for one too even to be
    # random (a rotation would give a statistic near 0).
    assert chi2.ppf(0.001, len(BALLOTS) - 1) < statistic < chi2.ppf(0.999, len(BALLOTS) - 1)
    assert max(first.values()) < 12  # no ballot comes first for many seeds (expected 2.3)


def _formula(alpha: float, margin: int, ballots: int, n1: int = 0, n2: int = 0) -> int:
    """Stark 2010 written out again: the smallest n with P <= alpha."""
    g = 1.03905
    top = math.log(alpha) + n1 * math.log(1 - 1 / (2 * g)) + n2 * math.log(1 - 1 / g)
    return math.ceil(top / math.log(1 - (margin / ballots) / (2 * g)))


def test_sample_size_by_the_formula_with_worked_examples() -> None:
    # docs/audit.md: 440 ballots, margin 20 votes, risk limit 5%, gamma 1.03905: 136 ballots.
    exact = math.log(0.05) / math.log(1 - (20 / 440) / (2 * 1.03905))
    assert sample_size(ALPHA, 20, 440) == math.ceil(exact) == 136
    assert p_value(ALPHA, 20, 440, 136, 0, 0) <= 0.05 < p_value(ALPHA, 20, 440, 135, 0, 0)
    # A wider margin needs fewer; a smaller risk limit more.
    assert sample_size(ALPHA, 100, 440) == _formula(0.05, 100, 440) == 26
    assert sample_size(AuditSettings("0.01"), 20, 440) == _formula(0.01, 20, 440) == 209
    # One overstatement: the sample that would still confirm grows.
    assert sample_size(ALPHA, 20, 440, 1, 0) == _formula(0.05, 20, 440, 1, 0) == 166
    assert sample_size(ALPHA, 20, 440, 0, 1) == _formula(0.05, 20, 440, 0, 1) == 284
    # A tied margin, or a margin so narrow the bound passes N: every ballot by hand.
    assert sample_size(ALPHA, 0, 440) == 440
    assert _formula(0.05, 1, 440) == 2738 and sample_size(ALPHA, 1, 440) == 440
    assert sample_size(ALPHA, 5, 0) == 0


@pytest.mark.parametrize("limit", ["0", "1", "-0.05", "abc", "NaN", "0.6"])
def test_risk_limit_bounds(limit: str) -> None:
    with pytest.raises(CongressError) as err:
        AuditSettings(limit).check()
    assert err.value.code == "bad_risk_limit"


def test_the_deciding_margins_of_a_count() -> None:
    count = closed_count(votes_count(260, 240, 140))
    found = assertions(count.result)
    assert [(a.kind, a.winner, a.loser, a.margin) for a in narrowest(found)] == [
        ("fail", None, "c003", 41),  # 320 valid ballots: c003 needs 161 to pass, has 140
        ("pair", "c002", "c003", 100),  # last elected 240 against first not elected 140
        ("pass", "c002", None, 160),  # 2 x 240 - 320
    ]
    assert min(a.margin for a in found) == 41


def _all_read(count, order, size):  # type: ignore[no-untyped-def]
    readings = []
    for t in order[:size]:
        readings += [faithful(count, t.ballot, 1, "Lan"), faithful(count, t.ballot, 2, "Minh")]
    return readings


def test_no_discrepancy_confirms_the_outcome() -> None:
    count = closed_count(votes_count(260, 240, 140))
    first = run_audit(count, SEED, ALPHA, [])
    assert first["conclusion"] == "in_progress"
    assert first["sample_size"] == sample_size(ALPHA, 41, 440) == first["stages"][0]
    order = ranked(SEED, [b.ballot for b in count.ballots])
    assert [s["ballot"] for s in first["sample"]] == [
        t.ballot for t in order[: first["sample_size"]]
    ]
    done = run_audit(count, SEED, ALPHA, _all_read(count, order, first["sample_size"]))
    assert done["conclusion"] == "confirmed"
    assert done["discrepancies"] == 0 and done["stages"] == first["stages"]
    assert float(done["risk"]) <= 0.05


def test_an_overstatement_escalates_the_sample() -> None:
    count = closed_count(votes_count(260, 240, 140))
    order = ranked(SEED, [b.ballot for b in count.ballots])
    size = run_audit(count, SEED, ALPHA, [])["sample_size"]
    readings = _all_read(count, order, size)
    # A sampled ballot the machine counted for c002 shows c002 struck on the paper.
    target = next(
        s for s in run_audit(count, SEED, ALPHA, readings)["sample"]
        if s["recorded"]["choices"].get("c002") == "elect"
    )  # fmt: skip
    elected = {i for i, c in target["recorded"]["choices"].items() if c == "elect"} - {"c002"}
    for slot, member in ((1, "Lan"), (2, "Minh")):
        readings.append(
            HandReading.make(count.layout, target["ballot"], slot, member, struck_for(elected))
        )
    report = run_audit(count, SEED, ALPHA, readings)
    assert report["discrepancies"] == 1
    assert report["one_vote_overstatements"] + report["two_vote_overstatements"] == 1
    assert report["conclusion"] == "in_progress"
    assert len(report["stages"]) == 2 and report["stages"][1] > size
    assert report["sample_size"] == report["stages"][1]
    assert report["sample"][:size] == run_audit(count, SEED, ALPHA, readings)["sample"][:size]


def test_members_who_disagree_hold_the_audit() -> None:
    count = closed_count(votes_count(260, 240, 140))
    order = ranked(SEED, [b.ballot for b in count.ballots])
    size = run_audit(count, SEED, ALPHA, [])["sample_size"]
    readings = _all_read(count, order, size)
    first = order[0].ballot
    readings.append(HandReading.make(count.layout, first, 2, "Minh", ["c001.strike"]))
    report = run_audit(count, SEED, ALPHA, readings)
    assert report["conclusion"] == "in_progress" and report["disagreements"] == 1
    assert report["sample"][0]["members_disagree"] and report["sample"][0]["agreed"] is None
    # Minh looks again; the latest reading of a screen counts.
    readings.append(faithful(count, first, 2, "Minh"))
    assert run_audit(count, SEED, ALPHA, readings)["conclusion"] == "confirmed"


def test_a_tied_margin_needs_a_full_hand_count() -> None:
    count = closed_count(votes_count(300, 250, 250))  # c002 and c003 tie for the second seat
    assert count.result["tie"] is not None
    report = run_audit(count, SEED, ALPHA, [])
    assert report["margin"] == 0 and report["full_hand_count"] and report["sample_size"] == 440
    order = ranked(SEED, [b.ballot for b in count.ballots])
    readings = _all_read(count, order, 440)
    assert run_audit(count, SEED, ALPHA, readings)["conclusion"] == "full_count_confirms"
    # One paper shows c003 struck where the machine counted it: the hand count breaks the tie.
    changed = next(b for b in count.ballots if (b.outcome["choices"] or {}).get("c003") == "elect")
    elected = {i for i, c in changed.outcome["choices"].items() if c == "elect"} - {"c003"}
    for slot, member in ((1, "Lan"), (2, "Minh")):
        readings.append(
            HandReading.make(count.layout, changed.ballot, slot, member, struck_for(elected))
        )
    assert run_audit(count, SEED, ALPHA, readings)["conclusion"] == "full_count_differs"


def test_a_confidence_vote_has_no_outcome_to_audit() -> None:
    count = closed_count(votes_count(260, 240, 140))
    result = {**count.result, "rules": {**count.result["rules"], "form": "confidence"}}
    with pytest.raises(CongressError) as err:
        assertions(result)
    assert err.value.code == "audit_nothing_decided"
