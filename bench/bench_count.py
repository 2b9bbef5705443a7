"""A whole count of 1,500 ballots through the API on a live server: ballots/s, last scan to minutes.

Prepares (not timed) a congress of 1,500 delegates, a strike-out election of 30 candidates for 15
seats and 1,500 printed ballots, marked and "scanned" as 150-dpi grayscale PNGs (`--degrade`:
with sheet-fed scanner effects, slower to prepare). Timed: every
scan POSTed to /api/elections/<id>/ballots (the server reads each one) by `--stations` parallel
stations; then the committee's decisions on the ballots sent to review (two members, through
the pages with bearer tokens), closing the count (which writes the signed audit bundle) and
downloading the signed minutes PDF: "last scan to minutes" is from the last scan's answer to the
minutes in hand.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import httpx
from live import bench_home, live_server  # bench/live.py, beside this script

BALLOTS = 1500
CANDIDATES = 30
SEATS = 15
DPI = 150


def prepare_election(
    settings: Any,
    slug: str,
    delegates: int,
    ballots: int,
    candidates: int = CANDIDATES,
    seats: int = SEATS,
) -> tuple[int, Path, Path, str, str]:
    """A congress of `delegates`, a strike election of `candidates` for `seats` with `ballots`
    printed: (election id, the print run's PDF and layout JSON files, two counting tokens)."""
    import random

    from ballots.elections import Rules, create_election, import_candidates, print_ballots
    from congress import auth, congresses
    from congress.db import Database, upgrade
    from congress.delegate_import import import_delegates
    from congress.demo_data import delegate_rows, full_name, rows_to_csv

    upgrade(settings)
    db = Database(settings)
    rng = random.Random(7)
    with db.session() as session:
        congress = congresses.create_congress(
            session,
            slug=slug,
            name="Đại hội đại biểu Đoàn TNCS Hồ Chí Minh (benchmark)",
            starts_on=dt.date(2027, 6, 2),
            ends_on=dt.date(2027, 6, 3),
            actor="bench",
        )
        congresses.add_sitting(
            session,
            congress,
            title="Phiên chính thức",
            starts_at=dt.datetime(2027, 6, 2, 8, 0),
            actor="bench",
        )
        import_delegates(
            session, congress, rows_to_csv(delegate_rows(delegates, seed=3)), actor="bench"
        )
        election = create_election(
            session,
            congress,
            title="Bầu Ban Chấp hành khóa mới",
            form="strike",
            seats=seats,
            actor="bench",
            sitting_number=1,
            rules=Rules(threshold_base="valid", seal_required=False),
        )
        names = {full_name(rng, rng.choice(["male", "female"])) for _ in range(candidates * 2)}
        while len(names) < candidates:
            names.add(full_name(rng, rng.choice(["male", "female"])))
        rows = ["Họ và tên"] + sorted(names)[:candidates]
        import_candidates(session, election, "\n".join(rows).encode(), "bench")
        printed = print_ballots(settings, session, election, ballots, "bench")
        election_id = election.id
        _, first = auth.create_token(session, "ban-kiem-phieu-1", ["counting"], "bench")
        _, second = auth.create_token(session, "ban-kiem-phieu-2", ["counting"], "bench")
    db.dispose()
    pdf_path = settings.home / "ballots.pdf"
    pdf_path.write_bytes(printed.pdf)
    layout_path = settings.home / "layout.json"
    layout_path.write_text(printed.layout.to_json(), encoding="utf-8")
    return election_id, pdf_path, layout_path, first, second


def prepare(
    settings: Any, slug: str, ballots: int, degrade: bool
) -> tuple[int, list[bytes], str, str]:
    """A congress with delegates, an election with `ballots` printed; two counting tokens."""
    election_id, pdf_path, layout_path, first, second = prepare_election(
        settings, slug, ballots, ballots
    )
    chunks = [list(range(i, min(ballots, i + 50))) for i in range(0, ballots, 50)]
    with ProcessPoolExecutor(2) as pool:
        pngs = [
            png
            for part in pool.map(
                _scan_chunk, [(str(pdf_path), str(layout_path), c, degrade) for c in chunks]
            )
            for png in part
        ]
    return election_id, pngs, first, second


def _scan_chunk(job: tuple[str, str, list[int], bool]) -> list[bytes]:
    """Marked, scanned pages: each voter strikes 15 to 29 of the 30 names, cleanly."""
    import cv2
    import numpy as np

    from ballots.paper.layout import BallotLayout
    from ballots.paper.raster import rasterize_pdf
    from ballots.reading.synth import draw_marks, scanner_degrade

    pdf, layout_file, indexes, degrade = job
    layout = BallotLayout.from_json(Path(layout_file).read_text(encoding="utf-8"))
    page_layout = layout.pages[0]
    targets = [t.id for t in page_layout.targets]
    out = []
    for index, gray in zip(
        indexes, rasterize_pdf(Path(pdf).read_bytes(), DPI, indexes), strict=True
    ):
        rng = np.random.default_rng(index)
        struck = set(rng.choice(targets, int(rng.integers(SEATS, CANDIDATES)), replace=False))
        page = cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR)
        choose = {t: ("strike" if t in struck else "none") for t in targets}
        draw_marks(page, page_layout, "strike", DPI, rng, choose=choose)
        if degrade:
            page = scanner_degrade(page, rng, DPI)
        gray_scan = page if page.ndim == 2 else cv2.cvtColor(page, cv2.COLOR_BGR2GRAY)
        out.append(cv2.imencode(".png", gray_scan)[1].tobytes())
    return out


