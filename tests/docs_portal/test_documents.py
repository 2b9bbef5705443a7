"""Documents as a service: checking uploads, versions, who may read what, and full-text search."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from congress.db import Database
from congress.errors import CongressError
from congress.limits import Limits, MiB
from congress.models import Congress, Delegate, StoredFile
from congress.settings import Settings
from congress.storage import FileStore
from docs_portal import documents as service
from docs_portal.models import Document, DocumentPage, DocumentVersion
from tests.congress.hostile_archives import docx_bomb
from tests.docs_portal.portal_helpers import add_document, pdf_with


def _refused(settings: Settings, data: bytes, name: str = "x.pdf") -> CongressError:
    with pytest.raises(service.UploadRefused) as caught:
        service.prepare_upload(settings, data, name)
    return caught.value


def _docx() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return out.getvalue()


def _odt() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        archive.writestr("content.xml", "<office:document-content/>")
    return out.getvalue()


def test_the_type_comes_from_the_content_not_the_name() -> None:
    assert service.document_kind(pdf_with(["a"])) == "pdf"
    assert service.document_kind(_docx()) == "docx"
    assert service.document_kind(_odt()) == "odt"
    assert service.document_kind(b"MZ\x90\x00 an executable") == ""
    assert service.document_kind(b"<html><script>alert(1)</script>") == ""
    assert service.document_kind(b"PK\x03\x04 not really a zip") == ""


def test_a_pdf_is_read_page_by_page_with_its_text(settings: Settings) -> None:
    prepared = service.prepare_upload(
        settings, pdf_with(["Nghị quyết đại hội", "Báo cáo chính trị"]), "../../etc/a.pdf"
    )
    assert prepared.original_name == "a.pdf"  # never a path
    assert [p.text for p in prepared.pages] == ["Nghị quyết đại hội", "Báo cáo chính trị"]
    assert prepared.pages[0].width_pt == pytest.approx(595.0)
    assert prepared.pages[0].height_pt == pytest.approx(842.0)


def test_bad_uploads_are_refused_with_a_reason(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _refused(settings, b"").code == "empty_file"
    assert _refused(settings, b"MZ\x90\x00 evil", "report.pdf").code == "not_a_document"
    assert _refused(settings, b"%PDF-1.4\n1 0 obj garbage").code == "pdf_broken"
    assert _refused(settings, pdf_with(["a"])[:300]).code == "pdf_broken"
    assert _refused(settings, pdf_with(["bí mật"], encrypt="secret")).code == "pdf_encrypted"
    small = Settings(**{**settings.__dict__, "max_document_pages": 2})
    refusal = _refused(small, pdf_with(["1", "2", "3"]))
    assert refusal.code == "too_many_pages" and refusal.params == {"pages": 3, "limit": 2}
    tiny = Settings(**{**settings.__dict__, "max_upload_bytes": 100})
    assert _refused(tiny, pdf_with(["a"])).code == "file_too_large"
    monkeypatch.setattr(service.shutil, "which", lambda name: None)
    missing = _refused(settings, _docx(), "a.docx")
    assert missing.code == "converter_missing"
    assert "LibreOffice" in missing.message and "PDF" in missing.message
    assert _refused(settings, _odt(), "a.odt").code == "converter_missing"


def test_a_refused_upload_stores_nothing(
    db: Database, settings: Settings, register: dict[str, Any]
) -> None:
    with pytest.raises(service.UploadRefused):
        add_document_raw(db, settings, register["congress_id"], b"%PDF-1.7 broken")
    with pytest.raises(CongressError) as caught:
        add_document(db, settings, register["congress_id"], "", ["a"])  # no title
    assert caught.value.code == "title_missing"
    with db.session() as session:
        for model in (Document, DocumentVersion, DocumentPage, StoredFile):
            assert session.scalar(select(func.count()).select_from(model)) == 0
    files = settings.files_dir
    assert not files.exists() or not any(p.is_file() for p in files.rglob("*"))


def add_document_raw(db: Database, settings: Settings, congress_id: int, data: bytes) -> None:
    prepared = service.prepare_upload(settings, data, "x.pdf")
    raise AssertionError(f"accepted {prepared}")


def test_new_versions_replace_the_shown_one_and_keep_the_old(
    db: Database, settings: Settings, register: dict[str, Any]
) -> None:
    document_id = add_document(
        db, settings, register["congress_id"], "Dự thảo nghị quyết", ["bản một"]
    )
    prepared = service.prepare_upload(settings, pdf_with(["bản hai", "trang hai"]), "v2.pdf")
    with db.write_session() as session:
        document = session.get(Document, document_id)
        version = service.add_version(
            session, FileStore(settings.files_dir), document, prepared, "test"
        )
        assert version.number == 2
    with db.session() as session:
        document = session.get(Document, document_id)
        assert [v.number for v in document.versions] == [1, 2]
        assert document.current.number == 2 and document.current.pages == 2
        assert document.versions[0].pages == 1
        old = service.pages_of(session, document.versions[0])
        assert [p.text for p in old] == ["bản một"]
        store = FileStore(settings.files_dir)
        assert store.get(document.versions[0].pdf_sha256)[:5] == b"%PDF-"
        assert document.versions[0].pdf_sha256 != document.versions[1].pdf_sha256


def test_visibility_and_publish_time(
    db: Database, settings: Settings, register: dict[str, Any]
) -> None:
    cid = register["congress_id"]
    public = add_document(db, settings, cid, "Chương trình", ["a"], visibility="public")
    members = add_document(db, settings, cid, "Báo cáo", ["b"], visibility="delegates")
    hidden = add_document(db, settings, cid, "Bản nháp", ["c"], visibility="hidden")
    later = add_document(
        db,
        settings,
        cid,
        "Nghị quyết",
        ["d"],
        visibility="public",
        publish_at=dt.datetime.now() + dt.timedelta(days=1),
    )
    anonymous = service.Viewer()
    delegate = service.Viewer(delegate_id=1)
    organizer = service.Viewer(staff_roles=frozenset({"organizer"}))
    with db.session() as session:
        congress = session.get(Congress, cid)

        def listed(viewer: service.Viewer) -> set[int]:
            return {
                d.id
                for d in service.documents_of(session, congress)
                if service.is_listed(d, viewer)
            }

        assert listed(anonymous) == {public}
        assert listed(delegate) == {public, members}
        assert listed(organizer) == {public, members, hidden, later}
        with pytest.raises(CongressError) as caught:
            service.readable_document(session, congress, members, anonymous)
        assert caught.value.status == 403 and caught.value.code == "delegates_only"
        for refused in (hidden, later, 99999):
            with pytest.raises(CongressError) as caught:
                service.readable_document(session, congress, refused, delegate)
            assert caught.value.status == 404


def test_a_publish_time_is_the_congress_wall_time(
    db: Database, settings: Settings, register: dict[str, Any]
) -> None:
    """Typed as 08:00 in Hà Nội, a document opens at 01:00 UTC: not seven hours late."""
    cid = register["congress_id"]
    doc = add_document(
        db,
        settings,
        cid,
        "Nghị quyết",
        ["d"],
        visibility="public",
        publish_at=dt.datetime(2027, 6, 2, 8, 0),
    )
    with db.session() as session:
        document = session.get(Document, doc)
        assert document is not None
        assert document.publish_at == dt.datetime(2027, 6, 2, 1, 0, tzinfo=dt.UTC)
        before = dt.datetime(2027, 6, 2, 0, 59, tzinfo=dt.UTC)
        after = dt.datetime(2027, 6, 2, 1, 0, tzinfo=dt.UTC)
        assert not service.is_listed(document, service.Viewer(), now=before)
        assert service.is_listed(document, service.Viewer(), now=after)


def test_search_finds_text_with_or_without_diacritics(
    db: Database, settings: Settings, register: dict[str, Any]
) -> None:
    cid = register["congress_id"]
    resolution = add_document(
        db,
        settings,
        cid,
        "Dự thảo văn kiện",
        ["Mở đầu", "Đại hội thông qua Nghị quyết về công tác thanh niên"],
        visibility="public",
    )
    report = add_document(
        db, settings, cid, "Báo cáo chính trị", ["Phong trào tình nguyện"], visibility="delegates"
    )
    add_document(db, settings, cid, "Ghi chú nội bộ", ["nghị quyết bí mật"], visibility="hidden")
    anonymous, delegate = service.Viewer(), service.Viewer(delegate_id=1)
    with db.session() as session:
        congress = session.get(Congress, cid)

        def found(query: str, viewer: service.Viewer) -> list[tuple[int, int | None]]:
            return [
                (h.document.id, h.page) for h in service.search(session, congress, viewer, query)
            ]

        assert found("nghi quyet", anonymous) == [(resolution, 2)]
        assert found("Nghị quyết", anonymous) == [(resolution, 2)]
        assert found("NGHI QUYET", anonymous) == [(resolution, 2)]
        assert found("nghi quy", anonymous) == [(resolution, 2)]  # words being typed
        assert found("thanh nien", anonymous) == [(resolution, 2)]
        assert found("tinh nguyen", anonymous) == []  # delegates only
        assert found("tinh nguyen", delegate) == [(report, 1)]
        assert found("bao cao", delegate) == [(report, None)]  # the title
        assert found("bi mat", delegate) == []  # hidden draft
        assert found("dai hoi quoc te", anonymous) == []  # every word must be there
        assert found("", anonymous) == [] and found("  ;;' OR 1=1 --", anonymous) == []
        hit = service.search(session, congress, anonymous, "cong tac")[0]
        assert "công tác" in hit.snippet


def test_delegate_for_portal_follows_the_badge(
    db: Database, settings: Settings, register: dict[str, Any]
) -> None:
    with db.write_session() as session:
        congress = session.get(Congress, register["congress_id"])
        delegate = session.scalar(select(Delegate).where(Delegate.code == "DB0002"))
        assert service.delegate_for_portal(session, congress, delegate.id, 1) is delegate
        assert service.delegate_for_portal(session, congress, delegate.id, 2) is None
        delegate.revoked_at = dt.datetime.now(dt.UTC)
        assert service.delegate_for_portal(session, congress, delegate.id, 1) is None


def test_a_docx_bomb_is_refused_before_libreoffice_opens_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Issue 21, row 7: a DOCX whose document.xml unpacks to 300 MB of spaces (a small file).
    bomb = docx_bomb()
    assert len(bomb) < MiB

    def never(data: bytes, kind: str) -> bytes:
        raise AssertionError("LibreOffice was handed the bomb")

    monkeypatch.setattr(service, "convert_to_pdf", never)
    settings = Settings(home=tmp_path, database_url="sqlite://", secret_key="k")
    with pytest.raises(CongressError) as refused:
        service.prepare_upload(settings, bomb, "bao-cao.docx")
    assert refused.value.code == "archive_entry_too_large" and refused.value.status == 413
    assert "word/document.xml" in str(refused.value)
    # The bound is the settings' own: a smaller one refuses a smaller file.
    with pytest.raises(CongressError) as small:
        service.document_kind(_docx(), Limits(document_decompressed_bytes=10))
    assert small.value.code == "archive_entry_too_large"


def test_the_snippet_shows_every_word_found_marked() -> None:
    filler = " ".join(f"Dòng {i} của báo cáo." for i in range(60))
    page = f"Mở đầu. {filler} Nghị quyết về công tác {filler} thanh niên tình nguyện. {filler}"
    terms = service.query_terms("nghi quyet thanh nien")
    parts = service.snippet_parts(page, terms)
    marked = [text for text, found in parts if found]
    assert marked == ["Nghị", "quyết", "thanh", "niên"]  # far apart, all shown
    text = "".join(t for t, _ in parts)
    assert len(text) < 400 and text.startswith("…") and text.endswith("…")
    # Word starts only (a search for "an" is not every "thanh"), letters folding to two kept whole.
    assert [t for t, f in service.highlight("Thanh An an toàn", ["an"]) if f] == ["An", "an"]
    odd = "İstanbul Đoàn thanh niên"
    assert [t for t, f in service.highlight(odd, ["doan"]) if f] == ["Đoàn"]
    assert "".join(t for t, _ in service.highlight(odd, ["doan"])) == odd


def test_the_portal_day_is_the_congress_day(
    db: Database, settings: Settings, register: dict[str, Any]
) -> None:
    """A sitting at 06:00 in Hà Nội is 23:00 UTC the day before: it is today's in Hà Nội."""
    from congress import congresses
    from docs_portal.portal import _today_sittings

    with db.session() as session:
        congress = session.get(Congress, register["congress_id"])
        assert congress is not None
        congresses.add_sitting(
            session, congress, title="Sáng sớm", starts_at=dt.datetime(2027, 6, 3, 6, 0), actor="t"
        )
    with db.session() as session:
        congress = session.get(Congress, register["congress_id"])
        assert congress is not None
        morning = dt.datetime(2027, 6, 2, 23, 30, tzinfo=dt.UTC)  # 06:30 on 3 June in Hà Nội
        assert [s.title for s in _today_sittings(congress, morning)] == ["Sáng sớm"]
        # The day before in Hà Nội (2 June, 08:00 there): the register's first sitting.
        earlier = dt.datetime(2027, 6, 2, 1, 0, tzinfo=dt.UTC)
        assert [s.title for s in _today_sittings(congress, earlier)] == ["Phiên trù bị"]
