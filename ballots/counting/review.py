"""The committee's review: where each ballot stands, and its decisions, confirmations, re-openings.

The committee's decisions are new rows (decide, confirm, re-open), so the machine reading, the
human decision, who, when and why all stay.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from ballots import tally as rules
from ballots.counting.counts import committee_text, database_of, ensure_open, printed_layout
from ballots.models import BallotDecision, BallotRound, Count, CountedBallot, Election
from ballots.paper.layout import BallotLayout
from ballots.reasons import COMMITTEE_REASONS, severe
from congress.cache import BoundedCache
from congress.errors import CongressError, Forbidden, NotFound
from congress.models import utcnow


@dataclass(frozen=True)
class BallotState:
    """Where a ballot stands: its decision rows replayed over its machine reading."""

    state: str  # counted | needs_decision | needs_confirmation | duplicate
    outcome: rules.BallotOutcome
    decision: rules.Decision | None  # the decision in force (confirmed when two-person)
    pending: BallotDecision | None  # the decision row awaiting its confirmation

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
        "member": row.member or "",
        "at": row.at.isoformat(timespec="seconds"),
    }


@dataclass
class RoundRules:
    layout: BallotLayout
    seats: int
    nobody_elected_invalid: bool
    committee_decides_invalid: bool = False


def round_rules(session: Session, count: Count) -> RoundRules:
    round_ = session.get(BallotRound, count.round_id)
    election = session.get(Election, count.election_id)
    assert round_ is not None and election is not None
    _, layout = printed_layout(round_)
    return RoundRules(
        layout,
        round_.seats,
        election.nobody_elected_invalid,
        bool(count.committee_decides_invalid),
    )


def ballot_state(
    ballot: CountedBallot,
    decisions: Sequence[BallotDecision],
    two_person_rule: bool,
    rr: RoundRules,
) -> BallotState:
    """The ballot's decision rows replayed by tally.fold_decisions, as `ballots verify` does."""
    rows = sorted(decisions, key=lambda d: d.id)
    fold = rules.fold_decisions([decision_row(d) for d in rows], two_person_rule)
    # A decision waits only until the next confirm or re-open: the one waiting is the last
    # "decide" row.
    pending = None
    if fold.pending is not None:
        pending = next(d for d in reversed(rows) if d.kind == "decide")
    if ballot.duplicate_of is not None:
        return BallotState("duplicate", _final(ballot, fold.decision, rr), fold.decision, pending)
    waiting = rules.BallotOutcome("review", (), {})
    if pending is not None:
        return BallotState("needs_confirmation", waiting, None, pending)
    if fold.reopened:
        return BallotState("needs_decision", waiting, None, None)
    outcome = _final(ballot, fold.decision, rr)
    state = "needs_decision" if outcome.status == "review" else "counted"
    return BallotState(state, outcome, fold.decision, None)


def _final(
    ballot: CountedBallot, decision: rules.Decision | None, rr: RoundRules
) -> rules.BallotOutcome:
    return rules.final_outcome(
        rr.layout,
        ballot.recorded,
        decision,
        rr.seats,
        rr.nobody_elected_invalid,
        rr.committee_decides_invalid,
    )


# Ballot states by (database, ballot, image, last decision row, two-person rule): a reading never
# changes and a ballot's state changes only with a new decision row, so a count is re-evaluated
# cheaply. The web app keeps one in its state; a count of 10,000 ballots fits many times.
StateCache = BoundedCache[tuple[Any, ...], BallotState]
STATES_KEPT = 200_000


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


def evaluate(session: Session, count: Count, states: StateCache | None = None) -> Evaluation:
    """Every ballot's state; `states` (owned by the caller) spares re-reading unchanged ones."""
    found = session.execute(
        select(CountedBallot.id, CountedBallot.image_sha256)
        .where(CountedBallot.count_id == count.id)
        .order_by(CountedBallot.id)
    ).all()
    ballot_ids = [i for i, _ in found]
    images: dict[int, str] = {i: sha for i, sha in found}
    where = database_of(session)
    rows = decisions_by_ballot(session, count)
    keys = {
        i: (where, i, images[i], rows[i][-1].id if i in rows else 0, count.two_person_rule)
        for i in ballot_ids
    }
    known: dict[int, BallotState] = {}
    if states is not None:
        for i in ballot_ids:
            state = states.get(keys[i])
            if state is not None:
                known[i] = state
    missing = [i for i in ballot_ids if i not in known]
    if missing:
        rr = round_rules(session, count)
        for start in range(0, len(missing), 500):
            chunk = missing[start : start + 500]
            for ballot in session.scalars(select(CountedBallot).where(CountedBallot.id.in_(chunk))):
                state = ballot_state(ballot, rows.get(ballot.id, []), count.two_person_rule, rr)
                known[ballot.id] = state
                if states is not None:
                    states.put(keys[ballot.id], state)
    return Evaluation([(i, known[i]) for i in ballot_ids], ballot_ids[-1] if ballot_ids else None)


