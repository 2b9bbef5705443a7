"""The world the abuse suite attacks: a congress with delegates, a document open for comments,
an election with printed ballots and an open count holding one scanned ballot, and a client for
every kind of caller (each staff role signed in, station tokens, a delegate's phone, nobody)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from argon2 import PasswordHasher
from sqlalchemy import inspect, select, text
from starlette.testclient import TestClient

from badges.service import issue_token
from ballots.counting import closing, counts, review
from ballots.elections import create_election, get_election, import_candidates
from ballots.models import CountedBallot, PrintRun
from congress import auth, congresses
from congress.app import create_app
from congress.db import Database
from congress.models import Delegate
from congress.settings import Settings
from docs_portal.comments import add_comment
from docs_portal.models import Document
from tests.ballots.count_helpers import CANDIDATES, opened_election, printed_election, scans
from tests.conftest import REGISTER_SLUG, add_register, csrf_from, login
from tests.docs_portal.portal_helpers import add_document

STAFF_ROLES = ("organizer", "observer", "checkin", "counting", "admin")
TOKEN_ROLES = ("checkin", "counting")

# Rows a refused request may rightly leave behind: the session's last use, and the evidence of
# a failed sign-in (the login limits count it). Everything else must be exactly as before.
ALLOWED_WRITES = {
    "web_sessions": None,
    "alembic_version": None,
    "audit_events": "action <> 'login.failed'",
}


@dataclass
class Caller:
    name: str
    client: TestClient
    csrf: str = ""
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class World:
    settings: Settings
    db: Database
    app: Any
    callers: dict[str, Caller]
    ids: dict[str, list[int]]  # path parameter name -> ids that exist
    slug: str
    tables: list[str]
    words: dict[str, str]  # path parameter name -> a text value that exists

    def digest(self) -> str:
        """One hash of every row of every table but the allowed writes."""
        hashed = hashlib.sha256()
        with self.db.engine.connect() as conn:
            for table in self.tables:
                where = ALLOWED_WRITES.get(table, "")
                if table in ALLOWED_WRITES and where is None:
                    continue
                query = f'SELECT * FROM "{table}"' + (f" WHERE {where}" if where else "")
                rows = sorted(repr(tuple(row)) for row in conn.execute(text(query)))
                hashed.update(table.encode() + b"\0" + "\n".join(rows).encode() + b"\1")
        return hashed.hexdigest()

    def close(self) -> None:
        for caller in self.callers.values():
            caller.client.close()
        self.app.state.db.dispose()


def _client(app: Any) -> TestClient:
    return TestClient(app, base_url="http://testserver", raise_server_exceptions=False)


def cheap_passwords(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2 at its lightest for the suite's own accounts: thousands of requests sign in and
    fail to sign in, and the server's real cost (about a second a hash here) is not under test."""
    light = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(auth, "_hasher", light)
    monkeypatch.setattr(auth, "_DUMMY_HASH", light.hash("not a real password"))


def build_world(settings: Settings, db: Database) -> Iterator[World]:
    add_register(db)
    with db.session() as session:
        congress = congresses.get_congress(session, REGISTER_SLUG)
        congress_id = congress.id
    document_id = add_document(
        db,
        settings,
        congress_id,
        "Dự thảo nghị quyết",
        ["Nghị quyết về công tác thanh niên"],
        visibility="delegates",
        group="resolutions",
        comments_open=True,
    )
    printed = opened_election(db, settings, ballots=3)
    with db.session() as session:
        election = get_election(session, printed.election_id)
        count = counts.find_count(session, election)
        count_id = count.id
        run_id = session.scalars(select(PrintRun.id)).first()
        for role in STAFF_ROLES:
            auth.add_user(session, f"u-{role}", [role], "correct horse 1", "t")
        secrets = {
            role: auth.create_token(session, f"token-{role}", [role], "t")[1]
            for role in TOKEN_ROLES
        }
        delegate = session.query(Delegate).order_by(Delegate.code).first()
        assert delegate is not None
        badge = issue_token(settings, session, delegate)
        delegate_id = delegate.id

    app = create_app(settings)
    callers: dict[str, Caller] = {"nobody": Caller("nobody", _client(app))}
    for role in STAFF_ROLES:
        client = _client(app)
        csrf = login(client, f"u-{role}", "correct horse 1")
        callers[role] = Caller(role, client, csrf, {"x-csrf-token": csrf})
    for role, secret in secrets.items():
        callers[f"token-{role}"] = Caller(
            f"token-{role}", _client(app), headers={"authorization": f"Bearer {secret}"}
        )
    phone = _client(app)
    enter = f"/p/{REGISTER_SLUG}/enter/{badge}"
    signed = phone.post(
        enter, data={"csrf_token": csrf_from(phone.get(enter).text)}, follow_redirects=False
    )
    assert signed.status_code == 303
    page = phone.get(f"/p/{REGISTER_SLUG}")
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    callers["delegate"] = Caller("delegate", phone, found.group(1) if found else "")

    # Ballots in the count: one the reader doubts (awaiting a decision), one the committee
    # decided (awaiting the second member), one valid; so that every review form is on a page.
    counting = callers["counting"]
    circled = {"c001.strike": "circle", "c002.strike": "strike", "c003.strike": "strike"}
    images = scans(printed, [circled, circled, {"c003.strike": "strike", "c004.strike": "strike"}])
    uploaded = counting.client.post(
        f"/c/{REGISTER_SLUG}/counts/{count_id}/scans",
        data={"csrf_token": counting.csrf},
        files=[("scans", (f"scan-{i}.png", data, "image/png")) for i, data in enumerate(images)],
    )
    assert uploaded.status_code == 200
    with db.write_session() as session:
        ballot_ids = sorted(session.scalars(select(CountedBallot.id)))
        count = counts.get_count(session, count_id)
        review.decide(
            session,
            count,
            ballot_ids[1],
            status="invalid",
            reason="other",
            marks={},
            note="Phiếu rách",
            actor="another-member",
        )
    # Elections in every other state: printed but not counted, not printed, counted and closed.
    waiting = printed_election(db, settings, ballots=1).election_id
    closed = printed_election(db, settings, ballots=1).election_id
    with db.write_session() as session:
        congress = congresses.get_congress(session, REGISTER_SLUG)
        unprinted = create_election(
            session, congress, title="Bầu Ủy ban Kiểm tra", form="strike", seats=1, actor="t"
        )
        import_candidates(session, unprinted, CANDIDATES.encode(), "t")
        unprinted_id = unprinted.id
        finished = counts.open_count(
            session,
            get_election(session, closed),
            members=["Nguyễn Văn Một", "Trần Thị Hai"],
            issued=1,
            collected=0,
            actor="t",
        )
        closing.close_count(session, finished, "Không thu được phiếu nào", "t")
        closed_count = finished.id
        document = session.get(Document, document_id)
        reader = session.get(Delegate, delegate_id)
        assert document is not None and reader is not None
        comment_ids = [add_comment(session, document, reader, "Đề nghị sửa Điều 2", 1).id]
    ids = {
        "document_id": [document_id],
        "version": [1],
        "page": [1],
        "comment_id": comment_ids,
        "election_id": [printed.election_id, waiting, unprinted_id, closed],
        "run_id": [run_id],
        "count_id": [count_id, closed_count],
        "ballot_id": ballot_ids,
        "number": [1],
        "delegate_id": [delegate_id],
    }
    words = {"token": badge}
    tables = sorted(inspect(db.engine).get_table_names())
    world = World(settings, db, app, callers, ids, REGISTER_SLUG, tables, words)
    try:
        yield world
    finally:
        world.close()
