"""Live pages left open (the projector, the attendance screen) are let in again while they
stream: a session ended on the server stops its stream (issue 21, sessions the server can end)."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from congress import auth
from congress.app import create_app
from congress.db import Database
from congress.limits import Limits
from congress.models import StaffUser
from congress.settings import Settings
from tests.ballots.count_helpers import opened_election
from tests.conftest import REGISTER_SLUG, LiveServer, csrf_from

RECHECK = 1


@pytest.fixture
def quick_server(settings: Settings) -> Iterator[LiveServer]:
    application = create_app(
        dataclasses.replace(settings, limits=Limits(stream_recheck_seconds=RECHECK))
    )
    server = LiveServer(application)
    yield server
    server.stop()
    application.state.db.dispose()


def _signed_in(server: LiveServer, name: str, password: str) -> httpx.Client:
    client = httpx.Client(base_url=server.url, timeout=10)
    page = client.get("/login")
    answer = client.post(
        "/login",
        data={"username": name, "password": password, "csrf_token": csrf_from(page.text)},
    )
    assert answer.status_code == 303
    return client


def _stream(client: httpx.Client, url: str, seconds: float) -> tuple[list[str], bool]:
    """The events' names read within `seconds`, and whether the server ended the stream."""
    names: list[str] = []
    ended = False
    deadline = time.monotonic() + seconds
    with client.stream("GET", url, timeout=httpx.Timeout(seconds + 5)) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        lines = response.iter_lines()
        while time.monotonic() < deadline:
            try:
                line = next(lines)
            except StopIteration:
                ended = True
                break
            if line.startswith("event: "):
                names.append(line[len("event: ") :])
    return names, ended


def _end_sessions_later(db: Database, name: str, after: float) -> threading.Thread:
    def end() -> None:
        time.sleep(after)
        with db.session() as session:
            user = session.scalar(select(StaffUser).where(StaffUser.username == name))
            assert user is not None
            auth.end_user_sessions(session, user)

    thread = threading.Thread(target=end, daemon=True)
    thread.start()
    return thread


def _url(kind: str, db: Database, settings: Settings) -> str:
    if kind == "attendance":
        return f"/c/{REGISTER_SLUG}/attendance/1/events"
    printed = opened_election(db, settings)
    with db.session() as session:
        from ballots.counting import counts
        from ballots.elections import get_election

        count = counts.find_count(session, get_election(session, printed.election_id))
        return f"/c/{REGISTER_SLUG}/counts/{count.id}/events"


@pytest.mark.parametrize("kind", ["attendance", "count"])
def test_a_stream_ends_once_its_session_is_ended_on_the_server(
    quick_server: LiveServer,
    db: Database,
    settings: Settings,
    register: dict[str, Any],
    make_user: Any,
    kind: str,
) -> None:
    url = _url(kind, db, settings)
    client = _signed_in(quick_server, "projector", make_user("projector", "observer"))
    # Left alone, the stream goes on past several re-checks: a live session is let in again.
    names, ended = _stream(client, url, seconds=RECHECK * 2.5)
    assert not ended and names[:1] == [kind]
    # Ended on the server (an administrator's "end all sessions"), the stream says so and stops.
    ender = _end_sessions_later(db, "projector", after=0.5)
    started = time.monotonic()
    names, ended = _stream(client, url, seconds=RECHECK * 6)
    ender.join()
    assert ended, "the stream went on after its session ended"
    assert names[0] == kind and names[-1] == "signed-out"
    assert time.monotonic() - started < RECHECK * 4
    assert client.get(url).status_code == 303  # and a new one is sent to the sign-in page
