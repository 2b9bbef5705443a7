"""`congress station`: a watched folder counted exactly once, through kills, outages and pairs."""

from __future__ import annotations

import hashlib
import os
import random
import signal
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from ballots.models import CountedBallot
from ballots.reading.recorded import RecordedReading
from congress.db import Database
from congress.settings import Settings
from congress.storage import FileStore
from tests.congress.test_cli import run
from tests.scanner.station_helpers import (
    Proxy,
    counted_election,
    counting_token,
    digests,
    drop,
    folder_digests,
    journal_states,
    local_station,
    scan_files,
    station,
    stored,
    wait_output,
)

KILLED_BALLOTS = 60


def _done(watch: Path) -> int:
    return len(list((watch / "done").glob("*.png"))) if (watch / "done").exists() else 0


def _children(pid: int) -> list[int]:
    """The processes whose parent is `pid` (Linux /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _wait(condition: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


@pytest.mark.parametrize("backend", ["sqlite"])
def test_killed_again_and_again_no_ballot_lost_none_counted_twice(
    live_server: Any, db: Database, settings: Settings, register: dict[str, Any], tmp_path: Path
) -> None:
    printed = counted_election(db, settings, KILLED_BALLOTS)
    files = scan_files(printed, KILLED_BALLOTS)
    watch = tmp_path / "scans"
    watch.mkdir()
    drop(watch, files)
    token = counting_token(db)
    rng = random.Random(8)
    kills = 0
    # SIGKILL whenever the station is in the middle of things: right after it moved a file on,
    # a random moment later (reading, sending, journalling or moving the next ones).
    # Two reader processes: several files are being read whenever the station is killed.
    while kills < 5 and _done(watch) < KILLED_BALLOTS - 5:
        process = station(live_server.url, token, printed.election_id, watch, "--workers", "2")
        before = _done(watch)
        try:
            _wait(
                lambda b=before, p=process: _done(watch) > b or p.poll() is not None,  # type: ignore[misc]
                120,
                "progress",
            )
            time.sleep(rng.uniform(0.0, 0.6))
            readers = _children(process.pid)
        finally:
            process.send_signal(signal.SIGKILL)
            process.wait()
        kills += 1
        assert len(readers) == 2
        # The readers of a station killed -9 end too: none is left reading for nobody.
        _wait(lambda r=readers: not any(_alive(pid) for pid in r), 10, "the readers to end")  # type: ignore[misc]
    assert kills >= 3
    assert 0 < _done(watch) < KILLED_BALLOTS
    last = station(
        live_server.url, token, printed.election_id, watch, "--until-idle", "--workers", "2"
    )
    out = wait_output(last, 300)
    assert last.returncode == 0, out
    recorded = stored(db, printed.election_id)
    assert len(recorded) == KILLED_BALLOTS  # none lost, none twice
    assert set(recorded) == digests(files)
    in_done = folder_digests(watch / "done")
    assert sorted(in_done) == sorted(digests(files))  # every file in done/, once
    assert not list((watch / "failed").iterdir())
    assert not [p for p in watch.iterdir() if p.is_file() and p.suffix == ".png"]
    assert all(not any(p.iterdir()) for p in watch.glob(".work-*"))
    assert journal_states(watch) == {"uploaded": KILLED_BALLOTS}


@pytest.mark.parametrize("backend", ["sqlite"])
def test_server_down_the_station_reads_on_and_sends_when_it_is_back(
    live_server: Any, db: Database, settings: Settings, register: dict[str, Any], tmp_path: Path
) -> None:
    printed = counted_election(db, settings, 6)
    files = scan_files(printed, 6, seed=2)
    watch = tmp_path / "scans"
    watch.mkdir()
    proxy = Proxy(live_server.url)
    process = station(proxy.url, counting_token(db), printed.election_id, watch, "--max-retry", "1")
    try:
        drop(watch, files[:2])
        _wait(lambda: _done(watch) == 2, 120, "the first two ballots")
        proxy.down()
        drop(watch, files[2:])
        # Read and kept: nothing reaches the server, nothing is moved on, nothing fails.
        _wait(lambda: journal_states(watch).get("read") == 4, 120, "the four read offline")
        assert len(stored(db, printed.election_id)) == 2
        assert _done(watch) == 2 and not list((watch / "failed").iterdir())
        proxy.up = True
        _wait(lambda: _done(watch) == 6, 60, "the queue sent")
    finally:
        process.send_signal(signal.SIGINT)
        out = wait_output(process, 30)
        proxy.close()
    assert "The server does not answer" in out
    assert set(stored(db, printed.election_id)) == digests(files)
    assert journal_states(watch) == {"uploaded": 6}


@pytest.mark.parametrize("backend", ["postgresql"])
def test_two_stations_on_one_folder_count_each_ballot_once(
    live_server: Any, db: Database, settings: Settings, register: dict[str, Any], tmp_path: Path
) -> None:
    printed = counted_election(db, settings, 12)
    files = scan_files(printed, 12, seed=3)
    watch = tmp_path / "scans"
    watch.mkdir()
    token = counting_token(db)
    pair = [
        station(live_server.url, token, printed.election_id, watch, "--name", name)
        for name in ("Bàn 1", "Bàn 2")
    ]
    try:
        _wait(lambda: len(list(watch.glob(".work-*"))) == 2, 60, "both stations")
        drop(watch, files)
        _wait(lambda: _done(watch) == 12, 180, "every ballot")
    finally:
        for process in pair:
            process.send_signal(signal.SIGINT)
        outputs = [wait_output(process, 30) for process in pair]
    recorded = stored(db, printed.election_id)
    assert sorted(recorded) == sorted(digests(files)), outputs
    assert sorted(folder_digests(watch / "done")) == sorted(digests(files))
    # Each file was claimed by one station: neither sent a file the other had.
    lines = Counter(
        line.split("  ")[1] for o in outputs for line in o.splitlines() if line.startswith("done  ")
    )
    assert sum(lines.values()) == 12 and max(lines.values()) == 1


def test_local_station_counts_into_this_laptops_database(
    db: Database, settings: Settings, register: dict[str, Any], tmp_path: Path
) -> None:
    printed = counted_election(db, settings, 3)
    files = scan_files(printed, 3, seed=4)
    watch = tmp_path / "scans"
    watch.mkdir()
    drop(watch, files)
    (watch / "notes.png").write_bytes(b"not a picture at all")
    os.utime(watch / "notes.png", (1, 1))
    result = local_station(settings, printed.election_id, watch, "--name", "Bàn 1")
    assert result.exit_code == 0, result.output
    assert sorted(stored(db, printed.election_id)) == sorted(digests(files))
    assert sorted(folder_digests(watch / "done")) == sorted(digests(files))
    # The scans are kept once: each file in done/ is the file store's image (a hard link).
    store = FileStore(settings.files_dir)
    for name, data in files:
        assert os.path.samefile(watch / "done" / name, store.path(hashlib.sha256(data).hexdigest()))
    reason = (watch / "failed" / "notes.png.txt").read_text(encoding="utf-8")
    assert "notes.png is not an image or PDF that can be read" in reason
    assert (watch / "failed" / "notes.png").exists()
    # Started again over the same folder with a copy of a counted file: nothing counted twice.
    (watch / "again.png").write_bytes(files[0][1])
    again = local_station(settings, printed.election_id, watch, "--name", "Bàn 1")
    assert again.exit_code == 0, again.output
    assert len(stored(db, printed.election_id)) == 3
    assert (watch / "done" / "again.png").exists()


def test_refusals(
    live_server: Any, db: Database, settings: Settings, register: dict[str, Any], tmp_path: Path
) -> None:
    watch = tmp_path / "scans"
    watch.mkdir()
    wrong = station(live_server.url, "cgt_wrong", 1, watch, "--until-idle")
    out = wait_output(wrong, 60)
    assert wrong.returncode == 1 and "Traceback" not in out
    missing = run(settings, "station", "--local", "--election", "1", "--watch", str(tmp_path / "x"))
    assert missing.exit_code == 1 and "There is no folder" in missing.output
    both = run(settings, "station", "--election", "1", "--watch", str(watch))
    assert both.exit_code == 2 and "--server URL" in both.output


class Crash(BaseException):
    """A kill at one exact point of the station's work (nothing after it runs)."""


