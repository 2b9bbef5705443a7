"""Least data: a delegate's birth date, phone and email reach only organizers and admins."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from congress import auth
from congress.db import Database
from congress.i18n import translator
from congress.models import Delegate
from tests.conftest import login

PERSONAL = ("birth_date", "phone", "email")


def _someone_born(db: Database) -> tuple[str, dt.date]:
    with db.session() as session:
        delegate = session.scalars(
            select(Delegate).where(Delegate.birth_date.is_not(None)).order_by(Delegate.code)
        ).first()
        assert delegate is not None and delegate.birth_date is not None
        return delegate.code, delegate.birth_date


def _shown_dates(born: dt.date) -> list[str]:
    # However the page writes a date, in either language.
    return [translator(lang).date(born) for lang in ("vi", "en")] + [born.isoformat()]


@pytest.mark.parametrize(
    ("role", "sees"),
    [
        ("organizer", True),
        ("admin", True),
        ("checkin", False),
        ("observer", False),
        ("counting", False),
    ],
)
def test_delegates_page_and_api_by_role(
    client: TestClient,
    db: Database,
    make_user: Any,
    register: dict[str, Any],
    role: str,
    sees: bool,
) -> None:
    code, born = _someone_born(db)
    login(client, f"u-{role}", make_user(f"u-{role}", role))
    page = client.get(f"/c/{register['slug']}/delegates", params={"q": code})
    assert page.status_code == 200 and code in page.text
    assert any(text in page.text for text in _shown_dates(born)) is sees
    api = client.get(f"/api/congresses/{register['slug']}/delegates", params={"q": code})
    assert api.status_code == 200
    (found,) = api.json()["delegates"]
    assert found["code"] == code
    # What every staff role sees of a delegate: enough to recognise them.
    assert {"full_name", "delegation", "kind"} <= found.keys()
    if sees:
        assert found["birth_date"] == born.isoformat()
    else:
        assert not set(PERSONAL) & found.keys()
        assert born.isoformat() not in api.text


@pytest.mark.parametrize(("role", "sees"), [("organizer", True), ("checkin", False)])
def test_delegates_api_by_token_role(
    client: TestClient, db: Database, register: dict[str, Any], role: str, sees: bool
) -> None:
    code, born = _someone_born(db)
    with db.session() as session:
        _, secret = auth.create_token(session, f"gate-{role}", [role], "test")
    api = client.get(
        f"/api/congresses/{register['slug']}/delegates",
        params={"q": code},
        headers={"authorization": f"Bearer {secret}"},
    )
    assert api.status_code == 200
    (found,) = api.json()["delegates"]
    assert ("birth_date" in found) is sees
    assert (born.isoformat() in api.text) is sees


def test_the_gate_sees_name_delegation_kind_and_photo_only(
    client: TestClient, db: Database, settings: Any, make_user: Any, register: dict[str, Any]
) -> None:
    # The gate's offline register and each scan's answer: enough to recognise the delegate.
    from tests.scanner.checkin_helpers import open_doors, scan, tokens

    csrf = login(client, "congvao", make_user("congvao", "checkin"))
    headers = {"x-csrf-token": csrf}
    badges = tokens(db, settings)
    open_doors(db, register["congress_id"])
    _, born = _someone_born(db)
    boot = client.get(f"/api/c/{register['slug']}/gate/bootstrap", headers=headers)
    assert boot.status_code == 200 and born.isoformat() not in boot.text
    for person in boot.json()["delegates"].values():
        assert {"full_name", "delegation", "kind"} <= person.keys()
        assert not set(PERSONAL) & person.keys()
    answer = client.post(
        f"/api/c/{register['slug']}/scans", json=scan(badges["DB0001"]), headers=headers
    ).json()
    assert answer["result"] == "admitted", answer
    assert set(answer["delegate"]) == {"id", "code", "full_name", "delegation", "kind", "has_photo"}
