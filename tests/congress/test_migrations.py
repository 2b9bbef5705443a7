"""Migrations upgrade and downgrade on both backends; the app refuses an old database."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, text

from congress.app import create_app
from congress.db import (
    DatabaseNotReady,
    check_ready,
    current_revisions,
    downgrade,
    head_revisions,
    make_engine,
    upgrade,
)
from congress.settings import Settings


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
    from importlib import import_module
    from importlib.util import find_spec

    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from congress.capabilities import PACKAGES
    from congress.models import Base

    for package in PACKAGES:
        if find_spec(f"{package}.models") is not None:
            import_module(f"{package}.models")

    def modelled(name: str | None, kind: str, parents: object) -> bool:
        # The full-text search objects (an FTS5 table and its shadow tables on SQLite, an
        # expression index on PostgreSQL) are the database's own, made by the migration alone.
        return not (name or "").startswith("document_search")

    engine = make_engine(settings)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_name": modelled})
        differences = compare_metadata(context, Base.metadata)
    engine.dispose()
    assert differences == []
