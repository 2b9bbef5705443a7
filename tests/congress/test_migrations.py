"""Migrations upgrade (a database made by older code too) and downgrade; old databases refused."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from importlib import import_module
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect, select, text

from badges.service import check_badge
from ballots.counting import counts
from ballots.counting.results import running_tally
from ballots.counting.review import decisions_of, evaluate
from ballots.elections import ordered_candidates
from ballots.models import CountedBallot, Election, IssuedSerial
from congress import auth, congresses
from congress.app import create_app
from congress.attendance import attendance
from congress.capabilities import PACKAGES
from congress.db import (
    Database,
    DatabaseNotReady,
    check_ready,
    current_revisions,
    downgrade,
    head_revisions,
    make_engine,
    upgrade,
)
from congress.models import Base
from congress.settings import Settings
from docs_portal.comments import comments_for_organizers
from docs_portal.documents import Viewer, documents_of, pages_of, search
from scanner.checkin import get_sitting, is_open


def test_upgrade_downgrade_upgrade(blank_settings: Settings) -> None:
    blank_settings.home.mkdir(parents=True)
    engine = make_engine(blank_settings)
    upgrade(blank_settings)
    assert current_revisions(engine) == head_revisions()
    tables = set(inspect(engine).get_table_names())
    assert {
        "congresses",
        "sittings",
        "delegations",
        "delegates",
        "staff_users",
        "audit_events",
        "api_tokens",
        "stored_files",
    } <= tables
    downgrade(blank_settings, "base")
    assert current_revisions(engine) == set()
    assert set(inspect(engine).get_table_names()) - {"alembic_version"} == set()
    upgrade(blank_settings)
    assert current_revisions(engine) == head_revisions()
    engine.dispose()


def test_app_refuses_missing_schema_naming_the_command(blank_settings: Settings) -> None:
    blank_settings.home.mkdir(parents=True)
    with pytest.raises(DatabaseNotReady, match="congress init"):
        create_app(blank_settings)


def test_app_refuses_database_behind(settings: Settings) -> None:
    engine = make_engine(settings)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM alembic_version"))
        conn.execute(text("INSERT INTO alembic_version (version_num) VALUES ('0000_older')"))
    with pytest.raises(DatabaseNotReady, match="run `congress init` to upgrade"):
        check_ready(engine)
    engine.dispose()


def test_audit_log_is_append_only(settings: Settings) -> None:
    from congress import audit
    from congress.db import Database

    db = Database(settings)
    with db.session() as session:
        audit.record(session, "tester", "something", subject="x")
    for statement in ("UPDATE audit_events SET actor = 'someone else'", "DELETE FROM audit_events"):
        with pytest.raises(Exception, match="append-only"), db.engine.begin() as conn:
            conn.execute(text(statement))
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT actor FROM audit_events")).scalar_one() == "tester"
    db.dispose()


def test_deleting_a_congress_removes_its_register(settings: Settings) -> None:
    import datetime as dt

    from sqlalchemy import func, select

    from congress import congresses
    from congress.db import Database
    from congress.delegate_import import import_delegates
    from congress.demo_data import delegate_rows, rows_to_csv
    from congress.models import Delegate, Delegation

    db = Database(settings)
    with db.session() as session:
        congress = congresses.create_congress(
            session,
            slug="xoa-thu",
            name="Xóa thử",
            starts_on=dt.date(2027, 1, 1),
            ends_on=dt.date(2027, 1, 1),
            actor="t",
        )
    with db.session() as session:
        congress = congresses.get_congress(session, "xoa-thu")
        report = import_delegates(
            session, congress, rows_to_csv(delegate_rows(30, seed=3)), actor="t"
        )
        assert report.new == 30
    with db.session() as session:
        session.delete(congresses.get_congress(session, "xoa-thu"))
        assert session.scalar(select(func.count()).select_from(Delegate)) == 0
        assert session.scalar(select(func.count()).select_from(Delegation)) == 0
    db.dispose()


def test_migrations_match_the_models(settings: Settings) -> None:
    """Every table, column, index and constraint of the models is made by a migration."""
    engine = make_engine(settings)
    differences = schema_differences(engine)
    engine.dispose()
    assert differences == []


def schema_differences(engine: Engine) -> list[Any]:
    """What the database's tables lack or have beyond the models of every capability."""
    for package in PACKAGES:
        if find_spec(f"{package}.models") is not None:
            import_module(f"{package}.models")

    def modelled(name: str | None, kind: str, parents: object) -> bool:
        # The full-text search objects (an FTS5 table and its shadow tables on SQLite, an
        # expression index on PostgreSQL) are the database's own, made by the migration alone.
        return not (name or "").startswith("document_search")

    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_name": modelled})
        return list(compare_metadata(context, Base.metadata))


