"""Sessions the server can end (issue 21, row 5)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from click.testing import CliRunner
from sqlalchemy import select, update
from starlette.testclient import TestClient

from congress import auth
from congress.cli import build_cli
from congress.db import Database
from congress.models import AuditEvent, StaffUser, WebSession
from congress.settings import Settings
from tests.conftest import login
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
                last_seen_at=dt.datetime.now(dt.UTC).replace(tzinfo=None)
                - dt.timedelta(seconds=idle - 60)
            )
        )
    # Used within the idle time: it stands, and its last use is written anew.
    assert client.get("/api/me").status_code == 200
    with db.session() as session:
        seen = session.scalar(select(WebSession.last_seen_at))
    assert seen is not None
    assert seen > dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(minutes=1)
    with db.session() as session:
        session.execute(
            update(WebSession).values(last_seen_at=seen - dt.timedelta(seconds=idle + 1))
        )
    assert client.get("/api/me").status_code == 401


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
