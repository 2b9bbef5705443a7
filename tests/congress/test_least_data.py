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
