"""The count of a ballot round: scans in, the committee's decisions, reconciliation, the lock.

Every scanned image is stored unaltered under its SHA-256 and read once; the reading is never
changed. The committee's decisions are new rows (decide, confirm, re-open), so the machine
reading, the human decision, who, when and why all stay. The tally itself is ballots.tally's.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ballots import tally as rules
from ballots.elections import current_round, get_election, live_runs, ordered_candidates
from ballots.models import (
    BallotDecision,
    BallotRound,
    Count,
    CountedBallot,
    Election,
    PrintRun,
)
from ballots.paper.layout import BallotLayout
from congress import audit
from congress.attendance import attendance
from congress.db import Database
from congress.errors import Conflict, CongressError, Forbidden, NotFound
from congress.i18n import N_
from congress.models import Congress, Delegate, Sitting, utcnow
from congress.storage import FileStore, store_file

MAX_MEMBERS = 25
MAX_BALLOTS = 10_000
MAX_NOTE = 1000
MAX_FILE_NAME = 300

# Reason codes a committee may give for an invalid ballot (named in ballots.tally).
INVALID_REASONS: dict[str, str] = {
    code: rules.REASON_NAMES[code]
    for code in (
        "seal_missing",
        "more_than_seats",
        "nobody_elected",
        "improper_strike",
        "private_mark",
        "written_in",
        "serial_forged",
        "wrong_election",
        "page_unreadable",
        "missing_page",
        "other",
    )
}
# Every reason code the pages may show.
REASON_NAMES: dict[str, str] = {
    **rules.REASON_NAMES,
    "duplicate_serial": N_("same serial as an earlier ballot"),
}
NOTE_NAMES = rules.NOTE_NAMES
STATUS_NAMES = {
    "valid": N_("valid"),
    "invalid": N_("invalid"),
    "review": N_("to review"),
    "rejected": N_("rejected"),
}
DECISION_NAMES = {
    "decide": N_("decision"),
    "confirm": N_("confirmation"),
    "reopen": N_("re-opened"),
}
BALLOT_STATES = {
    "counted": N_("counted"),
    "needs_decision": N_("awaiting a decision"),
    "needs_confirmation": N_("awaiting confirmation"),
    "duplicate": N_("duplicate serial, not counted"),
}


# --- counts -------------------------------------------------------------------------------------


def get_count(session: Session, count_id: int, congress: Congress | None = None) -> Count:
    count = session.get(Count, count_id)
    if count is None:
        raise NotFound("unknown_count", "No count with the number %(id)s", id=count_id)
    if congress is not None:
        election = session.get(Election, count.election_id)
        if election is None or election.congress_id != congress.id:
            raise NotFound("unknown_count", "No count with the number %(id)s", id=count_id)
    return count


def count_of_round(session: Session, round_: BallotRound) -> Count | None:
    return session.scalar(select(Count).where(Count.round_id == round_.id))


def find_count(session: Session, election: Election, round_number: int | None = None) -> Count:
    """The count of a round of the election (default: the current round)."""
    round_ = _round(election, round_number)
    count = count_of_round(session, round_)
    if count is None:
        raise CongressError(
            "no_open_count",
            "No count is open for round %(number)s of this election",
            status=409,
            number=round_.number,
        )
    return count


def _round(election: Election, number: int | None) -> BallotRound:
    if number is None:
        return current_round(election)
    for round_ in election.rounds:
        if round_.number == number:
            return round_
    raise NotFound("unknown_round", "This election has no round %(number)s", number=number)


def _members(members: Iterable[str]) -> list[str]:
    names = [" ".join(m.split()) for m in members]
    names = [n for n in names if n]
    if not names:
        raise CongressError("no_members", "Name the members of the counting committee")
    if len(names) > MAX_MEMBERS or any(len(n) > 120 for n in names):
        raise CongressError(
            "bad_members",
            "At most %(max)s members, each name at most 120 characters",
            max=MAX_MEMBERS,
        )
    return list(dict.fromkeys(names))


def _figure(value: Any, name: str) -> int:
    if isinstance(value, bool):
        value = None
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        number = -1
    if not 0 <= number <= 100_000:
        raise CongressError(
            "bad_figure", "%(name)s must be a whole number from 0 to 100000", name=name
        )
    return number


def open_count(
    session: Session,
    election: Election,
    *,
    members: Sequence[str],
    issued: Any,
    collected: Any,
    two_person_rule: bool = True,
    actor: str,
) -> Count:
    """Open the count of the election's current round (its ballots must be printed)."""
    round_ = current_round(election)
    if not live_runs(round_):
        raise CongressError(
            "not_printed", "No ballots of round %(number)s were printed", number=round_.number
        )
    if count_of_round(session, round_) is not None:
        raise Conflict("count_exists", "Round %(number)s already has a count", number=round_.number)
    count = Count(
        election_id=election.id,
        round_id=round_.id,
        members=_members(members),
        issued=_figure(issued, "issued"),
        collected=_figure(collected, "collected"),
        two_person_rule=two_person_rule,
        state="open",
        opened_by=actor,
        opened_at=utcnow(),
        explanation="",
    )
    session.add(count)
    session.flush()
    audit.record(
        session,
        actor,
        "count.opened",
        congress_id=election.congress_id,
        subject=f"election {election.id} round {round_.number}",
        count=count.id,
        members=count.members,
        issued=count.issued,
        collected=count.collected,
        two_person_rule=two_person_rule,
    )
    return count


