"""The portal over HTTP: uploads by organizers, reading on phones, sign-in, refusals, comments."""

from __future__ import annotations

import io
from typing import Any

import pypdfium2 as pdfium
import pytest
from PIL import Image
from sqlalchemy import func, select

from badges.service import issue_token, revoke
from congress.db import Database
from congress.models import Delegate
from congress.settings import Settings
from docs_portal.models import Document, DocumentComment, DocumentRead
from tests.conftest import csrf_from, login
from tests.docs_portal.portal_helpers import add_document, pdf_with

SLUG = "dai-hoi-the"


@pytest.fixture
def documents(db: Database, settings: Settings, register: dict[str, Any]) -> dict[str, int]:
    cid = register["congress_id"]
    return {
        "public": add_document(
            db, settings, cid, "Chương trình đại hội", ["Khai mạc", "Bế mạc"], visibility="public"
        ),
        "delegates": add_document(
            db,
            settings,
            cid,
            "Dự thảo nghị quyết",
            ["Nghị quyết về công tác thanh niên", "Điều 2"],
            visibility="delegates",
            group="resolutions",
            comments_open=True,
        ),
        "hidden": add_document(db, settings, cid, "Bản nháp nội bộ", ["nháp"], visibility="hidden"),
    }


def _token(db: Database, settings: Settings, code: str) -> str:
    with db.session() as session:
        delegate = session.scalar(select(Delegate).where(Delegate.code == code))
        return issue_token(settings, session, delegate)


