"""The tally rules: outcomes of ballots, bases, half-up percentages, top N and ties at the last seat."""

from __future__ import annotations

import datetime as dt
import json
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from typing import Any

import pytest

from ballots.paper.design import BallotSpec, build_layout
from ballots.paper.layout import BallotLayout
from ballots.reading.recorded import RecordedReading
from ballots.tally import (
    BallotOutcome,
    CandidateInfo,
    CountFigures,
    Decision,
    DecisionFold,
    TallyRules,
    ballot_outcome,
    decision_from_rows,
    final_outcome,
    fold_decisions,
    percentage,
    tally,
)
from congress.errors import CongressError

NAMES = ["Nguyễn Thị An", "Phạm Đức Anh", "Trần Văn Bình", "Lê Minh Châu", "Vũ Thu Hà"]


@cache
def _layout(form: str = "strike", count: int = 4, seats: int = 2) -> BallotLayout:
    items = ["Thông qua Nghị quyết"] if form == "yesno" else NAMES[:count]
    return build_layout(
        BallotSpec(
            election_id=3,
            round=1,
            form=form,  # type: ignore[arg-type]
            seats=seats,
            organisation="ĐOÀN TNCS HỒ CHÍ MINH",
            title="Bầu Ban Chấp hành",
            items=items,
        )
    )


def _recorded(data: dict[str, Any]) -> RecordedReading:
    """A recorded reading of the status, reasons and targets in `data`."""
    return RecordedReading.from_dict(
        {"file": "", "image_sha256": "", "serial": None, "pages": [], **data}
    )


def _reading(
    layout: BallotLayout, states: dict[str, str], status: str = "valid", reasons: Any = ()
) -> RecordedReading:
    """A reading: every target unmarked unless `states` says otherwise."""
    return _recorded(
        {
            "status": status,
            "reasons": list(reasons),
            "targets": [
                {"item": t.item, "target": t.id, "page": 1, "state": states.get(t.id, "unmarked")}
                for t in layout.targets()
            ],
        }
    )


# ---------------------------------------------------------------- percentages


@pytest.mark.parametrize(
    ("votes", "base", "expected"),
    [
        (1, 8, "12.50"),
        (1, 3, "33.33"),
        (2, 3, "66.67"),
        (1, 800, "0.13"),  # 0.125: half-up, where banker's rounding gives 0.12
        (1, 32, "3.13"),  # 3.125: float round() gives 3.12
        (5, 1600, "0.31"),  # 0.3125
        (7, 1600, "0.44"),  # 0.4375
        (299, 300, "99.67"),
        (300, 300, "100.00"),
        (0, 300, "0.00"),
    ],
)
def test_percentage_two_decimals_half_up(votes: int, base: int, expected: str) -> None:
    assert f"{percentage(votes, base)}" == expected


