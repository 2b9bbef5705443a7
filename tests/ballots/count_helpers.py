"""Helpers for the counting tests: an election with printed ballots, marked scans, readings."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
from sqlalchemy import func, select

from ballots.counting import counts
from ballots.elections import (
    Rules,
    create_election,
    get_election,
    import_candidates,
    print_ballots,
)
from ballots.models import CountedBallot
from ballots.paper.layout import BallotLayout
from ballots.paper.raster import rasterize_pdf
from ballots.reading.synth import draw_marks
from congress import congresses
from congress.db import Database
from congress.models import StoredFile
from congress.settings import Settings
from tests.ballots.hostile_files import png
from tests.conftest import REGISTER_SLUG

# Ballot order (Vietnamese order of the given name): c001 An, c002 Anh, c003 Bình, c004 Châu.
CANDIDATES = (
    "STT;Họ và tên;Ngày sinh;Giới tính;Chức vụ;Đơn vị\n"
    "1;Trần Văn Bình;12/03/1990;Nam;Bí thư;Quận Ba Đình\n"
    "2;Nguyễn Thị An;01/01/1992;Nữ;Phó Bí thư;Quận Hoàn Kiếm\n"
    "3;Lê Minh Châu;05/05/1991;Nữ;Ủy viên;Huyện Đông Anh\n"
    "4;Phạm Đức Anh;07/07/1993;Nam;Ủy viên;Quận Tây Hồ\n"
)
DPI = 150


@dataclass
class Printed:
    election_id: int
    layout: BallotLayout
    pdf: bytes

    @property
    def targets(self) -> list[str]:
        return [t.id for t in self.layout.targets()]


def printed_election(
    db: Database,
    settings: Settings,
    *,
    ballots: int = 6,
    seats: int = 2,
    threshold_base: str = "valid",
    tie_rule: str = "new_round",
) -> Printed:
    with db.session() as session:
        congress = congresses.get_congress(session, REGISTER_SLUG)
        election = create_election(
            session,
            congress,
            title="Bầu Ban Chấp hành Tỉnh Đoàn khóa XIX",
            form="strike",
            seats=seats,
            actor="t",
            sitting_number=1,
            rules=Rules(threshold_base=threshold_base, tie_rule=tie_rule, seal_required=False),
        )
        import_candidates(session, election, CANDIDATES.encode(), "t")
        printed = print_ballots(settings, session, election, ballots, "t")
        return Printed(election.id, printed.layout, printed.pdf)


def scans(printed: Printed, marks: list[dict[str, str]], seed: int = 3) -> list[bytes]:
    """PNG scans of the first len(marks) ballots, each target marked as asked ("none" else)."""
    pages = rasterize_pdf(printed.pdf, DPI, pages=list(range(len(marks))))
    rng = np.random.default_rng(seed)
    out = []
    for gray, chosen in zip(pages, marks, strict=True):
        page = cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR)
        choose = {t: "none" for t in printed.targets} | chosen
        draw_marks(page, printed.layout.pages[0], "strike", DPI, rng, choose=choose)
        out.append(cv2.imencode(".png", page)[1].tobytes())
    return out


def reading(
    printed: Printed,
    serial: str,
    struck: set[str],
    *,
    image: bytes,
    status: str = "valid",
    reasons: tuple[str, ...] = (),
    ambiguous: set[str] = frozenset(),  # type: ignore[assignment]
) -> dict[str, Any]:
    """A reader-shaped reading (as a station sends it) of a strike ballot."""
    targets = []
    for t in printed.layout.targets():
        state = "ambiguous" if t.id in ambiguous else ("marked" if t.id in struck else "unmarked")
        score = {"marked": 1.0, "unmarked": 0.0, "ambiguous": 0.3}[state]
        targets.append(
            {
                "item": t.item,
                "target": t.id,
                "page": 1,
                "state": state,
                "score": score,
                "note": None,
            }
        )
    return {
        "election_id": printed.election_id,
        "round": 1,
        "serial": serial,
        "file": f"{serial}.png",
        "image_sha256": hashlib.sha256(image).hexdigest(),
        "status": status,
        "reasons": list(reasons),
        "pages": [],
        "targets": targets,
        "thresholds": {},
        "flagged_ink": [],
        "settings": {},
    }


def fake_image(tag: str) -> bytes:
    """A small PNG standing for a scan when a test sends the station's reading with it (the
    server checks the image's header against the limits even then); the tag makes it unique."""
    return png(4, 4, text=tag + "-" + dt.datetime.now().isoformat())


def as_json(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False)


def opened_election(db: Database, settings: Settings, ballots: int = 2) -> Printed:
    """An election with `ballots` printed and its count open."""
    printed = printed_election(db, settings, ballots=ballots)
    with db.write_session() as session:
        counts.open_count(
            session,
            get_election(session, printed.election_id),
            members=["Nguyễn Văn Một", "Trần Thị Hai"],
            issued=ballots,
            collected=ballots,
            actor="t",
        )
    return printed


def kept(db: Database) -> tuple[int, int]:
    """(ballots recorded, files stored)."""
    with db.session() as session:
        ballots = session.scalar(select(func.count()).select_from(CountedBallot))
        files = session.scalar(select(func.count()).select_from(StoredFile))
    return int(ballots or 0), int(files or 0)