def _sign_in(client: Any, db: Database, settings: Settings, code: str = "DB0003") -> None:
    # The soft badge's link opens a page; its button signs the phone in.
    url = f"/p/{SLUG}/enter/{_token(db, settings, code)}"
    page = client.get(url)
    response = client.post(url, data={"csrf_token": csrf_from(page.text)}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == f"/p/{SLUG}"


def _urls(document_id: int) -> list[str]:
    base = f"/p/{SLUG}/d/{document_id}"
    return [base, f"{base}/v/1", f"{base}/v/1/page/1.webp", f"{base}/v/1/document.pdf"]


def test_the_list_shows_what_the_visitor_may_read(
    client: Any, db: Database, settings: Settings, documents: dict[str, int]
) -> None:
    page = client.get(f"/p/{SLUG}")
    assert page.status_code == 200
    assert "Chương trình đại hội" in page.text
    assert "Dự thảo nghị quyết" not in page.text and "Bản nháp" not in page.text
    assert len(page.content) < 60_000
    _sign_in(client, db, settings)
    page = client.get(f"/p/{SLUG}")
    assert "Dự thảo nghị quyết" in page.text and "Bản nháp" not in page.text
    # draft resolutions come before other documents, as groups are ordered
    assert page.text.index("Dự thảo nghị quyết") < page.text.index("Chương trình đại hội")
    assert len(page.content) < 60_000


def test_non_delegates_are_refused_everything_of_a_delegates_document(
    client: Any, db: Database, settings: Settings, documents: dict[str, int]
) -> None:
    for url in _urls(documents["delegates"]):
        response = client.get(url)
        assert response.status_code == 403, url
        assert b"%PDF" not in response.content and b"WEBP" not in response.content[:16]
    for url in _urls(documents["hidden"]):
        assert client.get(url).status_code == 404, url
    refusal = client.get(_urls(documents["delegates"])[0])
    assert "thẻ đại biểu" in refusal.text  # the sign-in offer, in Vietnamese
    # a forged or foreign token signs nobody in, and changes nothing
    bad = client.get(f"/p/{SLUG}/enter/D1AAAAAAIAAAAACAAB7LPWVXP", follow_redirects=False)
    assert bad.status_code == 403
    assert client.get(_urls(documents["delegates"])[2]).status_code == 403
    _sign_in(client, db, settings)
    for url in _urls(documents["delegates"]):
        assert client.get(url).status_code == 200, url
    for url in _urls(documents["hidden"]):
        assert client.get(url).status_code == 404, url


def test_a_revoked_badge_ends_the_portal_session(
    client: Any, db: Database, settings: Settings, documents: dict[str, int]
) -> None:
    _sign_in(client, db, settings, "DB0005")
    image = _urls(documents["delegates"])[2]
    assert client.get(image).status_code == 200
    with db.write_session() as session:
        revoke(session, session.scalar(select(Delegate).where(Delegate.code == "DB0005")), "t")
    assert client.get(image).status_code == 403


def test_page_images_are_rendered_cached_and_immutable(
    client: Any, settings: Settings, documents: dict[str, int]
) -> None:
    url = _urls(documents["public"])[2]
    first = client.get(url + "?w=400")
    assert first.status_code == 200
    assert first.headers["content-type"] == "image/webp"
    assert first.headers["x-content-type-options"] == "nosniff"
    assert "immutable" in first.headers["cache-control"]
    assert len(first.content) < 200_000
    image = Image.open(io.BytesIO(first.content))
    assert image.format == "WEBP" and image.width == 480  # the smallest width >= 400
    assert abs(image.height - round(480 * 842 / 595)) <= 1
    pixels = image.convert("L")
    assert pixels.getextrema()[0] < 100  # the text is drawn, not a blank page
    again = client.get(url + "?w=400", headers={"if-none-match": first.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    cached = list((settings.cache_dir / "pages").rglob("*.webp"))
    assert any(p.name == "1-480.webp" for p in cached)
    big = client.get(url + "?w=5000")
    assert Image.open(io.BytesIO(big.content)).width == 1440
    assert client.get(_urls(documents["public"])[0] + "/v/1/page/3.webp").status_code == 404
    assert client.get(f"/p/{SLUG}/d/{documents['public']}/v/9/page/1.webp").status_code == 404


def test_the_reader_lists_pages_versions_and_the_download(
    client: Any, db: Database, settings: Settings, documents: dict[str, int]
) -> None:
    reader = client.get(_urls(documents["public"])[0])
    assert reader.status_code == 200
    assert reader.text.count('class="page"') == 2
    assert "Khai mạc" in reader.text  # the page's text, for search and copy
    assert 'loading="lazy"' in reader.text
    download = client.get(_urls(documents["public"])[3])
    assert download.headers["content-disposition"].startswith("attachment")
    assert download.headers["content-type"] == "application/pdf"
    assert len(pdfium.PdfDocument(download.content)) == 2


def test_organizers_upload_and_replace_through_the_pages(
    client: Any, make_user: Any, db: Database, register: dict[str, Any]
) -> None:
    csrf = login(client, "btc", make_user("btc", "organizer"))
    form = {
        "csrf_token": csrf,
        "title": "Báo cáo <script>alert(1)</script>",
        "group": "reports",
        "position": "2",
        "visibility": "public",
        "sitting": "1",
    }
    pdf = pdf_with(["Trang một", "Trang hai"])
    response = client.post(
        f"/c/{SLUG}/documents",
        data=form,
        files={"file": ("bao-cao.pdf", pdf, "application/pdf")},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    page = client.get(response.headers["location"])
    assert "&lt;script&gt;" in page.text and "<script>alert" not in page.text
    with db.session() as session:
        document = session.scalar(select(Document))
        assert document.group == "reports" and document.current.pages == 2
        document_id = document.id
    # a file that is not a PDF, whatever its name, is refused and stored nowhere
    refused = client.post(
        f"/c/{SLUG}/documents",
        data=form,
        files={"file": ("evil.pdf", b"<html><script>x</script>", "application/pdf")},
    )
    assert refused.status_code == 400
    assert "không phải" in refused.text  # the reason, in Vietnamese
    version = client.post(
        f"/c/{SLUG}/documents/{document_id}/versions",
        data={"csrf_token": csrf},
        files={"file": ("v2.pdf", pdf_with(["Bản mới"]), "application/pdf")},
    )
    assert version.status_code == 200
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Document)) == 1
        assert session.get(Document, document_id).current.number == 2
    reader = client.get(f"/p/{SLUG}/d/{document_id}")
    assert "Bản mới" in reader.text and "Trang một" not in reader.text
    older = client.get(f"/p/{SLUG}/d/{document_id}/v/1")
    assert "Trang một" in older.text
    # without the CSRF token nothing happens
    forged = client.post(
        f"/c/{SLUG}/documents/{document_id}",
        data={"title": "changed", "group": "other", "visibility": "public"},
    )
    assert forged.status_code == 403
    poster = client.get(f"/c/{SLUG}/documents/poster.pdf?size=a3")
    assert poster.status_code == 200 and poster.content[:5] == b"%PDF-"
    assert client.get(f"/c/{SLUG}/documents/poster.pdf?size=letter").status_code == 400


def test_comments_from_delegates_to_organizers(
    client: Any,
    make_user: Any,
    db: Database,
    settings: Settings,
    app: Any,
    documents: dict[str, int],
) -> None:
    from starlette.testclient import TestClient

    draft = documents["delegates"]
    _sign_in(client, db, settings, "DB0007")
    reader = client.get(f"/p/{SLUG}/d/{draft}")
    csrf = csrf_from(reader.text)
    url = f"/p/{SLUG}/d/{draft}/comments"
    assert client.post(url, data={"body": "không có mã"}).status_code == 403  # no CSRF token
    sent = client.post(
        url, data={"csrf_token": csrf, "body": "Đề nghị <b>sửa</b> Điều 2", "page": "2"}
    )
    assert sent.status_code == 200 and "<b>sửa</b>" not in sent.text
    assert "&lt;b&gt;sửa&lt;/b&gt;" in sent.text
    empty = client.post(url, data={"csrf_token": csrf, "body": "   "})
    assert "Hãy viết" in empty.text or "góp ý" in empty.text
    bad_page = client.post(url, data={"csrf_token": csrf, "body": "x", "page": "9"})
    assert bad_page.status_code == 200
    # comments are not taken on a document that does not ask for them
    closed = client.post(
        f"/p/{SLUG}/d/{documents['public']}/comments", data={"csrf_token": csrf, "body": "x"}
    )
    assert closed.status_code == 200
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(DocumentComment)) == 1

    # another delegate does not see it unless the document shares comments
    with TestClient(app, base_url="http://testserver") as other:
        _sign_in(other, db, settings, "DB0008")
        assert "Điều 2" in other.get(f"/p/{SLUG}/d/{draft}").text  # the page text
        assert "sửa" not in other.get(f"/p/{SLUG}/d/{draft}").text
        with db.write_session() as session:
            session.get(Document, draft).comments_shared = True
        assert "sửa" in other.get(f"/p/{SLUG}/d/{draft}").text

    # the rate limit
    for i in range(9):
        client.post(url, data={"csrf_token": csrf, "body": f"ý kiến {i}"})
    limited = client.post(
        url, data={"csrf_token": csrf, "body": "thêm nữa"}, follow_redirects=False
    )
    assert limited.status_code == 303 and "comment_error" in limited.headers["location"]
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(DocumentComment)) == 10
        first = session.scalar(select(DocumentComment).order_by(DocumentComment.id))
        assert first.page == 2 and first.version_number == 1

    # organizers see every comment with delegate and delegation, mark it handled, export
    with TestClient(app, base_url="http://testserver") as staff:
        staff_csrf = login(staff, "btc", make_user("btc", "organizer"))
        page = staff.get(f"/c/{SLUG}/documents/{draft}")
        assert "DB0007" in page.text and page.text.count("Đề nghị") == 1
        handled = staff.post(
            f"/c/{SLUG}/documents/{draft}/comments/{first.id}",
            data={"csrf_token": staff_csrf, "handled": "1"},
        )
        assert handled.status_code == 200
        with db.session() as session:
            assert session.get(DocumentComment, first.id).handled_by == "btc"
        xlsx = staff.get(f"/c/{SLUG}/documents/{draft}/comments.xlsx")
        from openpyxl import load_workbook

        sheet = load_workbook(io.BytesIO(xlsx.content)).active
        rows = list(sheet.iter_rows(min_row=5, values_only=True))
        assert len(rows) == 10
        assert rows[0][1] == "DB0007" and rows[0][5] == 2 and "Điều 2" in rows[0][6]
        assert rows[0][8]  # handled
        pdf = staff.get(f"/c/{SLUG}/documents/{draft}/comments.pdf")
        document = pdfium.PdfDocument(pdf.content)
        text = "".join(document[i].get_textpage().get_text_bounded() for i in range(len(document)))
        assert "Đề nghị" in text and "DB0007" in text
        # delegates cannot reach the organizer pages
        assert (
            client.get(
                f"/c/{SLUG}/documents/{draft}/comments.xlsx", follow_redirects=False
            ).status_code
            == 303
        )