def open_count(settings: Any, election_id: int, ballots: int) -> int:
    """The count of the election opened by three members, `ballots` issued and collected."""
    from ballots.counting import counts
    from ballots.models import Election
    from congress.db import Database

    db = Database(settings)
    with db.session() as session:
        count = counts.open_count(
            session,
            session.get(Election, election_id),  # type: ignore[arg-type]
            members=["Nguyễn Văn Một", "Trần Thị Hai", "Lê Văn Ba"],
            issued=ballots,
            collected=ballots,
            actor="bench",
        )
        count_id = count.id
    db.dispose()
    return int(count_id)


def scan_all(url: str, election_id: int, token: str, pngs: list[bytes], stations: int) -> Any:
    answers: list[dict[str, Any]] = []
    errors: list[str] = []
    lock = threading.Lock()
    queue = list(enumerate(pngs))

    def station(n: int) -> None:
        with httpx.Client(base_url=url, timeout=120) as client:
            while True:
                with lock:
                    if not queue:
                        return
                    index, png = queue.pop(0)
                response = client.post(
                    f"/api/elections/{election_id}/ballots",
                    headers={"authorization": f"Bearer {token}"},
                    files={"image": (f"scan-{index:05d}.png", png, "image/png")},
                    data={"station": f"station-{n}"},
                )
                with lock:
                    if response.status_code in (200, 201):
                        answers.append(response.json())
                    else:
                        errors.append(f"{response.status_code} {response.text[:200]}")

    threads = [threading.Thread(target=station, args=(n,)) for n in range(stations)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return answers, errors, time.perf_counter() - started


def finish(url: str, slug: str, count_id: int, first: str, second: str) -> dict[str, Any]:
    """Decide the review ballots (two members), close, fetch the minutes."""
    base = f"/c/{slug}/counts/{count_id}"
    one = {"authorization": f"Bearer {first}"}
    two = {"authorization": f"Bearer {second}"}
    timings: dict[str, float] = {}
    with httpx.Client(base_url=url, timeout=600) as client:
        started = time.perf_counter()
        queue = client.get(base + "/review", headers=one).text
        waiting = re.findall(r'data-ballot="(\d+)"', queue)
        for ballot in waiting:
            page = client.get(f"{base}/ballots/{ballot}", headers=one).text
            doubtful = sorted(set(re.findall(r'name="mark:([^"]+)" value="marked" aria', page)))
            data = {"status": "valid", "note": "bench", "member": "Nguyễn Văn Một"} | {
                f"mark:{t}": "marked" for t in doubtful
            }
            client.post(f"{base}/ballots/{ballot}/decide", headers=one, data=data)
            decided = client.get(f"{base}/ballots/{ballot}", headers=one).text
            if 'id="confirm-box"' not in decided:  # striking every doubt made it invalid
                client.post(
                    f"{base}/ballots/{ballot}/decide",
                    headers=one,
                    data={
                        "status": "invalid",
                        "reason": "improper_strike",
                        "note": "bench",
                        "member": "Nguyễn Văn Một",
                    },
                )
            client.post(
                f"{base}/ballots/{ballot}/confirm", headers=two, data={"member": "Trần Thị Hai"}
            )
        timings["review"] = time.perf_counter() - started
        started = time.perf_counter()
        closed = client.post(
            base + "/close", headers=one, data={"explanation": "benchmark"}, follow_redirects=False
        )
        if closed.status_code != 303:
            raise RuntimeError(f"close refused: {closed.status_code} {closed.text[:500]}")
        timings["close_and_seal"] = time.perf_counter() - started
        started = time.perf_counter()
        minutes = client.get(base + "/minutes.pdf", headers=one)
        timings["minutes"] = time.perf_counter() - started
        timings["minutes_status"] = minutes.status_code
        timings["minutes_bytes"] = len(minutes.content)
        timings["review_ballots"] = len(waiting)
        status = client.get(f"/api/counts/{count_id}", headers=one).json()
        timings["root_hash"] = status["count"]["root_hash"]
        timings["reconciliation"] = status["reconciliation"]
    return timings


def print_finish(timings: dict[str, Any], total: float) -> None:
    """The committee's and the machine's share of the time from the last scan to the minutes."""
    print(
        f"review of {timings['review_ballots']} ballots (decide + confirm) "
        f"{timings['review']:.1f} s; close + signed audit bundle {timings['close_and_seal']:.1f} s; "
        f"minutes PDF {timings['minutes']:.1f} s (HTTP {timings['minutes_status']}, "
        f"{timings['minutes_bytes']} bytes)"
    )
    machine = timings["close_and_seal"] + timings["minutes"]
    print(
        f"last scan to signed minutes: {total:.1f} s, of which the committee's review "
        f"{timings['review']:.1f} s and the machine (close, sign, minutes) {machine:.1f} s; "
        f"root hash {timings['root_hash']}"
    )
    print(f"reconciliation: {timings['reconciliation']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--ballots", type=int, default=BALLOTS)
    parser.add_argument("--stations", type=int, default=4)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument(
        "--degrade", action="store_true", help="Sheet-fed scanner effects (turns, skew, blur)."
    )
    args = parser.parse_args()
    with bench_home(args.database_url) as (env, settings, slug):
        started = time.perf_counter()
        election_id, pngs, first, second = prepare(settings, slug, args.ballots, args.degrade)
        size = sum(map(len, pngs)) / len(pngs) / 1024
        print(
            f"prepared {len(pngs)} scans ({size:.0f} KiB PNG each, {DPI} dpi, {CANDIDATES} names, "
            f"{SEATS} seats) in {time.perf_counter() - started:.0f} s"
        )
        count_id = open_count(settings, election_id, len(pngs))
        backend = "postgresql" if args.database_url else "sqlite"
        with live_server(env, args.workers) as url:
            answers, errors, elapsed = scan_all(url, election_id, first, pngs, args.stations)
            last_scan = time.perf_counter()
            statuses: dict[str, int] = {}
            for a in answers:
                statuses[a["status"]] = statuses.get(a["status"], 0) + 1
            print(
                f"{backend}, {args.workers} server worker(s), {args.stations} stations: "
                f"{len(answers)} ballots read and recorded in {elapsed:.1f} s = "
                f"{len(answers) / elapsed:.1f} ballots/s; machine readings {statuses}; "
                f"errors {len(errors)}"
            )
            for line in errors[:5]:
                print("  error:", line)
            timings = finish(url, slug, count_id, first, second)
            total = time.perf_counter() - last_scan
        print_finish(timings, total)


if __name__ == "__main__":
    main()
