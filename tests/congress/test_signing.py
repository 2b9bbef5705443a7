"""The congress key is created once, registered in the database, and never silently replaced."""

from __future__ import annotations

import pytest

from congress import congresses, keys
from congress.db import Database
from congress.errors import CongressError
from congress.settings import Settings
from congress.signing import key_path, public_key, public_keys, signing_key


def _congress(session):  # type: ignore[no-untyped-def]
    import datetime as dt

    return congresses.create_congress(
        session,
        slug="dai-hoi",
        name="Đại hội",
        starts_on=dt.date(2027, 1, 5),
        ends_on=dt.date(2027, 1, 6),
        actor="t",
    )


def test_key_is_created_once_and_registered(settings: Settings, db: Database) -> None:
    with db.session() as session:
        congress = _congress(session)
        assert public_key(congress) is None
        first = signing_key(settings, session, congress)
        again = signing_key(settings, session, congress)
        assert keys.public_key_b64(first) == keys.public_key_b64(again) == congress.public_key
        assert keys.public_key_b64(public_keys(session)[congress.id]) == congress.public_key
        assert key_path(settings, congress).stat().st_mode & 0o077 == 0


def test_missing_or_foreign_key_file_is_refused(settings: Settings, db: Database) -> None:
    with db.session() as session:
        congress = _congress(session)
        signing_key(settings, session, congress)
        session.flush()
        path = key_path(settings, congress)
        path.unlink()
        with pytest.raises(CongressError) as missing:
            signing_key(settings, session, congress)
        assert missing.value.code == "signing_key_elsewhere"
        assert not path.exists()
        path.write_bytes(keys.private_key_bytes(keys.generate_private_key()))
        with pytest.raises(CongressError) as other:
            signing_key(settings, session, congress)
        assert other.value.code == "signing_key_mismatch"