def test_read_statistics_count_delegates_once(
    client: Any,
    make_user: Any,
    db: Database,
    settings: Settings,
    app: Any,
    documents: dict[str, int],
) -> None:
    from starlette.testclient import TestClient

    draft = documents["delegates"]
    for code in ("DB0001", "DB0002"):
        with TestClient(app, base_url="http://testserver") as phone:
            _sign_in(phone, db, settings, code)
            phone.get(f"/p/{SLUG}/d/{draft}")
            phone.get(f"/p/{SLUG}/d/{draft}")
    client.get(f"/p/{SLUG}/d/{documents['public']}")  # anonymous: not a delegate's read
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(DocumentRead)) == 2
    login(client, "btc", make_user("btc", "organizer"))
    desk = client.get(f"/c/{SLUG}/documents")
    assert "2 / 20" in desk.text
    detail = client.get(f"/c/{SLUG}/documents/{draft}")
    assert detail.status_code == 200


def test_no_path_leads_outside_the_portal(client: Any, documents: dict[str, int]) -> None:
    public = documents["public"]
    attempts = [
        "/static/docs_portal/../../congress/settings.py",
        "/static/docs_portal/%2e%2e/%2e%2e/congress/settings.py",
        "/static/docs_portal/..%2f..%2fcongress%2fsettings.py",
        f"/p/{SLUG}/d/{public}/v/1/page/..%2f..%2f1.webp",
        f"/p/{SLUG}/d/{public}/v/1/page/1.webp/../../../../etc/passwd",
        f"/p/{SLUG}/d/..%2f{public}",
    ]
    for url in attempts:
        response = client.get(url)
        assert response.status_code == 404, url
        assert b"CONGRESS_HOME" not in response.content and b"root:" not in response.content
    script = client.get("/static/docs_portal/portal.js")
    assert script.headers["content-type"].startswith("text/javascript")
    assert script.headers["x-content-type-options"] == "nosniff"


