"""The scanner station over 500 ballots, SIGKILLed again and again: throughput and exactly-once.

Usage: python bench/bench_station.py [--ballots 500] [--kills 10] [--database-url URL]
       python bench/bench_station.py --rate png200|pdf150 [--ballots 300] [--workers N]
--rate measures the station's throughput against issue 18's targets instead: 30-name one-page
ballots as 200-dpi grayscale PNG (target 25/s), or 60-name two-page ballots as one 150-dpi
colour PDF each (target 10/s); the station (--workers reader processes, default one per core)
is started on an empty folder, the files are moved in at once once it has the election, and
the time runs from the files appearing to the server's 201 for the last one.

Prints a 15-candidate election's ballots (A4, strike form, 7 seats), marks each at random and
saves it as a 150 dpi JPEG (what a sheet-fed scanner writes) into a watched folder; starts the
server (uvicorn, its own process) and `congress station` (its own process), kills the station
with SIGKILL at random moments --kills times, starts it again each time, and lets the last run
finish (--until-idle). Also times a clean run (no kills) of --clean ballots for the rate.
Prints ballots/s, the kills, and the exactly-once check: the server's count holds exactly one
ballot per file, every file is in done/, none failed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import io
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
from live import live_server  # bench/live.py, beside this script
from sqlalchemy import select

from ballots.counting import counts
from ballots.elections import Rules, create_election, get_election, import_candidates
from ballots.elections import print_ballots as print_run
from ballots.models import CountedBallot
from ballots.paper.raster import rasterize_pdf
from ballots.reading.synth import draw_marks
from congress import auth, congresses
from congress.db import Database, upgrade
from congress.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
DPI = 150
FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng"]
GIVEN = ["An", "Bình", "Cường", "Dũng", "Giang", "Hà", "Hải", "Khánh", "Lan", "Nhung", "Quân"]


def prepare(
    settings: Settings, ballots: int, candidates: int = 15, seats: int = 7
) -> tuple[int, str, bytes, object]:
    upgrade(settings)
    db = Database(settings)
    with db.session() as session:
        congress = congresses.create_congress(
            session,
            slug=f"bench-station-{os.getpid()}",
            name="Bench",
            starts_on=dt.date(2027, 1, 1),
            ends_on=dt.date(2027, 1, 2),
            actor="bench",
        )
        election = create_election(
            session,
            congress,
            title="Bầu Ban Chấp hành khóa XIX",
            form="strike",
            seats=seats,
            actor="bench",
            rules=Rules(seal_required=False),
        )
        rows = ["STT;Họ và tên;Ngày sinh"] + [
            f"{i + 1};{FAMILY[i % 10]} Văn {GIVEN[i % 11]} {chr(65 + i % 26)}{i // 26 or ''};"
            "01/01/1990"
            for i in range(candidates)
        ]
        import_candidates(session, election, "\n".join(rows).encode(), "bench")
        printed = print_run(settings, session, election, ballots, "bench")
        counts.open_count(
            session, election, members=["A", "B"], issued=ballots, collected=ballots, actor="bench"
        )
        _, token = auth.create_token(session, "station", ["counting"], "bench")
        election_id = election.id
    db.dispose()
    return election_id, token, printed.pdf, printed.layout


def scans(pdf: bytes, layout: object, folder: Path, first: int, count: int, seed: int) -> list[str]:
    """Ballots first.. of the print run, marked, as JPEG files; returns their SHA-256."""
    rng = np.random.default_rng(seed)
    page_layout = layout.pages[0]  # type: ignore[attr-defined]
    targets = [t.id for t in layout.targets()]  # type: ignore[attr-defined]
    digests = []
    for start in range(first, first + count, 50):
        pages = rasterize_pdf(pdf, DPI, pages=list(range(start, min(first + count, start + 50))))
        for index, gray in enumerate(pages, start):
            page = cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR)
            struck = rng.choice(targets, size=int(rng.integers(6, 10)), replace=False)
            choose = {t: "none" for t in targets} | {str(t): "strike" for t in struck}
            draw_marks(page, page_layout, "strike", DPI, rng, choose=choose)
            data = cv2.imencode(".jpg", page, [cv2.IMWRITE_JPEG_QUALITY, 90])[1].tobytes()
            tmp = folder / f".scan{index + 1:04d}.part"
            tmp.write_bytes(data)
            os.replace(tmp, folder / f"scan{index + 1:04d}.jpg")
            digests.append(hashlib.sha256(data).hexdigest())
    return digests


RATES = {
    # kind: (candidates, seats, dpi, target ballots/s)
    "png200": (30, 20, 200, 25.0),
    "pdf150": (60, 45, 150, 10.0),
}


def rate_scans(
    pdf: bytes,
    layout: object,
    folder: Path,
    kind: str,
    seed: int,
    strikes: tuple[int, int] = (1, 6),
    ballots: range | None = None,
) -> int:
    """Every ballot of the print run (or the `ballots` of it, 0-based) marked, a voter striking
    `strikes` names (low inclusive, high exclusive), and saved as `kind`; returns the pages a
    ballot."""
    from PIL import Image

    _, _, dpi, _ = RATES[kind]
    rng = np.random.default_rng(seed)
    pages_layout = layout.pages  # type: ignore[attr-defined]
    per_ballot = len(pages_layout)
    targets = [t.id for t in layout.targets()]  # type: ignore[attr-defined]
    from ballots.paper.raster import iter_pdf_pages

    wanted = (
        None
        if ballots is None
        else [b * per_ballot + k for b in ballots for k in range(per_ballot)]
    )
    pages = iter_pdf_pages(pdf, dpi, wanted)
    index = 0 if ballots is None else ballots.start
    while True:
        try:
            sheets = [next(pages) for _ in range(per_ballot)]
        except StopIteration:
            return per_ballot
        struck = rng.choice(targets, size=int(rng.integers(*strikes)), replace=False)
        choose = {t: "none" for t in targets} | {str(t): "strike" for t in struck}
        drawn = []
        for page_layout, gray in zip(pages_layout, sheets, strict=True):
            page = cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR)
            draw_marks(page, page_layout, "strike", dpi, rng, choose=choose)
            drawn.append(page)
        index += 1
        if kind == "png200":
            data = cv2.imencode(".png", cv2.cvtColor(drawn[0], cv2.COLOR_BGR2GRAY))[1].tobytes()
            (folder / f"scan{index:04d}.png").write_bytes(data)
        else:
            images = [Image.fromarray(cv2.cvtColor(p, cv2.COLOR_BGR2RGB)) for p in drawn]
            buffer = io.BytesIO()
            images[0].save(
                buffer, format="PDF", save_all=True, append_images=images[1:],
                resolution=float(dpi), quality=85,
            )  # fmt: skip
            (folder / f"scan{index:04d}.pdf").write_bytes(buffer.getvalue())


def server_count(settings: Settings, election_id: int) -> int:
    db = Database(settings)
    try:
        with db.session() as session:
            count = counts.find_count(session, get_election(session, election_id))
            return len(
                list(
                    session.scalars(
                        select(CountedBallot.id).where(CountedBallot.count_id == count.id)
                    )
                )
            )
    finally:
        db.dispose()


def rate(args: argparse.Namespace) -> None:
    candidates, seats, dpi, target = RATES[args.rate]
    with tempfile.TemporaryDirectory() as home:
        env = dict(os.environ, CONGRESS_HOME=home, CONGRESS_SECRET_KEY="bench")
        if args.database_url:
            env["CONGRESS_DATABASE_URL"] = args.database_url
        settings = Settings.from_env(env)
        election_id, token, pdf, layout = prepare(settings, args.ballots, candidates, seats)
        staging = Path(home) / "staging"
        staging.mkdir()
        per_ballot = rate_scans(pdf, layout, staging, args.rate, args.seed)
        files = sorted(staging.iterdir())
        size = sum(p.stat().st_size for p in files) / len(files)
        watch = Path(home) / "scans"
        watch.mkdir()
        workers = ["--workers", str(args.workers)] if args.workers else []
        with live_server(env) as url:
            process = station(url, token, election_id, watch, *workers)
            journal = watch / ".congress-station.sqlite"
            while True:  # the station has the election: its reading context is ready
                time.sleep(0.1)
                if journal.exists() and _has_config(journal):
                    break
            time.sleep(1.0)  # the readers built their context
            t0 = time.perf_counter()
            for path in files:
                os.replace(path, watch / path.name)
            while server_count(settings, election_id) < len(files):
                if process.poll() is not None:
                    raise SystemExit(f"the station stopped: exit {process.returncode}")
                time.sleep(0.05)
            elapsed = time.perf_counter() - t0
            per_second = len(files) / elapsed
            print(
                f"station rate {args.rate}: {len(files)} ballots of {candidates} names, "
                f"{per_ballot} page(s) each at {dpi} dpi, {size / 1024:.0f} KB a file, "
                f"{args.workers or os.cpu_count()} reader process(es): {elapsed:.1f} s from the "
                f"files appearing to the last 201 = {per_second:.1f} ballots/s "
                f"(target {target:.0f}/s: {'met' if per_second >= target else 'NOT met'})",
                flush=True,
            )
            process.send_signal(signal.SIGINT)
            process.wait()


def _has_config(journal: Path) -> bool:
    import sqlite3

    try:
        db = sqlite3.connect(f"file:{journal}?mode=ro", uri=True, timeout=5)
        try:
            return db.execute("SELECT count(*) FROM config").fetchone()[0] > 0
        finally:
            db.close()
    except sqlite3.Error:
        return False


def station(url: str, token: str, election: int, watch: Path, *extra: str) -> subprocess.Popen:  # type: ignore[type-arg]
    args = ["station", "--server", url, "--token", token, "--election", str(election)]
    args += ["--watch", str(watch), "--settle", "0.2", "--lang", "en", *extra]
    # The code under test: this tree, or another one given in PYTHONPATH (a before/after run).
    env = dict(os.environ, PYTHONPATH=os.environ.get("PYTHONPATH") or str(ROOT))
    return subprocess.Popen(
        [sys.executable, "-c", "from congress.cli import main; main()", *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def done(watch: Path) -> int:
    folder = watch / "done"
    return len(list(folder.glob("*.jpg"))) if folder.exists() else 0


def check(
    settings: Settings, election_id: int, digests: list[str], clean: list[str], watch: Path
) -> bool:
    db = Database(settings)
    with db.session() as session:
        count = counts.find_count(session, get_election(session, election_id))
        stored = list(
            session.scalars(
                select(CountedBallot.image_sha256).where(CountedBallot.count_id == count.id)
            )
        )
    db.dispose()
    in_done = [hashlib.sha256(p.read_bytes()).hexdigest() for p in (watch / "done").glob("*.jpg")]
    failed = [p for p in (watch / "failed").iterdir() if not p.name.endswith(".txt")]
    left = [p for p in watch.iterdir() if p.is_file() and p.suffix == ".jpg"]
    ok = (
        len(stored) == len(digests) + len(clean)
        and set(stored) == set(digests) | set(clean)
        and sorted(in_done) == sorted(digests)
        and not failed
        and not left
    )
    print(
        f"exactly once: {'OK' if ok else 'FAILED'} - server {len(stored)} ballots "
        f"({len(set(stored))} distinct) for {len(digests)} + {len(clean)} files; "
        f"done/ of the killed run {len(in_done)}, "
        f"failed/ {len(failed)}, left in the folder {len(left)}"
    )
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ballots", type=int, default=500)
    parser.add_argument("--clean", type=int, default=100, help="ballots of the run without kills")
    parser.add_argument("--kills", type=int, default=10)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rate", choices=sorted(RATES), default=None)
    parser.add_argument("--workers", type=int, default=None, help="station reader processes")
    args = parser.parse_args()
    if args.rate:
        rate(args)
        return
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as home:
        env = dict(os.environ, CONGRESS_HOME=home, CONGRESS_SECRET_KEY="bench")
        if args.database_url:
            env["CONGRESS_DATABASE_URL"] = args.database_url
        settings = Settings.from_env(env)
        started = time.perf_counter()
        election_id, token, pdf, layout = prepare(settings, args.ballots + args.clean)
        watch = Path(home) / "scans"
        watch.mkdir()
        clean_dir = Path(home) / "clean"
        clean_dir.mkdir()
        digests = scans(pdf, layout, watch, 0, args.ballots, args.seed)
        clean_digests = scans(pdf, layout, clean_dir, args.ballots, args.clean, args.seed + 1)
        print(
            f"{args.ballots} + {args.clean} ballots printed and marked in "
            f"{time.perf_counter() - started:.0f} s"
        )
        with live_server(env) as url:
            # The clean run: other ballots of the same print run, no kills, for the rate.
            t0 = time.perf_counter()
            process = station(url, token, election_id, clean_dir, "--until-idle")
            process.wait()
            clean_time = time.perf_counter() - t0
            print(
                f"clean run: {args.clean} ballots in {clean_time:.1f} s = "
                f"{args.clean / clean_time:.2f} ballots/s (start-up included)"
            )

            t0 = time.perf_counter()
            # Kill points spread over the whole run: at each, once that many files are done,
            # a random moment later (reading, sending, journalling or moving the next ones).
            points = sorted(rng.sample(range(5, args.ballots - 5), args.kills))
            kills = 0
            for point in points:
                process = station(url, token, election_id, watch)
                while done(watch) < point and process.poll() is None:
                    time.sleep(0.02)
                time.sleep(rng.uniform(0.0, 1.0))
                process.send_signal(signal.SIGKILL)
                process.wait()
                kills += 1
            at_last_kill = done(watch)
            process = station(url, token, election_id, watch, "--until-idle")
            process.wait()
            elapsed = time.perf_counter() - t0
            print(
                f"killed run: {args.ballots} ballots in {elapsed:.1f} s = "
                f"{args.ballots / elapsed:.2f} ballots/s with {kills} SIGKILLs and restarts "
                f"(after {', '.join(map(str, points))} files done; {at_last_kill} done before "
                f"the last start); last run exit {process.returncode}"
            )
        ok = check(settings, election_id, digests, clean_digests, watch)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
