"""The committee's review: where each ballot stands, and its decisions, confirmations, re-openings.

The committee's decisions are new rows (decide, confirm, re-open), so the machine reading, the
human decision, who, when and why all stay.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from ballots import tally as rules
from ballots.counting.counts import database_of, ensure_open, printed_layout
from ballots.models import BallotDecision, BallotRound, Count, CountedBallot, Election
from ballots.paper.layout import BallotLayout
from ballots.reasons import COMMITTEE_REASONS
from congress.errors import CongressError, Forbidden, NotFound
from congress.models import utcnow

MAX_NOTE = 1000


@dataclass(frozen=True)
class BallotState:
    """Where a ballot stands: its decision rows replayed over its machine reading."""

    state: str  # counted | needs_decision | needs_confirmation | duplicate
    outcome: rules.BallotOutcome
    decision: BallotDecision | None  # the decision in force (confirmed when two-person)
    pending: BallotDecision | None  # a decision awaiting its confirmation

    @property
    def countable(self) -> bool:
        return self.state == "counted"


def decision_row(row: BallotDecision) -> dict[str, Any]:
    """A decision row as the bundle keeps it (and ballots.tally.decision_from_rows reads it)."""
    return {
        "kind": row.kind,
        "status": row.status,
        "reason": row.reason,
        "marks": dict(row.marks or {}),
        "note": row.note,
        "actor": row.actor,
        "at": row.at.isoformat(timespec="seconds"),
    }


def as_decision(row: BallotDecision) -> rules.Decision:
    return rules.Decision(
        status=row.status,  # type: ignore[arg-type]
        reason=row.reason,
        marks=dict(row.marks or {}),
        note=row.note,
    )


@dataclass
class RoundRules:
    layout: BallotLayout
    seats: int
    nobody_elected_invalid: bool


def round_rules(session: Session, count: Count) -> RoundRules:
    round_ = session.get(BallotRound, count.round_id)
    election = session.get(Election, count.election_id)
    assert round_ is not None and election is not None
    _, layout = printed_layout(round_)
    return RoundRules(layout, round_.seats, election.nobody_elected_invalid)


def ballot_state(
    ballot: CountedBallot,
    decisions: Sequence[BallotDecision],
    two_person_rule: bool,
    rr: RoundRules,
) -> BallotState:
    decision: BallotDecision | None = None
    pending: BallotDecision | None = None
    reopened = False
    for row in sorted(decisions, key=lambda d: d.id):
        if row.kind == "reopen":
            decision, pending, reopened = None, None, True
        elif row.kind == "decide":
            if two_person_rule:
                decision, pending = None, row
            else:
                decision, pending, reopened = row, None, False
        elif row.kind == "confirm" and pending is not None:
            decision, pending, reopened = pending, None, False

    def outcome(with_decision: BallotDecision | None) -> rules.BallotOutcome:
        return rules.final_outcome(
            rr.layout,
            ballot.recorded,
            as_decision(with_decision) if with_decision is not None else None,
            rr.seats,
            rr.nobody_elected_invalid,
        )

    if ballot.duplicate_of is not None:
        return BallotState("duplicate", outcome(decision), decision, pending)
    if pending is not None:
        waiting = rules.BallotOutcome("review", (), {})
        return BallotState("needs_confirmation", waiting, None, pending)
    if reopened:
        return BallotState("needs_decision", rules.BallotOutcome("review", (), {}), None, None)
    # The decision that counts, folded exactly as `congress ballots verify` folds it.
    counted = rules.decision_from_rows([decision_row(d) for d in decisions], two_person_rule)
    result = rules.final_outcome(
        rr.layout, ballot.recorded, counted, rr.seats, rr.nobody_elected_invalid
    )
    state = "needs_decision" if result.status == "review" else "counted"
    return BallotState(state, result, decision, None)


# Outcomes by (ballot, last decision row, two-person rule): a reading never changes and a
# ballot's state changes only with a new decision row, so a count is re-evaluated cheaply.
_STATES: dict[tuple[Any, ...], BallotState] = {}
_STATES_LOCK = threading.Lock()


@dataclass
class Evaluation:
    """Every ballot of a count with its state, in the order received."""

    ballots: list[tuple[int, BallotState]] = field(default_factory=list)
    last_ballot_id: int | None = None

    def by_state(self, state: str) -> list[int]:
        return [i for i, s in self.ballots if s.state == state]

    @property
    def counted(self) -> list[rules.BallotOutcome]:
        """Outcomes of the ballots that count (duplicate-serial copies left out)."""
        return [s.outcome for _, s in self.ballots if s.state != "duplicate"]


def evaluate(session: Session, count: Count) -> Evaluation:
    found = session.execute(
        select(CountedBallot.id, CountedBallot.image_sha256)
        .where(CountedBallot.count_id == count.id)
        .order_by(CountedBallot.id)
    ).all()
    ballot_ids = [i for i, _ in found]
    images: dict[int, str] = {i: sha for i, sha in found}
    where = database_of(session)
    rows: dict[int, list[BallotDecision]] = {}
    for row in session.scalars(
        select(BallotDecision)
        .join(CountedBallot, CountedBallot.id == BallotDecision.ballot_id)
        .where(CountedBallot.count_id == count.id)
        .order_by(BallotDecision.id)
    ):
        rows.setdefault(row.ballot_id, []).append(row)
    keys = {
        i: (where, i, images[i], rows[i][-1].id if i in rows else 0, count.two_person_rule)
        for i in ballot_ids
    }
    with _STATES_LOCK:
        known = {i: _STATES[keys[i]] for i in ballot_ids if keys[i] in _STATES}
    missing = [i for i in ballot_ids if i not in known]
    if missing:
        rr = round_rules(session, count)
        for start in range(0, len(missing), 500):
            chunk = missing[start : start + 500]
            for ballot in session.scalars(select(CountedBallot).where(CountedBallot.id.in_(chunk))):
                state = ballot_state(ballot, rows.get(ballot.id, []), count.two_person_rule, rr)
                known[ballot.id] = state
                with _STATES_LOCK:
                    if len(_STATES) > 200_000:
                        _STATES.clear()
                    _STATES[keys[ballot.id]] = state
    states = [(i, known[i]) for i in ballot_ids]
    return Evaluation(states, ballot_ids[-1] if ballot_ids else None)


def decisions_of(session: Session, ballot_id: int) -> list[BallotDecision]:
    return list(
        session.scalars(
            select(BallotDecision)
            .where(BallotDecision.ballot_id == ballot_id)
            .order_by(BallotDecision.id)
        )
    )


def get_ballot(session: Session, count: Count, ballot_id: int) -> CountedBallot:
    ballot = session.get(CountedBallot, ballot_id)
    if ballot is None or ballot.count_id != count.id:
        raise NotFound("unknown_ballot", "No ballot %(id)s in this count", id=ballot_id)
    return ballot


def state_of(session: Session, count: Count, ballot: CountedBallot) -> BallotState:
    return ballot_state(
        ballot,
        decisions_of(session, ballot.id),
        count.two_person_rule,
        round_rules(session, count),
    )


def _note(note: str) -> str:
    note = " ".join((note or "").split())
    if len(note) > MAX_NOTE:
        raise CongressError(
            "note_too_long", "The note is longer than %(max)s characters", max=MAX_NOTE
        )
    return note


def _record(
    session: Session,
    ballot: CountedBallot,
    kind: str,
    status: str | None,
    reason: str | None,
    marks: Mapping[str, str],
    note: str,
    actor: str,
) -> BallotDecision:
    """Append one decision row (rows are never changed: the database refuses updates)."""
    row = BallotDecision(
        ballot_id=ballot.id,
        kind=kind,
        status=status,
        reason=reason,
        marks=dict(marks),
        note=note,
        actor=actor[:120],
        at=utcnow(),
    )
    session.add(row)
    session.flush()
    return row


def decide(
    session: Session,
    count: Count,
    ballot_id: int,
    *,
    status: str,
    reason: str | None,
    marks: Mapping[str, str],
    note: str,
    actor: str,
) -> BallotDecision:
    """Record a member's decision on a ballot awaiting one (valid with marks, or invalid)."""
    ensure_open(count)
    ballot = get_ballot(session, count, ballot_id)
    current = state_of(session, count, ballot)
    if current.state == "duplicate":
        raise CongressError(
            "duplicate_ballot",
            "This ballot repeats the serial of an earlier one and is not counted",
            status=409,
        )
    if current.state != "needs_decision":
        raise CongressError(
            "not_awaiting_decision",
            "This ballot is not awaiting a decision; re-open it first",
            status=409,
        )
    note = _note(note)
    rr = round_rules(session, count)
    known = {t.id for t in rr.layout.targets()}
    clean: dict[str, Literal["marked", "unmarked"]] = {}
    for target, value in marks.items():
        if target not in known or value not in ("marked", "unmarked"):
            raise CongressError(
                "bad_marks", "Each mark is marked or unmarked, on a target of this ballot"
            )
        clean[target] = "marked" if value == "marked" else "unmarked"
    if status == "invalid":
        if reason not in COMMITTEE_REASONS:
            raise CongressError("bad_reason", "Choose why the ballot is invalid")
        if reason == "other" and not note:
            raise CongressError("reason_note", "Say in the note why the ballot is invalid")
        clean = {}
    elif status == "valid":
        reason = None
        outcome = rules.final_outcome(
            rr.layout,
            ballot.recorded,
            rules.Decision("valid", None, clean, note),
            rr.seats,
            rr.nobody_elected_invalid,
        )
        if outcome.status == "review":
            raise CongressError("marks_missing", "Decide every doubtful mark (marked or unmarked)")
        if outcome.status == "invalid":
            raise CongressError(
                "marks_make_invalid",
                "With these marks the ballot is invalid (%(reasons)s): decide it invalid instead",
                reasons=", ".join(outcome.reasons),
            )
    else:
        raise CongressError("bad_decision", "A decision is valid or invalid")
    return _record(session, ballot, "decide", status, reason, clean, note, actor)