def ensure_open(count: Count) -> None:
    if count.state != "open":
        raise CongressError(
            "count_closed",
            "The count is closed and locked; only an administrator can re-open it",
            status=409,
        )


def lock(session: Session, count_id: int) -> Count:
    """The count row, locked for this transaction: its writes happen one at a time.

    (PostgreSQL: SELECT ... FOR UPDATE; SQLite: the caller's write_session holds the lock.)
    """
    count = session.scalar(select(Count).where(Count.id == count_id).with_for_update())
    if count is None:
        raise NotFound("unknown_count", "No count with the number %(id)s", id=count_id)
    session.refresh(count)
    return count


def update_figures(
    session: Session,
    count: Count,
    *,
    members: Sequence[str],
    issued: Any,
    collected: Any,
    actor: str,
) -> None:
    ensure_open(count)
    before = {"members": count.members, "issued": count.issued, "collected": count.collected}
    count.members = _members(members)
    count.issued = _figure(issued, "issued")
    count.collected = _figure(collected, "collected")
    audit.record(
        session,
        actor,
        "count.figures",
        congress_id=_congress_id(session, count),
        subject=f"count {count.id}",
        before=before,
        members=count.members,
        issued=count.issued,
        collected=count.collected,
    )


def _congress_id(session: Session, count: Count) -> int:
    election = session.get(Election, count.election_id)
    assert election is not None
    return election.congress_id


# --- reading context, built once per printed layout ----------------------------------------------

_CONTEXTS: dict[tuple[Any, ...], Any] = {}
_CONTEXT_LOCK = threading.Lock()


def printed_layout(round_: BallotRound) -> tuple[PrintRun, BallotLayout]:
    runs = live_runs(round_) or list(round_.print_runs)
    if not runs:
        raise CongressError(
            "not_printed", "No ballots of round %(number)s were printed", number=round_.number
        )
    return runs[-1], BallotLayout.from_dict(runs[-1].layout)


def database_of(session: Session) -> str:
    """Which database a session is on: ids alone repeat across databases."""
    return str(session.get_bind().engine.url)


def reading_context(session: Session, count: Count) -> Any:
    """The reader's context for the count's round, cached: rendering the references is slow."""
    from ballots.elections import read_context

    round_ = session.get(BallotRound, count.round_id)
    assert round_ is not None
    run, _ = printed_layout(round_)
    election = get_election(session, round_.election_id)
    congress = session.get(Congress, election.congress_id)
    assert congress is not None
    # Ids repeat across databases (and a deleted congress's ids come back on SQLite): the key
    # holds what the context is made of.
    key = (
        database_of(session),
        round_.election_id,
        round_.number,
        run.id,
        run.printed_at,
        congress.public_key,
    )
    with _CONTEXT_LOCK:
        cached = _CONTEXTS.get(key)
        if cached is None:
            if len(_CONTEXTS) > 16:
                _CONTEXTS.clear()
            cached = _CONTEXTS[key] = read_context(election, round_.number)
        return cached


