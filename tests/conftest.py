"""Shared fixtures: a fresh congress database on SQLite and on PostgreSQL for every test."""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from congress import congresses
from congress.db import Database, upgrade
from congress.delegate_import import import_delegates
from congress.demo_data import delegate_rows, rows_to_csv
from congress.settings import Settings

PG_URL = os.environ.get("CONGRESS_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() == "true"


def _postgres_reachable() -> str | None:
    try:
        engine = create_engine(PG_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        engine.dispose()
    except Exception as exc:  # noqa: BLE001 - any failure means: no server to test against
        return str(exc).splitlines()[0]
    return None


_PG_PROBLEM: list[str | None] = []


def require_postgres() -> None:
    if not _PG_PROBLEM:
        _PG_PROBLEM.append(_postgres_reachable())
    problem = _PG_PROBLEM[0]
    if problem:
        message = f"PostgreSQL at {PG_URL} is not reachable: {problem}"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)


def make_settings(backend: str, home: Path, schema: str | None = None) -> Settings:
    env = {"CONGRESS_HOME": str(home), "CONGRESS_SECRET_KEY": "test-secret-" + uuid.uuid4().hex}
    if backend == "postgresql":
        assert schema
        env["CONGRESS_DATABASE_URL"] = f"{PG_URL}?options=-csearch_path%3D{schema}"
    return Settings.from_env(env)


@pytest.fixture
def pg_schema() -> Iterator[str]:
    """A fresh, empty PostgreSQL schema, dropped afterwards."""
    require_postgres()
    schema = "t_" + uuid.uuid4().hex[:16]
    engine = create_engine(PG_URL)
    with engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield schema
    finally:
        with engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def blank_settings(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Settings:
    """Settings of an empty data directory and database (not migrated)."""
    schema = request.getfixturevalue("pg_schema") if backend == "postgresql" else None
    return make_settings(backend, tmp_path / "home", schema)


@pytest.fixture
def settings(blank_settings: Settings) -> Settings:
    """Settings of a migrated, empty database."""
    blank_settings.home.mkdir(parents=True, exist_ok=True)
    upgrade(blank_settings)
    return blank_settings


@pytest.fixture
def db(settings: Settings) -> Iterator[Database]:
    database = Database(settings)
    yield database
    database.dispose()


def csrf_from(html: str) -> str:
    import re

    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "the page has no CSRF field"
    return match.group(1)


def login(client, username: str, password: str) -> str:  # type: ignore[no-untyped-def]
    """Sign in through the real form; returns the session's CSRF token."""
    page = client.get("/login")
    assert page.status_code == 200
    response = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": csrf_from(page.text)},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    home = client.get("/")
    return csrf_from(home.text)


@pytest.fixture
def make_user(db: Database):  # type: ignore[no-untyped-def]
    from congress import auth

    def make(username: str, *roles: str, password: str = "correct horse 1") -> str:
        with db.session() as session:
            auth.add_user(session, username, list(roles), password, "test")
        return password

    return make


@pytest.fixture
def app(settings: Settings):  # type: ignore[no-untyped-def]
    from congress.app import create_app

    application = create_app(settings)
    yield application
    application.state.db.dispose()


@pytest.fixture
def client(app):  # type: ignore[no-untyped-def]
    from starlette.testclient import TestClient

    with TestClient(app, base_url="http://testserver") as c:
        yield c


class LiveServer:
    """The real app served by uvicorn on a free loopback port, in a background thread."""

    def __init__(self, app) -> None:  # type: ignore[no-untyped-def]
        import socket
        import threading

        import uvicorn

        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        sock.close()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        import time

        deadline = time.monotonic() + 15
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the live server did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture
def live_server(app):  # type: ignore[no-untyped-def]
    server = LiveServer(app)
    yield server
    server.stop()


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def playwright_driver():  # type: ignore[no-untyped-def]
    """One playwright driver per test process, for every browser a test launches."""
    if not Path(CHROMIUM).exists():
        message = f"{CHROMIUM} is missing: install Debian's chromium (scripts/test does)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def browser(playwright_driver):  # type: ignore[no-untyped-def]
    """Debian's Chromium, headless, driven by playwright (never a downloaded browser)."""
    instance = playwright_driver.chromium.launch(
        executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
    )
    yield instance
    instance.close()


def sign_in_page(page: Any, url: str, username: str, password: str, lands: str = "/") -> None:
    """Sign a browser page in through the real form and wait until it lands on `lands` (door
    staff land on their gate, other staff on the list of congresses)."""
    page.goto(f"{url}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{url}{lands}")


# --- a small register, for the capability tests ---------------------------------------------

REGISTER_SLUG = "dai-hoi-the"


def add_register(db: Database) -> dict[str, Any]:
    """Congress REGISTER_SLUG with 20 delegates in 3 delegations (codes DB0001...)."""
    with db.session() as session:
        congress = congresses.create_congress(
            session,
            slug=REGISTER_SLUG,
            name="Đại hội đại biểu Đoàn TNCS Hồ Chí Minh tỉnh Nghệ An",
            starts_on=dt.date(2027, 6, 2),
            ends_on=dt.date(2027, 6, 3),
            actor="t",
        )
        congresses.add_sitting(
            session,
            congress,
            title="Phiên trù bị",
            starts_at=dt.datetime(2027, 6, 2, 8, 0),
            actor="t",
        )
        rows = rows_to_csv(delegate_rows(20, seed=11, delegations=3))
        import_delegates(session, congress, rows, actor="t")
        return {"congress_id": congress.id, "slug": REGISTER_SLUG}


@pytest.fixture
def register(db: Database) -> dict[str, Any]:
    """Congress REGISTER_SLUG with 20 delegates in 3 delegations (codes DB0001...)."""
    return add_register(db)