CRASH_POINTS = ["claimed", "read", "sent", "journalled", "moved"]


@pytest.mark.parametrize("backend", ["sqlite"])
@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize("point", CRASH_POINTS)
def test_a_kill_at_each_step_then_a_restart_counts_each_ballot_once(
    point: str,
    workers: int,
    db: Database,
    settings: Settings,
    register: dict[str, Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from congress.i18n import translator
    from scanner import station as st

    ballots = 2 * workers + 1  # with a pool, the kill finds several files being read
    printed = counted_election(db, settings, ballots)
    files = scan_files(printed, ballots, seed=5)
    watch = tmp_path / "scans"
    watch.mkdir()
    drop(watch, files)
    tr = translator("en")
    quiet = st.LineProgress(lambda s: None, tr, 60)
    settings_ = st.StationSettings(settle_seconds=0.0, poll_seconds=0.01)

    def make() -> st.Station:
        counting = st.LocalCounting(db, printed.election_id, tr, "test")
        journal = st.Journal(watch / st.JOURNAL_NAME)
        return st.Station(watch, counting, journal, "Bàn 1", tr, quiet, settings_, workers=workers)

    first = make()
    crashed = []

    def crash_after(owner: Any, name: str, when: Any = lambda *a, **k: True) -> None:
        original = getattr(owner, name)

        def wrapped(*args: Any, **kwargs: Any) -> Any:
            result = original(*args, **kwargs)
            if not crashed and when(*args, **kwargs):
                crashed.append(point)
                raise Crash
            return result

        monkeypatch.setattr(owner, name, wrapped)

    if point == "claimed":
        crash_after(first, "claim")
    elif point == "read":
        crash_after(first.journal, "update", lambda sha, state, **k: state == "read")
    elif point == "sent":
        crash_after(first.counting, "send")
    elif point == "journalled":
        crash_after(first.journal, "update", lambda sha, state, **k: state == "uploaded")
    else:
        crash_after(st.os, "replace")
    with pytest.raises(Crash):
        first.run(until_idle=True)
    monkeypatch.undo()
    first.journal.close()
    assert not first.readers._pool  # the pool went down with the station
    if point in ("sent", "journalled", "moved"):
        assert len(stored(db, printed.election_id)) == 1  # the server has it; the rest must know
    again = make()
    again.run(until_idle=True)
    assert sorted(stored(db, printed.election_id)) == sorted(digests(files))
    assert sorted(folder_digests(watch / "done")) == sorted(digests(files))
    assert journal_states(watch) == {"uploaded": ballots}


def test_the_pool_of_readers_reads_as_one_process_does(
    db: Database, settings: Settings, register: dict[str, Any], tmp_path: Path
) -> None:
    """Byte for byte: the readings journalled and counted by a station reading in two processes
    are those of the reader in this one, file by file."""
    import json

    from congress.i18n import translator
    from congress.limits import Limits
    from scanner import station as st

    printed = counted_election(db, settings, 6)
    files = scan_files(printed, 6, seed=9)
    watch = tmp_path / "scans"
    watch.mkdir()
    drop(watch, files)
    tr = translator("en")
    counting = st.LocalCounting(db, printed.election_id, tr, "test")
    journal = st.Journal(watch / st.JOURNAL_NAME)
    pooled = st.Station(
        watch, counting, journal, "Bàn 1", tr, st.LineProgress(lambda s: None, tr, 60),
        st.StationSettings(settle_seconds=0.0, poll_seconds=0.01), workers=2,
    )  # fmt: skip
    pooled.run(until_idle=True)
    context = counting.description().build()
    for name, data in files:
        sha = hashlib.sha256(data).hexdigest()
        alone = st.read_scan(context, data, name, sha, Limits(), tr)
        row = journal.get(sha)
        assert row is not None and row["state"] == "uploaded"
        assert row["reading"] == alone.reading and row["status"] == alone.status
    with db.session() as session:
        counted = {b.image_sha256: b.reading for b in session.scalars(select(CountedBallot))}
    for name, data in files:
        sha = hashlib.sha256(data).hexdigest()
        alone = st.read_scan(context, data, name, sha, Limits(), tr)
        assert alone.reading is not None
        assert counted[sha] == RecordedReading.from_dict(json.loads(alone.reading), sha).to_dict()
    journal.close()


def test_a_file_still_being_written_is_not_read(tmp_path: Path) -> None:
    from congress.i18n import translator
    from scanner import station as st

    watch = tmp_path / "scans"
    watch.mkdir()
    tr = translator("en")
    journal = st.Journal(watch / st.JOURNAL_NAME)
    quiet = st.LineProgress(lambda s: None, tr, 60)
    station_ = st.Station(
        watch,
        st.LocalCounting(None, 1, tr, "t"),
        journal,
        "Bàn 1",
        tr,
        quiet,
        st.StationSettings(settle_seconds=1.0),
    )
    growing = watch / "scan0001.png"
    growing.write_bytes(b"\x89PNG\r\n\x1a\n" + b"x" * 100)
    (watch / "notes.txt").write_text("not a scan")
    (watch / ".scan0002.png.part").write_bytes(b"partial")
    assert station_.complete_files(100.0) == []
    assert station_.complete_files(100.6) == []
    with growing.open("ab") as fh:  # the scanner writes more
        fh.write(b"y" * 100)
    assert station_.complete_files(101.5) == []  # changed: the clock starts again
    assert station_.complete_files(102.0) == []
    assert station_.complete_files(102.6) == [growing]
    journal.close()
