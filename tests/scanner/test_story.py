"""A whole congress, small, on PostgreSQL: the server a real uvicorn process, delegates through two
gates, the ballots of the sitting through two scanner stations in parallel, the committee's
review, the count closed and sealed over HTTP, and the bundle recounted by another process."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import pypdfium2 as pdfium
from sqlalchemy import func, select

from badges.service import issue_token
from ballots.counting import counts
from ballots.counting.results import attendance_figures
from ballots.demo import fill_ballots, review
from ballots.elections import Rules, create_election, import_candidates, print_ballots
from ballots.models import CountedBallot, IssuedSerial
from bench.live import live_server
from congress import auth, congresses
from congress.db import Database
from congress.delegate_import import import_delegates
from congress.demo_data import delegate_rows, rows_to_csv
from congress.models import Delegate
from congress.settings import Settings
from scanner.checkin import get_sitting, set_doors
from tests.conftest import make_settings
from tests.scanner.station_helpers import ROOT, station, wait_output

SLUG = "dai-hoi-cuoi"
DELEGATES = 16
PRESENT = 14
CANDIDATES = ["Nguyễn Văn An", "Trần Thị Bình", "Lê Minh Châu", "Phạm Quốc Dũng",
              "Hoàng Thu Hà", "Vũ Đức Khang", "Đặng Ngọc Lan"]  # fmt: skip


def _congress(db: Database, settings: Settings) -> tuple[list[str], list[bool], dict[str, str]]:
    """The register's badges and whether each is a full delegate, the first sitting open at
    the doors, and the tokens of the gates, the stations and a committee member."""
    with db.write_session() as session:
        congress = congresses.create_congress(
            session,
            slug=SLUG,
            name="Đại hội đại biểu Đoàn TNCS Hồ Chí Minh quận Ba Đình",
            starts_on=dt.date.today(),
            ends_on=dt.date.today(),
            actor="t",
        )
        congresses.add_sitting(
            session, congress, title="Phiên thứ nhất",
            starts_at=dt.datetime.combine(dt.date.today(), dt.time(8)), actor="t",
        )  # fmt: skip
        import_delegates(session, congress, rows_to_csv(delegate_rows(DELEGATES, 4, 3)), actor="t")
    with db.write_session() as session:
        congress = congresses.get_congress(session, SLUG)
        set_doors(session, get_sitting(session, congress, 1), True, "t")
        delegates = list(session.scalars(select(Delegate).order_by(Delegate.id)))
        badges = [issue_token(settings, session, d) for d in delegates]
        full = [d.kind == "full" for d in delegates]
        tokens = {
            name: auth.create_token(session, name, [role], "t")[1]
            for name, role in [
                ("Cổng 1", "checkin"),
                ("Cổng 2", "checkin"),
                ("Bàn 1", "counting"),
                ("Bàn 2", "counting"),
                ("kiemphieu1", "counting"),
            ]
        }
    return badges, full, tokens


def test_a_whole_congress_on_postgresql(pg_schema: str, tmp_path: Path) -> None:
    settings = make_settings("postgresql", tmp_path / "home", pg_schema)
    settings.home.mkdir(parents=True)
    from congress.db import upgrade

    upgrade(settings)
    db = Database(settings)
    badges, full, tokens = _congress(db, settings)
    env = dict(
        os.environ,
        CONGRESS_HOME=str(settings.home),
        CONGRESS_DATABASE_URL=settings.database_url,
        CONGRESS_SECRET_KEY="story",
        PYTHONPATH=str(ROOT),
    )
    with live_server(env) as url:
        # The doors: all but two delegates through two gates, one badge shown twice.
        results = []
        for i, badge in enumerate([*badges[:PRESENT], badges[0]]):
            gate = "Cổng 1" if i % 2 else "Cổng 2"
            answer = httpx.post(
                f"{url}/api/c/{SLUG}/scans",
                headers={"authorization": f"Bearer {tokens[gate]}"},
                json={"scan_id": uuid.uuid4().hex, "sitting": 1, "gate": gate,
                      "method": "camera", "text": badge},
            )  # fmt: skip
            assert answer.status_code == 200, answer.text
            results.append(answer.json()["result"])
        assert results.count("admitted") == PRESENT and results[-1] == "already_admitted"

        # The election of the sitting: one ballot per delegate present.
        with db.write_session() as session:
            congress = congresses.get_congress(session, SLUG)
            election = create_election(
                session, congress, title="Bầu Ban Chấp hành Quận Đoàn", form="strike", seats=5,
                actor="t", sitting_number=1, rules=Rules(threshold_base="collected"),
            )  # fmt: skip
            import_candidates(
                session, election, ("Họ và tên\n" + "\n".join(CANDIDATES)).encode(), "t"
            )
            # Attendance counts full delegates; alternates are admitted but not counted.
            summoned, present = attendance_figures(session, election)
            assert (summoned, present) == (sum(full), sum(full[:PRESENT]))
            printed = print_ballots(settings, session, election, present, "kiemphieu1")
            count = counts.open_count(
                session, election, members=["Nguyễn Thị Kiểm", "Trần Văn Phiếu"],
                issued=present, collected=present, actor="kiemphieu1",
            )  # fmt: skip
            election_id, count_id = election.id, count.id
            serials = list(
                session.scalars(
                    select(IssuedSerial.serial)
                    .where(IssuedSerial.print_run_id == printed.run.id)
                    .order_by(IssuedSerial.id)
                )
            )

        # The filled ballots, half in each station's folder; both stations run at once.
        scans = tmp_path / "scans"
        meant = fill_ballots(printed.pdf, printed.layout, scans, seed=8)
        files = sorted(p for p in scans.iterdir() if p.is_file())
        assert len(files) == present
        folders = [tmp_path / "ban-1", tmp_path / "ban-2"]
        for i, folder in enumerate(folders):
            folder.mkdir()
            for path in files[i::2]:
                path.rename(folder / path.name)
        pair = [
            station(url, tokens[name], election_id, folder, "--name", name, "--until-idle")
            for name, folder in zip(("Bàn 1", "Bàn 2"), folders, strict=True)
        ]
        outputs = [wait_output(process, 600) for process in pair]
        assert [p.returncode for p in pair] == [0, 0], outputs
        for i, folder in enumerate(folders):
            done = sorted(p.name for p in (folder / "done").iterdir())
            assert done == [p.name for p in files[i::2]], outputs[i]
        with db.session() as session:
            received = session.scalar(
                select(func.count())
                .select_from(CountedBallot)
                .where(CountedBallot.count_id == count_id)
            )
            stations = set(session.scalars(select(CountedBallot.station)))
        assert received == present and stations == {"Bàn 1", "Bàn 2"}

        # The committee reads the paper of what the machine doubted; a second member confirms.
        review(db, count_id, {serials[i]: m for i, m in meant.items()})

        # Closing over HTTP seals the count; the minutes and the bundle come from the server.
        committee = {"authorization": f"Bearer {tokens['kiemphieu1']}"}
        base = f"{url}/c/{SLUG}/counts/{count_id}"
        closed = httpx.post(f"{base}/close", headers=committee, data={"explanation": ""})
        assert closed.status_code == 303, closed.text[:500]
        status = httpx.get(f"{url}/api/counts/{count_id}", headers=committee).json()
        root = status["count"]["root_hash"]
        assert status["count"]["state"] == "closed" and len(root) == 64
        assert status["reconciliation"]["agrees"] is True
        tally = status["tally"]
        assert tally["ballots"]["counted"] == present
        assert tally["figures"]["present"] == present
        minutes = httpx.get(f"{base}/minutes.pdf", headers=committee)
        assert minutes.status_code == 200
        text = "".join(
            page.get_textpage().get_text_bounded() for page in pdfium.PdfDocument(minutes.content)
        )
        assert "BIÊN BẢN KIỂM PHIẾU" in text and root[:16] in text
        bundle = httpx.get(f"{base}/bundle", headers=committee)
        assert bundle.status_code == 200
        (tmp_path / "bundle.zip").write_bytes(bundle.content)
        public = httpx.get(f"{base}/public")
        assert public.status_code == 200 and "Nguyễn Văn An" in public.text

    # Anyone recounts the bundle with no database and no data directory.
    recount = subprocess.run(
        [sys.executable, "-c", "from congress.cli import main; main()", "ballots", "verify",
         str(tmp_path / "bundle.zip"), "--lang", "en"],
        env={k: v for k, v in env.items() if not k.startswith("CONGRESS_")},
        capture_output=True, text=True, cwd=tmp_path, timeout=600,
    )  # fmt: skip
    assert recount.returncode == 0, recount.stdout + recount.stderr
    assert root in recount.stdout
    db.dispose()
