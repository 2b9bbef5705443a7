"""The count service: duplicates, the two-person rule, reconciliation, the lock, ties and bases."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from sqlalchemy import func, select, text

from ballots.counting import closing, counts, intake, results, review
from ballots.models import BallotDecision, Count, CountedBallot, Election
from congress.db import Database
from congress.errors import CongressError
from congress.models import AuditEvent, Delegate, Sitting, StoredFile
from congress.settings import Settings
from tests.ballots.count_helpers import fake_image, printed_election, reading


def _open(db: Database, election_id: int, issued: int = 6, collected: int = 6) -> int:
    with db.session() as session:
        count = counts.open_count(
            session,
            session.get(Election, election_id),  # type: ignore[arg-type]
            members=["Nguyễn Văn Một", "Trần Thị Hai", " "],
            issued=issued,
            collected=collected,
            actor="ana",
        )
        return count.id


def _rows(db: Database, model: Any) -> int:
    with db.session() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def _serials(db: Database, election_id: int) -> list[str]:
    from ballots.models import IssuedSerial

    with db.session() as session:
        return list(
            session.scalars(
                select(IssuedSerial.serial)
                .where(IssuedSerial.election_id == election_id)
                .order_by(IssuedSerial.id)
            )
        )


def _write(db: Database, count_id: int, fn: Any) -> Any:
    with db.write_session() as session:
        return fn(session, counts.lock(session, count_id))


def test_duplicates_two_person_rule_reconciliation_and_lock(
    db: Database, settings: Settings, register: dict[str, Any]
) -> None:
    printed = printed_election(db, settings)
    serials = _serials(db, printed.election_id)
    count_id = _open(db, printed.election_id)
    with db.session() as session:
        assert session.get(Count, count_id).members == ["Nguyễn Văn Một", "Trần Thị Hai"]  # type: ignore[union-attr]

    first = fake_image("one")
    r1 = intake.receive(
        db, count_id, first, "a.png", "ana", "st1",
        reading(printed, serials[0], {"c003.strike", "c004.strike"}, image=first),
    )  # fmt: skip
    assert (r1.status, r1.duplicate, r1.created) == ("valid", None, True)
    files = _rows(db, StoredFile)
    # The same image again: ignored and reported, nothing new stored (reading or not).
    again = intake.receive(db, count_id, first, "a-again.png", "ana")
    assert (again.ballot_id, again.duplicate, again.created) == (r1.ballot_id, "image", False)
    assert (_rows(db, CountedBallot), _rows(db, StoredFile)) == (1, files)
    # Another image of the same serial: recorded, flagged, left out of the tally.
    copy = fake_image("copy")
    r2 = intake.receive(
        db, count_id, copy, "b.png", "ana", "st1",
        reading(printed, serials[0], {"c001.strike", "c002.strike"}, image=copy),
    )  # fmt: skip
    assert (r2.duplicate, r2.created) == ("serial", True)
    # A station's reading of another image is refused, and nothing is stored.
    other = fake_image("other")
    with pytest.raises(CongressError) as mismatch:
        intake.receive(
            db, count_id, other, "c.png", "ana", "st1",
            reading(printed, serials[1], set(), image=first),
        )  # fmt: skip
    assert mismatch.value.code == "reading_mismatch" and mismatch.value.status == 422
    # Not an image at all (no reading sent): a clear refusal, nothing stored.
    with pytest.raises(CongressError) as garbage:
        intake.receive(db, count_id, b"not an image", "x.png", "ana")
    assert garbage.value.code == "unreadable_file"
    # A station name too long to record whole: refused, not cut, nothing stored.
    named = fake_image("named")
    with pytest.raises(CongressError) as too_long:
        intake.receive(
            db, count_id, named, "e.png", "ana", "Bàn " + "1" * 80,
            reading(printed, serials[1], set(), image=named),
        )  # fmt: skip
    assert (too_long.value.code, too_long.value.status) == ("bad_station_name", 422)
    assert _rows(db, CountedBallot) == 2
    # A doubtful ballot: c001 ambiguous, c002 and c003 struck.
    doubt = fake_image("doubt")
    r3 = intake.receive(
        db, count_id, doubt, "d.png", "ana", "st1",
        reading(printed, serials[1], {"c002.strike", "c003.strike"}, image=doubt,
                status="review", reasons=("ambiguous_mark",), ambiguous={"c001.strike"}),
    )  # fmt: skip
    with db.session() as session:
        count = session.get(Count, count_id)
        assert count is not None
        rec = results.reconciliation(count, review.evaluate(session, count))
    assert (rec.scanned, rec.counted, rec.duplicates, rec.awaiting_decision) == (2, 1, 1, 1)

    def decide(**kw: Any) -> Any:
        return lambda s, c: review.decide(s, c, r3.ballot_id, **kw)

    with pytest.raises(CongressError) as missing:
        _write(db, count_id, decide(status="valid", reason=None, marks={}, note="", actor="ana"))
    assert missing.value.code == "marks_missing"
    with pytest.raises(CongressError) as too_many:
        _write(
            db,
            count_id,
            decide(
                status="valid",
                reason=None,
                marks={"c001.strike": "unmarked", "c002.strike": "unmarked"},
                note="",
                actor="ana",
            ),
        )
    assert too_many.value.code == "marks_make_invalid"  # three names standing for two seats
    with pytest.raises(CongressError) as bad_reason:
        _write(
            db, count_id, decide(status="invalid", reason="other", marks={}, note="", actor="ana")
        )
    assert bad_reason.value.code == "reason_note"
    _write(
        db,
        count_id,
        decide(
            status="valid",
            reason=None,
            marks={"c001.strike": "unmarked"},
            note="nét mờ, không gạch",
            actor="ana",
        ),
    )
    with pytest.raises(CongressError) as same:
        _write(db, count_id, lambda s, c: review.confirm(s, c, r3.ballot_id, "ana"))
    assert same.value.code == "same_member"
    with pytest.raises(CongressError) as awaiting:
        _write(db, count_id, lambda s, c: closing.close_count(s, c, "x", "ana"))
    assert awaiting.value.code == "ballots_awaiting"
    _write(db, count_id, lambda s, c: review.confirm(s, c, r3.ballot_id, "binh"))
    # Issued 6, collected 6, scanned 2, counted 2: closing needs an explanation.
    with pytest.raises(CongressError) as mismatch_close:
        _write(db, count_id, lambda s, c: closing.close_count(s, c, "  ", "ana"))
    assert mismatch_close.value.code == "reconciliation_mismatch"
    result = _write(
        db, count_id, lambda s, c: closing.close_count(s, c, "4 phiếu chưa quét", "ana")
    )
    assert result["ballots"] == {
        "counted": 2,
        "valid": 2,
        "invalid": 0,
        "review": 0,
        "invalid_by_reason": {},
    }
    votes = {c["item"]: c["votes"] for c in result["candidates"]}
    assert votes == {"c001": 2, "c002": 1, "c003": 0, "c004": 1}  # the copy is not counted
    # Closed: every write refused with a clear error, nothing changes.
    for attempt in (
        lambda: intake.receive(db, count_id, fake_image("late"), "late.png", "ana"),
        lambda: _write(
            db, count_id, lambda s, c: review.reopen_ballot(s, c, r1.ballot_id, "x", "ana")
        ),
    ):
        with pytest.raises(CongressError) as closed:
            attempt()
        assert closed.value.code == "count_closed" and closed.value.status == 409
    with pytest.raises(CongressError) as not_admin:
        _write(db, count_id, lambda s, c: closing.reopen_count(s, c, "sai sót", "ana", False))
    assert not_admin.value.code == "admin_only"
    _write(db, count_id, lambda s, c: closing.reopen_count(s, c, "sai sót", "admin", True))
    with db.session() as session:
        assert session.get(Count, count_id).state == "open"  # type: ignore[union-attr]
        actions = list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))
    assert actions[-3:] == ["count.opened", "count.closed", "count.reopened"]
    # A ballot re-opened goes back to review; the record keeps every act.
    _write(db, count_id, lambda s, c: review.reopen_ballot(s, c, r1.ballot_id, "xem lại", "binh"))
    with db.session() as session:
        count = session.get(Count, count_id)
        assert count is not None
        states = dict(review.evaluate(session, count).ballots)
        assert states[r1.ballot_id].state == "needs_decision"
        kinds = list(session.scalars(select(BallotDecision.kind).order_by(BallotDecision.id)))
    assert kinds == ["decide", "confirm", "reopen"]
    # Readings and decisions are evidence: the database refuses to change them.
    for statement in (
        "UPDATE counted_ballots SET machine_status = 'valid'",
        "UPDATE ballot_decisions SET actor = 'someone else'",
    ):
        with pytest.raises(Exception, match="append-only"), db.engine.begin() as conn:
            conn.execute(text(statement))


def _admit(db: Database, how_many: int) -> None:
    from scanner.models import Admission

    with db.session() as session:
        sitting = session.scalar(select(Sitting).where(Sitting.number == 1))
        assert sitting is not None
        people = session.scalars(
            select(Delegate).where(Delegate.kind == "full").order_by(Delegate.id).limit(how_many)
        )
        for i, d in enumerate(people):
            session.add(
                Admission(
                    congress_id=d.congress_id,
                    sitting_id=sitting.id,
                    delegate_id=d.id,
                    scan_id=f"scan-{i:04d}",
                    gate="A",
                    method="manual",
                )
            )


@pytest.mark.parametrize("tie_rule", ["new_round", "older"])
def test_tie_at_the_last_seat_and_every_threshold_base(
    db: Database, settings: Settings, register: dict[str, Any], tie_rule: str
) -> None:
    printed = printed_election(db, settings, tie_rule=tie_rule)
    serials = _serials(db, printed.election_id)
    _admit(db, 5)
    count_id = _open(db, printed.election_id, issued=7, collected=6)
    # Six ballots, each electing two of An (c001), Anh (c002), Bình (c003): 4 votes each.
    standing = [("c001", "c002"), ("c001", "c003"), ("c002", "c003")] * 2
    for i, keep in enumerate(standing):
        image = fake_image(f"tie-{i}")
        struck = {t for t in printed.targets if t.split(".")[0] not in keep}
        intake.receive(
            db, count_id, image, f"{i}.png", "ana", "",
            reading(printed, serials[i], struck, image=image),
        )  # fmt: skip
    with db.session() as session:
        summoned = session.scalar(
            select(func.count()).select_from(Delegate).where(Delegate.kind == "full")
        )
    expected = {"summoned": summoned, "present": 5, "issued": 7, "collected": 6, "valid": 6}
    for base, value in expected.items():
        with db.session() as session:
            election = session.get(Election, printed.election_id)
            assert election is not None
            election.threshold_base = base
            election.percentage_base = base
        with db.session() as session:
            count = session.get(Count, count_id)
            assert count is not None
            result = results.running_tally(session, count)
        assert result["bases"]["threshold"] == {"name": base, "value": value}
        assert result["figures"]["present"] == 5 and result["figures"]["absent"] == summoned - 5
        passing = value < 4 * 2
        candidates = {c["item"]: c for c in result["candidates"]}
        assert [candidates[i]["passed"] for i in ("c001", "c002", "c003", "c004")] == [
            passing,
            passing,
            passing,
            False,
        ]
        assert [candidates[i]["votes"] for i in ("c001", "c002", "c003", "c004")] == [4, 4, 4, 0]
        exact = (Decimal(400) / Decimal(value)).quantize(Decimal("0.01"), ROUND_HALF_UP)
        assert candidates["c001"]["percentage"] == str(exact)
        if not passing:
            assert result["elected"] == [] and result["new_round_needed"]
            continue
        if tie_rule == "new_round":
            assert result["tie"] == {"items": ["c001", "c002", "c003"], "seats_left": 2}
            assert result["elected"] == [] and result["new_round_needed"]
        else:
            # The older win: Bình (1990), then An (1992); Anh (1993) is not elected.
            assert result["tie"] is None
            assert sorted(result["elected"]) == ["c001", "c003"]


def test_concurrent_stations_count_a_serial_once(
    db: Database, settings: Settings, register: dict[str, Any]
) -> None:
    """Copies of one serial sent at the same moment from several stations: one counts."""
    from concurrent.futures import ThreadPoolExecutor

    printed = printed_election(db, settings, ballots=1)
    serial = _serials(db, printed.election_id)[0]
    count_id = _open(db, printed.election_id)
    images = [fake_image(f"race-{i}") for i in range(6)]

    def send(i: int) -> intake.Received:
        data = images[i % 3]  # each image twice: the image rule races too
        return intake.receive(
            db, count_id, data, f"{i}.png", f"station-{i}", "",
            reading(printed, serial, {"c003.strike", "c004.strike"}, image=data),
        )  # fmt: skip

    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(send, range(6)))
    assert sorted(str(a.duplicate) for a in answers) == [
        "None",
        "image",
        "image",
        "image",
        "serial",
        "serial",
    ]
    assert _rows(db, CountedBallot) == 3
    with db.session() as session:
        count = session.get(Count, count_id)
        assert count is not None
        rec = results.reconciliation(count, review.evaluate(session, count))
    assert (rec.scanned, rec.duplicates) == (1, 2)
