"""Staff sign-in, rate limiting, CSRF, roles, station tokens, and error answers."""

from __future__ import annotations

import datetime as dt

import pytest
from starlette.routing import Mount, Route
from starlette.testclient import TestClient

from congress import auth, congresses
from congress.db import Database
from congress.errors import CongressError
from congress.i18n import translator
from tests.conftest import csrf_from, login


def test_wrong_password_is_refused_and_logged(client: TestClient, make_user, db: Database) -> None:  # type: ignore[no-untyped-def]
    make_user("org", "organizer")
    page = client.get("/login")
    response = client.post(
        "/login",
        data={"username": "org", "password": "wrong password", "csrf_token": csrf_from(page.text)},
    )
    assert response.status_code == 401
    assert "Sai tên đăng nhập hoặc mật khẩu" in response.text
    assert client.get("/", follow_redirects=False).status_code == 303
    from sqlalchemy import select

    from congress.models import AuditEvent

    with db.session() as session:
        actions = session.scalars(select(AuditEvent.action)).all()
    assert "login.failed" in actions


def test_login_rate_limit(client: TestClient, make_user) -> None:  # type: ignore[no-untyped-def]
    password = make_user("org", "organizer")
    token = csrf_from(client.get("/login").text)
    for _ in range(5):
        r = client.post(
            "/login", data={"username": "org", "password": "nope nope", "csrf_token": token}
        )
        assert r.status_code == 401
    r = client.post("/login", data={"username": "org", "password": password, "csrf_token": token})
    assert r.status_code == 429
    assert "thử lại sau" in r.text
    assert client.get("/", follow_redirects=False).status_code == 303


def test_session_cookie_flags(client: TestClient, make_user) -> None:  # type: ignore[no-untyped-def]
    password = make_user("org", "organizer")
    token = csrf_from(client.get("/login").text)
    r = client.post(
        "/login",
        data={"username": "org", "password": password, "csrf_token": token},
        follow_redirects=False,
    )
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie


def test_csrf_refusal_changes_nothing(client: TestClient, make_user, db: Database) -> None:  # type: ignore[no-untyped-def]
    password = make_user("org", "organizer")
    login(client, "org", password)
    form = {
        "name": "Đại hội X",
        "slug": "dai-hoi-x",
        "starts_on": "2026-12-01",
        "ends_on": "2026-12-02",
    }
    r = client.post("/congresses/new", data=form)
    assert r.status_code == 403
    assert "Biểu mẫu đã hết hạn" in r.text
    r = client.post("/congresses/new", data={**form, "csrf_token": "forged"})
    assert r.status_code == 403
    # The JSON API with a session cookie needs the header too.
    r = client.post(
        "/api/congresses", json={"slug": "dai-hoi-x", "name": "X", "starts_on": "2026-12-01"}
    )
    assert r.status_code == 403 and r.json()["error"]["code"] == "csrf_failed"
    with db.session() as session:
        assert congresses.list_congresses(session) == []
    token = csrf_from(client.get("/congresses/new").text)
    r = client.post("/congresses/new", data={**form, "csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/c/dai-hoi-x"


def test_role_denial(client: TestClient, make_user) -> None:  # type: ignore[no-untyped-def]
    password = make_user("gate", "checkin")
    token = login(client, "gate", password)
    r = client.get("/congresses/new")
    assert r.status_code == 403
    assert "Vai trò của bạn không được phép" in r.text
    r = client.post(
        "/api/congresses",
        json={"slug": "abc", "name": "X", "starts_on": "2026-12-01"},
        headers={"x-csrf-token": token},
    )
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"


def test_station_bearer_token(client: TestClient, db: Database) -> None:
    with db.session() as session:
        _, secret = auth.create_token(session, "gate-1", ["organizer"], "test")
    headers = {"authorization": f"Bearer {secret}"}
    r = client.post(
        "/api/congresses",
        headers=headers,
        json={"slug": "hn-2026", "name": "Đại hội", "starts_on": "2026-12-01"},
    )
    assert r.status_code == 201, r.text
    assert client.get("/api/me", headers=headers).json()["name"] == "token:gate-1"
    bad = client.get("/api/congresses", headers={"authorization": "Bearer cgt_not-a-token"})
    assert bad.status_code == 401 and bad.json()["error"]["code"] == "unauthenticated"


def test_a_token_name_too_long_to_record_is_refused(db: Database) -> None:
    """The name is the actor of what the token does ("token:NAME"): refused, never cut."""
    with db.session() as session:
        auth.create_token(session, "t" * auth.MAX_TOKEN_NAME, ["counting"], "test")
        with pytest.raises(CongressError) as refused:
            auth.create_token(session, "t" * (auth.MAX_TOKEN_NAME + 1), ["counting"], "test")
    assert refused.value.code == "bad_token_name"
    assert "80" in refused.value.translated(translator("vi").gettext)


def test_api_errors_are_json_in_the_request_language(client: TestClient, db: Database) -> None:
    with db.session() as session:
        _, secret = auth.create_token(session, "obs", ["observer"], "test")
    headers = {"authorization": f"Bearer {secret}"}
    vi = client.get("/api/congresses/nope", headers=headers)
    assert vi.status_code == 404
    assert vi.json() == {
        "error": {"code": "unknown_congress", "message": "Không có đại hội nào có mã nope"}
    }
    en = client.get(
        "/api/congresses/nope", headers={**headers, "accept-language": "en-GB,en;q=0.8"}
    )
    assert en.json()["error"]["message"] == "No congress with the code nope"
    missing = client.get("/api/nothing-here", headers=headers)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"


def test_huge_payload_is_refused(client: TestClient, db: Database) -> None:
    with db.session() as session:
        _, secret = auth.create_token(session, "org", ["organizer"], "test")
    big = b"x" * (52 * 1024 * 1024)
    r = client.post(
        "/api/congresses",
        content=big,
        headers={"authorization": f"Bearer {secret}", "content-type": "application/json"},
    )
    assert r.status_code == 413


def test_every_route_declares_its_access(app) -> None:  # type: ignore[no-untyped-def]
    """A route without the endpoint() wrapper would skip authentication, roles and CSRF."""
    unchecked = []
    for route in app.routes:
        if isinstance(route, Mount):
            # Only static files may be mounted: anything else would bypass endpoint().
            from starlette.staticfiles import StaticFiles

            assert route.path == "/static" or route.path.startswith("/static/"), route.path
            assert isinstance(route.app, StaticFiles), route.path
            continue
        assert isinstance(route, Route)
        if not hasattr(route.endpoint, "congress_access"):
            unchecked.append(route.path)
    assert unchecked == []


def test_pages_render_for_an_observer_but_not_the_import(
    client: TestClient, make_user, db: Database
) -> None:  # type: ignore[no-untyped-def]
    with db.session() as session:
        congresses.create_congress(
            session,
            slug="hn-2026",
            name="Đại hội Hà Nội",
            starts_on=dt.date(2026, 12, 1),
            ends_on=dt.date(2026, 12, 2),
            actor="t",
        )
    login(client, "obs", make_user("obs", "observer"))
    for path in (
        "/",
        "/c/hn-2026",
        "/c/hn-2026/sittings",
        "/c/hn-2026/delegations",
        "/c/hn-2026/delegates",
    ):
        assert client.get(path).status_code == 200, path
    assert client.get("/c/hn-2026/delegates/import").status_code == 403
    assert client.get("/c/unknown").status_code == 404
