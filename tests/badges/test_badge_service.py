"""Every verdict of a scanned badge against the register, and the congress key it relies on."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select

from badges.service import check_badge, issue_token, reissue, revoke
from badges.token import BadgeToken, sign_badge
from congress import congresses
from congress.db import Database
from congress.keys import generate_private_key
from congress.models import Congress, Delegate
from congress.settings import Settings


def _delegate(session: Any, code: str) -> Delegate:
    found = session.scalar(select(Delegate).where(Delegate.code == code))
    assert found is not None
    return found


def test_valid_then_replaced_then_revoked(
    settings: Settings, db: Database, register: dict[str, Any]
) -> None:
    with db.session() as session:
        congress = session.get(Congress, register["congress_id"])
        delegate = _delegate(session, "DB0003")
        first = issue_token(settings, session, delegate)
        answer = check_badge(session, congress, first)
        assert answer.verdict.code == "valid"
        assert answer.delegate is not None and answer.delegate.code == "DB0003"
        assert reissue(session, delegate, "t", "lost") == 2
        second = issue_token(settings, session, delegate)
        old = check_badge(session, congress, first).verdict
        assert old.code == "replaced"
        assert old.replaced_at is not None
        assert old.replaced_at.date() == dt.datetime.now(dt.UTC).date()
        assert check_badge(session, congress, second).verdict.code == "valid"
        revoke(session, delegate, "t", "withdrawn")
        assert check_badge(session, congress, second).verdict.code == "revoked"
        assert check_badge(session, congress, first).verdict.code == "revoked"


def test_forged_unknown_other_congress_and_garbage(
    settings: Settings, db: Database, register: dict[str, Any]
) -> None:
    with db.session() as session:
        congress = session.get(Congress, register["congress_id"])
        token = issue_token(settings, session, _delegate(session, "DB0001"))
        # One character changed: the signature no longer verifies.
        flipped = token[:40] + ("A" if token[40] != "A" else "B") + token[41:]
        assert check_badge(session, congress, flipped).verdict.code in ("forged", "malformed")
        # Signed with a key that is not the congress's.
        stranger = sign_badge(generate_private_key(), BadgeToken(congress.id, 1, 1))
        assert check_badge(session, congress, stranger).verdict.code == "forged"
        # Genuinely signed, but no such delegate in this congress.
        key = __import__("congress.signing", fromlist=["x"]).signing_key(
            settings, session, congress
        )
        ghost = sign_badge(key, BadgeToken(congress.id, 999_999, 1))
        assert check_badge(session, congress, ghost).verdict.code == "unknown"
        other = congresses.create_congress(
            session,
            slug="dai-hoi-khac",
            name="Đại hội khác",
            starts_on=dt.date(2027, 1, 1),
            ends_on=dt.date(2027, 1, 1),
            actor="t",
        )
        assert check_badge(session, other, token).verdict.code == "other_congress"
        for text in ("", "hello", "D1" + "A" * 10, "x" * 5000):
            assert check_badge(session, congress, text).verdict.code == "malformed"


def test_a_congress_that_never_signed_refuses_everything(
    db: Database, register: dict[str, Any]
) -> None:
    with db.session() as session:
        congress = session.get(Congress, register["congress_id"])
        assert congress.public_key is None
        forged = sign_badge(generate_private_key(), BadgeToken(congress.id, 1, 1))
        assert check_badge(session, congress, forged).verdict.code == "forged"
