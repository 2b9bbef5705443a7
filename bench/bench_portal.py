"""The documents portal under load: 1,500 phones open the list and the first document in 60 s.

Usage: python bench/bench_portal.py [--phones 1500] [--seconds 60] [--database-url URL]
Starts `uvicorn congress.app:app_factory` in its own process on a fresh database (SQLite in a
temporary data directory, or the PostgreSQL database named, whose congress is removed after)
with 1,500 delegates, a 30-page delegates-only document and a 100-page reference document.
First the 100-page document is opened cold: all its page images are asked for at once while the
list is asked for again and again (the rendering must not hold the list up). The 30-page
document's first page image is rendered once before the run (the run measures cached images). Then every phone, each with its own
cookies and connection, arrives at an even pace over --seconds and does what a delegate does
when a sitting starts: opens their soft-badge link (sign-in), the document list, the document,
and its first page image at the width a 390-px 2x screen asks for.
Prints p50/p99/max per request kind and the errors (targets: p99 < 300 ms for the list,
< 500 ms for cached page images, zero errors).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import random
import statistics
import time
from collections import defaultdict

import httpx
from live import bench_home, live_server, percentile  # bench/live.py, beside this script
from sqlalchemy import select

from badges.service import issue_token
from congress import congresses
from congress.db import Database, upgrade
from congress.delegate_import import import_delegates
from congress.demo_data import delegate_rows, rows_to_xlsx
from congress.models import Delegate
from congress.settings import Settings
from congress.storage import FileStore
from docs_portal import documents as docs
from docs_portal.demo import demo_pdf

IMAGE_WIDTH = 1080  # what a 390-CSS-pixel screen at 2x asks for
COLD_PAGES = 100


def prepare(settings: Settings, slug: str, phones: int) -> tuple[list[str], int]:
    upgrade(settings)
    db = Database(settings)
    with db.session() as session:
        congress = congresses.create_congress(
            session,
            slug=slug,
            name="Đại hội đại biểu Đoàn TNCS Hồ Chí Minh (bench)",
            starts_on=dt.date.today(),
            ends_on=dt.date.today(),
            actor="bench",
        )
        congresses.add_sitting(
            session,
            congress,
            title="Phiên khai mạc",
            starts_at=dt.datetime.combine(dt.date.today(), dt.time(8)),
            actor="bench",
        )
        import_delegates(
            session, congress, rows_to_xlsx(delegate_rows(phones, 5, 20)), actor="bench"
        )
    prepared = docs.prepare_upload(
        settings, demo_pdf("Dự thảo Báo cáo chính trị", 30, random.Random(1)), "bao-cao.pdf"
    )
    with db.write_session() as session:
        congress = congresses.get_congress(session, slug)
        document = docs.create_document(
            session,
            FileStore(settings.files_dir),
            congress,
            docs.DocumentFields("Dự thảo Báo cáo chính trị", group="reports", comments_open=True),
            prepared,
            "bench",
        )
        long_pdf = demo_pdf("Tài liệu tham khảo", COLD_PAGES, random.Random(2))
        docs.create_document(
            session,
            FileStore(settings.files_dir),
            congress,
            docs.DocumentFields("Tài liệu tham khảo", group="reference"),
            docs.prepare_upload(settings, long_pdf, "tham-khao.pdf"),
            "bench",
        )
        badges = [
            issue_token(settings, session, d)
            for d in session.scalars(select(Delegate).where(Delegate.congress_id == congress.id))
        ]
        document_id = document.id
    db.dispose()
    return badges, document_id


async def phone(
    url: str,
    slug: str,
    token: str,
    document_id: int,
    due: float,
    record: dict,
    transport: httpx.AsyncHTTPTransport,
) -> None:
    await asyncio.sleep(max(0.0, due - time.perf_counter()))
    base = f"/p/{slug}"
    steps = [
        ("sign-in", f"{base}/enter/{token}", 303),
        ("list", base, 200),
        ("reader", f"{base}/d/{document_id}", 200),
        ("page image", f"{base}/d/{document_id}/v/1/page/1.webp?w={IMAGE_WIDTH}", 200),
    ]
    # Its own cookies (its sign-in), the shared connection pool: a client per phone would make
    # the load generator, not the server, the bottleneck (each builds an SSL context).
    client = httpx.AsyncClient(base_url=url, timeout=30, transport=transport)
    for kind, path, expected in steps:
        sent = time.perf_counter()
        try:
            response = await client.get(path)
        except httpx.HTTPError as exc:
            record["errors"].append(f"{kind}: {exc!r}")
            return
        record[kind].append(time.perf_counter() - sent)
        record["bytes " + kind].append(len(response.content))
        if response.status_code != expected:
            record["errors"].append(f"{kind}: {response.status_code} {response.text[:80]}")
            return


async def cold_document(url: str, slug: str, token: str, document_id: int) -> None:
    """A 100-page document opened for the first time: every page image asked for at once while
    the list is asked for again and again. The list must not wait for the rendering."""
    async with httpx.AsyncClient(base_url=url, timeout=120) as client:
        await client.get(f"/p/{slug}/enter/{token}")
        base = f"/p/{slug}/d/{document_id}/v/1/page"
        started = time.perf_counter()
        images = [
            asyncio.ensure_future(client.get(f"{base}/{n}.webp?w={IMAGE_WIDTH}"))
            for n in range(1, COLD_PAGES + 1)
        ]
        lists: list[float] = []
        while not all(task.done() for task in images):
            sent = time.perf_counter()
            response = await client.get(f"/p/{slug}")
            assert response.status_code == 200
            lists.append((time.perf_counter() - sent) * 1000)
            await asyncio.sleep(0.05)
        statuses = [task.result().status_code for task in images]
        took = time.perf_counter() - started
    bad = sum(1 for code in statuses if code != 200)
    print(
        f"  cold {COLD_PAGES}-page document: all pages rendered in {took:.1f} s "
        f"({bad} errors); meanwhile {len(lists)} list requests, p50 "
        f"{statistics.median(lists):.1f} ms, max {max(lists):.1f} ms"
    )


async def drive(url: str, slug: str, badges: list[str], document_id: int, seconds: float) -> None:
    async with httpx.AsyncClient(base_url=url, timeout=60) as warm:
        # The organizer's upload queues the rendering; here the first page is rendered once.
        first = await warm.get(
            f"/p/{slug}/enter/{badges[0]}", follow_redirects=True
        )  # signs the warm-up client in
        assert first.status_code == 200, first.text[:200]
        image = await warm.get(f"/p/{slug}/d/{document_id}/v/1/page/1.webp?w={IMAGE_WIDTH}")
        assert image.status_code == 200, image.text[:200]
    await cold_document(url, slug, badges[0], document_id + 1)
    record: dict = defaultdict(list)
    start = time.perf_counter() + 0.5
    gap = seconds / len(badges)
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
    async with httpx.AsyncHTTPTransport(limits=limits) as transport:
        await asyncio.gather(
            *(
                phone(url, slug, token, document_id, start + i * gap, record, transport)
                for i, token in enumerate(badges)
            )
        )
    elapsed = time.perf_counter() - start
    print(f"  {len(badges)} phones in {elapsed:.1f} s ({len(badges) / elapsed:.1f} phones/s)")
    for kind in ("sign-in", "list", "reader", "page image"):
        ms = sorted(x * 1000 for x in record[kind])
        if not ms:
            continue
        size = statistics.median(record["bytes " + kind]) / 1024
        print(
            f"  {kind:>10}: {len(ms)} requests, p50 {statistics.median(ms):.1f} ms, "
            f"p99 {percentile(ms, 0.99):.1f} ms, max {ms[-1]:.1f} ms, body {size:.1f} KiB"
        )
    print(f"  errors: {len(record['errors'])}")
    for line in record["errors"][:5]:
        print("    error:", line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--phones", type=int, default=1500)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    with bench_home(args.database_url) as (env, settings, slug):
        badges, document_id = prepare(settings, slug, args.phones)
        with live_server(env, args.workers) as url:
            backend = "postgresql" if args.database_url else "sqlite"
            print(
                f"{backend}, {args.workers} server worker(s), {args.phones} phones "
                f"over {args.seconds:.0f} s"
            )
            asyncio.run(drive(url, slug, badges, document_id, args.seconds))


if __name__ == "__main__":
    main()
