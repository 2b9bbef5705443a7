"""Check-in under load: 1,500 delegates through 6 gates against a live server on loopback.

Usage: python bench/bench_checkin.py [--database-url URL] [--rate 200] [--workers 1]
Starts `uvicorn congress.app:app_factory` in its own process on a fresh database (SQLite in a
temporary data directory, or the PostgreSQL database named, whose congress is removed after),
then drives the check-in API from 6 gate clients (threads, each with its own connection and
bearer token):
  1. paced: every delegate once plus 10% re-scans, at --rate scans/s in total, for sitting 1;
  2. flat out: the same scans as fast as the gates can send them, for sitting 2.
Prints throughput, p50/p99/max latency and errors for each (target: p99 < 100 ms at 200/s).
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import threading
import time
import uuid
from collections import Counter

import httpx
from live import bench_home, live_server, percentile  # bench/live.py, beside this script
from sqlalchemy import select

from badges.service import issue_token
from congress import auth, congresses
from congress.db import Database, upgrade
from congress.delegate_import import import_delegates
from congress.demo_data import delegate_rows, rows_to_xlsx
from congress.models import Delegate
from congress.settings import Settings
from scanner.checkin import get_sitting, set_doors

GATES = 6
DELEGATES = 1500


def prepare(settings: Settings, slug: str) -> tuple[list[str], list[str]]:
    upgrade(settings)
    db = Database(settings)
    with db.session() as session:
        congress = congresses.create_congress(
            session,
            slug=slug,
            name="Bench",
            starts_on=dt.date(2027, 1, 1),
            ends_on=dt.date(2027, 1, 2),
            actor="bench",
        )
        for n in (1, 2):
            congresses.add_sitting(
                session,
                congress,
                title=f"Phiên {n}",
                starts_at=dt.datetime(2027, 1, n, 8),
                actor="bench",
            )
    with db.session() as session:
        congress = congresses.get_congress(session, slug)
        import_delegates(
            session, congress, rows_to_xlsx(delegate_rows(DELEGATES, 5, 20)), actor="b"
        )
    with db.write_session() as session:
        congress = congresses.get_congress(session, slug)
        for n in (1, 2):
            set_doors(session, get_sitting(session, congress, n), True, "bench")
        badges = [
            issue_token(settings, session, d)
            for d in session.scalars(select(Delegate).where(Delegate.congress_id == congress.id))
        ]
        secrets = [
            auth.create_token(session, f"bench-{slug}-{g}", ["checkin"], "b")[1]
            for g in range(GATES)
        ]
    db.dispose()
    return badges, secrets


def drive(
    url: str, slug: str, secrets: list[str], badges: list[str], sitting: int, rate: float | None
) -> None:
    rng = random.Random(sitting)
    scans = badges + rng.sample(badges, len(badges) // 10)  # 10% scanned twice
    rng.shuffle(scans)
    shares = [scans[g::GATES] for g in range(GATES)]
    latencies: list[float] = []
    results: Counter[str] = Counter()
    errors: list[str] = []
    lock = threading.Lock()
    start = time.perf_counter() + 0.5

    def gate(index: int) -> None:
        with httpx.Client(
            base_url=url, timeout=30, headers={"authorization": f"Bearer {secrets[index]}"}
        ) as client:
            client.get("/healthz")
            for i, text in enumerate(shares[index]):
                if rate:
                    due = start + i * GATES / rate + index / rate
                    pause = due - time.perf_counter()
                    if pause > 0:
                        time.sleep(pause)
                body = {
                    "scan_id": uuid.uuid4().hex,
                    "sitting": sitting,
                    "gate": f"Cổng {index + 1}",
                    "method": "camera",
                    "text": text,
                }
                sent = time.perf_counter()
                try:
                    response = client.post(f"/api/c/{slug}/scans", json=body)
                    took = time.perf_counter() - sent
                    ok = response.status_code == 200
                    with lock:
                        latencies.append(took)
                        if ok:
                            results[response.json()["result"]] += 1
                        else:
                            errors.append(f"{response.status_code} {response.text[:80]}")
                except httpx.HTTPError as exc:
                    with lock:
                        errors.append(repr(exc))

    threads = [threading.Thread(target=gate, args=(g,)) for g in range(GATES)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    ms = sorted(x * 1000 for x in latencies)
    p99 = percentile(ms, 0.99)
    label = f"paced at {rate:.0f}/s" if rate else "flat out"
    print(
        f"  {label}: {len(ms)} scans in {elapsed:.1f} s = {len(ms) / elapsed:.0f} scans/s; "
        f"p50 {statistics.median(ms):.1f} ms, p99 {p99:.1f} ms, max {ms[-1]:.1f} ms; "
        f"errors {len(errors)}; {dict(results)}"
    )
    for line in errors[:5]:
        print("    error:", line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    with bench_home(args.database_url) as (env, settings, slug):
        badges, secrets = prepare(settings, slug)
        with live_server(env, args.workers) as url:
            backend = "postgresql" if args.database_url else "sqlite"
            print(
                f"{backend}, {args.workers} server worker(s), {DELEGATES} delegates, {GATES} gates"
            )
            drive(url, slug, secrets, badges, 1, args.rate)
            drive(url, slug, secrets, badges, 2, None)


if __name__ == "__main__":
    main()
