"""The paper fallback in the database: members' entries of paper ballots, recorded as counted
ballots once enough of them agree.

Every entry is written when it is typed (a crash between the first and the second member's
entries loses nothing). The ballot is recorded in the same transaction as the entry that makes
the entries agree: its entry document is stored as a scan's image is, its reading made by
ballots.audit.entry, and from there it is a counted ballot like any other (a serial entered by
hand and scanned too is a copy of the first, flagged as seen twice).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ballots.audit.entry import (
    ENTRY_FILE,
    Entry,
    EntryState,
    entry_document,
    entry_reading,
    entry_state,
    typed_serial,
)
from ballots.audit.hand import MAX_MEMBER
from ballots.audit.models import HandEntry
from ballots.counting.counts import ensure_open, lock, printed_layout
from ballots.counting.intake import MAX_BALLOTS
from ballots.models import BallotRound, CountedBallot, Election, IssuedSerial
from congress.db import Database
from congress.errors import CongressError
from congress.models import utcnow
from congress.storage import FileStore, store_file

__all__ = ["HAND_STATION", "EntryAnswer", "enter_ballot", "pending_entries"]

HAND_STATION = "hand"  # counted_ballots.station of a ballot entered by hand


@dataclass(frozen=True)
class EntryAnswer:
    serial: str
    state: str  # waiting | disagree | agreed (recorded)
    members: list[str]
    required: int
    ballot_id: int | None = None
    status: str | None = None  # the recorded ballot's status (valid / invalid / rejected)
    reasons: tuple[str, ...] = ()
    duplicate: bool = False  # the serial was already counted: this copy is set aside
    entries: tuple[Entry, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "serial": self.serial,
            "state": self.state,
            "members": self.members,
            "required": self.required,
            "ballot_id": self.ballot_id,
            "status": self.status,
            "reasons": list(self.reasons),
            "duplicate": self.duplicate,
        }


def _consumed(session: Session, count_id: int, serial: str) -> int:
    """The last entry id already recorded into a ballot of this serial (0: none)."""
    last = 0
    for reading in session.scalars(
        select(CountedBallot.reading).where(
            CountedBallot.count_id == count_id,
            CountedBallot.serial == serial,
            CountedBallot.station == HAND_STATION,
        )
    ):
        last = max([last, *((reading.get("hand_entry") or {}).get("entries") or [])])
    return last


def pending_entries(session: Session, count_id: int, serial: str) -> list[Entry]:
    """The entries of a serial not yet recorded into a ballot, in order."""
    after = _consumed(session, count_id, serial)
    rows = session.scalars(
        select(HandEntry)
        .where(HandEntry.count_id == count_id, HandEntry.serial == serial, HandEntry.id > after)
        .order_by(HandEntry.id)
    )
    return [Entry(r.id, r.member, tuple(r.marked)) for r in rows]


def waiting_serials(session: Session, count_id: int, required: int) -> list[tuple[str, EntryState]]:
    """Every serial with entries still waiting for another member or disagreeing (review)."""
    serials = session.scalars(
        select(HandEntry.serial).where(HandEntry.count_id == count_id).distinct()
    )
    out = []
    for serial in sorted(serials):
        entries = pending_entries(session, count_id, serial)
        if entries:
            out.append((serial, entry_state(entries, required)))
    return out


def enter_ballot(
    db: Database,
    count_id: int,
    serial: str,
    member: str,
    marked: Iterable[str],
    actor: str,
    required: int | None = None,
) -> EntryAnswer:
    """Keep one member's entry of one paper ballot; record the ballot once `required` members
    (the setting: 2 or 3) entered it alike."""
    required = required or db.settings.hand_entries
    serial = typed_serial(serial)
    member = " ".join(str(member or "").split())
    if not member or len(member) > MAX_MEMBER:
        raise CongressError("audit_member", "Name the member who reads the ballot")
    with db.write_session() as session:
        count = lock(session, count_id)
        ensure_open(count)
        round_ = session.get(BallotRound, count.round_id)
        election = session.get(Election, count.election_id)
        assert round_ is not None and election is not None
        _, layout = printed_layout(round_)
        known = {t.id for t in layout.targets()}
        chosen = tuple(sorted(set(marked)))
        unknown = [t for t in chosen if t not in known]
        if unknown:
            raise CongressError(
                "unknown_target",
                "The decision names targets not on this ballot: %(targets)s",
                targets=", ".join(unknown),
            )
        row = HandEntry(
            count_id=count.id, serial=serial, member=member, marked=list(chosen), actor=actor,
            at=utcnow(),
        )  # fmt: skip
        session.add(row)
        session.flush()
        state = entry_state(pending_entries(session, count.id, serial), required)
        if state.state != "agreed":
            return EntryAnswer(serial, state.state, state.members, required, entries=state.entries)
        total = session.scalar(
            select(func.count())
            .select_from(CountedBallot)
            .where(CountedBallot.count_id == count.id)
        )
        if (total or 0) >= MAX_BALLOTS:
            raise CongressError(
                "too_many_ballots", "A count takes at most %(max)s ballots", max=MAX_BALLOTS
            )
        document = entry_document(election.id, round_.number, serial, state.entries)
        sha = hashlib.sha256(document).hexdigest()
        issued = session.scalar(
            select(IssuedSerial.id).where(
                IssuedSerial.election_id == election.id, IssuedSerial.serial == serial
            )
        )
        reading = entry_reading(
            document, sha, layout, round_.seats, election.nobody_elected_invalid, issued is None
        )
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
        store_file(
            session, FileStore(db.settings.files_dir), document, "application/json",
            f"{ENTRY_FILE}-{serial}.json",
        )  # fmt: skip
        ballot = CountedBallot(
            count_id=count.id,
            image_sha256=sha,
            file_name=f"{ENTRY_FILE}-{serial}",
            serial=serial,
            reading=reading,
            machine_status=reading["status"],
            duplicate_of=first,
            station=HAND_STATION,
            received_by=actor,
            received_at=utcnow(),
        )
        session.add(ballot)
        session.flush()
        return EntryAnswer(
            serial, "agreed", state.members, required, ballot.id, reading["status"],
            tuple(reading["reasons"]), first is not None, state.entries,
        )  # fmt: skip
