"""`congress ballots export` on a real count: printed, marked, scanned, read, decided, closed; then verified."""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from ballots.counting import closing, counts, intake, review
from ballots.models import Count, Election
from congress.db import Database
from congress.settings import Settings
from congress.storage import FileStore
from tests.ballots.count_helpers import printed_election, scans
from tests.congress.test_cli import run


def archive_read(path: Path, name: str) -> bytes:
    with zipfile.ZipFile(path) as archive:
        return archive.read(name)


def _write(db: Database, count_id: int, fn: Any) -> Any:
    with db.write_session() as session:
        return fn(session, counts.lock(session, count_id))


def test_export_a_closed_count_and_verify_it(
    db: Database, settings: Settings, register: dict[str, Any], tmp_path: Path
) -> None:
    printed = printed_election(db, settings, ballots=5, seats=2)
    eid = str(printed.election_id)
    nothing = run(settings, "ballots", "export", "--election", eid, "--out", str(tmp_path / "x"))
    assert nothing.exit_code == 1 and len(nothing.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "x").exists()
    with db.session() as session:
        count_id = counts.open_count(
            session,
            session.get(Election, printed.election_id),  # type: ignore[arg-type]
            members=["Nguyễn Văn Một", "Trần Thị Hai"],
            issued=5,
            collected=5,
            actor="ana",
        ).id
    c1, c2, c3, c4 = printed.targets
    images = scans(
        printed,
        [
            {c1: "strike", c2: "strike"},
            {c3: "strike", c4: "strike_wavy"},
            {c1: "strike", c3: "strike"},
            {c1: "strike", c2: "circle"},
            {},  # four names standing for two seats
        ],
    )
    # The machine's invalid ballot was fed upside down.
    turned = cv2.imdecode(np.frombuffer(images[4], np.uint8), cv2.IMREAD_COLOR)
    images[4] = cv2.imencode(".png", cv2.rotate(turned, cv2.ROTATE_180))[1].tobytes()
    received = [
        intake.receive(db, count_id, image, f"scan-{n}.png", "ana", "may-1")
        for n, image in enumerate(images, 1)
    ]
    assert [r.status for r in received] == ["valid", "valid", "valid", "review", "invalid"]
    doubtful, invalid = received[3].ballot_id, received[4].ballot_id
    with db.session() as session:
        count = session.get(Count, count_id)
        assert count is not None and count.committee_decides_invalid
        waiting = review.evaluate(session, count).by_state("needs_decision")
    assert waiting == [doubtful, invalid]  # the committee decides the invalid ballot too
    _write(db, count_id, lambda s, c: review.decide(
        s, c, doubtful, status="valid", reason=None, marks={c2: "marked"},
        note="khoanh tròn tên", actor="ana", member="Nguyễn Văn Một"))  # fmt: skip
    batch = _write(db, count_id, lambda s, c: review.act_on_many(
        s, c, [invalid, doubtful], actor="ana", member="Nguyễn Văn Một"))  # fmt: skip
    # The doubtful ballot's decision awaits another member: it is refused alone.
    assert batch.done == [invalid] and [i for i, _ in batch.refused] == [doubtful]
    assert batch.refused[0][1].code == "same_member"
    # One account, two members at one table: the second member confirms both.
    confirmed = _write(db, count_id, lambda s, c: review.act_on_many(
        s, c, [invalid, doubtful], actor="ana", member="Trần Thị Hai"))  # fmt: skip
    assert confirmed.done == [invalid, doubtful] and not confirmed.refused
    result = _write(db, count_id, lambda s, c: closing.close_count(s, c, "", "ana"))
    root = closing.seal_count(db, count_id)
    assert [c["votes"] for c in result["candidates"]] == [1, 2, 2, 3]
    assert result["ballots"]["invalid_by_reason"] == {"more_than_seats": 1}
    with db.session() as session:
        assert session.get(Count, count_id).root_hash == root  # type: ignore[union-attr]

    out = tmp_path / "bundle.zip"
    exported = run(settings, "ballots", "export", "--election", eid, "--out", str(out))
    assert exported.exit_code == 0, exported.output
    # The same count always gives the same bundle: the root printed on the minutes.
    assert root in exported.stdout
    with db.session() as session:
        sealed = session.get(Count, count_id).bundle_sha256  # type: ignore[union-attr]
    # The zip sealed when the count closed, not a second copy of every image: one file on disk.
    assert os.path.samefile(out, FileStore(settings.files_dir).path(sealed or ""))
    again = tmp_path / "again"
    assert run(settings, "ballots", "export", "--election", eid, "--out", str(out)).exit_code == 1
    written = run(settings, "ballots", "export", "--election", eid, "--out", str(again))
    assert written.exit_code == 0 and root in written.stdout  # a directory is written afresh
    with zipfile.ZipFile(out) as archive:
        assert sorted(archive.namelist()) == sorted(
            str(p.relative_to(again)) for p in again.rglob("*") if p.is_file()
        )
    with zipfile.ZipFile(out) as archive:
        names = archive.namelist()
        tally_data = json.loads(archive.read("tally.json"))
        everything = b"".join(archive.read(n) for n in names)
    assert tally_data == result
    assert len([n for n in names if n.startswith("images/")]) == 5
    meta = json.loads(archive_read(out, "election.json"))
    assert meta["count"]["committee_decides_invalid"] is True
    records = [json.loads(archive_read(out, n)) for n in names if n.startswith("ballots/")]
    members = {d.get("member") for r in records for d in r["decisions"]}
    assert members == {"Nguyễn Văn Một", "Trần Thị Hai"}
    assert b"scan-" not in everything and b"may-1" not in everything
    verified = run(settings, "ballots", "verify", str(out))
    assert verified.exit_code == 0, verified.output
    assert "Tally: recomputed from 5 counted ballots" in verified.stdout
    again = run(settings, "ballots", "export", "--election", eid, "--out", str(out))
    assert again.exit_code == 1 and "already exists" in again.stderr