# --- a database made by older code ---------------------------------------------------------

FIXTURES = Path(__file__).parents[1] / "fixtures"
LEGACY = "5849121"  # the commit that made the fixtures (tests/fixtures/make_legacy_db.py)
# Where that commit's migrations left a database: a fixture at other revisions is not that
# commit's, and an upgrade from here is what every database made by it will need.
LEGACY_HEADS = {"ballots_0002_counts", "docs_0001_documents", "scanner_0001_attendance"}


def load_legacy(settings: Settings) -> Engine:
    """The legacy fixture as the database of `settings` (empty before); an engine on it."""
    settings.home.mkdir(parents=True)
    if settings.is_sqlite:
        target = Path(settings.database_url.split("///", 1)[1])
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(FIXTURES / f"legacy-{LEGACY}.sqlite", target)
        return make_engine(settings)
    dump = (FIXTURES / f"legacy-{LEGACY}-postgresql.sql").read_text()
    # An engine of its own, disposed after: the dump's SET statements must not outlive the load.
    loader = make_engine(settings)
    connection = loader.raw_connection()
    try:
        # The settings' URL sets search_path to the test's schema: the dump names no schema.
        connection.cursor().execute(dump)  # several statements, no parameters: one round trip
        connection.commit()
    finally:
        connection.close()
        loader.dispose()
    return make_engine(settings)


