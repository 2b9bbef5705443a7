"""The organizer's path from a new congress to its first sitting: the overview's steps read from
the data, the add-sitting form where sittings are missing, a friendly attendance page without
one, and the delegate's own page, its edit and its history (issue 22)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from starlette.testclient import TestClient

from congress import congresses
from congress.db import Database
from congress.models import AuditEvent, Delegate
from tests.conftest import add_register, login

SLUG = "moi-2027"


def _new_congress(db: Database) -> None:
    with db.session() as session:
        congresses.create_congress(
            session,
            slug=SLUG,
            name="Đại hội Đoàn phường Hàng Bạc",
            starts_on=dt.date(2027, 5, 1),
            ends_on=dt.date(2027, 5, 2),
            actor="t",
        )


def _steps(html: str) -> list[tuple[str, str, str]]:
    """(class, link, label) of each setup step on the overview."""
    found = re.findall(
        r'<li class="(done|todo)[^"]*">\s*<span class="mark"[^>]*>[^<]*</span>\s*'
        r'<a href="([^"]+)">([^<]+)</a>',
        html,
    )
    return [(state, link, label.strip()) for state, link, label in found]


def test_a_new_congress_is_guided_to_its_first_sitting(
    client: TestClient, db: Database, make_user: Any
) -> None:
    _new_congress(db)
    csrf = login(client, "btc", make_user("btc", "organizer"))
    page = client.get(f"/c/{SLUG}")
    assert page.status_code == 200
    steps = _steps(page.text)
    assert [link for _, link, _ in steps] == [
        f"/c/{SLUG}/sittings",
        f"/c/{SLUG}/delegates/import",
        f"/c/{SLUG}/badges",
        f"/c/{SLUG}/documents",
        f"/c/{SLUG}/attendance",
        f"/c/{SLUG}/elections",
    ]
    assert all(state == "todo" for state, _, _ in steps)
    assert "Thêm các phiên họp" in page.text and "6 việc còn phải làm" in page.text
    assert 'class="todo next"' in page.text  # the first step to take stands out
    assert 'id="add-sitting"' in page.text  # no sitting: the form is on the overview

    # The doors' page of a congress without a sitting is a page that says what to do.
    attendance = client.get(f"/c/{SLUG}/attendance")
    assert attendance.status_code == 200, attendance.text
    assert 'id="add-sitting"' in attendance.text and "error-card" not in attendance.text

    # A title beyond its column is refused with a clear answer, nothing stored.
    long = client.post(
        f"/c/{SLUG}/sittings",
        data={"csrf_token": csrf, "title": "P" * 301, "starts_at": "2027-05-01T08:00"},
    )
    assert long.status_code == 400 and "tối đa 300 ký tự" in long.text
    added = client.post(
        f"/c/{SLUG}/sittings",
        data={
            "csrf_token": csrf,
            "title": "Phiên trù bị",
            "starts_at": "2027-05-01T08:00",
            "next": "overview",
        },
        follow_redirects=False,
    )
    assert added.status_code == 303 and added.headers["location"] == f"/c/{SLUG}"
    page = client.get(f"/c/{SLUG}")
    steps = _steps(page.text)
    assert steps[0][0] == "done" and all(state == "todo" for state, _, _ in steps[1:])
    assert 'id="add-sitting"' not in page.text and "Phiên trù bị" in page.text
    assert "5 việc còn phải làm" in page.text

    # Other roles see the figures, not the organizers' to-do list.
    observer = TestClient(client.app)
    login(observer, "qs", make_user("qs", "observer"))
    assert _steps(observer.get(f"/c/{SLUG}").text) == []


def test_steps_follow_the_data(client: TestClient, db: Database, make_user: Any) -> None:
    """Delegates, badges handed out, a document shown, doors opened, an election: each step
    is ticked by what is in the database, not by a flag."""
    from badges.cards import badge_links, select_delegates
    from ballots.elections import create_election, import_candidates
    from scanner.checkin import set_doors

    register = add_register(db)
    login(client, "btc", make_user("btc", "organizer"))
    slug = register["slug"]

    def done() -> list[str]:
        return [link.rsplit("/", 1)[-1] for state, link, _ in _steps(client.get(f"/c/{slug}").text)
                if state == "done"]  # fmt: skip

    assert done() == ["sittings", "import"]
    with db.session() as session:
        congress = congresses.get_congress(session, slug)
        badge_links(db.settings, session, congress, select_delegates(session, congress), "t")
    assert done() == ["sittings", "import", "badges"]
    with db.session() as session:
        congress = congresses.get_congress(session, slug)
        set_doors(session, congress.sittings[0], True, "t")
        set_doors(session, congress.sittings[0], False, "t")  # closed again: it was opened
    assert done() == ["sittings", "import", "badges", "attendance"]
    with db.session() as session:
        congress = congresses.get_congress(session, slug)
        election = create_election(
            session, congress, title="Bầu Ban Chấp hành", form="strike", seats=1, actor="t"
        )
        import_candidates(
            session, election, "Họ và tên\nNguyễn Văn An\nLê Thị Bình\n".encode(), "t"
        )
    assert done() == ["sittings", "import", "badges", "attendance", "elections"]


def test_delegate_page_edit_and_history(client: TestClient, db: Database, make_user: Any) -> None:
    register = add_register(db)
    slug = register["slug"]
    csrf = login(client, "btc", make_user("btc", "organizer"))
    with db.session() as session:
        delegate = session.query(Delegate).filter_by(code="DB0001").one()
        delegate_id, name = delegate.id, delegate.full_name
        delegate.phone = "0912 345 678"
    listing = client.get(f"/c/{slug}/delegates")
    assert f'href="/c/{slug}/delegates/{delegate_id}"' in listing.text  # reachable from the list
    page = client.get(f"/c/{slug}/delegates/{delegate_id}")
    assert page.status_code == 200 and name in page.text and "0912 345 678" in page.text
    assert f"/c/{slug}/delegates/{delegate_id}/edit" in page.text
    form = client.get(f"/c/{slug}/delegates/{delegate_id}/edit")
    assert form.status_code == 200
    assert 'maxlength="120"' in form.text and 'maxlength="200"' in form.text
    delegation = re.search(r'<option value="(\d+)" selected>', form.text)
    assert delegation
    good = {
        "csrf_token": csrf,
        "full_name": "Nguyễn  Thị Hoa ",
        "delegation": delegation.group(1),
        "kind": "alternate",
        "gender": "female",
        "position": "Bí thư",
        "unit": "Phường Hàng Bạc",
        "birth_date": "1995-04-30",
        "phone": "0987 654 321",
        "email": "hoa@example.vn",
    }
    # Bounded and checked: a name too long, a bad email, a delegation of another congress.
    for change, words in [
        ({"full_name": "A" * 121}, "Họ và tên"),
        ({"email": "not-an-address"}, "thư điện tử"),
        ({"delegation": "2147483647"}, "Đoàn đại biểu"),
        ({"birth_date": "1850-01-01"}, "Ngày sinh"),
        ({"kind": "guest"}, "Loại đại biểu"),
    ]:
        refused = client.post(f"/c/{slug}/delegates/{delegate_id}/edit", data={**good, **change})
        assert refused.status_code == 400 and words in refused.text, change
    with db.session() as session:
        assert session.get(Delegate, delegate_id).full_name == name  # nothing half-stored
    saved = client.post(
        f"/c/{slug}/delegates/{delegate_id}/edit", data=good, follow_redirects=False
    )
    assert saved.status_code == 303
    with db.session() as session:
        delegate = session.get(Delegate, delegate_id)
        assert (delegate.full_name, delegate.kind, delegate.email) == (
            "Nguyễn Thị Hoa", "alternate", "hoa@example.vn",
        )  # fmt: skip
        assert delegate.birth_date == dt.date(1995, 4, 30)
        event = session.query(AuditEvent).filter_by(action="delegate.edit").one()
        assert event.actor == "btc" and event.subject == "DB0001"
        assert event.details["changed"]["full_name"] == [name, "Nguyễn Thị Hoa"]
        # The log names the personal fields changed, never their values.
        assert set(event.details["personal"]) == {"birth_date", "phone", "email"}
        assert "0987" not in str(event.details) and "hoa@" not in str(event.details)
    page = client.get(f"/c/{slug}/delegates/{delegate_id}?saved=1")
    assert "Đã thay đổi thông tin" in page.text and "Nguyễn Thị Hoa" in page.text
    assert "Đại biểu chính thức → Đại biểu dự khuyết" in page.text
    # Searching finds the new name.
    assert "Nguyễn Thị Hoa" in client.get(f"/c/{slug}/delegates?q=nguyen thi hoa").text
    # Saving the same values again records nothing more.
    client.post(f"/c/{slug}/delegates/{delegate_id}/edit", data=good)
    with db.session() as session:
        assert session.query(AuditEvent).filter_by(action="delegate.edit").count() == 1


def test_delegate_page_least_data(client: TestClient, db: Database, make_user: Any) -> None:
    register = add_register(db)
    slug = register["slug"]
    with db.session() as session:
        delegate = session.query(Delegate).filter_by(code="DB0002").one()
        delegate.phone, delegate.email = "0912 000 111", "b@example.vn"
        delegate.birth_date = dt.date(1993, 2, 1)
        delegate_id = delegate.id
    for role in ("observer", "checkin", "counting"):
        other = TestClient(client.app)
        login(other, role, make_user(role, role))
        page = other.get(f"/c/{slug}/delegates/{delegate_id}")
        assert page.status_code == 200
        for secret in ("0912 000 111", "b@example.vn", "01/02/1993", "Ngày sinh", "/edit"):
            assert secret not in page.text, (role, secret)
        assert other.get(f"/c/{slug}/delegates/{delegate_id}/edit").status_code == 403
    login(client, "btc", make_user("btc", "organizer"))
    assert "01/02/1993" in client.get(f"/c/{slug}/delegates/{delegate_id}").text
    # A delegate of another congress, or none, is a 404 page.
    assert client.get(f"/c/{slug}/delegates/2147483647").status_code == 404
    assert client.get(f"/c/{slug}/delegates/2147483648").status_code == 404
