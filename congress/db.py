"""Database engine, sessions and the migration check (SQLite embedded, PostgreSQL shared)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.orm import Session, sessionmaker

from congress.errors import CongressError
from congress.settings import Settings

MIGRATIONS = Path(__file__).parent / "migrations"


class DatabaseNotReady(CongressError):
    """The database is missing or behind the code; the message names the command to run."""

    status = 503


class UnstorableText(CongressError):
    """A text holds the NUL character, which PostgreSQL cannot store (and SQLite should not)."""

    status = 400


def _has_nul(parameters: Any) -> bool:
    if isinstance(parameters, str):
        return "\x00" in parameters
    if isinstance(parameters, dict):
        return any(_has_nul(v) for v in parameters.values())
    if isinstance(parameters, (list, tuple)):
        return any(_has_nul(v) for v in parameters)
    return False


def _refuse_nul(
    _conn: Any, _cursor: Any, _statement: str, parameters: Any, _context: Any, _many: bool
) -> None:
    # One rule for every text that reaches the database, from any page, form, API or file, on
    # both backends alike: a NUL is a refusal (400) before the statement runs, not PostgreSQL's
    # DataError (a 500) here and a silently stored control character there.
    if _has_nul(parameters):
        raise UnstorableText(
            "unstorable_text", "The text holds a character that cannot be stored (NUL)"
        )


def make_engine(settings: Settings, **kwargs: Any) -> Engine:
    engine = _make_engine(settings, **kwargs)
    event.listen(engine, "before_cursor_execute", _refuse_nul)
    return engine


def _make_engine(settings: Settings, **kwargs: Any) -> Engine:
    url = settings.database_url
    if url.startswith("sqlite"):
        engine = create_engine(
            url, connect_args={"timeout": 30, "check_same_thread": False}, **kwargs
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()
            # SQLAlchemy, not the driver, starts transactions (see _sqlite_begin).
            dbapi_conn.isolation_level = None

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            # A deferred transaction that reads and then writes fails at once with "database
            # is locked" when another writer got in between (WAL cannot upgrade a stale
            # snapshot). Writers that must not fail under concurrent gates take the write lock
            # first and queue on busy_timeout instead.
            immediate = conn.get_execution_options().get("congress_write", False)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    return create_engine(url, pool_pre_ping=True, **kwargs)


class Database:
    """One engine and its session factory."""

    def __init__(self, settings: Settings, engine: Engine | None = None) -> None:
        self.settings = settings
        self.engine = engine or make_engine(settings)
        self.sessionmaker = sessionmaker(self.engine, expire_on_commit=False)
        self.write_sessionmaker = sessionmaker(
            self.engine.execution_options(congress_write=True), expire_on_commit=False
        )
        # SQLite has one writer at a time, and its busy handler waits with growing sleeps (up
        # to 100 ms): this process's writers queue here instead, in arrival order, so the tail
        # latency of concurrent gates and stations stays low. Across processes the database's
        # own lock (BEGIN IMMEDIATE) still keeps every answer right.
        self._writer = threading.RLock() if self.engine.dialect.name == "sqlite" else None
        # A lookup of one row (who is asking, on every request) needs no transaction around it:
        # on PostgreSQL, autocommit spares the BEGIN and COMMIT round trips.
        self.lookup_sessionmaker = (
            self.sessionmaker
            if self._writer is not None
            else sessionmaker(
                self.engine.execution_options(isolation_level="AUTOCOMMIT"),
                expire_on_commit=False,
            )
        )

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in a transaction: committed on success, rolled back on any error."""
        with self.sessionmaker() as session, session.begin():
            yield session

    @contextmanager
    def lookup(self) -> Iterator[Session]:
        """A session for reading one row outside any transaction (never for writing)."""
        with self.lookup_sessionmaker() as session:
            yield session

    @contextmanager
    def write_session(self) -> Iterator[Session]:
        """Like session(), for a transaction that reads then writes under concurrency.

        On SQLite it takes the write lock at the start (BEGIN IMMEDIATE), so concurrent writers
        wait their turn instead of failing; on PostgreSQL it is an ordinary transaction.
        """
        with (
            self._writer or nullcontext(),
            self.write_sessionmaker() as session,
            session.begin(),
        ):
            yield session

    def dispose(self) -> None:
        self.engine.dispose()


def insert_ignore(session: Session, model: Any) -> Any:
    """INSERT ... ON CONFLICT DO NOTHING in the dialect of the session's database."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(model).on_conflict_do_nothing()
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(model).on_conflict_do_nothing()


def alembic_config(settings: Settings, engine: Engine | None = None) -> Any:

    cfg = _script_config()
    cfg.set_main_option("sqlalchemy.url", settings.database_url.replace("%", "%%"))
    cfg.attributes["settings"] = settings
    if engine is not None:
        cfg.attributes["engine"] = engine
    return cfg


def _script_config() -> Any:
    """The core's migrations plus each capability's own branch (`<package>/migrations/`)."""
    import os

    from alembic.config import Config

    from congress.capabilities import migration_locations

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("path_separator", "os")
    locations = [str(MIGRATIONS / "versions"), *map(str, migration_locations())]
    cfg.set_main_option("version_locations", os.pathsep.join(locations).replace("%", "%%"))
    return cfg


def head_revisions() -> set[str]:
    """Every branch head: the core's and one per capability that has tables."""
    from alembic.script import ScriptDirectory

    return set(ScriptDirectory.from_config(_script_config()).get_heads())


def current_revisions(engine: Engine) -> set[str]:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return set(MigrationContext.configure(conn).get_current_heads())


def upgrade(settings: Settings, engine: Engine | None = None, revision: str = "heads") -> None:
    from alembic import command

    if settings.is_sqlite:
        Path(settings.database_url.split("///", 1)[1]).parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(settings, engine), revision)


def downgrade(settings: Settings, revision: str, engine: Engine | None = None) -> None:
    from alembic import command

    command.downgrade(alembic_config(settings, engine), revision)


def check_ready(engine: Engine) -> None:
    """Refuse to run on a database that is missing or behind: name the command that fixes it."""
    current = current_revisions(engine)
    heads = head_revisions()
    if not current:
        if set(inspect(engine).get_table_names()) - {"alembic_version"}:
            raise DatabaseNotReady(
                "db_foreign",
                "The database was not created by congress; run `congress init` on an empty one",
            )
        raise DatabaseNotReady(
            "db_missing", "The database has no congress tables yet; run `congress init` first"
        )
    if current != heads:
        raise DatabaseNotReady(
            "db_behind",
            "The database is at revision %(current)s but this version needs %(heads)s; "
            "run `congress init` to upgrade it",
            current=", ".join(sorted(current)),
            heads=", ".join(sorted(heads)),
        )
