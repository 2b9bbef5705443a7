"""The doors and the scanner station in the demo story: delegates admitted, the tray read."""

from __future__ import annotations

import random
import time
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import select

from badges.service import issue_token
from ballots.models import Count, Election
from congress.capabilities import DemoStory
from congress.db import Database
from congress.i18n import translator
from congress.models import Delegate
from congress.progress import Bar
from scanner.checkin import ScanInput, record_scan, set_doors
from scanner.station import EXTENSIONS, Journal, LocalCounting, Station, StationSettings

DEMO_GATES = ("Cổng 1", "Cổng 2", "Cổng 3", "Cổng 4")


def admit_delegates(story: DemoStory) -> None:
    """Open the first sitting and admit all delegates but one in 25 through four gates, by the
    same path a gate's scan takes (a few badges are shown twice: the second says so)."""
    db, congress_id, echo = story.db, story.congress_id, story.echo
    rng = random.Random(story.seed)
    with db.write_session() as session:
        congress = story.congress(session)
        first = congress.sittings[0]
        set_doors(session, first, True, "demo")
        delegates = list(
            session.scalars(
                select(Delegate).where(Delegate.congress_id == congress_id).order_by(Delegate.id)
            )
        )
        absent = set(rng.sample(range(len(delegates)), len(delegates) // 25))
        arriving = [d for i, d in enumerate(delegates) if i not in absent]
        rng.shuffle(arriving)
        again = rng.sample(arriving, min(len(arriving), 12))
        results: dict[str, int] = {}
        bar = story.bar("check-in", len(arriving) + len(again))
        for delegate in arriving + again:
            scan = ScanInput(
                scan_id=uuid.UUID(int=rng.getrandbits(128)).hex,
                sitting=first.number,
                gate=rng.choice(DEMO_GATES),
                method="camera",
                text=issue_token(db.settings, session, delegate),
            )
            result = record_scan(session, congress, scan, "demo").result
            results[result] = results.get(result, 0) + 1
            bar.advance()
        bar.done()
        echo(
            f"check-in: sitting {first.number} open, {results.get('admitted', 0)} of "
            f"{len(delegates)} delegates admitted through {len(DEMO_GATES)} gates "
            f"({results.get('already_admitted', 0)} badges shown twice)"
        )
        echo(f"check-in: gate page {db.settings.public_url}/c/{congress.slug}/gate")


def scan_tray(story: DemoStory) -> None:
    """The station reads the tray into the count that is open: the demo has one election."""
    with story.db.session() as session:
        open_elections = list(
            session.scalars(
                select(Count.election_id)
                .join(Election, Election.id == Count.election_id)
                .where(Election.congress_id == story.congress_id, Count.state == "open")
            )
        )
    for election_id in open_elections:
        files = sum(1 for p in story.tray.iterdir() if p.is_file() and p.suffix in EXTENSIONS)
        bar = story.bar("scanner station", files)
        started = time.monotonic()
        figures = run_station(story.db, election_id, story.tray, _Bar(bar), story.workers)
        bar.done()
        seconds = max(time.monotonic() - started, 1e-6)
        story.echo(
            f"station: {figures['uploaded']} ballots read and counted, {figures['review']} to "
            f"review, {figures['failed']} refused, {figures['uploaded'] / seconds:.1f} ballots/s "
            f"with {story.workers} reader process(es)"
        )


class _Bar:
    """The station's progress in the demo: the files done move the step's bar."""

    def __init__(self, bar: Bar) -> None:
        self.bar = bar
        self.figures: dict[str, Any] = {}

    def event(self, text: str) -> None:
        pass

    def update(self, figures: dict[str, Any]) -> None:
        self.figures = figures
        self.bar.to(int(figures["uploaded"]) + int(figures["failed"]))


def run_station(
    db: Database,
    election_id: int,
    folder: Path,
    progress: _Bar,
    workers: int = 1,
) -> dict[str, Any]:
    """The scanner station in its one-laptop mode over the folder, until every file is done;
    returns its last figures."""
    tr = translator(db.settings.default_language)
    name = "Bàn kiểm phiếu 1"
    journal = Journal(folder / ".congress-station.sqlite")
    try:
        station = Station(
            folder,
            LocalCounting(db, election_id, tr, f"station:{name}"),
            journal,
            name,
            tr,
            progress,
            StationSettings(settle_seconds=0.0, poll_seconds=0.05),
            workers=workers,
        )
        station.run(until_idle=True)
        return station.figures()
    finally:
        journal.close()
