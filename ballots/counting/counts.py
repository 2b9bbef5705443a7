"""The count of a ballot round: open it, find it, its figures and committee, its row lock."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ballots.elections import current_round, live_runs
from ballots.models import BallotRound, Count, Election, PrintRun
from ballots.paper.layout import BallotLayout
from congress import audit
from congress.errors import Conflict, CongressError, NotFound
from congress.models import Congress, utcnow

MAX_MEMBERS = 25
MAX_NOTE = 1000  # a note, an explanation or a reason the committee types
MAX_STATION_NAME = 80  # counted_ballots.station


def committee_text(text: str | None, limit: int = MAX_NOTE) -> str:
    """What a member typed (a note, an explanation, a reason), spaces folded; a text longer
    than the limit is refused, never cut: what is recorded is what was written."""
    folded = " ".join((text or "").split())
    if len(folded) > limit:
        raise CongressError(
            "note_too_long", "The note is longer than %(max)s characters", max=limit
        )
    return folded


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


def _excused(value: Any) -> int | None:
    """Delegates absent for reasons the congress accepts (Art. 30): blank is "not entered"."""
    if value is None or str(value).strip() == "":
        return None
    return _figure(value, "excused")


def open_count(
    session: Session,
    election: Election,
    *,
    members: Sequence[str],
    issued: Any,
    collected: Any,
    two_person_rule: bool = True,
    actor: str,
    excused: Any = None,
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
        committee_decides_invalid=True,
        excused=_excused(excused),
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
        excused=count.excused,
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
    excused: Any = None,
) -> None:
    ensure_open(count)
    before = {
        "members": count.members,
        "issued": count.issued,
        "collected": count.collected,
        "excused": count.excused,
    }
    count.members = _members(members)
    count.issued = _figure(issued, "issued")
    count.collected = _figure(collected, "collected")
    count.excused = _excused(excused)
    audit.record(
        session,
        actor,
        "count.figures",
        congress_id=congress_id_of(session, count),
        subject=f"count {count.id}",
        before=before,
        members=count.members,
        issued=count.issued,
        collected=count.collected,
        excused=count.excused,
    )


def congress_id_of(session: Session, count: Count) -> int:
    election = session.get(Election, count.election_id)
    assert election is not None
    return election.congress_id


def time_zone_of(session: Session, count: Count) -> str:
    """The zone of the count's congress: its times are shown and sent in it."""
    congress = session.get(Congress, congress_id_of(session, count))
    assert congress is not None
    return congress.time_zone


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
