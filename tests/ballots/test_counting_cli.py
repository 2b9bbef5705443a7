"""`congress ballots count`: open, scan a folder, status, close with the sealed bundle."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from congress.db import Database
from congress.settings import Settings
from tests.ballots.count_helpers import printed_election, scans
from tests.congress.test_cli import run


def test_count_from_the_command_line(
    db: Database, settings: Settings, register: dict[str, Any], tmp_path: Path
) -> None:
    printed = printed_election(db, settings, ballots=3)
    eid = str(printed.election_id)
    folder = tmp_path / "scans"
    folder.mkdir()
    images = scans(
        printed,
        [
            {"c003.strike": "strike", "c004.strike": "strike"},
            {"c001.strike": "strike", "c002.strike": "strike"},
        ],
    )
    for i, data in enumerate(images):
        (folder / f"p{i}.png").write_bytes(data)
    (folder / "p0-again.png").write_bytes(images[0])
    (folder / "notes.txt").write_text("ignored: not a scan")
    before = run(settings, "ballots", "count", "scan", "--election", eid, str(folder))
    assert before.exit_code == 1 and "No count is open" in before.stderr
    opened = run(
        settings, "ballots", "count", "open", "--election", eid,
        "--member", "Nguyễn Văn Một", "--member", "Trần Thị Hai",
        "--issued", "3", "--collected", "2",
    )  # fmt: skip
    assert opened.exit_code == 0, opened.output
    scanned = run(settings, "ballots", "count", "scan", "--election", eid, str(folder), "--json")
    assert scanned.exit_code == 0, scanned.output
    answers = [json.loads(line) for line in scanned.stdout.splitlines()]
    assert [a["file"] for a in answers] == ["p0-again.png", "p0.png", "p1.png"]
    assert [a["duplicate"] for a in answers] == [None, "image", None]
    assert [a["status"] for a in answers] == ["valid", "valid", "valid"]
    status = json.loads(
        run(settings, "ballots", "count", "status", "--election", eid, "--json").stdout
    )
    assert status["reconciliation"]["scanned"] == 2 and status["reconciliation"]["counted"] == 2
    refused = run(settings, "ballots", "count", "close", "--election", eid)
    assert refused.exit_code == 1 and "disagree" in refused.stderr
    closed = run(
        settings, "ballots", "count", "close", "--election", eid,
        "--explanation", "Một phiếu không được phát",
    )  # fmt: skip
    assert closed.exit_code == 0, closed.output
    assert re.search(r"audit bundle root [0-9a-f]{64}", closed.stdout)
    late = run(settings, "ballots", "count", "scan", "--election", eid, str(folder / "p1.png"))
    assert late.exit_code == 1 and "closed" in late.stderr
