"""The tally rules: each ballot's final outcome, then votes, percentages and who is elected.

Pure functions over plain data (the recorded reading, the committee's decisions, the election's
rules), so the server, the minutes and an independent recount compute the same result.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

from ballots.paper.layout import CHOICES, BallotLayout
from ballots.reading.recorded import RecordedReading
from ballots.reasons import NOT_ISSUED, severe
from congress.errors import CongressError
from congress.i18n import N_

__all__ = [
    "BASES",
    "TIE_RULES",
    "BallotOutcome",
    "CandidateInfo",
    "Choice",
    "CountFigures",
    "Decision",
    "TallyResult",
    "TallyRules",
    "DecisionFold",
    "ballot_outcome",
    "decision_from_rows",
    "fold_decisions",
    "final_outcome",
    "marks_outcome",
    "percentage",
    "tally",
]

Choice = str
BASES = ("summoned", "net_summoned", "present", "issued", "collected", "valid")
TIE_RULES = ("new_round", "older")
# What each form counts as a vote for an item.
VOTE_CHOICE: dict[str, str | None] = {
    "strike": "elect",
    "agree": "agree",
    "yesno": "yes",
    "confidence": None,
}
# The choices reported per item for each form ("elect" = a name left standing).
COUNTED_CHOICES: dict[str, tuple[str, ...]] = {
    "strike": ("elect", "strike"),
    "agree": CHOICES["agree"],
    "yesno": CHOICES["yesno"],
    "confidence": CHOICES["confidence"],
}
_SEAT_RULE_FORMS = ("strike", "agree")


@dataclass(frozen=True)
class Decision:
    """One confirmed human decision on a ballot (the latest confirmed one is the one that counts)."""

    status: Literal["valid", "invalid"]
    reason: str | None  # required when invalid
    marks: Mapping[str, Literal["marked", "unmarked"]]  # target id -> the committee's reading
    note: str = ""


@dataclass(frozen=True)
class BallotOutcome:
    status: Literal["valid", "invalid", "review"]  # review: still needs a decision
    reasons: tuple[str, ...]  # reason codes when invalid, else empty
    choices: Mapping[str, Choice | None]  # item id -> what this valid ballot gives it

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "reasons": list(self.reasons),
            "choices": dict(sorted(self.choices.items())),
        }


@dataclass(frozen=True)
class DecisionFold:
    """A ballot's decision rows replayed: the decision in force and what still waits."""

    decision: Decision | None  # in force (confirmed, under the two-person rule)
    pending: Decision | None  # proposed, awaiting another member's confirmation
    reopened: bool  # re-opened since the last decision in force: the committee must decide
    same_person_confirmed: bool = False  # a confirmation by the member who decided


def _decision(row: Mapping[str, Any]) -> Decision:
    status = row.get("status")
    if status not in ("valid", "invalid"):
        raise CongressError(
            "bad_decision", "A decision has an unknown status: %(value)s", value=status
        )
    marks = row.get("marks") or {}
    for value in marks.values():
        if value not in ("marked", "unmarked"):
            raise CongressError(
                "bad_decision", "A decision has an unknown mark: %(value)s", value=value
            )
    return Decision(status, row.get("reason"), dict(marks), row.get("note") or "")


def same_person(first: Mapping[str, Any], second: Mapping[str, Any]) -> bool:
    """Two decision rows by the same person: the same committee member when both name one,
    else (a row of a command, or of before members were named) the same account."""
    if first.get("member") and second.get("member"):
        return bool(first.get("member") == second.get("member"))
    return bool(first.get("actor") == second.get("actor"))


def fold_decisions(rows: Iterable[Mapping[str, Any]], two_person_rule: bool) -> DecisionFold:
    """Replay a ballot's append-only decision rows in recorded order.

    "decide": without the two-person rule it is in force at once; with it, it waits (and
    withdraws the decision in force) until a "confirm". "reopen" withdraws everything and the
    ballot waits for a new decision, even one the machine read as valid.
    """
    decision: Decision | None = None
    pending: Decision | None = None
    pending_row: Mapping[str, Any] = {}
    reopened = same = False
    for row in rows:
        kind = row.get("kind")
        if kind == "reopen":
            decision, pending, reopened = None, None, True
        elif kind == "decide":
            if two_person_rule:
                decision, pending, pending_row = None, _decision(row), row
            else:
                decision, pending, reopened = _decision(row), None, False
        elif kind == "confirm":
            if pending is not None:
                same = same or same_person(row, pending_row)
                decision, pending, reopened = pending, None, False
        else:
            raise CongressError(
                "bad_decision", "A decision row has an unknown kind: %(value)s", value=kind
            )
    return DecisionFold(decision, pending, reopened, same)


