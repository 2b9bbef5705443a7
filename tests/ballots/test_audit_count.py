"""The hand audit of a closed count in the database and from the command line: the sample,
two members' readings, the conclusion, the signed part of the stored bundle, the minutes."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

import pytest
from sqlalchemy import text

from ballots.audit.hand import HandReading
from ballots.audit.record import AUDIT_FILE, check_audit_part
from ballots.audit.service import audit_count, current_audit, record_readings
from ballots.counting import closing, counts, intake
from ballots.models import Count, Election
from ballots.proof.format import MANIFEST
from ballots.proof.minutes import minutes_pdf
from ballots.proof.verify import VerifyReport
from congress.db import Database
from congress.errors import CongressError
from congress.settings import Settings
from congress.storage import FileStore
from tests.ballots.audit_helpers import SEED
from tests.ballots.count_helpers import fake_image, printed_election, reading
from tests.ballots.test_minutes import pdf_text
from tests.congress.test_cli import run

BALLOTS = 24


def _closed(db: Database, settings: Settings) -> tuple[int, int]:
    """A sealed count of 24 ballots, each electing An and Anh (c001, c002) of four names."""
    printed = printed_election(db, settings, ballots=BALLOTS, seats=2)
    with db.session() as session:
        count_id = counts.open_count(
            session,
            session.get(Election, printed.election_id),  # type: ignore[arg-type]
            members=["Nguyễn Văn Một", "Trần Thị Hai"],
            issued=BALLOTS,
            collected=BALLOTS,
            actor="ana",
        ).id
    struck = {"c003.strike", "c004.strike"}
    for n in range(BALLOTS):
        image = fake_image(f"b{n}")
        data = reading(printed, f"SERIAL{n:04d}", struck, image=image)
        intake.receive(db, count_id, image, f"b{n}.png", "ana", reading=data)
    with db.write_session() as session:
        closing.close_count(session, counts.lock(session, count_id), "", "ana")
    closing.seal_count(db, count_id)
    return printed.election_id, count_id


def _stored_bundle(db: Database, count_id: int) -> dict[str, bytes]:
    with db.session() as session:
        count = session.get(Count, count_id)
        assert count is not None and count.bundle_sha256
        body = FileStore(db.settings.files_dir).get(count.bundle_sha256)
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        return {n: archive.read(n) for n in archive.namelist()}


def test_audit_from_the_command_line_to_the_minutes(
    db: Database, settings: Settings, register: dict[str, Any]
) -> None:
    eid, count_id = _closed(db, settings)
    e = str(eid)
    shown = run(settings, "ballots", "audit", "sample", "--election", e, "--seed", SEED, "--json")
    assert shown.exit_code == 0, shown.output
    sample = json.loads(shown.stdout)
    again = run(settings, "ballots", "audit", "sample", "--election", e, "--seed", SEED, "--json")
    assert json.loads(again.stdout) == sample  # the same seed and bundle: the same sample
    other = run(settings, "ballots", "audit", "sample", "--election", e,
                "--seed", "9" + SEED[1:], "--json")  # fmt: skip
    assert [s["ballot"] for s in json.loads(other.stdout)["sample"]] != [
        s["ballot"] for s in sample["sample"]
    ]
    # 24 ballots, the narrowest margin 24 (2 x 24 votes - 24 valid ballots): 5 ballots.
    assert (sample["ballots"], sample["margin"], sample["sample_size"]) == (24, 24, 5)
    assert all(s["serial"].startswith("SERIAL") for s in sample["sample"])
    text_out = run(settings, "ballots", "audit", "sample", "--election", e, "--seed", SEED)
    assert "5 of 24 ballots" in text_out.stdout

    bad = run(settings, "ballots", "audit", "start", "--election", e, "--seed", "12345")
    assert bad.exit_code == 1 and "20 to 64 digits" in bad.stderr
    started = run(settings, "ballots", "audit", "start", "--election", e, "--seed", SEED)
    assert started.exit_code == 0, started.output
    twice = run(settings, "ballots", "audit", "start", "--election", e, "--seed", SEED)
    assert twice.exit_code == 1 and "seed is fixed" in twice.stderr

    # The first paper from the command line, the others as a stack of sheets.
    serial = sample["sample"][0]["serial"]
    first = run(settings, "ballots", "audit", "record", "--election", e, "--ballot", serial,
                "--screen", "1", "--member", "Lan", "--marked", "3,4")  # fmt: skip
    assert first.exit_code == 0, first.output
    same = run(settings, "ballots", "audit", "record", "--election", e, "--ballot", serial,
               "--screen", "2", "--member", "Lan", "--marked", "3,4")  # fmt: skip
    assert same.exit_code == 1 and "another member" in same.stderr
    with db.write_session() as session:
        count = counts.lock(session, count_id)
        layout = audit_count(session, count).layout
        readings = [
            HandReading.make(layout, s["ballot"], slot, member, ["c003.strike", "c004.strike"])
            for s in sample["sample"][1:]
            for slot, member in ((1, "Lan"), (2, "Minh"))
        ]
        assert record_readings(session, count, readings, "ana")["read"] == 4
    second = run(settings, "ballots", "audit", "record", "--election", e, "--ballot", serial,
                 "--screen", "2", "--member", "Minh", "--marked", "c003.strike,c004.strike")  # fmt: skip
    assert second.exit_code == 0, second.output
    assert "confirmed within the risk limit" in second.stdout
    outside = run(settings, "ballots", "audit", "record", "--election", e, "--ballot", "NOPE",
                  "--screen", "1", "--member", "Lan")  # fmt: skip
    assert outside.exit_code == 1 and "not in the sample" in outside.stderr

    report = run(settings, "ballots", "audit", "report", "--election", e, "--json")
    data = json.loads(report.stdout)
    assert data["conclusion"] == "confirmed" and data["discrepancies"] == 0

    # The concluded audit is sealed into the stored bundle, beside the same root.
    files = _stored_bundle(db, count_id)
    record = json.loads(files[AUDIT_FILE])
    assert record["report"] == data
    assert record["bundle_root"] == json.loads(files[MANIFEST])["merkle_root"]
    checked = VerifyReport()
    check_audit_part(files, json.loads(files[MANIFEST]), checked)
    assert checked.ok and "audit_ok" in [f.code for f in checked.checks]

    with db.session() as session:
        count = session.get(Count, count_id)
        assert count is not None
        minutes = pdf_text(minutes_pdf(closing.count_report(session, count)))
    assert "Kiểm tra xác suất bằng tay" in minutes
    assert SEED in minutes and "xác nhận" in minutes


def test_the_audit_is_evidence(db: Database, settings: Settings, register: dict[str, Any]) -> None:
    eid, count_id = _closed(db, settings)
    from ballots.audit.service import record_reading, start_audit

    with db.write_session() as session:
        count = counts.lock(session, count_id)
        with pytest.raises(CongressError) as err:
            record_reading(session, count, "x", 1, "Lan", [], None, "ana")
        assert err.value.code == "audit_not_started"
        start_audit(session, count, SEED, "0.05", "ana")
    with db.write_session() as session:
        count = counts.lock(session, count_id)
        first = _first(session, count)
        report = record_reading(session, count, first, 1, "Lan", [], None, "ana")
        assert report["sample"][0]["members"] == ["Lan", None]
        with pytest.raises(CongressError) as err:
            record_reading(session, count, first, 2, " Lan ", [], None, "ana")
        assert err.value.code == "audit_same_member"
    # Evidence: the database refuses to change a seed or a reading.
    for table, column in (("hand_audits", "seed"), ("audit_readings", "member")):
        with pytest.raises(Exception, match="append-only"), db.write_session() as session:  # noqa: B017, PT011
            session.execute(text(f"UPDATE {table} SET {column} = 'x'"))


def _first(session: Any, count: Count) -> str:
    from ballots.audit.service import report_of

    audit = current_audit(session, count)
    assert audit is not None
    return str(report_of(session, count, audit)["sample"][0]["ballot"])


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_mixed_count_with_its_audit_verifies_from_the_bundle_alone(
    db: Database, settings: Settings, register: dict[str, Any], tmp_path: Any
) -> None:
    """Three scans and one ballot typed by two members; the audit's full hand count; `export`
    then `verify` with no database: every check passes; another seed fails."""
    from sqlalchemy import select

    from ballots.audit.entries import enter_ballot
    from ballots.audit.service import record_readings, report_of, start_audit
    from ballots.models import IssuedSerial
    from tests.ballots.count_helpers import scans

    printed = printed_election(db, settings, ballots=4, seats=2)
    with db.session() as session:
        count_id = counts.open_count(
            session,
            session.get(Election, printed.election_id),  # type: ignore[arg-type]
            members=["Nguyễn Văn Một", "Trần Thị Hai"],
            issued=4,
            collected=4,
            actor="ana",
        ).id
        last = session.scalars(select(IssuedSerial.serial).order_by(IssuedSerial.id)).all()[-1]
    c1, c2, c3, c4 = printed.targets
    images = scans(printed, [{c1: "strike", c2: "strike"}, {c3: "strike", c4: "strike"},
                             {c1: "strike", c3: "strike"}])  # fmt: skip
    for n, image in enumerate(images):
        assert intake.receive(db, count_id, image, f"s{n}.png", "ana").status == "valid"
    for member in ("Lan", "Minh"):
        enter_ballot(db, count_id, last, member, [c2, c4], "ana")
    with db.write_session() as session:
        closing.close_count(session, counts.lock(session, count_id), "", "ana")
    closing.seal_count(db, count_id)
    with db.write_session() as session:
        count = counts.lock(session, count_id)
        started = start_audit(session, count, SEED, "0.05", "ana")
        report = report_of(session, count, started)
        assert report["full_hand_count"]  # 4 ballots: the bound asks for every one
        found = audit_count(session, count)
        readings = []
        for s in report["sample"]:
            choices = s["recorded"]["choices"]
            struck = [f"{i}.strike" for i, c in choices.items() if c == "strike"]
            readings += [HandReading.make(found.layout, s["ballot"], 1, "Lan", struck),
                         HandReading.make(found.layout, s["ballot"], 2, "Minh", struck)]  # fmt: skip
        assert record_readings(session, count, readings, "ana")["conclusion"] == (
            "full_count_confirms"
        )
    out = tmp_path / "count"
    e = str(printed.election_id)
    assert run(settings, "ballots", "export", "--election", e, "--out", str(out)).exit_code == 0
    assert (out / AUDIT_FILE).exists() and len(list((out / "entries").iterdir())) == 1
    verified = run(settings, "ballots", "verify", str(out), "--workers", "1")
    assert verified.exit_code == 0, verified.output
    assert "Ballots entered by hand: 1; there is no image to re-read" in verified.stdout
    assert "full hand count: it elects the same candidates" in verified.stdout
    record = json.loads((out / AUDIT_FILE).read_text())
    # Another seed whose draw differs from the recorded one at its first ballot (the images'
    # hashes change from run to run: a fixed edit of the seed may draw the same first ballot).
    from ballots.audit.sampling import ranked

    drawn = [s["ballot"] for s in record["report"]["sample"]]
    record["seed"] = next(
        seed
        for digit in "0123456789"
        if (seed := digit + record["seed"][1:]) != record["seed"]
        and ranked(seed, drawn)[0].ballot != drawn[0]
    )
    (out / AUDIT_FILE).write_text(json.dumps(record))
    failed = run(settings, "ballots", "verify", str(out), "--workers", "1")
    assert failed.exit_code == 1
    assert "Hand audit: its signature does not verify" in failed.stdout
    assert "sample[0].ballot" in failed.stdout or "seed" in failed.stdout
