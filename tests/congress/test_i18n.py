"""Both interface languages render; every message of the catalog has its Vietnamese text."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from babel.messages.pofile import read_po
from starlette.testclient import TestClient

from congress.i18n import LOCALE_DIR, negotiate, translator
from tests.conftest import login

ROOT = Path(__file__).resolve().parents[2]


def _translated(string: object) -> bool:
    """A plural message's translation is a tuple of forms: translated when every form is."""
    if isinstance(string, tuple | list):
        return all(string)
    return bool(string)


def test_every_extracted_message_has_a_vietnamese_translation() -> None:
    sys.path.insert(0, str(ROOT / "scripts"))
    from i18n import extract  # type: ignore[import-not-found]

    with (LOCALE_DIR / "vi" / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        catalog = read_po(fh, locale="vi")
    translated = {m.id: m.string for m in catalog if m.id and _translated(m.string)}
    missing = [m.id for m in extract() if m.id and m.id not in translated]
    assert missing == [], "run scripts/i18n.py and translate these"


def test_placeholders_survive_translation() -> None:
    with (LOCALE_DIR / "vi" / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        catalog = read_po(fh, locale="vi")

    def names(text: str) -> set[str]:
        return set(re.findall(r"%\((\w+)\)s", text))

    for m in catalog:
        if not (m.id and _translated(m.string)):
            continue
        if isinstance(m.id, str):
            assert names(m.id) == names(str(m.string)), m.id
        else:  # plural: every Vietnamese form says what the plural English form says
            for form in m.string:
                assert names(m.id[1]) == names(form), m.id


def test_negotiation_defaults_to_vietnamese() -> None:
    assert negotiate(None, None, None, "vi") == "vi"
    assert negotiate("en", "vi", None, "vi") == "en"
    assert negotiate(None, "en", "vi", "vi") == "en"
    assert negotiate(None, None, "fr-FR, en;q=0.5", "vi") == "en"
    assert negotiate("xx", None, None, "vi") == "vi"


def test_locale_formatting() -> None:
    assert translator("vi").number(1234567.5, 2) == "1.234.567,50"
    assert translator("en").number(1234567.5, 2) == "1,234,567.50"


def test_both_languages_render(client: TestClient, make_user) -> None:  # type: ignore[no-untyped-def]
    login(client, "org", make_user("org", "organizer"))
    vi = client.get("/")
    assert '<html lang="vi">' in vi.text and "Các đại hội" in vi.text and "Đăng xuất" in vi.text
    switched = client.get("/lang/en?next=/", follow_redirects=False)
    assert switched.status_code == 303 and switched.headers["location"] == "/"
    en = client.get("/")
    assert '<html lang="en">' in en.text and "Congresses" in en.text and "Sign out" in en.text
    assert "Các đại hội" not in en.text
    back = client.get("/?lang=vi")
    assert "Các đại hội" in back.text
    # An unsafe redirect target is ignored.
    evil = client.get("/lang/vi?next=//evil.example/", follow_redirects=False)
    assert evil.headers["location"] == "/"
