"""One local time: instants stored as aware UTC, each congress's zone, shown in it everywhere."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.exc import StatementError
from starlette.testclient import TestClient

from congress import audit, congresses
from congress.db import Database
from congress.i18n import Translator, iso_local, utc_from_local
from congress.models import AuditEvent, Congress, NaiveDateTime, Sitting
from congress.settings import Settings
from tests.conftest import REGISTER_SLUG, csrf_from, login
from tests.congress.test_cli import run


def test_the_format_is_the_readers_language_in_the_congress_zone() -> None:
    instant = dt.datetime(2026, 12, 2, 4, 17, 3, tzinfo=dt.UTC)
    vi, en = Translator("vi"), Translator("en")
    assert vi.datetime(instant, "Asia/Ho_Chi_Minh") == "02/12/2026 11:17"
    assert vi.datetime(instant, "Asia/Ho_Chi_Minh", "seconds") == "02/12/2026 11:17:03"
    assert vi.datetime(instant, "Europe/Paris") == "02/12/2026 05:17"
    assert en.datetime(instant, "Asia/Ho_Chi_Minh") == "2 Dec 2026, 11:17"
    assert vi.time(instant, "Asia/Ho_Chi_Minh") == "11:17"
    # Late evening in UTC is the next morning in Hà Nội: the date is the local one.
    assert vi.local_date(dt.datetime(2026, 12, 1, 20, 0, tzinfo=dt.UTC), "Asia/Ho_Chi_Minh") == (
        "02/12/2026"
    )
    assert iso_local(instant, "Asia/Ho_Chi_Minh") == "2026-12-02T11:17:03+07:00"
    assert iso_local(instant, "Europe/Paris") == "2026-12-02T05:17:03+01:00"
    assert vi.zone_label("Asia/Ho_Chi_Minh") == "Giờ Việt Nam (UTC+07:00)"
    # A wall time typed by an organizer names the instant of the congress's zone.
    assert utc_from_local(dt.datetime(2026, 12, 2, 8, 0), "Asia/Ho_Chi_Minh") == dt.datetime(
        2026, 12, 2, 1, 0, tzinfo=dt.UTC
    )


def test_the_type_stores_utc_reads_aware_and_refuses_naive(db: Database) -> None:
    with pytest.raises(StatementError) as refused, db.session() as session:
        session.add(AuditEvent(actor="t", action="x", at=dt.datetime(2026, 12, 2, 11, 17)))
        session.flush()
    assert isinstance(refused.value.orig, NaiveDateTime)
    with db.session() as session:
        assert session.scalar(select(AuditEvent)) is None  # nothing half-stored
        hanoi = dt.timezone(dt.timedelta(hours=7))
        audit.record(session, "t", "x")
        session.add(
            AuditEvent(actor="t", action="y", at=dt.datetime(2026, 12, 2, 11, 17, tzinfo=hanoi))
        )
    with db.session() as session:
        rows = {e.action: e.at for e in session.scalars(select(AuditEvent))}
        assert rows["y"] == dt.datetime(2026, 12, 2, 4, 17, tzinfo=dt.UTC)
        assert all(at.utcoffset() == dt.timedelta(0) for at in rows.values())
        # A comparison in SQL goes through the same type: naive is refused there too.
        found = session.scalars(
            select(AuditEvent.action).where(
                AuditEvent.at < dt.datetime(2026, 12, 2, 5, 0, tzinfo=dt.UTC)
            )
        ).all()
        assert found == ["y"]
    # The column itself holds the UTC wall time, as rows of older code do.
    with db.engine.connect() as conn:
        raw = conn.exec_driver_sql("SELECT at FROM audit_events WHERE action = 'y'").scalar()
    assert str(raw).startswith("2026-12-02 04:17:00")


def test_api_times_carry_the_congress_offset(
    client: TestClient, db: Database, register: dict[str, Any], make_user: Any
) -> None:
    csrf = login(client, "bto", make_user("bto", "organizer"))
    headers = {"x-csrf-token": csrf}
    got = client.get(f"/api/congresses/{REGISTER_SLUG}").json()
    assert got["time_zone"] == "Asia/Ho_Chi_Minh"
    # The sitting was entered as 08:00 in the congress's zone.
    assert got["sittings"][0]["starts_at"] == "2027-06-02T08:00:00+07:00"
    made = client.post(
        "/api/congresses",
        json={
            "slug": "paris-2027",
            "name": "Congrès",
            "starts_on": "2027-06-02",
            "time_zone": "Europe/Paris",
        },
        headers=headers,
    )
    assert made.status_code == 201, made.text
    assert made.json()["time_zone"] == "Europe/Paris"
    sitting = client.post(
        "/api/congresses/paris-2027/sittings",
        json={"title": "Ouverture", "starts_at": "2027-06-02T08:00"},
        headers=headers,
    )
    assert sitting.json()["starts_at"] == "2027-06-02T08:00:00+02:00"
    with db.session() as session:
        stored = session.scalars(select(Sitting).where(Sitting.title == "Ouverture")).one()
        assert stored.starts_at == dt.datetime(2027, 6, 2, 6, 0, tzinfo=dt.UTC)
    unknown = client.post(
        "/api/congresses",
        json={
            "slug": "mars-2027",
            "name": "X",
            "starts_on": "2027-06-02",
            "time_zone": "Mars/Base",
        },
        headers=headers,
    )
    assert unknown.status_code == 400
    assert unknown.json()["error"]["code"] == "unknown_time_zone"


def test_the_new_congress_form_sets_the_zone_and_its_page_shows_it(
    client: TestClient, db: Database, make_user: Any
) -> None:
    login(client, "bto", make_user("bto", "organizer"))
    form = client.get("/congresses/new")
    assert 'name="time_zone"' in form.text and 'value="Asia/Ho_Chi_Minh"' in form.text
    created = client.post(
        "/congresses/new",
        data={
            "csrf_token": csrf_from(form.text),
            "name": "Đại hội Pa-ri",
            "slug": "pa-ri",
            "starts_on": "2027-06-02",
            "ends_on": "2027-06-02",
            "time_zone": "Europe/Paris",
        },
        follow_redirects=False,
    )
    assert created.status_code == 303
    sittings = client.get("/c/pa-ri/sittings")
    added = client.post(
        "/c/pa-ri/sittings",
        data={
            "csrf_token": csrf_from(sittings.text),
            "title": "Khai mạc",
            "starts_at": "2027-06-02T08:00",
        },
        follow_redirects=False,
    )
    assert added.status_code == 303
    page = client.get("/c/pa-ri").text
    assert "Giờ Pháp (UTC+0" in page
    # Typed as 08:00 in Paris, shown as 08:00 (stored 06:00 UTC).
    assert "02/06/2027 08:00" in page
    with db.session() as session:
        congress = congresses.get_congress(session, "pa-ri")
        assert congress.time_zone == "Europe/Paris"
        assert congress.sittings[0].starts_at == dt.datetime(2027, 6, 2, 6, 0, tzinfo=dt.UTC)
    refused = client.post(
        "/congresses/new",
        data={
            "csrf_token": csrf_from(form.text),
            "name": "X",
            "slug": "xyz-1",
            "starts_on": "2027-06-02",
            "ends_on": "2027-06-02",
            "time_zone": "Giờ Hà Nội",
        },
    )
    assert refused.status_code == 400 and "không phải là múi giờ" in refused.text


def test_the_command_line_creates_a_congress_in_its_zone(settings: Settings) -> None:
    made = run(
        settings,
        "congresses",
        "create",
        "--slug",
        "paris-2027",
        "--name",
        "Congrès",
        "--starts",
        "02/06/2027",
        "--time-zone",
        "Europe/Paris",
        "--json",
    )
    assert made.exit_code == 0, made.output
    assert json.loads(made.output)["time_zone"] == "Europe/Paris"
    added = run(
        settings,
        "sittings",
        "add",
        "--congress",
        "paris-2027",
        "--title",
        "Ouverture",
        "--starts",
        "2027-06-02 08:00",
    )
    assert added.exit_code == 0, added.output
    from congress.db import Database

    db = Database(settings)
    with db.session() as session:
        congress = session.scalars(select(Congress).where(Congress.slug == "paris-2027")).one()
        assert congress.sittings[0].starts_at == dt.datetime(2027, 6, 2, 6, 0, tzinfo=dt.UTC)
    db.dispose()
    listed = run(settings, "congresses", "list")
    assert "Europe/Paris" in listed.output


def test_a_wall_time_at_the_edge_of_the_calendar_is_refused(
    client: TestClient, register: dict[str, Any], make_user: Any
) -> None:
    csrf = login(client, "bto", make_user("bto", "organizer"))
    for starts_at in ("0001-01-01T00:00", "9999-12-31T23:59:00-12:00", "0001-01-01T03:00+00:00"):
        refused = client.post(
            f"/api/congresses/{REGISTER_SLUG}/sittings",
            json={"title": "Xa", "starts_at": starts_at},
            headers={"x-csrf-token": csrf},
        )
        assert refused.status_code == 400, (starts_at, refused.text)
        assert refused.json()["error"]["code"] == "bad_date"
