"""Sessions the server can end, and sign-in limits that hold (issue 21, rows 5 and 9)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest
import uvicorn
from click.testing import CliRunner
from sqlalchemy import select, update
from starlette.testclient import TestClient

import congress.cli
from congress import auth
from congress.cli import build_cli
from congress.db import Database
from congress.models import AuditEvent, StaffUser, WebSession
from congress.settings import Settings
from tests.conftest import LiveServer, csrf_from, login
from tests.congress.test_cli import cli_env


def _signed_in(client: TestClient, make_user: Any, name: str = "org") -> tuple[str, str, str]:
    """Sign in; returns the password, the CSRF token and a saved copy of the session cookie."""
    password = make_user(name, "organizer")
    token = login(client, name, password)
    cookie = client.cookies["congress_session"]
    assert client.get("/api/me").status_code == 200
    return password, token, cookie


def _with_cookie(app: Any, cookie: str) -> TestClient:
    """Another browser that replays a saved session cookie."""
    other = TestClient(app, base_url="http://testserver")
    other.cookies.set("congress_session", cookie)
    return other


def test_logout_ends_the_session_for_a_saved_copy_of_the_cookie(
    app: Any, client: TestClient, make_user: Any
) -> None:
    _, token, cookie = _signed_in(client, make_user)
    assert _with_cookie(app, cookie).get("/api/me").status_code == 200
    response = client.post("/logout", headers={"x-csrf-token": token}, follow_redirects=False)
    assert response.status_code == 303
    replay = _with_cookie(app, cookie)
    assert replay.get("/api/me").status_code == 401
    assert replay.get("/", follow_redirects=False).status_code == 303  # to the sign-in page


def test_a_password_change_ends_every_session_of_the_user(
    app: Any, client: TestClient, make_user: Any, settings: Settings, db: Database
) -> None:
    _, _, cookie = _signed_in(client, make_user)
    other = TestClient(app, base_url="http://testserver")
    login(other, "bystander", make_user("bystander", "observer"))
    result = CliRunner().invoke(
        build_cli(),
        ["users", "set-password", "org", "--password", "a new password 2"],
        env=cli_env(settings),
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    assert _with_cookie(app, cookie).get("/api/me").status_code == 401
    assert client.get("/api/me").status_code == 401
    assert other.get("/api/me").status_code == 200  # another user's session stands
    login(client, "org", "a new password 2")
    assert client.get("/api/me").status_code == 200
    with db.session() as session:
        actions = set(session.scalars(select(AuditEvent.action)))
    assert "user.password" in actions


def test_an_admin_ends_all_sessions_of_a_user(
    app: Any, client: TestClient, make_user: Any, settings: Settings, db: Database
) -> None:
    _, _, cookie = _signed_in(client, make_user)
    laptop = TestClient(app, base_url="http://testserver")
    login(laptop, "org", "correct horse 1")
    result = CliRunner().invoke(
        build_cli(), ["users", "end-sessions", "org"], env=cli_env(settings), catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    assert "2 session(s)" in result.output
    for browser in (client, laptop, _with_cookie(app, cookie)):
        assert browser.get("/api/me").status_code == 401
    unknown = CliRunner().invoke(
        build_cli(), ["users", "end-sessions", "nobody"], env=cli_env(settings)
    )
    assert unknown.exit_code == 1 and "nobody" in unknown.output
    with db.session() as session:
        assert "user.end_sessions" in set(session.scalars(select(AuditEvent.action)))


def test_a_session_idle_longer_than_the_limit_ends(
    client: TestClient, make_user: Any, settings: Settings, db: Database
) -> None:
    _signed_in(client, make_user)
    idle = settings.limits.session_idle_seconds
    with db.session() as session:
        session.execute(
            update(WebSession).values(
                last_seen_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=idle - 60)
            )
        )
    # Used within the idle time: it stands, and its last use is written anew.
    assert client.get("/api/me").status_code == 200
    with db.session() as session:
        seen = session.scalar(select(WebSession.last_seen_at))
    assert seen is not None
    assert seen > dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    with db.session() as session:
        session.execute(
            update(WebSession).values(last_seen_at=seen - dt.timedelta(seconds=idle + 1))
        )
    assert client.get("/api/me").status_code == 401


def test_signing_in_again_ends_the_old_session_and_forgets_long_idle_ones(
    app: Any, client: TestClient, make_user: Any, settings: Settings, db: Database
) -> None:
    _, _, first = _signed_in(client, make_user)
    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(
        seconds=settings.limits.longest_session_idle_seconds + 60
    )
    with db.session() as session:
        user = session.scalar(select(StaffUser).where(StaffUser.username == "org"))
        assert user is not None
        forgotten = auth.start_session(session, staff_user_id=user.id)
        session.flush()
        session.execute(
            update(WebSession)
            .where(WebSession.secret_sha256 == auth.token_digest(forgotten))
            .values(last_seen_at=long_ago)
        )
    login(client, "org", "correct horse 1")
    assert _with_cookie(app, first).get("/api/me").status_code == 401
    assert client.get("/api/me").status_code == 200
    with db.session() as session:
        rows = list(session.scalars(select(WebSession)))
    assert len(rows) == 1  # the old one ended, the long idle one forgotten


def test_a_deleted_user_session_row_goes_with_the_user(db: Database, make_user: Any) -> None:
    make_user("org", "organizer")
    with db.session() as session:
        user = session.scalar(select(StaffUser).where(StaffUser.username == "org"))
        assert user is not None
        secret = auth.start_session(session, staff_user_id=user.id)
    with db.session() as session:
        assert auth.live_session(session, secret, 60, staff_user_id=user.id) is not None
        # Another user's id, or a delegate's, does not fit the row.
        assert auth.live_session(session, secret, 60, staff_user_id=user.id + 1) is None
        assert auth.live_session(session, secret, 60, delegate_id=user.id) is None
        assert auth.live_session(session, None, 60, staff_user_id=user.id) is None


# --- sign-in limits (row 9) -----------------------------------------------------------------


def _try(client: TestClient, token: str, name: str, password: str = "nope nope") -> int:
    data = {"username": name, "password": password, "csrf_token": token}
    return client.post("/login", data=data).status_code


def test_spraying_many_user_names_from_one_address_is_limited(
    client: TestClient, make_user: Any
) -> None:
    token = csrf_from(client.get("/login").text)
    codes = [_try(client, token, f"user{i}") for i in range(12)]
    assert codes[:10] == [401] * 10
    assert codes[10:] == [429, 429]


def test_one_account_from_many_addresses_is_limited() -> None:
    limits = Settings(home=None, database_url="", secret_key="x").limits  # type: ignore[arg-type]
    limiter = auth.LoginLimiter(
        limits.login_failures_per_name_and_address,
        limits.login_window_seconds,
        per_address=limits.login_failures_per_address,
        per_account=limits.login_failures_per_account,
    )
    for i in range(limits.login_failures_per_account):
        assert limiter.retry_after(f"10.0.{i}.1", "Chair") == 0
        limiter.failed(f"10.0.{i}.1", "Chair")
    assert limiter.retry_after("10.9.9.9", "chair") > 0
    assert limiter.retry_after("10.9.9.9", "someone-else") == 0
    # A success of the pair forgives the pair only, not what the account has spent elsewhere.
    limiter.succeeded("10.0.0.1", "chair")
    assert limiter.retry_after("10.0.0.1", "chair") > 0


def test_the_limiter_forgets_expired_keys_beyond_its_bound() -> None:
    limiter = auth.LoginLimiter(5, 0.0, per_address=10, per_account=20, max_keys=30)
    for i in range(200):
        limiter.failed(f"10.0.0.{i}", f"name{i}")
    assert len(limiter._failures) <= 33


def test_head_of_the_login_page_is_not_a_failed_sign_in(
    client: TestClient, make_user: Any, db: Database
) -> None:
    password = make_user("org", "organizer")
    for _ in range(12):
        assert client.head("/login").status_code == 200
    with db.session() as session:
        assert "login.failed" not in set(session.scalars(select(AuditEvent.action)))
    login(client, "org", password)


def test_serve_believes_forwarded_addresses_only_from_named_proxies(
    app: Any, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What `congress serve` hands uvicorn, served for real: a rotated X-Forwarded-For from
    loopback does not escape the per-address limit unless loopback is a named proxy."""
    seen: dict[str, Any] = {}
    monkeypatch.setattr(congress.cli.uvicorn, "run", lambda *a, **kw: seen.update(kw))
    result = CliRunner().invoke(build_cli(), ["serve"], env=cli_env(settings))
    assert result.exit_code == 0, result.output
    options = {k: seen[k] for k in ("proxy_headers", "forwarded_allow_ips") if k in seen}
    server = _served(app, options)
    try:
        with httpx.Client(base_url=server.url) as browser:
            token = csrf_from(browser.get("/login").text)
            codes = [
                browser.post(
                    "/login",
                    data={"username": "org", "password": "nope nope", "csrf_token": token},
                    headers={"x-forwarded-for": f"203.0.113.{i}"},
                ).status_code
                for i in range(7)
            ]
    finally:
        server.stop()
    assert codes[:5] == [401] * 5 and codes[5:] == [429, 429]
    named = Settings.from_env(dict(cli_env(settings), CONGRESS_TRUSTED_PROXIES="10.0.0.2, ::1"))
    assert congress.cli.proxy_options(named) == {
        "proxy_headers": True,
        "forwarded_allow_ips": "10.0.0.2,::1",
    }


def _served(app: Any, options: dict[str, Any]) -> LiveServer:
    """LiveServer with these uvicorn options (it serves with uvicorn's defaults otherwise)."""
    original = uvicorn.Config.__init__

    def config(self: uvicorn.Config, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **{**kwargs, **options})

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(uvicorn.Config, "__init__", config)
        return LiveServer(app)
