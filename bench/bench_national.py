"""A national congress by 2 stations: ballots/s, last scan to signed minutes, peak memory, disk.

Usage: python bench/bench_national.py [--delegates 1600] [--ballots 1600] [--names 250]
       [--seats N] [--stations 2] [--workers N] [--database-url URL | --sqlite]

Prepares (not timed) a congress of --delegates delegates (imported from CSV), a strike-out
election of --names candidates for --seats seats (default four fifths of the names) and
--ballots printed ballots (the demo's names: 250 of them take 5 A4 pages, as the longest,
25 letters, keeps the list to 2 tables a page; the pages are printed); the synthetic generator
marks each (a voter strikes enough names to keep at most the seats) and saves it as one 150-dpi
colour PDF of all its pages, the files spread over one folder per station. Timed: the server (uvicorn, its
own process) and --stations `congress station` processes (each its own folder, --workers
reader processes each, default one per core) are started, the files moved into the folders
at once, and the clock runs from the files appearing to the server's 201 for the last one
(ballots/s); then the committee decides the ballots sent to review, closes the count (which
seals the signed audit bundle) and downloads the signed minutes PDF: "last scan to minutes".
Prints also the peak memory (VmHWM) of every process (server, each station and its reader
processes, this script; a station's readers are forked from it, so the pages they share are in
each figure) and the disk used (data directory and scan folders), and issue 18's targets for
1,600 ballots: first scan to signed minutes under 10 minutes, under 1 GB peak per process.

PostgreSQL by default: --database-url, default the local test database, in a fresh schema
dropped afterwards; --sqlite: the data directory's SQLite file.
"""

from __future__ import annotations

import argparse
import os
import signal
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager, nullcontext
from pathlib import Path

from bench_count import finish, open_count, prepare_election, print_finish
from bench_station import _has_config, rate_scans, server_count, station
from live import bench_home, live_process  # bench/, beside this script

PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
CHUNK = 25  # ballots a preparing process marks at a time