def decision_from_rows(rows: Iterable[Mapping[str, Any]], two_person_rule: bool) -> Decision | None:
    """The decision in force after a ballot's decision rows (see fold_decisions)."""
    return fold_decisions(rows, two_person_rule).decision


def ballot_outcome(
    layout: BallotLayout,
    reading: RecordedReading,
    rows: Iterable[Mapping[str, Any]],
    two_person_rule: bool,
    seats: int,
    nobody_elected_invalid: bool,
    committee_decides_invalid: bool = False,
) -> BallotOutcome:
    """A ballot's outcome from its reading and decision rows: "review" while a decision waits."""
    fold = fold_decisions(rows, two_person_rule)
    if fold.pending is not None or (fold.reopened and fold.decision is None):
        return BallotOutcome("review", (), {})
    return final_outcome(
        layout, reading, fold.decision, seats, nobody_elected_invalid, committee_decides_invalid
    )


def _choices(layout: BallotLayout, states: Mapping[str, str]) -> dict[str, Choice | None]:
    """What a ballot whose every target is resolved gives each item."""
    out: dict[str, Choice | None] = {}
    by_item: dict[str, list[Any]] = {}
    for target in layout.targets():  # one pass: a 250-name list has 250 items and targets
        by_item.setdefault(target.item, []).append(target)
    for item in layout.items:
        targets = by_item.get(item.id, [])
        if layout.form == "strike":
            out[item.id] = "strike" if states[targets[0].id] == "marked" else "elect"
            continue
        marked = [t.choice for t in targets if states[t.id] == "marked"]
        out[item.id] = marked[0] if len(marked) == 1 else None
    return out


def _seat_reasons(
    layout: BallotLayout, choices: Mapping[str, Choice | None], seats: int, nobody_invalid: bool
) -> tuple[str, ...]:
    """The reader's seat rules on a fully resolved ballot (strike and agree forms)."""
    if layout.form not in _SEAT_RULE_FORMS:
        return ()
    vote = VOTE_CHOICE[layout.form]
    elected = sum(1 for c in choices.values() if c == vote)
    if elected > seats:
        return ("more_than_seats",)
    if elected == 0 and nobody_invalid and len(layout.items) > 1:
        return ("nobody_elected",)
    return ()


def final_outcome(
    layout: BallotLayout,
    reading: RecordedReading,
    decision: Decision | None,
    seats: int,
    nobody_elected_invalid: bool,
    committee_decides_invalid: bool = False,
) -> BallotOutcome:
    """A ballot's outcome in the count: the machine reading, overruled by the committee's decision.

    With `committee_decides_invalid` (every count opened since ballots_0003) a ballot the machine
    finds invalid or cannot place waits for the committee like a doubtful one: the committee has
    the final word on every invalid ballot.
    """
    if decision is None:
        status, reasons = reading.status, reading.reasons
        if status != "valid" and committee_decides_invalid:
            return BallotOutcome("review", (), {})
        if status == "valid":
            states = reading.states
            if any(states.get(t.id) not in ("marked", "unmarked") for t in layout.targets()):
                return BallotOutcome("review", (), {})
            return BallotOutcome("valid", (), _choices(layout, states))
        if status == "invalid":
            return BallotOutcome("invalid", tuple(r for r in reasons if severe(r)), {})
        if status == "rejected" and "page_unreadable" not in reasons:
            return BallotOutcome("invalid", tuple(r for r in reasons if r in NOT_ISSUED), {})
        return BallotOutcome("review", (), {})
    if decision.status == "invalid":
        if not decision.reason:
            raise CongressError("decision_reason_missing", "An invalid ballot needs a reason")
        return BallotOutcome("invalid", (decision.reason,), {})
    known = {t.id for t in layout.targets()}
    unknown = sorted(set(decision.marks) - known)
    if unknown:
        raise CongressError(
            "unknown_target",
            "The decision names targets not on this ballot: %(targets)s",
            targets=", ".join(unknown),
        )
    return marks_outcome(
        layout, {**reading.states, **decision.marks}, seats, nobody_elected_invalid
    )


def marks_outcome(
    layout: BallotLayout, states: Mapping[str, str], seats: int, nobody_elected_invalid: bool
) -> BallotOutcome:
    """A ballot's outcome from the state of every target (a hand reading or a decision):
    "review" while a target is unresolved, the seat rules applied."""
    if any(states.get(t.id) not in ("marked", "unmarked") for t in layout.targets()):
        return BallotOutcome("review", (), {})
    choices = _choices(layout, states)
    reasons = _seat_reasons(layout, choices, seats, nobody_elected_invalid)
    if reasons:
        return BallotOutcome("invalid", reasons, {})
    return BallotOutcome("valid", (), choices)