def decisions_by_ballot(session: Session, count: Count) -> dict[int, list[BallotDecision]]:
    """Every decision row of the count's ballots, by ballot, in recorded order."""
    rows: dict[int, list[BallotDecision]] = {}
    for row in session.scalars(
        select(BallotDecision)
        .join(CountedBallot, CountedBallot.id == BallotDecision.ballot_id)
        .where(CountedBallot.count_id == count.id)
        .order_by(BallotDecision.id)
    ):
        rows.setdefault(row.ballot_id, []).append(row)
    return rows


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


def _record(
    session: Session,
    ballot: CountedBallot,
    kind: str,
    status: str | None,
    reason: str | None,
    marks: Mapping[str, str],
    note: str,
    actor: str,
    member: str = "",
) -> BallotDecision:
    """Append one decision row (rows are never changed: the database refuses updates)."""
    row = BallotDecision(
        ballot_id=ballot.id,
        kind=kind,
        status=status,
        reason=reason,
        marks=dict(marks),
        note=note,
        actor=actor,
        member=member,
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
    member: str = "",
) -> BallotDecision:
    """Record a member's decision on a ballot awaiting one (valid with marks, or invalid).

    An invalid ballot needs a committee reason, or one of the machine's own grave reasons (the
    committee confirming what the machine found).
    """
    ensure_open(count)
    member = member_of(count, member)
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
    note = committee_text(note)
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
        machine = [r for r in ballot.recorded.reasons if severe(r)]
        if reason not in COMMITTEE_REASONS and reason not in machine:
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
    return _record(session, ballot, "decide", status, reason, clean, note, actor, member)


def member_of(count: Count, member: str | None) -> str:
    """The committee member acting: one of the count's named members ("" when the caller names
    none: a command or a script, recorded by its account alone)."""
    name = " ".join((member or "").split())
    if name and name not in (count.members or []):
        raise CongressError(
            "unknown_member", "%(name)s is not a member of this counting committee", name=name
        )
    return name


def machine_reason(ballot: CountedBallot) -> str | None:
    """The machine's gravest reason for a ballot it found invalid or could not place."""
    grave = [r for r in ballot.recorded.reasons if severe(r)]
    return grave[0] if grave else None


def confirm(
    session: Session,
    count: Count,
    ballot_id: int,
    actor: str,
    note: str = "",
    member: str = "",
) -> BallotDecision:
    """The second member's confirmation of a decision (two-person rule): never the same person."""
    ensure_open(count)
    member = member_of(count, member)
    ballot = get_ballot(session, count, ballot_id)
    current = state_of(session, count, ballot)
    if current.state != "needs_confirmation" or current.pending is None:
        raise CongressError(
            "nothing_to_confirm", "This ballot has no decision awaiting confirmation", status=409
        )
    if rules.same_person(decision_row(current.pending), {"member": member, "actor": actor}):
        raise Forbidden(
            "same_member",
            "A decision is confirmed by another member than the one who made it",
        )
    pending = current.pending
    marks = dict(pending.marks or {})
    return _record(
        session,
        ballot,
        "confirm",
        pending.status,
        pending.reason,
        marks,
        committee_text(note),
        actor,
        member,
    )


def reopen_ballot(
    session: Session, count: Count, ballot_id: int, note: str, actor: str, member: str = ""
) -> BallotDecision:
    """Put any ballot back into review; the reason is recorded."""
    ensure_open(count)
    member = member_of(count, member)
    ballot = get_ballot(session, count, ballot_id)
    note = committee_text(note)
    if not note:
        raise CongressError("reopen_note", "Say why the ballot is re-opened")
    return _record(session, ballot, "reopen", None, None, {}, note, actor, member)


@dataclass(frozen=True)
class BatchResult:
    """What a batch of the review queue did: ballots acted on, and each one refused, with why."""

    done: list[int]
    refused: list[tuple[int, CongressError]]


def act_on_many(
    session: Session,
    count: Count,
    ballot_ids: Sequence[int],
    *,
    actor: str,
    member: str,
) -> BatchResult:
    """The committee's batch on ballots it has seen: each ballot the machine found invalid or
    could not place is decided invalid for the machine's reason; each decision awaiting
    confirmation is confirmed (by another member than the one who made it). A ballot that is
    neither is refused, alone: the others go on."""
    ensure_open(count)
    member = member_of(count, member)
    done: list[int] = []
    refused: list[tuple[int, CongressError]] = []
    for ballot_id in dict.fromkeys(ballot_ids):
        try:
            with session.begin_nested():
                ballot = get_ballot(session, count, ballot_id)
                current = state_of(session, count, ballot)
                if current.state == "needs_confirmation":
                    confirm(session, count, ballot_id, actor, "", member)
                else:
                    reason = machine_reason(ballot)
                    if current.state != "needs_decision" or reason is None:
                        raise CongressError(
                            "not_machine_invalid",
                            "Only a ballot the machine found invalid can be decided in a batch; "
                            "open it to decide",
                            status=409,
                        )
                    decide(
                        session,
                        count,
                        ballot_id,
                        status="invalid",
                        reason=reason,
                        marks={},
                        note="",
                        actor=actor,
                        member=member,
                    )
            done.append(ballot_id)
        except CongressError as exc:
            refused.append((ballot_id, exc))
    return BatchResult(done, refused)
