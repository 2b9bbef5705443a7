"""Time importing 5,000 delegates from one XLSX file (target: under 5 s).

Usage: python bench/bench_import.py [--count N] [--database-url URL]
Prints the time to parse and check the file and write every row, on a fresh database each run
(SQLite in a temporary data directory unless --database-url names a PostgreSQL database), and
the time of re-importing the same file (idempotent: nothing changes).
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import statistics
import tempfile
import time

from sqlalchemy import func, select

from congress import congresses
from congress.db import Database, upgrade
from congress.delegate_import import import_delegates
from congress.demo_data import delegate_rows, rows_to_xlsx
from congress.models import Delegate
from congress.settings import Settings


def one_run(data: bytes, count: int, database_url: str | None, index: int) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as home:
        env = {"CONGRESS_HOME": home, "CONGRESS_SECRET_KEY": "bench"}
        if database_url:
            env["CONGRESS_DATABASE_URL"] = database_url
        settings = Settings.from_env(env)
        upgrade(settings)
        db = Database(settings)
        slug = f"bench-{int(time.time())}-{index}"
        with db.session() as session:
            congress = congresses.create_congress(
                session,
                slug=slug,
                name="Bench",
                starts_on=dt.date(2027, 1, 1),
                ends_on=dt.date(2027, 1, 2),
                actor="bench",
            )
        started = time.perf_counter()
        with db.session() as session:
            congress = congresses.get_congress(session, slug)
            report = import_delegates(session, congress, data, actor="bench")
        first = time.perf_counter() - started
        assert report.new == count, report
        started = time.perf_counter()
        with db.session() as session:
            congress = congresses.get_congress(session, slug)
            again = import_delegates(session, congress, data, actor="bench")
        second = time.perf_counter() - started
        assert again.new == 0 and again.unchanged == count, again
        with db.session() as session:
            stored = session.scalar(
                select(func.count())
                .select_from(Delegate)
                .where(Delegate.congress_id == congress.id)
            )
        assert stored == count
        if database_url:  # leave the shared database as we found it
            with db.session() as session:
                session.delete(congresses.get_congress(session, slug))
        db.dispose()
        return first, second


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    data = rows_to_xlsx(delegate_rows(args.count, seed=7, delegations=40))
    print(f"file: {args.count} delegates, XLSX {len(data) / 1024:.0f} KiB")
    firsts, seconds = [], []
    for index in range(args.runs):
        first, second = one_run(data, args.count, args.database_url, index)
        firsts.append(first)
        seconds.append(second)
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    backend = "postgresql" if args.database_url else "sqlite"
    print(f"backend: {backend}, runs: {args.runs}")
    print(
        f"import {args.count}: median {statistics.median(firsts):.2f} s, "
        f"max {max(firsts):.2f} s (target < 5 s)"
    )
    print(f"re-import (idempotent): median {statistics.median(seconds):.2f} s")
    print(f"peak resident memory of the process: {peak_kib / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
