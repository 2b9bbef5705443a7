"""`congress demo`: a realistic congress built in the data directory, start to finish."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from typing import Any

from sqlalchemy import delete, select

from congress import auth, congresses
from congress.capabilities import DemoStory, load
from congress.db import Database
from congress.delegate_import import import_delegates
from congress.demo_data import delegate_rows, rows_to_xlsx
from congress.models import Congress, StaffUser
from congress.progress import Bar

DEMO_USERS = [
    ("admin", ["admin"], "Quản trị hệ thống"),
    ("bantochuc", ["organizer"], "Ban Tổ chức"),
    ("congvao", ["checkin"], "Tổ đón tiếp"),
    ("kiemphieu1", ["counting"], "Ban Kiểm phiếu 1"),
    ("kiemphieu2", ["counting"], "Ban Kiểm phiếu 2"),
    ("quansat", ["observer"], "Quan sát viên"),
]
DEMO_ACTOR = "demo"
# `congress demo` tells the whole story in about a minute on a 2-core laptop (120 delegates:
# 100 ballots); --full at a city congress's size (500 delegates: 440 ballots).
DEMO_DELEGATES = 120
FULL_DELEGATES = 500


def build_demo(
    db: Database,
    *,
    slug: str,
    delegates: int,
    seed: int,
    echo: Callable[[str], Any] = print,
    workers: int = 1,
    bars: Callable[[str, int], Bar] | None = None,
) -> None:
    settings = db.settings
    credentials = settings.home / "demo-credentials.txt"
    with db.session() as session:
        existing = session.scalar(select(Congress.id).where(Congress.slug == slug))
        if existing is not None:
            # The database cascades to everything the congress owns.
            session.execute(delete(Congress).where(Congress.id == existing))
            echo(f"removed the previous demo congress {slug}")
    created = []
    with db.session() as session:
        for username, roles, full_name in DEMO_USERS:
            if session.scalar(select(StaffUser.id).where(StaffUser.username == username)):
                continue
            password = auth.generate_password()
            auth.add_user(session, username, roles, password, DEMO_ACTOR, full_name=full_name)
            created.append((username, roles[0], password))
    if created:
        fd = os.open(credentials, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        with os.fdopen(fd, "a") as fh:
            for username, role, password in created:
                fh.write(f"{username}\t{role}\t{password}\n")

    start = dt.date.today()
    with db.session() as session:
        congress = congresses.create_congress(
            session,
            slug=slug,
            name="Đại hội đại biểu Đoàn TNCS Hồ Chí Minh Thành phố Hà Nội lần thứ XVII",
            organisation="Đoàn TNCS Hồ Chí Minh Thành phố Hà Nội",
            starts_on=start,
            ends_on=start + dt.timedelta(days=1),
            venue="Cung Văn hóa Hữu nghị Việt Xô, 91 Trần Hưng Đạo, Hà Nội",
            actor=DEMO_ACTOR,
        )
        congresses.add_sitting(
            session,
            congress,
            title="Phiên thứ nhất: khai mạc, bầu Ban Chấp hành",
            starts_at=dt.datetime.combine(start, dt.time(8, 0)),
            actor=DEMO_ACTOR,
        )
        congresses.add_sitting(
            session,
            congress,
            title="Phiên bế mạc",
            starts_at=dt.datetime.combine(start + dt.timedelta(days=1), dt.time(8, 0)),
            actor=DEMO_ACTOR,
        )
        register = (bars or (lambda label, total: Bar(label, total, echo)))("register", 1)
        report = import_delegates(
            session, congress, rows_to_xlsx(delegate_rows(delegates, seed)), actor=DEMO_ACTOR
        )
        register.done()
        congress_id = congress.id
    echo(f"congress {slug}: {report.new} delegates in 12 delegations, 2 sittings")
    story = DemoStory(db, congress_id, seed, echo, workers, bars)
    steps = [step for capability in load() for step in capability.demo()]
    for step in sorted(steps, key=lambda step: step.stage):  # stable: PACKAGES order within
        step.run(story)
    echo("staff accounts (user, role, password) are in " + str(credentials))
    for username, role, password in created:
        echo(f"  {username:<12} {role:<10} {password}")