def test_a_render_worker_that_dies_is_replaced(
    client: Any, app: Any, documents: dict[str, int]
) -> None:
    import os

    renderer = app.state.page_renderer
    url = _urls(documents["public"])[2]
    assert client.get(url + "?w=480").status_code == 200
    # A worker killed mid-job (out of memory, a signal) breaks its whole pool...
    dead = renderer._executor().submit(os._exit, 1)
    with pytest.raises(Exception, match="terminated abruptly"):
        dead.result(timeout=60)
    # ...and the next page still renders, in a new pool.
    again = client.get(url.replace("page/1", "page/2") + "?w=480")
    assert again.status_code == 200 and again.headers["content-type"] == "image/webp"


def test_the_portal_installs_as_an_app(client: Any, documents: dict[str, int]) -> None:
    manifest = client.get(f"/p/{SLUG}/manifest.webmanifest")
    assert manifest.headers["content-type"] == "application/manifest+json"
    body = manifest.json()
    assert body["start_url"] == f"/p/{SLUG}" and body["scope"] == "/p/"
    assert body["name"] == "Đại hội đại biểu Đoàn TNCS Hồ Chí Minh tỉnh Nghệ An"
    assert body["short_name"] == "Tài liệu"
    worker = client.get("/p/sw.js")
    assert worker.headers["service-worker-allowed"] == "/p/"
    assert worker.headers["content-type"].startswith("text/javascript")
    assert "caches.match" in worker.text


