"""The scanner station over a folder of bad and hostile files: each set aside with its reason."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from congress.db import Database
from congress.settings import Settings
from tests.ballots import hostile_files as hostile
from tests.scanner.station_helpers import (
    counted_election,
    digests,
    drop,
    folder_digests,
    local_station,
    scan_files,
    stored,
)


def test_station_sets_each_bad_file_aside_with_its_reason_and_counts_the_rest(
    db: Database, settings: Settings, register: dict[str, Any], tmp_path: Path
) -> None:
    printed = counted_election(db, settings, 2)
    files = scan_files(printed, 2, seed=6)
    watch = tmp_path / "scans"
    watch.mkdir()
    bad = hostile.bad_scans()
    for name, data in bad.items():
        (watch / name).write_bytes(data)
        # Old enough not to be a file the scanner is still writing.
        os.utime(watch / name, (1, 1))
    drop(watch, files)
    result = local_station(settings, printed.election_id, watch, "--lang", "en")
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output and "PdfiumError" not in result.output
    assert sorted(stored(db, printed.election_id)) == sorted(digests(files))
    assert sorted(folder_digests(watch / "done")) == sorted(digests(files))
    failed_lines = [line for line in result.output.splitlines() if line.startswith("failed  ")]
    assert len(failed_lines) == len(bad), result.output
    reasons = {
        "empty.pdf": "empty.pdf is empty",
        "userunit.pdf": "Page 1 of userunit.pdf is 1080000000 points long",
        "pages600.pdf": "pages600.pdf has 600 pages; a ballot has at most 8",
        "huge.png": "Page 1 of huge.png has 10000 megapixels",
    }
    for name in bad:
        assert (watch / "failed" / name).exists(), name
        assert not (watch / name).exists()
        reason = (watch / "failed" / f"{name}.txt").read_text(encoding="utf-8")
        assert reasons.get(name, f"{name} is not an image or PDF that can be read") in reason
