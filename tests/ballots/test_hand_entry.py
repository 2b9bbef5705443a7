"""The paper fallback: ballots typed by two (or three) members, recorded when they agree,
reviewed when they disagree, kept across a kill -9 between the entries, counted and proven."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from typing import Any

import pytest
from sqlalchemy import select

from ballots.audit.entries import enter_ballot, waiting_serials
from ballots.audit.entry import ENTRIES_DIR
from ballots.audit.models import HandEntry
from ballots.counting import closing, counts, intake
from ballots.counting.results import reconciliation, running_tally
from ballots.counting.review import evaluate
from ballots.models import Count, CountedBallot, IssuedSerial
from ballots.proof.bundle import bundle_files
from ballots.proof.format import canonical_json
from ballots.proof.minutes import entry_log_rows
from ballots.proof.verify import VerifyReport, _reapply_entries
from congress.db import Database
from congress.errors import CongressError
from congress.i18n import translator
from congress.settings import Settings
from tests.ballots.count_helpers import fake_image, opened_election, reading
from tests.congress.test_cli import cli_env, run


def _serials(db: Database, election_id: int) -> list[str]:
    with db.session() as session:
        return list(
            session.scalars(
                select(IssuedSerial.serial)
                .where(IssuedSerial.election_id == election_id)
                .order_by(IssuedSerial.id)
            )
        )


def _count_id(db: Database) -> int:
    with db.session() as session:
        return int(session.scalars(select(Count.id)).one())


def test_two_members_agree_and_the_ballot_counts(
    db: Database, settings: Settings, register: dict[str, Any]
) -> None:
    printed = opened_election(db, settings, ballots=6)
    count_id = _count_id(db)
    s = _serials(db, printed.election_id)
    first = enter_ballot(db, count_id, s[0].lower(), "Lan", ["c003.strike", "c004.strike"], "a")
    assert (first.state, first.ballot_id, first.members) == ("waiting", None, ["Lan"])
    second = enter_ballot(db, count_id, s[0], "Minh", ["c004.strike", "c003.strike"], "b")
    assert second.state == "agreed" and second.status == "valid" and not second.duplicate
    # A disagreement goes to review with both entries; the member looks again, the latest counts.
    enter_ballot(db, count_id, s[1], "Lan", ["c001.strike", "c002.strike"], "a")
    differs = enter_ballot(db, count_id, s[1], "Minh", ["c001.strike"], "b")
    assert differs.state == "disagree"
    with db.session() as session:
        waiting = waiting_serials(session, count_id, 2)
    assert [(serial, w.state, [e.marked for e in w.entries]) for serial, w in waiting] == [
        (s[1], "disagree", [("c001.strike", "c002.strike"), ("c001.strike",)])
    ]
    again = enter_ballot(db, count_id, s[1], "Minh", ["c001.strike", "c002.strike"], "b")
    assert again.state == "agreed" and again.members == ["Lan", "Minh"]
    # The validity rules: nothing struck elects four of two seats; a serial never printed.
    over = [enter_ballot(db, count_id, s[2], m, [], "a") for m in ("Lan", "Minh")][-1]
    assert (over.status, over.reasons) == ("invalid", ("more_than_seats",))
    forged = [enter_ballot(db, count_id, "ZZZZZZZZZZ", m, ["c001.strike", "c002.strike"], "a")
              for m in ("Lan", "Minh")][-1]  # fmt: skip
    assert (forged.status, forged.reasons) == ("rejected", ("serial_forged",))
    # A serial entered by hand and also scanned: the scan is a copy, seen twice.
    image = fake_image("scan")
    data = reading(printed, s[0], {"c003.strike", "c004.strike"}, image=image)
    scanned = intake.receive(db, count_id, image, "scan.png", "a", reading=data)
    assert scanned.duplicate == "serial"
    with db.session() as session:
        count = session.get(Count, count_id)
        assert count is not None
        evaluation = evaluate(session, count)
        figures = reconciliation(count, evaluation)
        tally = running_tally(session, count, evaluation)
        hand = session.scalars(select(CountedBallot).where(CountedBallot.station == "hand")).all()
    # The validity rules hold for hand entries as for scans, and so does the committee's word
    # (issue 19): the over-vote and the forged serial wait for a member's decision.
    assert (figures.scanned, figures.counted, figures.duplicates) == (4, 2, 1)
    assert figures.awaiting_decision == 2
    assert tally["ballots"] == {"counted": 4, "valid": 2, "invalid": 0, "review": 2,
                                "invalid_by_reason": {}}  # fmt: skip
    assert [c["votes"] for c in tally["candidates"]] == [1, 1, 1, 1]
    assert len(hand) == 4 and all(
        b.reading["hand_entry"]["members"] == ["Lan", "Minh"] for b in hand
    )
    with pytest.raises(CongressError) as err:
        enter_ballot(db, count_id, s[3], "Lan", ["c009.strike"], "a")
    assert err.value.code == "unknown_target"
    with pytest.raises(CongressError):
        enter_ballot(db, count_id, "ab/12", "Lan", [], "a")
    # Entries are evidence: the database refuses to change one.
    from sqlalchemy import text

    with pytest.raises(Exception, match="append-only"), db.write_session() as session:  # noqa: B017, PT011
        session.execute(text("UPDATE hand_entries SET member = 'x'"))


def test_a_third_entry_when_the_setting_asks(
    db: Database, settings: Settings, register: dict[str, Any]
) -> None:
    printed = opened_election(db, settings, ballots=2)
    count_id = _count_id(db)
    s = _serials(db, printed.election_id)[0]
    answers = [
        enter_ballot(db, count_id, s, m, ["c001.strike", "c003.strike"], "a", required=3)
        for m in ("Lan", "Minh", "Hùng")
    ]
    assert [a.state for a in answers] == ["waiting", "waiting", "agreed"]


def test_an_entry_survives_a_kill_between_the_two_members(
    db: Database, settings: Settings, register: dict[str, Any]
) -> None:
    printed = opened_election(db, settings, ballots=2)
    count_id = _count_id(db)
    serial = _serials(db, printed.election_id)[0]
    script = (
        "import os, signal\n"
        "from congress.settings import Settings\n"
        "from congress.db import Database\n"
        "from ballots.audit.entries import enter_ballot\n"
        f"a = enter_ballot(Database(Settings.from_env()), {count_id}, {serial!r}, 'Lan',"
        " ['c002.strike', 'c004.strike'], 'a')\n"
        "assert a.state == 'waiting'\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    env = {**os.environ, **cli_env(settings), "PYTHONPATH": os.getcwd()}
    done = subprocess.run([sys.executable, "-c", script], env=env, timeout=120, capture_output=True)
    assert done.returncode == -signal.SIGKILL, done.stderr
    with db.session() as session:
        kept = session.scalars(select(HandEntry)).all()
    assert [(e.member, e.marked) for e in kept] == [("Lan", ["c002.strike", "c004.strike"])]
    answer = enter_ballot(db, count_id, serial, "Minh", ["c004.strike", "c002.strike"], "b")
    assert answer.state == "agreed" and answer.members == ["Lan", "Minh"]


def test_the_bundle_keeps_both_entries_and_verify_applies_them_again(
    db: Database, settings: Settings, register: dict[str, Any]
) -> None:
    printed = opened_election(db, settings, ballots=2)
    count_id = _count_id(db)
    s = _serials(db, printed.election_id)
    for serial in s:
        for member in ("Lan", "Minh"):
            entered = run(settings, "ballots", "hand", "enter", "--election",
                          str(printed.election_id), "--serial", serial, "--member", member,
                          "--marked", "1,3")  # fmt: skip
            assert entered.exit_code == 0, entered.output
    assert "recorded" in entered.stdout
    with db.write_session() as session:
        closing.close_count(session, counts.lock(session, count_id), "", "a")
    with db.session() as session:
        data = closing.bundle_input(session, printed.election_id, files_dir=settings.files_dir)
        count = session.get(Count, count_id)
        assert count is not None
        rows = entry_log_rows(closing.count_report(session, count), translator("en"))
    # The entry log says who typed each ballot entered by hand.
    assert [r[3] for r in rows] == ["entered by hand by Lan, Minh: valid ballot"] * 2
    files = bundle_files(data)
    entries = sorted(p for p in files if p.startswith(ENTRIES_DIR))
    assert len(entries) == 2 and not any(p.startswith("images/") for p in files)
    document = json.loads(files[entries[0]])
    assert [e["member"] for e in document["entries"]] == ["Lan", "Minh"]
    record = json.loads(files["ballots/" + entries[0][len(ENTRIES_DIR) : -5] + ".json"])
    assert record["final"]["status"] == "valid" and record["reading"]["file"] == "hand-entry"
    from ballots.paper.layout import BallotLayout

    layout = BallotLayout.from_dict(data.layout)
    report = VerifyReport()
    assert _reapply_entries(files, record, layout, data.election, report, "x") == record["reading"]
    assert report.ok
    # One entry altered: the entries no longer give the recorded reading (nor its hash).
    changed = dict(document, entries=[dict(e, marked=["c001.strike"]) for e in document["entries"]])
    tampered = {**files, entries[0]: canonical_json(changed)}
    report = VerifyReport()
    _reapply_entries(tampered, record, layout, data.election, report, "x")
    assert not report.ok