def test_the_soft_badge_link_signs_in_only_by_its_button(
    client: Any, app: Any, db: Database, settings: Settings, documents: dict[str, int]
) -> None:
    """Issue 21 row 12: a page elsewhere cannot sign a visitor's phone in as another delegate."""
    from starlette.testclient import TestClient

    protected = _urls(documents["delegates"])[0]
    url = f"/p/{SLUG}/enter/{_token(db, settings, 'DB0004')}"
    with db.session() as session:
        name = session.scalar(select(Delegate.full_name).where(Delegate.code == "DB0004"))
    # Opening the link (as an <img> or a redirect from another site would) changes nothing.
    for _ in range(2):
        page = client.get(url, follow_redirects=False)
        assert page.status_code == 200 and name in page.text
        assert client.head(url).status_code == 200
    assert 'method="post"' in page.text and page.headers["cache-control"] == "no-store"
    assert client.get(protected).status_code == 403
    # A form posted from another site carries no token of this phone's cookie: refused.
    with TestClient(app, base_url="http://testserver") as victim:
        forged = victim.post(url, data={}, follow_redirects=False)
        assert forged.status_code == 403
        assert victim.get(protected).status_code == 403
    # The button on the page signs in.
    signed = client.post(url, data={"csrf_token": csrf_from(page.text)}, follow_redirects=False)
    assert signed.status_code == 303
    assert client.get(protected).status_code == 200


def test_signing_out_ends_the_phone_session_for_a_saved_cookie(
    client: Any, app: Any, db: Database, settings: Settings, documents: dict[str, int]
) -> None:
    from starlette.testclient import TestClient

    protected = _urls(documents["delegates"])[0]
    _sign_in(client, db, settings, "DB0006")
    saved = client.cookies["congress_session"]
    csrf = csrf_from(client.get(protected).text)
    out = client.post(f"/p/{SLUG}/signout", data={"csrf_token": csrf}, follow_redirects=False)
    assert out.status_code == 303
    with TestClient(app, base_url="http://testserver") as replay:
        replay.cookies.set("congress_session", saved)
        assert replay.get(protected).status_code == 403


@pytest.mark.parametrize("how", ["staff signs in", "staff signs out"])
def test_staff_sign_in_or_out_in_the_browser_ends_its_portal_sign_ins_on_the_server(
    app: Any,
    client: Any,
    db: Database,
    settings: Settings,
    documents: dict[str, int],
    make_user: Any,
    how: str,
) -> None:
    """A shared laptop: a delegate signed in to the portal, then staff sign in (or out) in the
    same browser. The delegate's sign-in ends on the server, not only in the cookie: a saved
    copy of the cookie no longer reads delegates' documents."""
    from starlette.testclient import TestClient

    from congress.models import WebSession

    _sign_in(client, db, settings)
    delegate_cookie = client.cookies["congress_session"]
    reserved = f"/p/{SLUG}/d/{documents['delegates']}"
    assert client.get(reserved).status_code == 200
    password = make_user("org", "organizer")
    csrf = login(client, "org", password)
    if how == "staff signs out":
        # The delegate signs in again on top of the staff session, then staff sign out.
        _sign_in(client, db, settings)
        delegate_cookie = client.cookies["congress_session"]
        out = client.post("/logout", headers={"x-csrf-token": csrf}, follow_redirects=False)
        assert out.status_code == 303
    with db.session() as session:
        delegates_sessions = session.scalars(
            select(WebSession).where(WebSession.delegate_id.is_not(None))
        ).all()
        assert delegates_sessions == []
    replay = TestClient(app, base_url="http://testserver")
    replay.cookies.set("congress_session", delegate_cookie)
    assert replay.get(reserved).status_code in (302, 303, 403)
    assert "Nghị quyết về công tác thanh niên" not in replay.get(reserved).text