def test_percentage_matches_decimal_half_up_everywhere() -> None:
    for base in (1, 7, 8, 16, 40, 64, 125, 160, 333, 400, 800, 1600):
        for votes in range(0, base + 1, max(1, base // 97)):
            exact = (Decimal(votes) * 100 / Decimal(base)).quantize(
                Decimal("0.01"), rounding=ROUND_HALF_UP
            )
            assert percentage(votes, base) == exact, (votes, base)
    assert percentage(3, 0) is None


# ---------------------------------------------------------------- outcomes of one ballot


def test_outcome_without_decision_follows_the_reading() -> None:
    layout = _layout()
    c1, c2, c3, c4 = (t.id for t in layout.targets())
    valid = final_outcome(layout, _reading(layout, {c1: "marked", c2: "marked"}), None, 2, True)
    assert valid == BallotOutcome(
        "valid", (), {"c001": "strike", "c002": "strike", "c003": "elect", "c004": "elect"}
    )
    invalid = final_outcome(
        layout,
        _reading(layout, {}, "invalid", ["seal_missing", "more_than_seats", "ambiguous_mark"]),
        None,
        2,
        True,
    )
    assert invalid == BallotOutcome("invalid", ("seal_missing", "more_than_seats"), {})
    forged = final_outcome(
        layout, _reading(layout, {}, "rejected", ["serial_forged"]), None, 2, True
    )
    assert forged == BallotOutcome("invalid", ("serial_forged",), {})
    seen = final_outcome(layout, _reading(layout, {}, "rejected", ["serial_seen"]), None, 2, True)
    assert seen == BallotOutcome("invalid", ("serial_seen",), {})
    unreadable = _recorded({"status": "rejected", "reasons": ["page_unreadable"], "targets": []})
    assert final_outcome(layout, unreadable, None, 2, True).status == "review"
    doubtful = _reading(layout, {c1: "ambiguous"}, "review", ["ambiguous_mark"])
    assert final_outcome(layout, doubtful, None, 2, True) == BallotOutcome("review", (), {})


def test_decisions_override_and_seat_rules_are_reapplied() -> None:
    layout = _layout()
    c1, c2, c3, c4 = (t.id for t in layout.targets())
    doubtful = _reading(layout, {c1: "marked", c2: "ambiguous"}, "review", ["ambiguous_mark"])
    struck = final_outcome(layout, doubtful, Decision("valid", None, {c2: "marked"}), 2, True)
    assert struck.status == "valid" and struck.choices["c002"] == "strike"
    # Reading the doubtful name as left standing elects three of two seats: invalid.
    too_many = final_outcome(layout, doubtful, Decision("valid", None, {c2: "unmarked"}), 2, True)
    assert too_many == BallotOutcome("invalid", ("more_than_seats",), {})
    # Striking every name elects nobody: invalid, unless the election keeps such ballots.
    everyone = Decision("valid", None, {c2: "marked", c3: "marked", c4: "marked"})
    assert final_outcome(layout, doubtful, everyone, 2, True).reasons == ("nobody_elected",)
    assert final_outcome(layout, doubtful, everyone, 2, False).status == "valid"
    # A valid decision must resolve every doubtful target.
    assert final_outcome(layout, doubtful, Decision("valid", None, {}), 2, True).status == "review"
    declared = final_outcome(layout, doubtful, Decision("invalid", "private_mark", {}), 2, True)
    assert declared == BallotOutcome("invalid", ("private_mark",), {})
    # The committee has the final word over a machine "invalid" too.
    no_seal = _reading(layout, {c1: "marked", c2: "marked"}, "invalid", ["seal_missing"])
    assert final_outcome(layout, no_seal, Decision("valid", None, {}), 2, True).status == "valid"
    with pytest.raises(CongressError) as unknown:
        final_outcome(layout, doubtful, Decision("valid", None, {"c099.strike": "marked"}), 2, True)
    assert unknown.value.code == "unknown_target"
    with pytest.raises(CongressError):
        final_outcome(layout, doubtful, Decision("invalid", None, {}), 2, True)


def test_box_forms_give_a_choice_only_for_exactly_one_mark() -> None:
    layout = _layout("agree", 3, 2)
    marks = {"c001.agree": "marked", "c002.disagree": "marked", "c003.agree": "marked",
             "c003.disagree": "marked"}  # fmt: skip
    outcome = final_outcome(layout, _reading(layout, marks), None, 2, True)
    assert outcome.choices == {"c001": "agree", "c002": "disagree", "c003": None}
    confidence = _layout("confidence", 2, 2)
    levels = final_outcome(
        confidence,
        _reading(confidence, {"c001.high": "marked", "c002.low": "marked"}),
        None,
        2,
        True,
    )
    assert levels.choices == {"c001": "high", "c002": "low"}


def test_decision_rows_two_person_rule() -> None:
    layout = _layout()
    decide = {"kind": "decide", "status": "valid", "reason": None,
              "marks": {"c002.strike": "marked"}, "note": "", "actor": "lan"}  # fmt: skip
    confirm_self = {"kind": "confirm", "actor": "lan"}
    confirm_other = {"kind": "confirm", "actor": "minh"}
    reopen = {"kind": "reopen", "actor": "minh"}
    doubtful = _reading(layout, {"c001.strike": "marked", "c002.strike": "ambiguous"}, "review")
    clear = _reading(layout, {"c001.strike": "marked", "c002.strike": "marked"})
    confirmed = Decision("valid", None, {"c002.strike": "marked"})

    def outcome(
        rows: list[dict[str, Any]], reading: RecordedReading = doubtful, two: bool = True
    ) -> str:
        return ballot_outcome(layout, reading, rows, two, 2, True).status

    waiting = fold_decisions([decide], two_person_rule=True)
    assert waiting == DecisionFold(None, confirmed, False)
    assert outcome([decide]) == "review"
    assert fold_decisions([decide, confirm_other], True) == DecisionFold(confirmed, None, False)
    assert outcome([decide, confirm_other]) == "valid"
    # The service refuses a confirmation by the decider; a record of one is flagged.
    assert fold_decisions([decide, confirm_self], True).same_person_confirmed is True
    # Re-opened: the committee must decide again, even on a ballot the machine read as valid.
    assert decision_from_rows([decide, confirm_other, reopen], True) is None
    assert outcome([decide, confirm_other, reopen], clear) == "review"
    assert outcome([], clear) == "valid"
    # Without the two-person rule a decision is in force at once.
    assert decision_from_rows([decide], two_person_rule=False) == confirmed
    assert outcome([decide], two=False) == "valid"
    # A new proposal withdraws the decision in force until it is confirmed.
    invalid = {**decide, "status": "invalid", "reason": "written_in", "marks": {}}
    assert outcome([decide, confirm_other, invalid]) == "review"
    assert decision_from_rows([decide, confirm_other, invalid, confirm_other], True) == Decision(
        "invalid", "written_in", {}
    )
    assert outcome([decide, confirm_other, invalid, confirm_other]) == "invalid"
    with pytest.raises(CongressError):
        decision_from_rows([{**decide, "status": "maybe"}], two_person_rule=False)
    with pytest.raises(CongressError):
        decision_from_rows([{"kind": "veto"}], two_person_rule=False)


# ---------------------------------------------------------------- the tally


def _candidates(count: int, births: list[dt.date | None] | None = None) -> list[CandidateInfo]:
    births = births or [None] * count
    return [CandidateInfo(f"c{n:03d}", NAMES[n - 1], births[n - 1]) for n in range(1, count + 1)]


def _outcomes(
    votes: list[int], valid: int, invalid: dict[str, int] | None = None
) -> list[BallotOutcome]:
    """`valid` strike ballots where candidate i is left standing on the first votes[i] of them."""
    out = [
        BallotOutcome(
            "valid",
            (),
            {f"c{i:03d}": ("elect" if b < v else "strike") for i, v in enumerate(votes, 1)},
        )
        for b in range(valid)
    ]
    for reason, n in (invalid or {}).items():
        out += [BallotOutcome("invalid", (reason,), {})] * n
    return out


FIGURES = CountFigures(summoned=20, present=18, issued=16, collected=15)


@pytest.mark.parametrize(
    ("base", "value", "passed"),
    [
        # votes: An 11, Anh 10, Bình 9, Châu 8; 12 valid of 15 collected.
        ("summoned", 20, ["c001"]),  # 22 > 20; 20 > 20 is not more than half
        ("present", 18, ["c001", "c002"]),
        ("issued", 16, ["c001", "c002", "c003"]),  # 16 > 16 fails for Châu
        ("collected", 15, ["c001", "c002", "c003", "c004"]),
        ("valid", 12, ["c001", "c002", "c003", "c004"]),
    ],
)
def test_every_threshold_base(base: str, value: int, passed: list[str]) -> None:
    rules = TallyRules("strike", 4, base, base, "new_round")
    outcomes = _outcomes([11, 10, 9, 8], 12, {"seal_missing": 2, "more_than_seats": 1})
    result = tally(rules, _candidates(4), FIGURES, outcomes).to_dict()
    assert result["bases"] == {
        "threshold": {"name": base, "value": value},
        "percentage": {"name": base, "value": value},
    }
    assert [c["item"] for c in result["candidates"] if c["passed"]] == passed
    assert result["elected"] == passed
    assert result["seats_left"] == 4 - len(passed)
    assert result["new_round_needed"] is (len(passed) < 4)
    assert [c["percentage"] for c in result["candidates"]] == [
        f"{percentage(v, value)}" for v in (11, 10, 9, 8)
    ]
    assert result["ballots"] == {
        "counted": 15,
        "valid": 12,
        "invalid": 3,
        "review": 0,
        "invalid_by_reason": {"more_than_seats": 1, "seal_missing": 2},
    }
    assert result["figures"] == {
        "summoned": 20, "present": 18, "absent": 2, "issued": 16, "collected": 15
    }  # fmt: skip


def test_threshold_and_percentage_bases_are_separate() -> None:
    rules = TallyRules("strike", 2, "summoned", "valid", "new_round")
    result = tally(rules, _candidates(2), FIGURES, _outcomes([11, 10], 12))
    an, anh = result.candidates
    assert (an.passed, anh.passed) == (True, False)
    assert (an.percentage, anh.percentage) == ("91.67", "83.33")


def test_more_passing_than_seats_elects_the_top_in_descending_order() -> None:
    rules = TallyRules("strike", 2, "valid", "valid", "new_round")
    result = tally(rules, _candidates(4), FIGURES, _outcomes([8, 11, 9, 10], 12))
    assert result.elected == ["c002", "c004"]
    assert [c.item for c in result.by_votes()] == ["c002", "c004", "c003", "c001"]
    assert all(c.passed for c in result.candidates)
    assert result.tie is None and not result.new_round_needed and result.complete


def test_tie_at_the_last_seat_flags_a_new_round() -> None:
    rules = TallyRules("strike", 2, "valid", "valid", "new_round")
    result = tally(rules, _candidates(4), FIGURES, _outcomes([8, 11, 9, 9], 12)).to_dict()
    assert result["elected"] == ["c002"]
    assert result["tie"] == {"items": ["c003", "c004"], "seats_left": 1}
    assert [c["tied"] for c in result["candidates"]] == [False, False, True, True]
    assert result["new_round_needed"] is True and result["seats_left"] == 1


def test_tie_at_the_last_seat_resolved_by_age() -> None:
    births = [dt.date(1990, 1, 1), dt.date(1991, 1, 1), dt.date(1993, 5, 5), dt.date(1992, 2, 2)]
    rules = TallyRules("strike", 2, "valid", "valid", "older")
    result = tally(rules, _candidates(4, births), FIGURES, _outcomes([8, 11, 9, 9], 12)).to_dict()
    assert result["elected"] == ["c002", "c004"]  # Châu (1992) is older than Bình (1993)
    assert result["decided_by_age"] == ["c004"]
    assert result["tie"] is None and result["new_round_needed"] is False
    # An unknown birth date cannot be ranked: the tie is flagged instead.
    unknown = tally(
        rules, _candidates(4, births[:3] + [None]), FIGURES, _outcomes([8, 11, 9, 9], 12)
    ).to_dict()
    assert unknown["elected"] == ["c002"] and unknown["tie"] == {
        "items": ["c003", "c004"],
        "seats_left": 1,
    }
    # Three tied for two seats, two born the same day after the oldest: the oldest is elected.
    same = [dt.date(1990, 1, 1), dt.date(1991, 1, 1), dt.date(1991, 1, 1), dt.date(1989, 1, 1)]
    rules3 = TallyRules("strike", 2, "valid", "valid", "older")
    partial = tally(rules3, _candidates(4, same), FIGURES, _outcomes([5, 9, 9, 9], 12)).to_dict()
    assert partial["elected"] == ["c004"] and partial["decided_by_age"] == ["c004"]
    assert partial["tie"] == {"items": ["c002", "c003"], "seats_left": 1}


def test_review_outcomes_leave_the_tally_incomplete() -> None:
    rules = TallyRules("strike", 2, "valid", "valid", "new_round")
    outcomes = _outcomes([3, 2], 3) + [BallotOutcome("review", (), {})]
    result = tally(rules, _candidates(2), FIGURES, outcomes)
    assert result.to_dict()["complete"] is False and result.review == 1 and result.valid == 3


def test_confidence_reports_levels_and_elects_nobody() -> None:
    rules = TallyRules("confidence", 2, "valid", "valid", "new_round")
    outcomes = [
        BallotOutcome("valid", (), {"c001": "high", "c002": "low"}),
        BallotOutcome("valid", (), {"c001": "normal", "c002": None}),
        BallotOutcome("valid", (), {"c001": "high", "c002": "high"}),
    ]
    result = tally(rules, _candidates(2), FIGURES, outcomes).to_dict()
    an, anh = result["candidates"]
    assert an["counts"] == {"high": 2, "normal": 1, "low": 0}
    assert an["percentages"] == {"high": "66.67", "normal": "33.33", "low": "0.00"}
    assert anh["counts"] == {"high": 1, "normal": 0, "low": 1}
    assert an["votes"] is None and result["elected"] == [] and not result["new_round_needed"]


def test_to_dict_is_plain_deterministic_json() -> None:
    rules = TallyRules("agree", 1, "collected", "issued", "new_round")
    outcomes = [
        BallotOutcome("valid", (), {"c001": "agree", "c002": "disagree"}),
        BallotOutcome("valid", (), {"c001": "agree", "c002": None}),
    ]
    first = tally(rules, _candidates(2), FIGURES, outcomes).to_dict()
    again = tally(rules, _candidates(2), FIGURES, list(reversed(outcomes))).to_dict()
    text = json.dumps(first, sort_keys=True, separators=(",", ":"))
    assert text == json.dumps(again, sort_keys=True, separators=(",", ":"))
    assert json.loads(text) == first
    assert first["candidates"][0]["percentage"] == "12.50"  # 2 of 16 issued
    assert first["elected"] == []  # 2 votes of 15 collected do not pass


def test_bad_rules_are_refused() -> None:
    with pytest.raises(CongressError) as bad:
        tally(TallyRules("strike", 2, "members", "valid", "new_round"), _candidates(2), FIGURES, [])
    assert bad.value.code == "bad_threshold_base"


def test_art_30_base_summoned_less_the_excused() -> None:
    """Regulation 190-QĐ/TW Art. 30: more than half of the delegates summoned, less those absent
    for reasons the congress accepts (entered with the count)."""
    rules = TallyRules("strike", 4, "net_summoned", "valid", "new_round")
    figures = CountFigures(summoned=20, present=18, issued=16, collected=15, excused=2)
    result = tally(rules, _candidates(4), figures, _outcomes([11, 10, 9, 8], 12)).to_dict()
    assert result["bases"]["threshold"] == {"name": "net_summoned", "value": 18}
    assert [c["item"] for c in result["candidates"] if c["passed"]] == ["c001", "c002"]
    assert result["figures"]["excused"] == 2 and result["figures"]["net_summoned"] == 18
    # Not entered: the base is the summoned themselves, and the figures keep their old shape.
    plain = tally(rules, _candidates(4), FIGURES, _outcomes([11, 10, 9, 8], 12)).to_dict()
    assert plain["bases"]["threshold"]["value"] == 20 and "excused" not in plain["figures"]


def test_the_committee_decides_what_the_machine_finds_invalid() -> None:
    layout = _layout()
    invalid = _reading(layout, {}, "invalid", ["more_than_seats"])
    forged = _reading(layout, {}, "rejected", ["serial_forged"])
    for reading in (invalid, forged):
        assert final_outcome(layout, reading, None, 2, True, True).status == "review"
        assert final_outcome(layout, reading, None, 2, True, False).status == "invalid"
    rows = [
        {"kind": "decide", "status": "invalid", "reason": "more_than_seats", "actor": "kp",
         "member": "Một"},
        {"kind": "confirm", "status": "invalid", "reason": "more_than_seats", "actor": "kp",
         "member": "Hai"},
    ]  # fmt: skip
    decided = ballot_outcome(layout, invalid, rows, True, 2, True, True)
    assert decided == BallotOutcome("invalid", ("more_than_seats",), {})
    # The same account, two members: two persons. The same member twice: one.
    assert not fold_decisions(rows, True).same_person_confirmed
    same = [rows[0], {**rows[1], "member": "Một"}]
    assert fold_decisions(same, True).same_person_confirmed
    # Rows without members (a command's, or older ones) compare accounts.
    bare = [{k: v for k, v in r.items() if k != "member"} for r in rows]
    assert fold_decisions(bare, True).same_person_confirmed


def test_the_bundle_reads_the_committee_rule_strictly() -> None:
    from ballots.proof.format import committee_rule

    assert committee_rule({}) is False  # bundles made before the rule
    assert committee_rule({"committee_decides_invalid": True}) is True
    for bad in ("yes", 1, None):
        with pytest.raises(CongressError):
            committee_rule({"committee_decides_invalid": bad})
