"""Every page of the app, in Vietnamese, as every role: no English word of the interface on it.

A congress like the demo's is built once (sittings, a register, badges replaced and revoked, a
published document with a comment, open doors, an election printed and its count with a ballot
to review), then every GET route of the app is asked for, with its path parameters filled from
that congress, by each staff role, by a delegate's phone and by nobody signed in. Each HTML
answer's visible text (and the text of placeholders, titles, labels and button values) is split
into words; a word is English when the catalog's English messages use it and no Vietnamese
translation does (so "in" of "In thẻ" is not English), unless it is a name, a code or a brand
of the allow-list below. The congress is built on SQLite only: what is checked here is the
text of the pages, which no database changes.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import html as html_lib
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from babel.messages.pofile import read_po
from starlette.routing import Route
from starlette.testclient import TestClient

from congress.i18n import LOCALE_DIR
from tests.conftest import csrf_from, login, make_settings

SLUG = "dai-hoi-kiem-tra"
# Names, codes and brands a Vietnamese page rightly shows as they are.
ALLOWED = {
    "english",  # the language switch names the other language in its own words
    "pdf", "csv", "xlsx", "zip", "json", "qr", "png", "jpeg", "tiff", "webp", "usb", "dpi",
    "merkle", "sha", "ed", "base", "libreoffice", "word", "opendocument", "docx", "odt",
    "camera", "email", "congress",  # "congress" only in the command names (`congress init`)
    "mm", "utf",  # units and encodings: "54 mm", "UTF-8"
    "android", "iphone",  # the soft badge's install hint names the phones
    "enter",  # the key's name, as printed on Vietnamese keyboards ("nhấn Enter")
}  # fmt: skip
# The staff accounts of the walk, named as the demo names them (a user name is data).
USERS = {"admin": "quantri", "organizer": "bantochuc", "checkin": "congvao",
         "counting": "kiemphieu", "observer": "quansat"}  # fmt: skip
# English words of an interface that the catalog's messages may not hold.
EXTRA_ENGLISH = {
    "offline", "online", "loading", "error", "submit", "cancel", "undefined", "null", "true",
    "false", "none", "nan", "ok", "yes", "no", "back", "next", "previous", "close", "open",
}  # fmt: skip
WORD = re.compile(r"[A-Za-zÀ-ỹĐđ]+(?:'[a-z]+)?")
SKIPPED_TEXT = re.compile(r"(?:https?://|/)\S+|\S+@\S+|\b\w*[\d_]\w*\b")
ATTRIBUTES = ("placeholder", "title", "aria-label", "alt", "data-done", "data-failed")


class VisibleText(HTMLParser):
    """The text a person reads on a page: text nodes outside scripts and styles, the title,
    and the attributes read aloud or shown (placeholders, titles, labels, button values)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "svg", "template"):
            self._hidden += 1
        values = dict(attrs)
        for name in ATTRIBUTES:
            if values.get(name):
                self.parts.append(str(values[name]))
        if tag == "input" and values.get("type") in ("submit", "button") and values.get("value"):
            self.parts.append(str(values["value"]))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "svg", "template") and self._hidden:
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def visible_text(page: str) -> str:
    parser = VisibleText()
    parser.feed(page)
    return html_lib.unescape("\n".join(parser.parts))


def _words(text: str) -> set[str]:
    return {w.lower() for w in WORD.findall(SKIPPED_TEXT.sub(" ", text))}


