"""No database statement runs on the event loop: one slow query there would stall every request."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from sqlalchemy import event, select
from starlette.testclient import TestClient

from badges.service import issue_token
from congress import auth
from congress.db import Database
from congress.models import Delegate
from congress.settings import Settings
from tests.conftest import REGISTER_SLUG, login

SLUG = REGISTER_SLUG
PAGES = [
    "/",
    f"/c/{SLUG}",
    f"/c/{SLUG}/sittings",
    f"/c/{SLUG}/delegations",
    f"/c/{SLUG}/delegates",
    f"/c/{SLUG}/delegates/import",
    f"/c/{SLUG}/delegates/photos",
    f"/c/{SLUG}/badges",
    f"/c/{SLUG}/documents",
    f"/c/{SLUG}/elections",
    f"/c/{SLUG}/gate",
    f"/c/{SLUG}/attendance",
    f"/c/{SLUG}/attendance/1",
    f"/c/{SLUG}/attendance/1/report.csv",
    f"/c/unknown-{SLUG}",  # the error page shows who is signed in
    f"/p/{SLUG}",
    f"/p/{SLUG}/search?q=report",
    f"/p/{SLUG}/signin",
    f"/p/{SLUG}/manifest.webmanifest",
    "/api/me",
    "/api/congresses",
    f"/api/congresses/{SLUG}",
    f"/api/congresses/{SLUG}/delegates",
    f"/api/congresses/{SLUG}/elections",
    f"/api/c/{SLUG}/gate/bootstrap",
    f"/api/c/{SLUG}/attendance/1",
]


def _statements_on_the_loop(app: Any) -> list[str]:
    """Every statement the app's engine runs while an event loop runs in the same thread."""
    seen: list[str] = []

    def check(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return  # a worker thread of the pool: where database work belongs
        seen.append(statement)

    event.listen(app.state.db.engine, "before_cursor_execute", check)
    return seen


def test_no_statement_runs_on_the_event_loop(
    app: Any, client: TestClient, make_user: Any, db: Database, settings: Settings, register: Any
) -> None:
    on_loop = _statements_on_the_loop(app)
    csrf = login(client, "org", make_user("org", "organizer", "checkin"))
    with db.session() as session:
        badge = issue_token(settings, session, session.scalars(select(Delegate)).first())
        _, secret = auth.create_token(session, "gate", ["checkin"], "test")
    for path in [*PAGES, f"/b/{badge}"]:
        assert client.get(path).status_code in (200, 404), path
    posted = [
        client.post(f"/c/{SLUG}/sittings", data={"csrf_token": csrf, "title": "Phiên 2"}),
        client.post(f"/c/{SLUG}/attendance/1/open", data={"csrf_token": csrf}),
        client.post(
            f"/api/c/{SLUG}/scans",
            json={
                "scan_id": uuid.uuid4().hex,
                "sitting": 1,
                "gate": "A",
                "method": "camera",
                "text": badge,
            },
            headers={"authorization": f"Bearer {secret}"},
        ),
        client.post(f"/p/{SLUG}/signin", data={"csrf_token": csrf, "token": badge}),
        client.post("/logout", data={"csrf_token": csrf}),
    ]
    assert [r.status_code for r in posted] == [400, 200, 200, 200, 200]
    assert on_loop == []
