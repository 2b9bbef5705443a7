"""The gate tells the time of the congress, in the gate's language, wherever the gate's clock is."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from starlette.testclient import TestClient

from congress.db import Database
from congress.models import Congress
from congress.settings import Settings
from scanner.models import Admission
from tests.conftest import login
from tests.scanner.checkin_helpers import open_doors, scan, tokens

URL = "/api/c/dai-hoi-the/scans"


def _admitted_at(db: Database, zone_name: str) -> str:
    with db.session() as session:
        admission = session.scalars(select(Admission)).one()
        return admission.admitted_at.astimezone(ZoneInfo(zone_name)).strftime("%H:%M")


def test_the_answer_tells_the_congress_time_in_the_gate_language(
    client: TestClient, db: Database, settings: Settings, make_user: Any, register: dict[str, Any]
) -> None:
    csrf = login(client, "congvao", make_user("congvao", "checkin"))
    headers = {"x-csrf-token": csrf}
    badges = tokens(db, settings)
    open_doors(db, register["congress_id"])
    first = client.post(URL, json=scan(badges["DB0001"]), headers=headers).json()
    assert first["result"] == "admitted"
    local = _admitted_at(db, "Asia/Ho_Chi_Minh")
    assert first["admitted_at"].endswith("+07:00") and first["admitted_at"][11:16] == local
    again = client.post(URL, json=scan(badges["DB0001"], gate="Cổng B"), headers=headers).json()
    assert again["message"] == f"Đã vào lúc {local}, cổng Cổng A"
    english = client.post(
        URL + "?lang=en", json=scan(badges["DB0001"]), headers=headers | {"accept-language": "en"}
    ).json()
    assert english["message"] == f"Already admitted at {local}, gate Cổng A"
    # The same admission, for a congress meeting in Paris: Paris's clock.
    with db.session() as session:
        congress = session.get(Congress, register["congress_id"])
        assert congress is not None
        congress.time_zone = "Europe/Paris"
    paris = client.post(URL, json=scan(badges["DB0001"]), headers=headers).json()
    assert paris["message"] == f"Đã vào lúc {_admitted_at(db, 'Europe/Paris')}, cổng Cổng A"
    assert paris["admitted_at"][19:] in ("+01:00", "+02:00")


def test_the_offline_gate_shows_the_congress_time_not_the_device_time(
    live_server: Any,
    browser: Any,
    db: Database,
    settings: Settings,
    make_user: Any,
    register: dict[str, Any],
) -> None:
    password = make_user("congvao", "checkin")
    open_doors(db, register["congress_id"])
    badges = tokens(db, settings)
    # A gate laptop whose clock is set to New York: the hall is in Hà Nội.
    context = browser.new_context(timezone_id="America/New_York", locale="en-US")
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/login")
        page.fill("input[name=username]", "congvao")
        page.fill("input[name=password]", password)
        page.click("button[type=submit]")
        # Door staff land on their gate (issue 22).
        page.wait_for_url(f"{live_server.url}/c/dai-hoi-the/gate")
        page.goto(f"{live_server.url}/lang/vi?next=/c/dai-hoi-the/gate")
        page.fill("#gate-name", "Cổng Đông")
        page.dispatch_event("#gate-name", "change")
        page.fill("#wedge", badges["DB0001"])
        page.press("#wedge", "Enter")
        page.wait_for_selector('#result[data-result="admitted"]:not([hidden])')
        local = _admitted_at(db, "Asia/Ho_Chi_Minh")
        # As a gate keeps an admission it made offline: the device's instant, in UTC ("Z").
        page.evaluate(
            """() => {
              const key = "congress-gate-admitted-dai-hoi-the";
              const seen = JSON.parse(localStorage.getItem(key));
              for (const k in seen) seen[k].at = new Date(seen[k].at).toISOString();
              localStorage.setItem(key, JSON.stringify(seen));
            }"""
        )

        context.set_offline(True)
        page.click("#result")
        page.fill("#wedge", badges["DB0001"])
        page.press("#wedge", "Enter")
        page.wait_for_selector('#result[data-result="already_admitted"]:not([hidden])')
        message = page.locator("#result-message").inner_text()
        assert message.startswith(f"Đã vào lúc {local}, cổng Cổng Đông"), message

        # The same gate in English: the same clock, the gate's words.
        context.set_offline(False)
        page.goto(f"{live_server.url}/lang/en?next=/c/dai-hoi-the/gate")
        page.wait_for_selector("#wedge")
        context.set_offline(True)
        page.fill("#wedge", badges["DB0001"])
        page.press("#wedge", "Enter")
        page.wait_for_selector('#result[data-result="already_admitted"]:not([hidden])')
        message = page.locator("#result-message").inner_text()
        assert message.startswith(f"Already admitted at {local}, gate Cổng Đông"), message
    finally:
        context.close()