@dataclass(frozen=True)
class TallyRules:
    form: str
    seats: int
    threshold_base: str
    percentage_base: str
    tie_rule: str

    def check(self) -> None:
        for value, allowed, code in (
            (self.threshold_base, BASES, "bad_threshold_base"),
            (self.percentage_base, BASES, "bad_percentage_base"),
            (self.tie_rule, TIE_RULES, "bad_tie_rule"),
            (self.form, tuple(VOTE_CHOICE), "bad_form"),
        ):
            if value not in allowed:
                raise CongressError(
                    code,
                    "%(value)s is not one of %(allowed)s",
                    value=value,
                    allowed=", ".join(allowed),
                )
        if self.seats < 0:
            raise CongressError("bad_seats", "The number of seats cannot be negative")

    def to_dict(self) -> dict[str, Any]:
        return {
            "form": self.form,
            "seats": self.seats,
            "threshold_base": self.threshold_base,
            "percentage_base": self.percentage_base,
            "tie_rule": self.tie_rule,
        }


@dataclass(frozen=True)
class CandidateInfo:
    item: str  # layout item id ("c001" ... in ballot order, "q1" for a question)
    name: str
    birth_date: dt.date | None = None


@dataclass(frozen=True)
class CountFigures:
    summoned: int
    present: int
    issued: int
    collected: int
    # Delegates absent for reasons the congress accepts (Art. 30); None: not entered.
    excused: int | None = None

    @property
    def absent(self) -> int:
        return self.summoned - self.present

    @property
    def net_summoned(self) -> int:
        """Delegates summoned less those absent for reasons the congress accepts (Art. 30)."""
        return self.summoned - (self.excused or 0)

    def to_dict(self) -> dict[str, int]:
        out = {
            "summoned": self.summoned,
            "present": self.present,
            "absent": self.absent,
            "issued": self.issued,
            "collected": self.collected,
        }
        if self.excused is not None:  # counts before Art. 30's base keep their recorded shape
            out["excused"] = self.excused
            out["net_summoned"] = self.net_summoned
        return out


def percentage(votes: int, base: int) -> Decimal | None:
    """votes / base * 100 to two decimals, half-up, exactly (integers only); None on base 0."""
    if base <= 0:
        return None
    hundredths = (votes * 20000 + base) // (2 * base)
    return Decimal(hundredths).scaleb(-2)


def _pct(votes: int | None, base: int) -> str | None:
    if votes is None:
        return None
    value = percentage(votes, base)
    return None if value is None else f"{value:.2f}"


@dataclass
class CandidateResult:
    item: str
    name: str
    number: int  # position on the ballot, 1-based
    votes: int | None  # None on confidence ballots: no votes, only levels
    counts: dict[str, int]
    percentage: str | None = None
    percentages: dict[str, str | None] = field(default_factory=dict)
    passed: bool = False
    elected: bool = False
    tied: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "item": self.item,
            "name": self.name,
            "number": self.number,
            "votes": self.votes,
            "counts": dict(self.counts),
            "percentage": self.percentage,
            "percentages": dict(self.percentages),
            "passed": self.passed,
            "elected": self.elected,
            "tied": self.tied,
        }


@dataclass
class TallyResult:
    rules: TallyRules
    figures: CountFigures
    counted: int
    valid: int
    invalid: int
    review: int
    invalid_by_reason: dict[str, int]
    bases: dict[str, dict[str, Any]]
    candidates: list[CandidateResult]
    elected: list[str]
    tie: dict[str, Any] | None
    decided_by_age: list[str]
    seats_left: int  # seats still open after this round (tied or not reached)
    new_round_needed: bool

    @property
    def complete(self) -> bool:
        return self.review == 0

    def by_votes(self) -> list[CandidateResult]:
        """Candidates in descending order of votes, equal votes in ballot order."""
        return sorted(self.candidates, key=lambda c: (-(c.votes or 0), c.number))

    def to_dict(self) -> dict[str, Any]:
        return {
            "rules": self.rules.to_dict(),
            "figures": self.figures.to_dict(),
            "ballots": {
                "counted": self.counted,
                "valid": self.valid,
                "invalid": self.invalid,
                "review": self.review,
                "invalid_by_reason": dict(sorted(self.invalid_by_reason.items())),
            },
            "bases": self.bases,
            "candidates": [c.to_dict() for c in self.candidates],
            "elected": list(self.elected),
            "tie": self.tie,
            "decided_by_age": list(self.decided_by_age),
            "seats_left": self.seats_left,
            "new_round_needed": self.new_round_needed,
            "complete": self.complete,
        }


def _base_value(name: str, figures: CountFigures, valid: int) -> int:
    if name == "valid":
        return valid
    return int(getattr(figures, name))


