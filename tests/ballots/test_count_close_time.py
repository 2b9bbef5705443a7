"""One local time: a count's close time reads the same on every page, PDF and export."""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any
from zoneinfo import ZoneInfo

import pypdfium2
import pytest
from openpyxl import load_workbook
from starlette.testclient import TestClient

from ballots.counting import counts
from ballots.models import Count, Election
from congress import auth
from congress.db import Database
from congress.models import Congress
from congress.settings import Settings
from tests.ballots.count_helpers import as_json, fake_image, printed_election, reading
from tests.conftest import REGISTER_SLUG, login


def _pdf_text(data: bytes) -> str:
    document = pypdfium2.PdfDocument(data)
    try:
        return "\n".join(page.get_textpage().get_text_range() for page in document)
    finally:
        document.close()


def _squeezed(text: str) -> str:
    # A PDF's text may break a line anywhere between words.
    return re.sub(r"\s+", " ", text)


@pytest.mark.parametrize("zone_name", ["Asia/Ho_Chi_Minh", "Europe/Paris"])
def test_the_close_time_is_the_congress_local_time_everywhere(
    app: Any,
    db: Database,
    settings: Settings,
    register: dict[str, Any],
    make_user: Any,
    zone_name: str,
) -> None:
    with db.session() as session:
        congress = session.get(Congress, register["congress_id"])
        assert congress is not None
        congress.time_zone = zone_name
    printed = printed_election(db, settings, ballots=2)
    eid = printed.election_id
    with db.session() as session:
        election = session.get(Election, eid)
        assert election is not None
        opened = counts.open_count(
            session, election, members=["A", "B"], issued=2, collected=2, actor="t"
        )
        count_id = opened.id
        _, token = auth.create_token(session, "tram", ["counting"], "t")
    password = make_user("ana", "counting")
    base = f"/c/{REGISTER_SLUG}/counts/{count_id}"
    with TestClient(app, base_url="http://testserver") as client:
        for serial in ("AAAAAAAAAA", "BBBBBBBBBB"):
            image = fake_image(serial)
            sent = client.post(
                f"/api/elections/{eid}/ballots",
                headers={"authorization": f"Bearer {token}"},
                files={"image": ("s.png", image, "image/png")},
                data={
                    "reading": as_json(
                        reading(printed, serial, {"c003.strike", "c004.strike"}, image=image)
                    ),
                    "station": "Bàn 1",
                },
            )
            assert sent.status_code == 201, sent.text
        csrf = login(client, "ana", password)
        closed = client.post(base + "/close", data={"csrf_token": csrf})
        assert closed.status_code == 200, closed.text
        with db.session() as session:
            row = session.get(Count, count_id)
            assert row is not None and row.closed_at is not None
            closed_at = row.closed_at
        # The type gives the instant back aware, in UTC.
        assert closed_at.utcoffset() == dt.timedelta(0)
        local = closed_at.astimezone(ZoneInfo(zone_name))
        expected = local.strftime("%d/%m/%Y %H:%M")
        utc_clock = closed_at.strftime("%H:%M")
        assert utc_clock != local.strftime("%H:%M")  # both zones are away from UTC

        count_page = client.get(base).text
        public_page = TestClient(app).get(base + "/public").text
        minutes = _squeezed(_pdf_text(client.get(base + "/minutes.pdf").content))
        log_pdf = _squeezed(_pdf_text(client.get(base + "/entry-log.pdf").content))
        book = load_workbook(io.BytesIO(client.get(base + "/entry-log.xlsx").content))
        log_cells = [str(c) for r in book.active.iter_rows(values_only=True) for c in r if c]  # type: ignore[union-attr]
        api = client.get(f"/api/counts/{count_id}").json()

    assert f"ana kết thúc lúc {expected}" in count_page
    assert f"Kết thúc kiểm phiếu lúc {expected}" in public_page
    time_, date = local.strftime("%H:%M"), local.strftime("%d/%m/%Y")
    assert f"Kiểm phiếu kết thúc lúc {time_} ngày {date}." in minutes
    assert f"Kết thúc kiểm phiếu lúc {expected}" in log_pdf
    assert f"Kết thúc kiểm phiếu lúc {expected}" in log_cells
    for text in (count_page, public_page, minutes, log_pdf):
        assert f"lúc {utc_clock}" not in text
    # The API: ISO 8601 with the offset of the congress's zone, the same instant.
    sent_at = dt.datetime.fromisoformat(api["count"]["closed_at"])
    assert sent_at == closed_at.replace(microsecond=0)
    offset = local.strftime("%z")
    assert api["count"]["closed_at"].endswith(f"{offset[:3]}:{offset[3:]}")