def test_upgrade_of_a_database_made_by_older_code(blank_settings: Settings) -> None:
    """A congress recorded by commit 5849121's code is upgraded and reads back unchanged."""
    engine = load_legacy(blank_settings)
    tokens = json.loads((FIXTURES / f"legacy-{LEGACY}.json").read_text())[
        "sqlite" if blank_settings.is_sqlite else "postgresql"
    ]["tokens"]
    assert current_revisions(engine) == LEGACY_HEADS
    if head_revisions() == LEGACY_HEADS:
        check_ready(engine)  # no migration since: the code takes the database as it is
    else:
        with pytest.raises(DatabaseNotReady, match="run `congress init` to upgrade"):
            check_ready(engine)

    upgrade(blank_settings)
    assert current_revisions(engine) == head_revisions()
    check_ready(engine)
    assert schema_differences(engine) == []
    engine.dispose()

    db = Database(blank_settings)
    with db.session() as session:
        congress = congresses.get_congress(session, "dai-hoi-hue")
        assert congress.name == "Đại hội đại biểu Đoàn TNCS Hồ Chí Minh thành phố Huế lần thứ XII"
        assert (congress.starts_on, congress.ends_on) == (
            dt.date(2027, 10, 14),
            dt.date(2027, 10, 15),
        )
        assert (congress.venue, congress.organisation) == (
            "Trung tâm Hội nghị tỉnh",
            "Thành Đoàn Huế",
        )
        assert [(s.number, s.title) for s in congress.sittings] == [
            (1, "Phiên trù bị"),
            (2, "Phiên chính thức"),
        ]
        # Congresses then met in the default zone; the sittings' wall times typed then (08:00
        # and 07:30 in Huế) are now the UTC instants they named.
        assert congress.time_zone == "Asia/Ho_Chi_Minh"
        assert [s.starts_at for s in congress.sittings] == [
            dt.datetime(2027, 10, 14, 1, 0, tzinfo=dt.UTC),
            dt.datetime(2027, 10, 15, 0, 30, tzinfo=dt.UTC),
        ]
        assert sorted(
            (d.name, full, alternates)
            for d, full, alternates in congresses.delegation_counts(session, congress)
        ) == [
            ("Quận Ba Đình", 7, 0),
            ("Quận Hoàn Kiếm", 5, 1),
            ("Đoàn Khối các cơ quan Thành phố", 7, 0),
        ]
        delegates, total = congresses.find_delegates(session, congress, congresses.DelegateQuery())
        assert total == 20
        by_code = {d.code: d for d in delegates}
        assert sorted(by_code) == [f"DB{i:04d}" for i in range(1, 21)]
        assert (by_code["DB0001"].full_name, by_code["DB0001"].delegation.name) == (
            "Lê Minh Hằng",
            "Đoàn Khối các cơ quan Thành phố",
        )
        assert by_code["DB0009"].kind == "alternate"
        assert by_code["DB0003"].badge_version == 2 and by_code["DB0004"].revoked_at is not None
        assert auth.authenticate(session, "kiemphieu2", "mat khau kiem phieu 2") is not None

        # The badges signed then still verify with the public key kept in the database.
        verdicts = {
            code: check_badge(session, congress, t).verdict.code for code, t in tokens.items()
        }
        assert verdicts == {
            "DB0001": "valid",
            "DB0003": "replaced",
            "DB0003-new": "valid",
            "DB0004": "revoked",
        }
        first = get_sitting(session, congress, 1)
        assert not is_open(session, first)
        present = attendance(session, congress, first)
        assert (present.summoned, present.present, present.absent) == (18, 14, 4)

        (document,) = documents_of(session, congress)
        assert (document.title, document.group, document.comments_open) == (
            "Dự thảo Nghị quyết Đại hội",
            "resolutions",
            True,
        )
        assert [(v.number, v.pages) for v in document.versions] == [(1, 2), (2, 3)]
        assert [p.text for p in pages_of(session, document.current)] == [
            "Dự thảo Nghị quyết Đại hội (bản sửa)",
            "Nhiệm vụ",
            "Chỉ tiêu thanh niên",
        ]
        (comment,) = comments_for_organizers(session, document)
        assert (comment.delegate_code, comment.comment.body, comment.comment.page) == (
            "DB0002",
            "Đề nghị bổ sung chỉ tiêu việc làm.",
            3,
        )
        # The search index (FTS5 on SQLite, an expression index on PostgreSQL) came along.
        hits = search(session, congress, Viewer(staff_roles=frozenset({"organizer"})), "thanh niên")
        assert [(h.document.id, h.page) for h in hits] == [(document.id, 3)]

        (election,) = session.scalars(select(Election)).all()
        assert [c.full_name for c in ordered_candidates(election)] == [
            "Nguyễn Thị An",
            "Phạm Đức Anh",
            "Trần Văn Bình",
            "Lê Minh Châu",
        ]
        count = counts.find_count(session, election)
        assert (count.state, count.members, count.issued, count.collected) == (
            "closed",
            ["Nguyễn Văn Một", "Trần Thị Hai"],
            6,
            4,
        )
        evaluation = evaluate(session, count)
        assert [state.outcome.status for _, state in evaluation.ballots] == [
            "valid",
            "valid",
            "valid",
            "invalid",
        ]
        assert [state.state for _, state in evaluation.ballots] == ["counted"] * 4
        doubtful = evaluation.ballots[2][0]
        assert [(d.kind, d.actor, d.marks) for d in decisions_of(session, doubtful)] == [
            ("decide", "kiemphieu1", {"c001.strike": "unmarked"}),
            ("confirm", "kiemphieu2", {"c001.strike": "unmarked"}),
        ]
        issued = set(session.scalars(select(IssuedSerial.serial)))
        assert len(issued) == 6
        assert {session.get(CountedBallot, i).serial for i, _ in evaluation.ballots} <= issued  # type: ignore[union-attr]
        assert count.result is not None and count.result["elected"] == ["c002", "c001"]
        assert running_tally(session, count, evaluation)["elected"] == ["c002", "c001"]
    # The evidence stays append-only after the upgrade.
    with pytest.raises(Exception, match="append-only"), db.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_events"))
    db.dispose()