def confirm(
    session: Session, count: Count, ballot_id: int, actor: str, note: str = ""
) -> BallotDecision:
    """The second member's confirmation of a decision (two-person rule): never the same person."""
    ensure_open(count)
    ballot = get_ballot(session, count, ballot_id)
    current = state_of(session, count, ballot)
    if current.state != "needs_confirmation" or current.pending is None:
        raise CongressError(
            "nothing_to_confirm", "This ballot has no decision awaiting confirmation", status=409
        )
    if current.pending.actor == actor:
        raise Forbidden(
            "same_member",
            "A decision is confirmed by another member than the one who made it",
        )
    pending = current.pending
    marks = dict(pending.marks or {})
    return _record(
        session, ballot, "confirm", pending.status, pending.reason, marks, _note(note), actor
    )


def reopen_ballot(
    session: Session, count: Count, ballot_id: int, note: str, actor: str
) -> BallotDecision:
    """Put any ballot back into review; the reason is recorded."""
    ensure_open(count)
    ballot = get_ballot(session, count, ballot_id)
    note = _note(note)
    if not note:
        raise CongressError("reopen_note", "Say why the ballot is re-opened")
    return _record(session, ballot, "reopen", None, None, {}, note, actor)


def decisions_by_ballot(session: Session, count: Count) -> dict[int, list[BallotDecision]]:
    rows: dict[int, list[BallotDecision]] = {}
    for row in session.scalars(
        select(BallotDecision)
        .join(CountedBallot, CountedBallot.id == BallotDecision.ballot_id)
        .where(CountedBallot.count_id == count.id)
        .order_by(BallotDecision.id)
    ):
        rows.setdefault(row.ballot_id, []).append(row)
    return rows