@contextmanager
def fresh_schema(base_url: str) -> Iterator[str]:
    """The URL of a new, empty schema in `base_url`'s database, dropped afterwards."""
    from sqlalchemy import create_engine, text

    schema = "bench_" + uuid.uuid4().hex[:12]
    engine = create_engine(base_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        joiner = "&" if "?" in base_url else "?"
        yield f"{base_url}{joiner}options=-csearch_path%3D{schema}"
    finally:
        with engine.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()


def _mark_chunk(job: tuple[str, str, str, int, int, int, int]) -> int:
    from ballots.paper.layout import BallotLayout

    pdf, layout_file, folder, first, stop, low, high = job
    layout = BallotLayout.from_json(Path(layout_file).read_text(encoding="utf-8"))
    return rate_scans(
        Path(pdf).read_bytes(), layout, Path(folder), "pdf150", first, (low, high),
        range(first, stop),
    )  # fmt: skip


def mark_all(
    pdf: Path, layout: Path, staging: Path, ballots: int, names: int, seats: int
) -> tuple[list[Path], int]:
    """Every printed ballot marked and saved as a multi-page PDF in `staging`; the pages a
    ballot."""
    low = names - seats  # keeping more names than seats would make the ballot invalid
    high = min(names, low + 30) + 1
    jobs = [
        (str(pdf), str(layout), str(staging), start, min(ballots, start + CHUNK), low, high)
        for start in range(0, ballots, CHUNK)
    ]
    with ProcessPoolExecutor(2) as pool:
        pages = set(pool.map(_mark_chunk, jobs))
    return sorted(staging.iterdir()), pages.pop()


def machine_readings(folders: list[Path]) -> str:
    """The stations' machine statuses and their reasons, from the journals."""
    import json
    import sqlite3
    from collections import Counter

    statuses: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    for folder in folders:
        db = sqlite3.connect(folder / ".congress-station.sqlite")
        try:
            for state, status, reading in db.execute("SELECT state, status, reading FROM files"):
                statuses[status or state] += 1
                reasons.update(json.loads(reading)["reasons"] if reading else [])
        finally:
            db.close()
    return f"machine readings {dict(statuses)}, reasons {dict(reasons)}"


def peak_mb(pid: int) -> float:
    """The process's peak resident memory (VmHWM) in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def children(pid: int) -> list[int]:
    """The processes whose parent is `pid`."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                status = (entry / "status").read_text()
            except OSError:
                continue
            ppid = next(line for line in status.splitlines() if line.startswith("PPid:"))
            if int(ppid.split()[1]) == pid:
                found.append(int(entry.name))
    return sorted(found)


def disk_mb(*roots: Path, skip: tuple[Path, ...] = ()) -> float:
    """Blocks allocated under `roots` (each hard-linked file once), `skip` left out, in MB."""
    seen: set[tuple[int, int]] = set()
    total = 0
    for root in roots:
        for folder, dirs, files in os.walk(root):
            dirs[:] = [d for d in dirs if Path(folder, d) not in skip]
            for name in files:
                info = os.lstat(Path(folder, name))
                if (info.st_dev, info.st_ino) not in seen:
                    seen.add((info.st_dev, info.st_ino))
                    total += info.st_blocks * 512
    return total / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--delegates", type=int, default=1600)
    parser.add_argument("--ballots", type=int, default=1600)
    parser.add_argument("--names", type=int, default=250, help="candidates on the strike list")
    parser.add_argument("--seats", type=int, default=None, help="default: 4/5 of the names")
    parser.add_argument("--stations", type=int, default=2)
    parser.add_argument("--workers", type=int, default=None, help="reader processes a station")
    parser.add_argument("--database-url", default=PG_URL, help="PostgreSQL, a fresh schema in it")
    parser.add_argument("--sqlite", action="store_true", help="SQLite in the data directory")
    args = parser.parse_args()
    seats = args.seats or args.names * 4 // 5
    database = nullcontext(None) if args.sqlite else fresh_schema(args.database_url)
    with database as url, bench_home(url) as (env, settings, slug):
        home = Path(settings.home)
        started = time.perf_counter()
        election_id, pdf, layout, token, second = prepare_election(
            settings, slug, args.delegates, args.ballots, args.names, seats
        )
        staging = home / "staging"
        staging.mkdir()
        files, pages = mark_all(pdf, layout, staging, args.ballots, args.names, seats)
        pdf.unlink()  # the benchmark's own copy of the print run, not the congress's data
        layout.unlink()
        count_id = open_count(settings, election_id, len(files))
        size = sum(p.stat().st_size for p in files) / len(files)
        print(
            f"prepared {args.delegates} delegates, {len(files)} ballots of {args.names} names "
            f"({seats} seats) on {pages} A4 pages, one 150-dpi colour PDF each "
            f"({size / 1024:.0f} KB a file) in {time.perf_counter() - started:.0f} s",
            flush=True,
        )
        folders = [home / f"scans-{n + 1}" for n in range(args.stations)]
        workers = ["--workers", str(args.workers)] if args.workers else []
        with live_process(env) as (server_url, server_pid):
            stations = []
            for n, folder in enumerate(folders):
                folder.mkdir()
                name = ["--name", f"station-{n + 1}"]
                stations.append(station(server_url, token, election_id, folder, *name, *workers))
            for folder in folders:  # each station has the election and its readers' context
                while not _has_config(folder / ".congress-station.sqlite"):
                    time.sleep(0.1)
            time.sleep(1.0)
            t0 = time.perf_counter()
            for i, path in enumerate(files):
                os.replace(path, folders[i % len(folders)] / path.name)
            while server_count(settings, election_id) < len(files):
                for process in stations:
                    if process.poll() is not None:
                        raise SystemExit(f"a station stopped: exit {process.returncode}")
                time.sleep(0.05)
            last_201 = time.perf_counter()
            elapsed = last_201 - t0
            print(
                f"{'sqlite' if args.sqlite else 'postgresql'}, 1 server process, "
                f"{args.stations} stations: {len(files)} ballots from the first scan to the "
                f"last 201 in {elapsed:.1f} s = {len(files) / elapsed:.2f} ballots/s",
                flush=True,
            )
            print(machine_readings(folders), flush=True)
            timings = finish(server_url, slug, count_id, token, second)
            total = time.perf_counter() - last_201
            memory = [("server", server_pid, peak_mb(server_pid))]
            memory += [("server child", pid, peak_mb(pid)) for pid in children(server_pid)]
            for n, process in enumerate(stations):
                memory.append((f"station {n + 1}", process.pid, peak_mb(process.pid)))
                for pid in children(process.pid):
                    memory.append((f"station {n + 1} reader", pid, peak_mb(pid)))
            for process in stations:
                process.send_signal(signal.SIGINT)
            for process in stations:
                process.wait(30)
        print_finish(timings, total)
        memory.append(("this script", os.getpid(), peak_mb(os.getpid())))
        print("peak memory (VmHWM): " + "; ".join(f"{w} {mb:.0f} MB" for w, _, mb in memory))
        whole, peak = elapsed + total, max(mb for _, _, mb in memory)
        verdict = "n/a: fewer than 1,600 ballots" if len(files) < 1600 else (
            "met" if whole < 600 and peak < 1024 else "NOT met"
        )  # fmt: skip
        print(
            f"first scan to signed minutes {whole:.0f} s, largest process {peak:.0f} MB "
            f"(target under 600 s and under 1024 MB: {verdict})"
        )
        scans = disk_mb(*folders)
        data = disk_mb(home, skip=(*folders, staging))
        print(
            f"disk used: data directory {data:.0f} MB + scan folders {scans:.0f} MB = "
            f"{data + scans:.0f} MB ({(data + scans) / len(files):.2f} MB a ballot)"
        )


if __name__ == "__main__":
    main()
