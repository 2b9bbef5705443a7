"""The check-in API: every verdict, retries, refusals, and the offline batch."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select
from starlette.testclient import TestClient

from badges.service import reissue, revoke
from badges.token import BadgeToken, sign_badge
from congress import auth, congresses
from congress.db import Database
from congress.keys import generate_private_key
from congress.models import Congress, Delegate
from congress.settings import Settings
from scanner.models import Admission, Scan
from tests.conftest import login
from tests.scanner.checkin_helpers import open_doors, scan, tokens

URL = "/api/c/dai-hoi-the/scans"


def _gate(client: TestClient, make_user: Any) -> dict[str, str]:
    csrf = login(client, "congvao", make_user("congvao", "checkin"))
    return {"x-csrf-token": csrf}


def _count(db: Database, model: Any) -> int:
    with db.session() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_every_verdict(
    client: TestClient, db: Database, settings: Settings, make_user: Any, register: dict[str, Any]
) -> None:
    headers = _gate(client, make_user)
    badges = tokens(db, settings)
    closed = client.post(URL, json=scan(badges["DB0001"]), headers=headers).json()
    assert closed["result"] == "no_sitting_open" and closed["colour"] == "red"
    # Another sitting open while the gate still has the closed one chosen: said so.
    with db.session() as session:
        congress = session.get(Congress, register["congress_id"])
        congresses.add_sitting(
            session, congress, title="Phiên 2", starts_at=dt.datetime(2027, 6, 3), actor="t"
        )
    open_doors(db, register["congress_id"], number=2)
    wrong = client.post(URL, json=scan(badges["DB0001"]), headers=headers).json()
    assert wrong["result"] == "sitting_closed" and wrong["colour"] == "red"
    assert wrong["message"] == "Điểm danh phiên họp này đã đóng; hãy chọn phiên họp đang mở"
    # The interface's language, not the browser's, even on the API the gate page calls.
    english_browser = {**headers, "accept-language": "en-US,en;q=0.9"}
    spoken = client.post(URL + "?lang=vi", json=scan(badges["DB0001"]), headers=english_browser)
    assert spoken.json()["message"] == wrong["message"]
    open_doors(db, register["congress_id"])
    first = client.post(URL, json=scan(badges["DB0001"]), headers=headers).json()
    assert first["result"] == "admitted" and first["colour"] == "green"
    with db.session() as session:
        name = session.scalar(select(Delegate.full_name).where(Delegate.code == "DB0001"))
    assert first["delegate"]["full_name"] == name
    again = client.post(URL, json=scan(badges["DB0001"], gate="Cổng B"), headers=headers).json()
    assert again["result"] == "already_admitted" and again["colour"] == "yellow"
    assert again["admitted_gate"] == "Cổng A" and "Cổng A" in again["message"]
    # A soft-badge link scanned from a phone works like the badge itself.
    link = client.post(
        URL, json=scan(f"{settings.public_url}/b/{badges['DB0002']}"), headers=headers
    ).json()
    assert link["result"] == "admitted"
    with db.session() as session:
        d3 = session.scalar(select(Delegate).where(Delegate.code == "DB0003"))
        reissue(session, d3, "t")
        d4 = session.scalar(select(Delegate).where(Delegate.code == "DB0004"))
        revoke(session, d4, "t")
        congress = congresses.get_congress(session, register["slug"])
        other = congresses.create_congress(
            session,
            slug="khac",
            name="Khác",
            starts_on=dt.date(2027, 1, 1),
            ends_on=dt.date(2027, 1, 1),
            actor="t",
        )
        stranger = sign_badge(generate_private_key(), BadgeToken(congress.id, d3.id, 9))
        elsewhere = sign_badge(generate_private_key(), BadgeToken(other.id, 1, 1))
    replaced = client.post(URL, json=scan(badges["DB0003"]), headers=headers).json()
    assert replaced["result"] == "replaced" and replaced["colour"] == "red"
    assert client.post(URL, json=scan(badges["DB0004"]), headers=headers).json()["result"] == (
        "revoked"
    )
    assert client.post(URL, json=scan(stranger), headers=headers).json()["result"] == "forged"
    assert client.post(URL, json=scan(elsewhere), headers=headers).json()["result"] == (
        "other_congress"
    )
    garbage = client.post(URL, json=scan("https://example.com/not-a-badge"), headers=headers)
    assert garbage.status_code == 200 and garbage.json()["result"] == "malformed"
    truncated = client.post(URL, json=scan(badges["DB0005"][:60]), headers=headers).json()
    assert truncated["result"] == "malformed"
    manual = client.post(
        URL, json=scan(method="manual", text="", delegate_code="DB0006"), headers=headers
    ).json()
    assert manual["result"] == "admitted"
    assert _count(db, Admission) == 3
    assert _count(db, Scan) == 13  # every scan is recorded, refused ones too


def test_retry_answers_the_same_and_counts_once(
    client: TestClient, db: Database, settings: Settings, make_user: Any, register: dict[str, Any]
) -> None:
    headers = _gate(client, make_user)
    open_doors(db, register["congress_id"])
    body = scan(tokens(db, settings)["DB0007"])
    first = client.post(URL, json=body, headers=headers).json()
    retry = client.post(URL, json=body, headers=headers).json()
    assert first["result"] == retry["result"] == "admitted"
    assert retry["replayed"] is True
    assert (_count(db, Admission), _count(db, Scan)) == (1, 1)
    reused = client.post(
        URL, json={**body, "text": tokens(db, settings)["DB0008"]}, headers=headers
    )
    assert reused.status_code == 409
    assert reused.json()["error"]["code"] == "scan_id_reused"
    assert (_count(db, Admission), _count(db, Scan)) == (1, 1)


def test_bad_requests_are_refused_clearly(
    client: TestClient, db: Database, make_user: Any, register: dict[str, Any]
) -> None:
    headers = _gate(client, make_user)
    cases = [
        ({"scan_id": "x"}, "bad_scan_id"),
        (scan("abc", method="telepathy"), "bad_method"),
        (scan("abc", sitting="1"), "bad_sitting"),
        (scan("abc", gate=""), "bad_gate"),
        (scan("", method="camera"), "empty_scan"),
        (scan("A" * 1000), "scan_too_long"),
        (scan("abc", scanned_at="yesterday"), "bad_time"),
        # The calendar's edges: no UTC instant, or none that every zone can show (was a 500).
        (scan("abc", scanned_at="0001-01-01T00:00:00+05:00"), "bad_time"),
        (scan("abc", scanned_at="9999-12-31T23:00:00-05:00"), "bad_time"),
        (scan("abc", scanned_at="0001-01-01T00:00:00"), "bad_time"),
        ([1, 2, 3], "bad_scan"),
    ]
    for body, code in cases:
        response = client.post(URL, json=body, headers=headers)
        assert response.status_code == 400, body
        assert response.json()["error"]["code"] == code
    unknown_sitting = client.post(URL, json=scan("abc", sitting=9), headers=headers)
    assert unknown_sitting.status_code == 404
    not_json = client.post(
        URL, content=b"{nope", headers={**headers, "content-type": "application/json"}
    )
    assert not_json.status_code == 400 and not_json.json()["error"]["code"] == "bad_json"
    huge = client.post(URL, content=b"{" + b" " * 10_000 + b"}", headers=headers)
    assert huge.status_code == 413
    assert _count(db, Scan) == 0


def test_roles_csrf_and_station_tokens(
    client: TestClient, db: Database, settings: Settings, make_user: Any, register: dict[str, Any]
) -> None:
    open_doors(db, register["congress_id"])
    body = scan(tokens(db, settings)["DB0009"])
    assert client.post(URL, json=body).status_code == 401
    login(client, "obs", make_user("obs", "observer"))
    assert client.post(URL, json=body).status_code == 403  # no CSRF token
    csrf = client.get("/").text.split('name="csrf_token" value="')[1].split('"')[0]
    assert client.post(URL, json=body, headers={"x-csrf-token": csrf}).status_code == 403  # role
    client.cookies.clear()
    with db.session() as session:
        _, secret = auth.create_token(session, "cong-a", ["checkin"], "test")
    station = client.post(URL, json=body, headers={"authorization": f"Bearer {secret}"})
    assert station.status_code == 200 and station.json()["result"] == "admitted"


def test_offline_batch_sync(
    client: TestClient, db: Database, settings: Settings, make_user: Any, register: dict[str, Any]
) -> None:
    headers = _gate(client, make_user)
    open_doors(db, register["congress_id"])
    badges = tokens(db, settings)
    queued = [scan(badges[code], gate="Cổng C") for code in ("DB0010", "DB0011", "DB0010")]
    queued.append({"scan_id": "bad"})
    edge = scan(badges["DB0012"], gate="Cổng C", scanned_at="9999-12-31T23:00:00-05:00")
    reply = client.post(URL + "/batch", json={"scans": [*queued, edge]}, headers=headers).json()
    results = [a.get("result") or a["error"]["code"] for a in reply["answers"]]
    # One bad scan is its own answer: the rest of the queue is checked in.
    assert results == ["admitted", "admitted", "already_admitted", "bad_scan_id", "bad_time"]
    # The network dropped before the answer arrived: the gate sends the same queue again.
    again = client.post(URL + "/batch", json={"scans": queued[:3]}, headers=headers).json()
    assert [a["result"] for a in again["answers"]] == ["admitted", "admitted", "already_admitted"]
    assert all(a["replayed"] for a in again["answers"])
    assert (_count(db, Admission), _count(db, Scan)) == (2, 3)
    too_many = client.post(URL + "/batch", json={"scans": [{}] * 501}, headers=headers)
    assert too_many.status_code in (400, 413)


def test_bootstrap_has_what_an_offline_gate_needs(
    client: TestClient, db: Database, settings: Settings, make_user: Any, register: dict[str, Any]
) -> None:
    headers = _gate(client, make_user)
    tokens(db, settings)  # makes the congress key
    open_doors(db, register["congress_id"])
    data = client.get("/api/c/dai-hoi-the/gate/bootstrap", headers=headers).json()
    with db.session() as session:
        congress = congresses.get_congress(session, register["slug"])
        assert data["public_key"] == congress.public_key
        assert data["congress"]["id"] == congress.id
    assert len(data["delegates"]) == 20
    assert data["sittings"] == [{"number": 1, "title": "Phiên trù bị", "open": True}]


def test_unknown_delegate_and_reused_scan_id_are_refused_and_logged(
    client: TestClient,
    db: Database,
    settings: Settings,
    make_user: Any,
    register: dict[str, Any],
    caplog: Any,
) -> None:
    from congress.signing import signing_key

    headers = _gate(client, make_user)
    open_doors(db, register["congress_id"])
    with db.session() as session:
        congress = congresses.get_congress(session, register["slug"])
        # Signed with this congress's own key, for a delegate the register does not hold.
        ghost = sign_badge(
            signing_key(settings, session, congress), BadgeToken(congress.id, 9999, 1)
        )
    unknown = client.post(URL, json=scan(ghost), headers=headers)
    assert unknown.status_code == 200
    assert unknown.json()["result"] == "unknown" and unknown.json()["colour"] == "red"
    assert unknown.json()["delegate"] is None
    first = scan(ghost)
    assert client.post(URL, json=first, headers=headers).json()["result"] == "unknown"
    caplog.clear()
    with caplog.at_level("WARNING", logger="scanner.checkin"):
        reused = client.post(URL, json={**first, "text": "other"}, headers=headers)
        huge = client.post(URL, content=b"[" + b"1," * 5000 + b"1]", headers=headers)
    assert reused.status_code == 409 and reused.json()["error"]["code"] == "scan_id_reused"
    assert huge.status_code == 413 and huge.json()["error"]["code"] == "too_large"
    logged = [r.getMessage() for r in caplog.records if r.name == "scanner.checkin"]
    assert len(logged) == 2
    assert "scan_id_reused" in logged[0] and first["scan_id"] in logged[0]
    assert "too_large" in logged[1]
    with db.session() as session:
        rows = session.scalars(select(Scan).where(Scan.result == "unknown")).all()
    assert len(rows) == 2 and all(r.delegate_id is None for r in rows)
    assert _count(db, Admission) == 0


def test_door_staff_land_on_the_gate_of_the_current_congress(
    client: TestClient, db: Database, make_user: Any, register: dict[str, Any]
) -> None:
    with db.session() as session:
        congresses.create_congress(
            session,
            slug="dai-hoi-cu",
            name="Đại hội nhiệm kỳ trước",
            starts_on=dt.date(2022, 6, 2),
            ends_on=dt.date(2022, 6, 3),
            actor="t",
        )
    login(client, "congvao", make_user("congvao", "checkin"))
    home = client.get("/", follow_redirects=False)
    # The coming congress, not the past one: where the doors will open.
    assert home.status_code == 303 and home.headers["location"] == "/c/dai-hoi-the/gate"
    client.cookies.clear()  # another person on this laptop
    login(client, "btc", make_user("btc", "organizer", "checkin"))
    listed = client.get("/", follow_redirects=False)
    assert listed.status_code == 200 and "Đại hội nhiệm kỳ trước" in listed.text


def test_door_staff_land_on_the_congress_under_way_where_it_takes_place() -> None:
    """At 01:00 in Hà Nội (18:00 UTC the day before) the congress that starts that morning is
    the current one, not yesterday's by the server's UTC calendar."""
    import datetime as dt
    from types import SimpleNamespace

    from congress.views import _current

    def congress(slug: str, first: int, last: int) -> Any:
        return SimpleNamespace(
            slug=slug,
            time_zone="Asia/Ho_Chi_Minh",
            starts_on=dt.date(2027, 6, first),
            ends_on=dt.date(2027, 6, last),
        )

    items = [congress("hom-qua", 1, 2), congress("hom-nay", 3, 4)]
    now = dt.datetime(2027, 6, 2, 18, 0, tzinfo=dt.UTC)
    assert _current(items, now).slug == "hom-nay"
    assert _current(items, now - dt.timedelta(hours=12)).slug == "hom-qua"