def english_words() -> frozenset[str]:
    """The words of the catalog's English messages that no Vietnamese translation uses itself."""
    with (LOCALE_DIR / "vi" / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        catalog = read_po(fh, locale="vi")
    english: set[str] = set(EXTRA_ENGLISH)
    vietnamese: set[str] = set()
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        said = set().union(*(_words(re.sub(r"%\(\w+\)s", " ", m)) for m in ids))
        english |= said
        for string in strings:
            vietnamese |= _words(re.sub(r"%\(\w+\)s", " ", string or "")) - said
    ascii_only = {w for w in english if w.isascii() and len(w) > 1}
    return frozenset(ascii_only - vietnamese - ALLOWED)


def english_on(text: str, english: frozenset[str], data_words: set[str]) -> list[str]:
    return sorted(w for w in _words(text) if w in english and w not in data_words)


def test_the_detector_finds_english_and_passes_vietnamese() -> None:
    english = english_words()
    page = '<p title="Mở">Đăng xuất</p><button>Sign out</button><script>var offline</script>'
    assert english_on(visible_text(page), english, set()) == ["out", "sign"]
    assert english_on("In thẻ đại biểu · Tải tệp PDF · Ban Tổ chức", english, set()) == []
    assert english_on("offline", english, set()) == ["offline"]
    assert english_on("CONGRESS_PUBLIC_URL http://127.0.0.1:8000 DB0001", english, set()) == []


# --- the congress the pages are walked on ------------------------------------------------------


@dataclasses.dataclass
class Walk:
    app: Any
    params: dict[str, str]
    passwords: dict[str, str]
    portal_link: str  # the soft badge's sign-in link of a delegate
    data_words: set[str]


def _build(home: Path) -> Walk:
    from badges.cards import badge_links, select_delegates
    from badges.service import change_badge, issue_token
    from ballots.counting import counts
    from ballots.elections import Rules, create_election, import_candidates, print_ballots
    from congress import auth, congresses
    from congress.app import create_app
    from congress.db import Database, upgrade
    from congress.delegate_edit import DelegateForm, edit_delegate
    from congress.delegate_import import import_delegates
    from congress.demo_data import delegate_rows, rows_to_csv
    from congress.models import Delegate
    from congress.storage import FileStore
    from docs_portal import comments
    from docs_portal import documents as docs
    from scanner.checkin import set_doors
    from tests.ballots.count_helpers import CANDIDATES, Printed, as_json, fake_image, reading
    from tests.docs_portal.portal_helpers import pdf_with

    settings = make_settings("sqlite", home)
    settings.home.mkdir(parents=True)
    upgrade(settings)
    db = Database(settings)
    passwords = {}
    with db.session() as session:
        for role in ("admin", "organizer", "checkin", "counting", "observer"):
            passwords[role] = auth.generate_password()
            auth.add_user(session, USERS[role], [role], passwords[role], "t")
        congress = congresses.create_congress(
            session,
            slug=SLUG,
            name="Đại hội đại biểu Đoàn TNCS Hồ Chí Minh Thành phố Hà Nội lần thứ XVII",
            organisation="Đoàn TNCS Hồ Chí Minh Thành phố Hà Nội",
            starts_on=dt.date(2027, 11, 20),
            ends_on=dt.date(2027, 11, 21),
            venue="Cung Văn hóa Hữu nghị Việt Xô, Hà Nội",
            actor="t",
        )
        for title, day in (("Phiên thứ nhất: khai mạc, bầu Ban Chấp hành", 20),
                           ("Phiên bế mạc", 21)):  # fmt: skip
            congresses.add_sitting(
                session, congress, title=title, starts_at=dt.datetime(2027, 11, day, 8), actor="t"
            )
        import_delegates(session, congress, rows_to_csv(delegate_rows(12, seed=5)), actor="t")
    with db.session() as session:
        congress = congresses.get_congress(session, SLUG)
        badge_links(settings, session, congress, select_delegates(session, congress), "t")
        change_badge(session, congress, "DB0002", "reissue", "t", "mất thẻ")
        change_badge(session, congress, "DB0003", "revoke", "t", "không dự")
        first = session.query(Delegate).filter_by(code="DB0001").one()
        form = DelegateForm.from_delegate(first)
        form.values["position"] = "Bí thư Đoàn phường"
        edit_delegate(session, congress, first, form, personal=True, actor="t")
        delegate_id = first.id
        portal_token = issue_token(settings, session, session.query(Delegate).filter_by(
            code="DB0004").one())  # fmt: skip
        set_doors(session, congress.sittings[0], True, "t")
    pdf = pdf_with(["Chương trình đại hội\nKhai mạc lúc 8 giờ"])
    prepared = docs.prepare_upload(settings, pdf, "chuong-trinh.pdf")
    with db.write_session() as session:
        congress = congresses.get_congress(session, SLUG)
        document = docs.create_document(
            session,
            FileStore(settings.files_dir),
            congress,
            docs.DocumentFields(title="Dự thảo nghị quyết", comments_open=True),
            prepared,
            "t",
        )
        delegate = session.query(Delegate).filter_by(code="DB0004").one()
        comments.add_comment(session, document, delegate, "Đề nghị bổ sung mục tiêu.", 1)
        document_id = document.id
    with db.session() as session:
        congress = congresses.get_congress(session, SLUG)
        election = create_election(
            session, congress, title="Bầu Ban Chấp hành khóa XVIII", form="strike", seats=2,
            actor="t", sitting_number=1, rules=Rules(seal_required=False),
        )  # fmt: skip
        import_candidates(session, election, CANDIDATES.encode(), "t")
        printed = print_ballots(settings, session, election, 3, "t")
        run_id = printed.run.id
        count = counts.open_count(
            session, election, members=["Nguyễn Văn Một", "Trần Thị Hai"], issued=3,
            collected=3, actor="t",
        )  # fmt: skip
        election_id, count_id = election.id, count.id
        _, station = auth.create_token(session, "tram", ["counting"], "t")
    app = create_app(settings)
    ballot = Printed(election_id, printed.layout, printed.pdf)
    with TestClient(app) as client:
        image = fake_image("doubtful")
        body = reading(ballot, "AAAAAAAAAA", {"c003.strike"}, image=image, status="review",
                       ambiguous={"c004.strike"})  # fmt: skip
        sent = client.post(
            f"/api/elections/{election_id}/ballots",
            headers={"authorization": f"Bearer {station}"},
            files={"image": ("s.png", image, "image/png")},
            data={"reading": as_json(body), "station": "Bàn 1"},
        )
        assert sent.status_code == 201, sent.text
        ballot_id = sent.json()["ballot_id"]
    with db.session() as session:
        texts = [d.full_name + " " + d.delegation.name + " " + (d.position or "") + " "
                 + (d.unit or "") for d in session.query(Delegate)]  # fmt: skip
    data_words = _words(" ".join(texts) + " " + CANDIDATES)
    return Walk(
        app=app,
        params={
            "slug": SLUG,
            "delegate_id": str(delegate_id),
            "document_id": str(document_id),
            "version": "1",
            "page": "1",
            "election_id": str(election_id),
            "run_id": str(run_id),
            "count_id": str(count_id),
            "ballot_id": str(ballot_id),
            "number": "1",
            "slot": "1",
            "token": portal_token,
        },
        passwords=passwords,
        portal_link=f"/p/{SLUG}/enter/{portal_token}",
        data_words=data_words,
    )


@pytest.fixture(scope="module")
def walk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Walk]:
    built = _build(tmp_path_factory.mktemp("walk") / "home")
    yield built
    built.app.state.db.dispose()


