"""Hostile and broken scan files given to the commands: each reported on one line, the rest read.

Issue 21, row 2: `congress ballots count scan DIR` sets each refused file aside in failed/ with
its reason and counts the others; `congress ballots read` reports each and reads the others.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from congress.db import Database
from congress.settings import Settings
from tests.ballots import hostile_files as hostile
from tests.ballots.count_helpers import kept, opened_election, printed_election, scans
from tests.congress.test_cli import run


def test_count_scan_reports_each_bad_file_sets_it_aside_and_goes_on(
    db: Database, settings: Settings, register: dict[str, Any], tmp_path: Path
) -> None:
    printed = opened_election(db, settings, ballots=2)
    folder = tmp_path / "scans"
    folder.mkdir()
    bad = hostile.bad_scans()
    for name, data in bad.items():
        (folder / name).write_bytes(data)
    good = scans(printed, [{}, {"c001.strike": "strike"}])
    for index, data in enumerate(good):
        (folder / f"zz-good-{index}.png").write_bytes(data)  # sorted after every bad file
    result = run(
        settings, "ballots", "count", "scan", "--election", str(printed.election_id), str(folder)
    )
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == len(bad), result.stderr
    assert "Traceback" not in result.output and "PdfiumError" not in result.output
    for name in bad:
        (line,) = [line for line in lines if line.startswith(f"{name}: ")]
        assert (folder / "failed" / name).exists(), name
        reason = (folder / "failed" / f"{name}.txt").read_text(encoding="utf-8").strip()
        assert reason and reason in line and not (folder / name).exists()
    assert [p.name for p in folder.glob("*.png")] and len(result.stdout.splitlines()) == 2
    assert kept(db)[0] == 2
    # Run again: the refused files are out of the way, the good ones already counted.
    again = run(
        settings, "ballots", "count", "scan", "--election", str(printed.election_id), str(folder)
    )
    assert again.exit_code == 0, again.output
    assert kept(db)[0] == 2


def test_ballots_read_reports_each_bad_file_and_reads_the_rest(
    db: Database, settings: Settings, register: dict[str, Any], tmp_path: Path
) -> None:
    printed = printed_election(db, settings, ballots=1)
    paths = []
    for name, data in hostile.bad_scans().items():
        (tmp_path / name).write_bytes(data)
        paths.append(str(tmp_path / name))
    (good,) = scans(printed, [{}])
    (tmp_path / "good.png").write_bytes(good)
    args = ["ballots", "read", "--election", str(printed.election_id)]
    result = run(settings, *args, *paths, str(tmp_path / "good.png"))
    assert result.exit_code == 1, result.output
    assert len(result.stderr.strip().splitlines()) == len(hostile.REFUSALS), result.stderr
    assert "Traceback" not in result.output
    assert result.stdout.strip().startswith("good.png: ")
    assert len(result.stdout.strip().splitlines()) == 1
    as_json_ = run(settings, *args, "--json", str(tmp_path / "userunit.pdf"))
    assert as_json_.exit_code == 1
    assert json.loads(as_json_.stdout)["error"]["code"] == "page_too_large"