# --- receiving a scanned ballot ------------------------------------------------------------------


@dataclass(frozen=True)
class Received:
    """The answer for one scanned file."""

    ballot_id: int
    file: str
    serial: str | None
    status: str
    reasons: list[str]
    duplicate: str | None  # None | "serial" | "image"
    created: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "ballot_id": self.ballot_id,
            "file": self.file,
            "serial": self.serial,
            "status": self.status,
            "reasons": self.reasons,
            "duplicate": self.duplicate,
        }


_READING_KEYS = {"file", "image_sha256", "serial", "status", "reasons", "pages", "targets"}
_STATUSES = ("valid", "invalid", "review", "rejected")


def check_reading(reading: Any, sha256: str) -> dict[str, Any]:
    """A station's reading must be the reader's JSON of exactly this image."""
    if not isinstance(reading, dict) or not set(reading) >= _READING_KEYS:
        raise CongressError(
            "bad_reading", "The reading is not a ballot reading (JSON of the reader)", status=422
        )
    if reading["image_sha256"] != sha256:
        raise CongressError(
            "reading_mismatch",
            "The reading is of another image (its SHA-256 differs from the upload's)",
            status=422,
        )
    serial = reading["serial"]
    if (
        reading["status"] not in _STATUSES
        or not isinstance(reading["reasons"], list)
        or not all(isinstance(r, str) for r in reading["reasons"])
        or not (serial is None or (isinstance(serial, str) and len(serial) <= 32))
        or not isinstance(reading["targets"], list)
    ):
        raise CongressError(
            "bad_reading", "The reading is not a ballot reading (JSON of the reader)", status=422
        )
    return reading


def read_image(context: Any, data: bytes, name: str) -> dict[str, Any]:
    """Decode and read one file as one ballot (all its pages); CPU-heavy, run it off the loop."""
    from ballots.reading.imageio import ImageFileError, load_bytes
    from ballots.reading.reader import read_ballot

    try:
        scanned = load_bytes(data, name)
    except (ImageFileError, ValueError, OSError) as exc:
        raise CongressError(
            "unreadable_file",
            "%(file)s is not an image or PDF that can be read",
            status=422,
            file=name,
        ) from exc
    if not scanned.pages:
        raise CongressError(
            "unreadable_file",
            "%(file)s is not an image or PDF that can be read",
            status=422,
            file=name,
        )
    reading = read_ballot(list(scanned.pages), context, file=name, sha256=scanned.sha256)
    return reading.to_dict()


def _content_type(data: bytes) -> str:
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "image/png"
    if data[:3] == b"\xff\xd8\xff":
        return "image/jpeg"
    if data[:4] in (b"II*\x00", b"MM\x00*"):
        return "image/tiff"
    if data[:5] == b"%PDF-":
        return "application/pdf"
    return "application/octet-stream"


def known_image(session: Session, count_id: int, sha256: str) -> CountedBallot | None:
    return session.scalar(
        select(CountedBallot).where(
            CountedBallot.count_id == count_id, CountedBallot.image_sha256 == sha256
        )
    )


def _answer(
    ballot: CountedBallot, duplicate: str | None, created: bool, file: str | None = None
) -> Received:
    return Received(
        ballot.id,
        file or ballot.file_name,
        ballot.serial,
        ballot.machine_status,
        list(ballot.reading.get("reasons", [])),
        duplicate,
        created,
    )


