"""Scans in: receive, read and store one scanned ballot.

Every scanned image is stored unaltered under its SHA-256 and read once; the reading is never
changed.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ballots.counting.counts import (
    MAX_STATION_NAME,
    database_of,
    ensure_open,
    get_count,
    lock,
    printed_layout,
)
from ballots.elections import get_election, read_context
from ballots.models import BallotRound, Count, CountedBallot
from ballots.reading.bounds import DEFAULT_PDF_DPI, check_scan
from ballots.reading.recorded import RecordedReading
from congress.cache import BoundedCache
from congress.db import Database
from congress.errors import CongressError
from congress.filetypes import media_type
from congress.limits import Limits
from congress.models import Congress, utcnow
from congress.storage import FileStore, store_file

if TYPE_CHECKING:
    from ballots.reading.reader import ReadingContext

MAX_BALLOTS = 10_000
MAX_FILE_NAME = 300
# Reading contexts by what they are made of (see reading_context); 16 rounds at once is plenty.
ContextCache = BoundedCache[tuple[Any, ...], "ReadingContext"]
CONTEXTS_KEPT = 16


def reading_context(
    session: Session, count: Count, cache: ContextCache | None = None
) -> ReadingContext:
    """The reader's context for the count's round.

    Rendering the references is slow: whoever reads many ballots (the app, a command) passes
    the cache it owns.
    """
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

    def make() -> ReadingContext:
        return read_context(election, round_.number)

    return make() if cache is None else cache.get_or_make(key, make)


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


def read_image(
    context: ReadingContext, data: bytes, name: str, limits: Limits = Limits()
) -> RecordedReading:
    """Decode and read one file as one ballot (all its pages); CPU-heavy, run it off the loop.

    A file beyond the limits, or one that cannot be decoded, is refused (ImageFileError, a
    CongressError) before any page is rendered."""
    # The reader brings OpenCV: loaded when the first ballot is read, not with the pages.
    from ballots.reading.imageio import load_bytes
    from ballots.reading.reader import read_ballot

    scanned = load_bytes(data, name, limits=limits)
    reading = read_ballot(list(scanned.pages), context, file=name, sha256=scanned.sha256)
    return RecordedReading.from_dict(reading.to_dict())


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
        list(ballot.recorded.reasons),
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
    contexts: ContextCache | None = None,
    source: Path | None = None,
) -> Received:
    """Store and record one scanned ballot; the same image again is ignored and reported.

    The image is read here unless the station sent its reading (the reader's JSON, checked
    here). Nothing is written when the file cannot be read, the reading does not match, or the
    count is closed. `source`, the file the bytes came from on this machine, is kept in the file
    store as it is (a hard link) rather than copied, where the file system allows.
    """
    name = (name or "scan").replace("/", "_").replace("\\", "_")[-MAX_FILE_NAME:]
    station = station.strip()
    if len(station) > MAX_STATION_NAME:
        raise CongressError(
            "bad_station_name",
            "A station name has at most %(max)s characters",
            status=422,
            max=MAX_STATION_NAME,
        )
    limits = db.settings.limits
    if reading is not None:
        # The station read it; the server still checks what it is about to keep, so a reviewer's
        # page never has to open a file beyond the limits.
        check_scan(data, name, limits, DEFAULT_PDF_DPI)
    sha = hashlib.sha256(data).hexdigest()
    with db.session() as session:
        count = get_count(session, count_id)
        ensure_open(count)
        earlier = known_image(session, count.id, sha)
        if earlier is not None:
            return _answer(earlier, "image", False, name)
        context = reading_context(session, count, contexts) if reading is None else None
    recorded = (
        read_image(context, data, name, limits)
        if context is not None
        else RecordedReading.from_dict(reading, sha)
    )
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
        serial = recorded.serial
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
        store_file(session, store, data, media_type(data), name, source)
        ballot = CountedBallot(
            count_id=count.id,
            image_sha256=sha,
            file_name=name,
            serial=serial,
            reading=recorded.to_dict(),
            machine_status=recorded.status,
            duplicate_of=first,
            station=station,
            received_by=actor,
            received_at=utcnow(),
        )
        session.add(ballot)
        session.flush()
        return _answer(ballot, "serial" if first is not None else None, True)