def _by_age(
    tied: list[CandidateResult], seats_left: int, births: Mapping[str, dt.date | None]
) -> tuple[list[CandidateResult], list[CandidateResult], int]:
    """The older rule on a tie: (elected by age, still tied, seats those compete for)."""
    if any(births[c.item] is None for c in tied):
        return [], tied, seats_left  # an unknown birth date cannot be ranked: flag the tie
    ordered = sorted(tied, key=lambda c: (births[c.item], c.number))
    cutoff = births[ordered[seats_left - 1].item]
    winners = [c for c in ordered if births[c.item] < cutoff]  # type: ignore[operator]
    same = [c for c in ordered if births[c.item] == cutoff]
    left = seats_left - len(winners)
    if len(same) <= left:
        return winners + same, [], 0
    return winners, same, left


def tally(
    rules: TallyRules,
    candidates: Sequence[CandidateInfo],
    figures: CountFigures,
    outcomes: Iterable[BallotOutcome],
) -> TallyResult:
    """Votes, percentages and the elected from the outcomes of the counted ballots."""
    rules.check()
    choices = COUNTED_CHOICES[rules.form]
    vote = VOTE_CHOICE[rules.form]
    results = [
        CandidateResult(c.item, c.name, n, 0 if vote else None, dict.fromkeys(choices, 0))
        for n, c in enumerate(candidates, 1)
    ]
    by_item = {r.item: r for r in results}
    counted = valid = review = 0
    by_reason: Counter[str] = Counter()
    for outcome in outcomes:
        counted += 1
        if outcome.status == "review":
            review += 1
            continue
        if outcome.status == "invalid":
            # Each invalid ballot is counted once, under its first (most severe) reason.
            by_reason[outcome.reasons[0] if outcome.reasons else "other"] += 1
            continue
        valid += 1
        for item, choice in outcome.choices.items():
            result = by_item.get(item)
            if result is None:
                raise CongressError(
                    "unknown_item", "A ballot names an item not on the list: %(item)s", item=item
                )
            if choice in result.counts:
                result.counts[choice] += 1
    invalid = sum(by_reason.values())
    threshold = _base_value(rules.threshold_base, figures, valid)
    base = _base_value(rules.percentage_base, figures, valid)
    for r in results:
        r.percentages = {c: _pct(n, base) for c, n in r.counts.items()}
        if vote is not None:
            r.votes = r.counts[vote]
            r.percentage = _pct(r.votes, base)
            r.passed = r.votes * 2 > threshold
    tie: dict[str, Any] | None = None
    by_age: list[str] = []
    new_round = False
    seats_left = 0
    if vote is not None:
        passed = sorted((r for r in results if r.passed), key=lambda r: (-(r.votes or 0), r.number))
        seats = rules.seats
        winners = passed
        if len(passed) > seats:
            last = passed[seats - 1].votes if seats > 0 else None
            if seats > 0 and passed[seats].votes == last:
                above = [r for r in passed if (r.votes or 0) > (last or 0)]
                tied = [r for r in passed if r.votes == last]
                seats_left = seats - len(above)
                still = tied
                if rules.tie_rule == "older":
                    births = {c.item: c.birth_date for c in candidates}
                    older, still, seats_left = _by_age(tied, seats_left, births)
                    above += older
                    by_age = [r.item for r in older]
                winners = above
                if still:
                    tie = {"items": [r.item for r in still], "seats_left": seats_left}
                    for r in still:
                        r.tied = True
            else:
                winners = passed[:seats]
        for r in winners:
            r.elected = True
        if rules.form in _SEAT_RULE_FORMS:
            seats_left = max(0, seats - len(winners))
            new_round = seats_left > 0
    elected = [
        r.item for r in sorted(results, key=lambda r: (-(r.votes or 0), r.number)) if r.elected
    ]
    return TallyResult(
        rules=rules,
        figures=figures,
        counted=counted,
        valid=valid,
        invalid=invalid,
        review=review,
        invalid_by_reason=dict(by_reason),
        bases={
            "threshold": {"name": rules.threshold_base, "value": threshold},
            "percentage": {"name": rules.percentage_base, "value": base},
        },
        candidates=results,
        elected=elected,
        tie=tie,
        decided_by_age=sorted(by_age, key=lambda i: by_item[i].number),
        seats_left=seats_left,
        new_round_needed=new_round,
    )


# Names of the bases as people read them (minutes, pages, verify's output).
BASE_NAMES: dict[str, str] = {
    "summoned": N_("delegates summoned"),
    "net_summoned": N_("delegates summoned less those absent for reasons the congress accepts"),
    "present": N_("delegates present"),
    "issued": N_("ballots issued"),
    "collected": N_("ballots collected"),
    "valid": N_("valid ballots"),
}