def receive(
    db: Database,
    count_id: int,
    data: bytes,
    name: str,
    actor: str,
    station: str = "",
    reading: Any = None,
) -> Received:
    """Store and record one scanned ballot; the same image again is ignored and reported.

    The image is read here unless the station sent its reading. Nothing is written when the
    file cannot be read, the reading does not match, or the count is closed.
    """
    name = (name or "scan").replace("/", "_").replace("\\", "_")[-MAX_FILE_NAME:]
    sha = hashlib.sha256(data).hexdigest()
    with db.session() as session:
        count = get_count(session, count_id)
        ensure_open(count)
        earlier = known_image(session, count.id, sha)
        if earlier is not None:
            return _answer(earlier, "image", False, name)
        context = reading_context(session, count) if reading is None else None
    reading = read_image(context, data, name) if reading is None else check_reading(reading, sha)
    store = FileStore(db.settings.files_dir)
    with db.write_session() as session:
        count = lock(session, count_id)
        ensure_open(count)
        earlier = known_image(session, count.id, sha)
        if earlier is not None:
            return _answer(earlier, "image", False, name)
        total = session.scalar(
            select(func.count())
            .select_from(CountedBallot)
            .where(CountedBallot.count_id == count.id)
        )
        if (total or 0) >= MAX_BALLOTS:
            raise CongressError(
                "too_many_ballots", "A count takes at most %(max)s ballots", max=MAX_BALLOTS
            )
        serial = reading.get("serial")
        first = None
        if serial:
            first = session.scalar(
                select(CountedBallot.id)
                .where(
                    CountedBallot.count_id == count.id,
                    CountedBallot.serial == serial,
                    CountedBallot.duplicate_of.is_(None),
                )
                .order_by(CountedBallot.id)
                .limit(1)
            )
        store_file(session, store, data, _content_type(data), name)
        ballot = CountedBallot(
            count_id=count.id,
            image_sha256=sha,
            file_name=name,
            serial=serial,
            reading=reading,
            machine_status=str(reading["status"]),
            duplicate_of=first,
            station=station.strip()[:80],
            received_by=actor[:120],
            received_at=utcnow(),
        )
        session.add(ballot)
        session.flush()
        return _answer(ballot, "serial" if first is not None else None, True)


# --- the state of each ballot -------------------------------------------------------------------


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
            ballot.reading,
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
        rr.layout, ballot.reading, counted, rr.seats, rr.nobody_elected_invalid
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