# Routes that answer with something else than a page: files, feeds, JSON, scripts.
NOT_PAGES = re.compile(
    r"\.(pdf|png|jpg|webp|csv|xlsx|json|js|webmanifest|\{fmt[^}]*\})$|/photo|/image$|/events$"
    r"|/bundle$|^/api/|^/lang/|^/healthz$|^/static|\{name:str\}$|\{target\}"
)


def page_paths(app: Any, params: dict[str, str]) -> list[str]:
    paths = []
    for route in app.routes:
        if not isinstance(route, Route) or "GET" not in (route.methods or ()):
            continue
        if NOT_PAGES.search(route.path):
            continue
        path = re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: params[m.group(1)], route.path)
        paths.append(path)
    return paths


def test_every_page_in_vietnamese_has_no_english_word(walk: Walk) -> None:
    english = english_words()
    paths = page_paths(walk.app, walk.params)
    assert len(paths) > 30, paths  # the walk reaches the app's pages
    found: dict[str, set[str]] = {}
    seen = 0
    roles = ["anonymous", "delegate", "admin", "organizer", "checkin", "counting", "observer"]
    for role in roles:
        with TestClient(walk.app, base_url="http://testserver") as client:
            if role == "delegate":
                page = client.get(walk.portal_link)
                client.post(walk.portal_link, data={"csrf_token": csrf_from(page.text)})
            elif role != "anonymous":
                login(client, USERS[role], walk.passwords[role])
            for path in paths:
                response = client.get(path, follow_redirects=False)
                assert response.status_code < 500, (role, path, response.text[:300])
                if not response.headers.get("content-type", "").startswith("text/html"):
                    continue
                seen += 1
                assert '<html lang="vi">' in response.text, (role, path)
                words = english_on(visible_text(response.text), english, walk.data_words)
                for word in words:
                    found.setdefault(word, set()).add(f"{role} {path}")
    assert seen > 100
    report = {word: sorted(where)[:3] for word, where in sorted(found.items())}
    assert not report, f"English words on Vietnamese pages: {report}"


def test_titles_are_named_for_what_they_title(walk: Walk) -> None:
    """A document's and an election's title were called "Tên phiên" (a sitting's name)."""
    with TestClient(walk.app, base_url="http://testserver") as client:
        login(client, USERS["organizer"], walk.passwords["organizer"])
        documents = visible_text(client.get(f"/c/{SLUG}/documents").text)
        document = visible_text(
            client.get(f"/c/{SLUG}/documents/{walk.params['document_id']}").text
        )
        elections = visible_text(client.get(f"/c/{SLUG}/elections").text)
        sittings = visible_text(client.get(f"/c/{SLUG}/sittings").text)
    for text in (documents, document, elections):
        assert "Tên phiên" not in text
    assert "Tiêu đề" in documents and "Tiêu đề" in document
    assert "Tên cuộc bầu cử" in elections
    assert "Tên phiên họp" in sittings