# --- the committee's decisions ------------------------------------------------------------------


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
        if reason not in INVALID_REASONS:
            raise CongressError("bad_reason", "Choose why the ballot is invalid")
        if reason == "other" and not note:
            raise CongressError("reason_note", "Say in the note why the ballot is invalid")
        clean = {}
    elif status == "valid":
        reason = None
        outcome = rules.final_outcome(
            rr.layout,
            ballot.reading,
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


# --- reconciliation, tally, closing -------------------------------------------------------------


@dataclass(frozen=True)
class Reconciliation:
    issued: int
    collected: int
    scanned: int  # distinct ballots: duplicate-serial copies left out
    counted: int  # scanned ballots with a final outcome (valid or invalid)
    duplicates: int  # copies of an earlier serial
    awaiting_decision: int
    awaiting_confirmation: int

    @property
    def agrees(self) -> bool:
        return self.issued == self.collected == self.scanned == self.counted

    def to_dict(self) -> dict[str, Any]:
        return {
            "issued": self.issued,
            "collected": self.collected,
            "scanned": self.scanned,
            "counted": self.counted,
            "duplicates": self.duplicates,
            "awaiting_decision": self.awaiting_decision,
            "awaiting_confirmation": self.awaiting_confirmation,
            "agrees": self.agrees,
        }


def reconciliation(count: Count, evaluation: Evaluation) -> Reconciliation:
    states = [s.state for _, s in evaluation.ballots]
    return Reconciliation(
        issued=count.issued,
        collected=count.collected,
        scanned=sum(1 for s in states if s != "duplicate"),
        counted=states.count("counted"),
        duplicates=states.count("duplicate"),
        awaiting_decision=states.count("needs_decision"),
        awaiting_confirmation=states.count("needs_confirmation"),
    )


def attendance_figures(session: Session, election: Election) -> tuple[int, int]:
    """(summoned, present): from the check-in of the election's sitting when it has one."""
    congress = session.get(Congress, election.congress_id)
    assert congress is not None
    if election.sitting_id is not None:
        sitting = session.get(Sitting, election.sitting_id)
        assert sitting is not None
        report = attendance(session, congress, sitting)
        return report.summoned, report.present
    summoned = session.scalar(
        select(func.count())
        .select_from(Delegate)
        .where(
            Delegate.congress_id == congress.id,
            Delegate.kind == "full",
            Delegate.revoked_at.is_(None),
        )
    )
    return int(summoned or 0), 0


def figures(session: Session, count: Count) -> rules.CountFigures:
    election = session.get(Election, count.election_id)
    assert election is not None
    summoned, present = attendance_figures(session, election)
    return rules.CountFigures(
        summoned=summoned, present=present, issued=count.issued, collected=count.collected
    )


def tally_rules(
    session: Session, count: Count
) -> tuple[rules.TallyRules, list[rules.CandidateInfo]]:
    election = session.get(Election, count.election_id)
    round_ = session.get(BallotRound, count.round_id)
    assert election is not None and round_ is not None
    _, layout = printed_layout(round_)
    people = ordered_candidates(election, round_)
    candidates = [
        rules.CandidateInfo(
            item=item.id,
            name=item.label,
            birth_date=people[index].birth_date if index < len(people) else None,
        )
        for index, item in enumerate(layout.items)
    ]
    return (
        rules.TallyRules(
            form=election.form,
            seats=round_.seats,
            threshold_base=election.threshold_base,
            percentage_base=election.percentage_base,
            tie_rule=election.tie_rule,
        ),
        candidates,
    )


def running_tally(
    session: Session, count: Count, evaluation: Evaluation | None = None
) -> dict[str, Any]:
    """The tally as it stands (TallyResult.to_dict()); the frozen one once the count is closed."""
    if count.state == "closed" and count.result is not None:
        return count.result
    evaluation = evaluation or evaluate(session, count)
    tally_rules_, candidates = tally_rules(session, count)
    result = rules.tally(tally_rules_, candidates, figures(session, count), evaluation.counted)
    return dict(result.to_dict())


def close_count(session: Session, count: Count, explanation: str, actor: str) -> dict[str, Any]:
    """Close and lock the count: nothing awaiting the committee, figures agreeing or explained."""
    ensure_open(count)
    evaluation = evaluate(session, count)
    figures_now = reconciliation(count, evaluation)
    if figures_now.awaiting_decision or figures_now.awaiting_confirmation:
        raise CongressError(
            "ballots_awaiting",
            "%(decision)s ballot(s) await a decision and %(confirmation)s a confirmation: "
            "the count cannot be closed yet",
            status=409,
            decision=figures_now.awaiting_decision,
            confirmation=figures_now.awaiting_confirmation,
        )
    explanation = " ".join((explanation or "").split())[:2000]
    if not figures_now.agrees and not explanation:
        raise CongressError(
            "reconciliation_mismatch",
            "Issued %(issued)s, collected %(collected)s, scanned %(scanned)s and counted "
            "%(counted)s disagree: record an explanation to close the count",
            status=409,
            issued=figures_now.issued,
            collected=figures_now.collected,
            scanned=figures_now.scanned,
            counted=figures_now.counted,
        )
    result = running_tally(session, count, evaluation)
    count.state = "closed"
    count.closed_by = actor[:120]
    count.closed_at = utcnow()
    count.explanation = explanation
    count.result = result
    count.root_hash = None
    count.bundle_sha256 = None
    audit.record(
        session,
        actor,
        "count.closed",
        congress_id=_congress_id(session, count),
        subject=f"count {count.id}",
        reconciliation=figures_now.to_dict(),
        explanation=explanation,
        elected=result.get("elected"),
    )
    return result


def reopen_count(session: Session, count: Count, reason: str, actor: str, is_admin: bool) -> None:
    """Only an administrator re-opens a closed count; the reason is recorded."""
    if not is_admin:
        raise Forbidden("admin_only", "Only an administrator can re-open a closed count")
    if count.state != "closed":
        raise CongressError("count_not_closed", "The count is not closed", status=409)
    reason = " ".join((reason or "").split())[:1000]
    if not reason:
        raise CongressError("reopen_reason", "Say why the count is re-opened")
    audit.record(
        session,
        actor,
        "count.reopened",
        congress_id=_congress_id(session, count),
        subject=f"count {count.id}",
        reason=reason,
        closed_by=count.closed_by,
        closed_at=count.closed_at.isoformat(timespec="seconds") if count.closed_at else None,
        root_hash=count.root_hash,
    )
    count.state = "open"
    count.closed_by = None
    count.closed_at = None
    count.result = None
    count.root_hash = None
    count.bundle_sha256 = None


def status_json(session: Session, count: Count) -> dict[str, Any]:
    """What the count page, the projector and the station API show."""
    evaluation = evaluate(session, count)
    round_ = session.get(BallotRound, count.round_id)
    assert round_ is not None
    last = None
    counted = [i for i, state in evaluation.ballots if state.state == "counted"]
    if counted:  # the projector shows the last ballot that counts, never one under review
        ballot = session.get(CountedBallot, counted[-1])
        assert ballot is not None
        last = {
            "id": ballot.id,
            "serial": ballot.serial,
            "status": dict(evaluation.ballots)[ballot.id].outcome.status,
            "machine_status": ballot.machine_status,
        }
    return {
        "count": {
            "id": count.id,
            "election_id": count.election_id,
            "round": round_.number,
            "state": count.state,
            "two_person_rule": count.two_person_rule,
            "members": list(count.members),
            "explanation": count.explanation,
            "closed_at": _iso(count.closed_at),
            "root_hash": count.root_hash,
        },
        "reconciliation": reconciliation(count, evaluation).to_dict(),
        "last_ballot": last,
        "tally": running_tally(session, count, evaluation),
    }


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") if value else None


# --- the audit bundle and the minutes (formats: ballots.proof.bundle, ballots.proof.minutes) -----------------


def _frozen_figures(session: Session, count: Count) -> rules.CountFigures:
    if count.state == "closed" and count.result is not None:
        f = count.result["figures"]
        return rules.CountFigures(f["summoned"], f["present"], f["issued"], f["collected"])
    return figures(session, count)


def bundle_input(
    session: Session, election_id: int, round_number: int | None = None, *, files_dir: Path
) -> Any:
    """Everything the audit bundle of a round's count holds (ballots.proof.bundle.BundleInput).

    Ballots are in the order of their image hash: nothing tells the order they were scanned.
    """
    from dataclasses import asdict

    from ballots.elections import spec_for
    from ballots.proof.bundle import BundleBallot, BundleInput

    election = get_election(session, election_id)
    count = find_count(session, election, round_number)
    round_ = session.get(BallotRound, count.round_id)
    congress = session.get(Congress, election.congress_id)
    assert round_ is not None and congress is not None
    _, layout = printed_layout(round_)
    spec = spec_for(election, round_, congress)
    tally_rules_, candidates = tally_rules(session, count)
    store = FileStore(files_dir)
    ballots = sorted(
        session.scalars(select(CountedBallot).where(CountedBallot.count_id == count.id)),
        key=lambda b: b.image_sha256,
    )
    rows: dict[int, list[BallotDecision]] = {}
    for row in session.scalars(
        select(BallotDecision)
        .join(CountedBallot, CountedBallot.id == BallotDecision.ballot_id)
        .where(CountedBallot.count_id == count.id)
        .order_by(BallotDecision.id)
    ):
        rows.setdefault(row.ballot_id, []).append(row)
    figures_ = _frozen_figures(session, count)
    from ballots.reading.reader import ReadingSettings

    return BundleInput(
        congress={"name": congress.name, "slug": congress.slug, "public_key": congress.public_key},
        election={
            "id": election.id,
            "title": election.title,
            "form": election.form,
            "seats": round_.seats,
            "threshold_base": election.threshold_base,
            "percentage_base": election.percentage_base,
            "tie_rule": election.tie_rule,
            "nobody_elected_invalid": election.nobody_elected_invalid,
            "seal_required": election.seal_required,
            "round": round_.number,
        },
        spec={k: list(v) if isinstance(v, tuple) else v for k, v in asdict(spec).items()},
        layout=layout.to_dict(),
        settings=ReadingSettings().to_dict(),
        candidates=[
            {
                "item": c.item,
                "name": c.name,
                "birth_date": c.birth_date.isoformat() if c.birth_date else None,
            }
            for c in candidates
        ],
        figures={
            "summoned": figures_.summoned,
            "present": figures_.present,
            "issued": figures_.issued,
            "collected": figures_.collected,
        },
        count={
            "members": list(count.members),
            "opened_at": _iso(count.opened_at),
            "closed_at": _iso(count.closed_at),
            "explanation": count.explanation,
            "two_person_rule": count.two_person_rule,
        },
        ballots=[
            BundleBallot(
                image=store.get(b.image_sha256),
                file_name=b.file_name,
                reading=b.reading,
                decisions=[decision_row(d) for d in rows.get(b.id, [])],
                duplicate_of_serial=b.duplicate_of is not None,
            )
            for b in ballots
        ],
        tally=running_tally(session, count),
    )


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


def count_report(session: Session, count: Count) -> Any:
    """The plain data of the counting minutes and the ballot-entry log (ballots.proof.minutes)."""
    from ballots.proof.minutes import CountReport

    election = session.get(Election, count.election_id)
    round_ = session.get(BallotRound, count.round_id)
    assert election is not None and round_ is not None
    congress = session.get(Congress, election.congress_id)
    assert congress is not None
    evaluation = dict(evaluate(session, count).ballots)
    ballots = sorted(
        session.scalars(select(CountedBallot).where(CountedBallot.count_id == count.id)),
        key=lambda b: b.image_sha256,
    )
    rows = decisions_by_ballot(session, count)
    entries = []
    for b in ballots:
        state = evaluation[b.id]
        entries.append(
            {
                "ballot": b.image_sha256[:12],
                "serial": b.serial,
                "machine_status": b.machine_status,
                "reasons": list(b.reading.get("reasons", [])),
                "targets": list(b.reading.get("targets", [])),
                "decisions": [decision_row(d) for d in rows.get(b.id, [])],
                "final_status": state.outcome.status,
                "final_reasons": list(state.outcome.reasons),
                "duplicate": b.duplicate_of is not None,
            }
        )
    return CountReport(
        congress_name=congress.name,
        election_title=election.title,
        round=round_.number,
        form=election.form,
        seats=round_.seats,
        members=list(count.members),
        figures=_frozen_figures(session, count),
        tally=running_tally(session, count),
        ended_at=count.closed_at,
        root_hash=count.root_hash,
        entries=entries,
        organisation=election.organisation or congress.organisation,
        place=congress.venue,
    )


def seal_count(db: Database, count_id: int) -> str:
    """Export the closed count's signed audit bundle into the file store; record its root hash."""
    import tempfile

    from ballots.proof.bundle import write_bundle
    from congress.signing import signing_key

    settings = db.settings
    with db.session() as session:
        count = get_count(session, count_id)
        if count.state != "closed":
            raise CongressError("count_not_closed", "The count is not closed", status=409)
        election = get_election(session, count.election_id)
        round_ = session.get(BallotRound, count.round_id)
        congress = session.get(Congress, election.congress_id)
        assert round_ is not None and congress is not None
        data = bundle_input(session, election.id, round_.number, files_dir=settings.files_dir)
        key = signing_key(settings, session, congress)
        closed_at = count.closed_at
    with tempfile.TemporaryDirectory(dir=settings.home) as tmp:
        out = Path(tmp) / "bundle.zip"
        root = write_bundle(data, key, out)
        zipped = out.read_bytes()
    store = FileStore(settings.files_dir)
    with db.write_session() as session:
        count = lock(session, count_id)
        if count.state != "closed" or count.closed_at != closed_at:
            raise Conflict("count_changed", "The count changed while its bundle was made")
        stored = store_file(session, store, zipped, "application/zip", f"count-{count.id}.zip")
        count.root_hash = root
        count.bundle_sha256 = stored.sha256
        audit.record(
            session,
            "system",
            "count.sealed",
            congress_id=election.congress_id,
            subject=f"count {count.id}",
            root_hash=root,
            bundle=stored.sha256,
        )
    return root
