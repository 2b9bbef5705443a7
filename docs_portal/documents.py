"""Congress documents: checking an upload, storing its versions, who may read what, search."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, selectinload

from congress import audit
from congress.archives import ArchiveRefused, BoundedZip, ZipBounds
from congress.errors import CongressError, NotFound
from congress.filetypes import sniff
from congress.i18n import N_, utc_from_local
from congress.limits import Limits
from congress.models import Congress, Delegate, Sitting, utcnow
from congress.settings import Settings
from congress.storage import FileStore, store_file
from congress.vietnamese import fold, nfc
from docs_portal.models import (
    GROUPS,
    VISIBILITIES,
    Document,
    DocumentPage,
    DocumentVersion,
)

GROUP_LABELS = {
    "agenda": N_("Agenda"),
    "programme": N_("Programme"),
    "reports": N_("Reports"),
    "resolutions": N_("Draft resolutions"),
    "regulations": N_("Regulations"),
    "reference": N_("Reference"),
    "other": N_("Other documents"),
}
VISIBILITY_LABELS = {
    "public": N_("Public"),
    "delegates": N_("Delegates only"),
    "hidden": N_("Hidden draft"),
}
CONVERT_TIMEOUT_S = 180
DEFAULT_LIMITS = Limits()


class UploadRefused(CongressError):
    """The uploaded file cannot become a congress document; nothing was stored."""


@dataclass(frozen=True)
class PageInfo:
    width_pt: float
    height_pt: float
    text: str


@dataclass(frozen=True)
class PreparedFile:
    """An upload checked and ready to store: the PDF to show and the file as uploaded."""

    pdf: bytes
    original: bytes
    original_name: str
    original_type: str
    pages: tuple[PageInfo, ...]


@dataclass(frozen=True)
class Viewer:
    """Who is reading the portal: a signed-in delegate, staff, both or neither."""

    delegate_id: int | None = None
    staff_roles: frozenset[str] = frozenset()

    @property
    def organizer(self) -> bool:
        return bool(self.staff_roles & {"admin", "organizer"})

    @property
    def member(self) -> bool:
        """May read delegates-only documents."""
        return self.delegate_id is not None or bool(self.staff_roles)


# --- checking an upload ------------------------------------------------------------------


def document_kind(data: bytes, limits: Limits = DEFAULT_LIMITS) -> str:
    """The file's type from its content: "pdf", "docx", "odt" or "" (anything else).

    A DOCX or ODT is unpacked within `limits` first, keeping nothing, since LibreOffice will
    trust it; one beyond them is refused (ArchiveRefused, 413)."""
    file_kind = sniff(data)
    if file_kind == "pdf":
        return "pdf"
    if file_kind != "zip":
        return ""
    bounds = ZipBounds(
        limits.archive_entries,
        limits.document_decompressed_bytes,
        limits.document_decompressed_bytes,
    )
    try:
        with BoundedZip(data, bounds) as archive:
            archive.check_all()
            names = archive.names()
            if "word/document.xml" in names and "[Content_Types].xml" in names:
                return "docx"
            if "mimetype" in names:
                kind = archive.head("mimetype", 100).strip()
                if kind == b"application/vnd.oasis.opendocument.text":
                    return "odt"
    except ArchiveRefused as exc:
        if exc.status == 413:
            raise
    return ""


def office_converter() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def convert_to_pdf(data: bytes, kind: str) -> bytes:
    """DOCX/ODT to PDF with LibreOffice in a private profile and folder."""
    program = office_converter()
    if program is None:
        raise UploadRefused(
            "converter_missing",
            "Word and OpenDocument files are converted to PDF with LibreOffice, which is not "
            "installed on this server; save the file as PDF and upload the PDF",
        )
    with tempfile.TemporaryDirectory(prefix="congress-convert-") as work:
        folder = Path(work)
        source = folder / f"document.{kind}"
        source.write_bytes(data)
        try:
            subprocess.run(
                [
                    program,
                    f"-env:UserInstallation=file://{folder / 'profile'}",
                    "--headless",
                    "--norestore",
                    "--convert-to",
                    "pdf",
                    "--outdir",
                    str(folder / "out"),
                    str(source),
                ],
                check=True,
                capture_output=True,
                timeout=CONVERT_TIMEOUT_S,
            )
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as exc:
            raise UploadRefused(
                "conversion_failed", "LibreOffice could not convert the file to PDF"
            ) from exc
        result = folder / "out" / "document.pdf"
        if not result.is_file():
            raise UploadRefused(
                "conversion_failed", "LibreOffice could not convert the file to PDF"
            )
        return result.read_bytes()


def read_pdf(data: bytes, max_pages: int) -> tuple[PageInfo, ...]:
    """Open the PDF as the reader will, refusing encrypted, broken, empty or too long files.

    Only page geometry and text are read: the PDF's scripts, forms actions and links never run.
    """
    import pypdfium2 as pdfium

    try:
        document = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise UploadRefused(
                "pdf_encrypted",
                "The PDF is protected by a password; upload a copy without protection",
            ) from exc
        raise UploadRefused(
            "pdf_broken", "The PDF cannot be opened; it may be damaged or incomplete"
        ) from exc
    try:
        count = len(document)
        if count == 0:
            raise UploadRefused("pdf_empty", "The PDF has no pages")
        if count > max_pages:
            raise UploadRefused(
                "too_many_pages",
                "The document has %(pages)s pages; at most %(limit)s are accepted",
                pages=count,
                limit=max_pages,
            )
        pages = []
        for index in range(count):
            page = document[index]
            try:
                width, height = page.get_size()
                textpage = page.get_textpage()
                try:
                    content = textpage.get_text_bounded()
                finally:
                    textpage.close()
            except pdfium.PdfiumError as exc:
                raise UploadRefused(
                    "pdf_broken",
                    "Page %(page)s of the PDF cannot be read; it may be damaged",
                    page=index + 1,
                ) from exc
            finally:
                page.close()
            if width <= 0 or height <= 0:
                raise UploadRefused(
                    "pdf_broken",
                    "Page %(page)s of the PDF cannot be read; it may be damaged",
                    page=index + 1,
                )
            pages.append(PageInfo(float(width), float(height), clean_text(content)))
        return tuple(pages)
    finally:
        document.close()


def clean_text(content: str) -> str:
    content = content.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    return nfc_lines(content)


def nfc_lines(content: str) -> str:
    lines = [nfc(line) for line in content.split("\n")]
    return "\n".join(line for line in lines if line)


def prepare_upload(settings: Settings, data: bytes, filename: str) -> PreparedFile:
    """Check an upload by its content and turn it into a PDF with its pages' text."""
    name = Path(filename.replace("\\", "/")).name[:300] or "document"
    if not data:
        raise UploadRefused("empty_file", "The file is empty")
    if len(data) > settings.max_upload_bytes:
        raise UploadRefused(
            "file_too_large",
            "The file is %(size)s MB; at most %(limit)s MB are accepted",
            size=round(len(data) / 1_048_576, 1),
            limit=settings.max_upload_bytes // 1_048_576,
        )
    kind = document_kind(data, settings.limits)
    if not kind:
        raise UploadRefused(
            "not_a_document",
            "This file is not a PDF, Word (.docx) or OpenDocument (.odt) document, whatever "
            "its name says",
        )
    pdf = data if kind == "pdf" else convert_to_pdf(data, kind)
    pages = read_pdf(pdf, settings.max_document_pages)
    content_types = {
        "pdf": "application/pdf",
        "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "odt": "application/vnd.oasis.opendocument.text",
    }
    return PreparedFile(pdf, data, name, content_types[kind], pages)


# --- storing -----------------------------------------------------------------------------


@dataclass
class DocumentFields:
    title: str
    group: str = "other"
    position: int = 0
    sitting_number: int | None = None
    visibility: str = "delegates"
    publish_at: dt.datetime | None = None  # naive: the congress's wall time
    comments_open: bool = False
    comments_shared: bool = False

    def checked(self) -> DocumentFields:
        title = nfc(self.title)
        if not title:
            raise CongressError("title_missing", "A document needs a title")
        if len(title) > 300:
            raise CongressError("title_too_long", "A title has at most 300 characters")
        if self.group not in GROUPS:
            raise CongressError(
                "unknown_group",
                "Unknown group %(group)s; the groups are: %(groups)s",
                group=self.group,
                groups=", ".join(GROUPS),
            )
        if self.visibility not in VISIBILITIES:
            raise CongressError(
                "unknown_visibility",
                "Unknown visibility %(value)s; it is one of: %(values)s",
                value=self.visibility,
                values=", ".join(VISIBILITIES),
            )
        if not -100_000 <= self.position <= 100_000:
            raise CongressError("bad_position", "The order is a whole number")
        self.title = title
        return self


def _sitting_id(session: Session, congress: Congress, number: int | None) -> int | None:
    if number is None:
        return None
    found = session.scalar(
        select(Sitting.id).where(Sitting.congress_id == congress.id, Sitting.number == number)
    )
    if found is None:
        raise CongressError("unknown_sitting", "There is no sitting %(number)s", number=number)
    return found


def _apply(
    session: Session, congress: Congress, document: Document, fields: DocumentFields
) -> None:
    fields.checked()
    document.title = fields.title
    document.title_folded = fold(fields.title)
    document.group = fields.group
    document.position = fields.position
    document.sitting_id = _sitting_id(session, congress, fields.sitting_number)
    document.visibility = fields.visibility
    # A publish time typed by an organizer is a wall time of the congress's zone.
    try:
        document.publish_at = (
            utc_from_local(fields.publish_at, congress.time_zone) if fields.publish_at else None
        )
    except ValueError as exc:
        raise CongressError(
            "bad_datetime", "%(value)s is not a date and time", value=str(fields.publish_at)
        ) from exc
    document.comments_open = fields.comments_open
    document.comments_shared = fields.comments_shared


def _add_version(
    session: Session, store: FileStore, document: Document, prepared: PreparedFile, actor: str
) -> DocumentVersion:
    pdf = store_file(session, store, prepared.pdf, "application/pdf", prepared.original_name)
    original = pdf
    if prepared.original is not prepared.pdf:
        original = store_file(
            session, store, prepared.original, prepared.original_type, prepared.original_name
        )
    number = (
        session.scalar(
            select(func.max(DocumentVersion.number)).where(
                DocumentVersion.document_id == document.id
            )
        )
        or 0
    ) + 1
    version = DocumentVersion(
        document_id=document.id,
        number=number,
        pdf_sha256=pdf.sha256,
        original_sha256=original.sha256,
        original_name=prepared.original_name,
        pages=len(prepared.pages),
        size=len(prepared.pdf),
        uploaded_by=actor,
    )
    session.add(version)
    session.flush()
    session.add_all(
        DocumentPage(
            version_id=version.id,
            number=index + 1,
            width_pt=page.width_pt,
            height_pt=page.height_pt,
            text=page.text,
            folded=fold(page.text),
        )
        for index, page in enumerate(prepared.pages)
    )
    session.flush()
    session.expire(document, ["versions"])
    return version


def create_document(
    session: Session,
    store: FileStore,
    congress: Congress,
    fields: DocumentFields,
    prepared: PreparedFile,
    actor: str,
) -> Document:
    document = Document(congress_id=congress.id, created_by=actor)
    _apply(session, congress, document, fields)
    session.add(document)
    session.flush()
    version = _add_version(session, store, document, prepared, actor)
    audit.record(
        session,
        actor,
        "document.create",
        congress_id=congress.id,
        subject=document.title,
        document=document.id,
        pdf=version.pdf_sha256,
        pages=version.pages,
    )
    return document


def add_version(
    session: Session, store: FileStore, document: Document, prepared: PreparedFile, actor: str
) -> DocumentVersion:
    version = _add_version(session, store, document, prepared, actor)
    audit.record(
        session,
        actor,
        "document.version",
        congress_id=document.congress_id,
        subject=document.title,
        document=document.id,
        version=version.number,
        pdf=version.pdf_sha256,
        pages=version.pages,
    )
    return version


def update_document(
    session: Session, congress: Congress, document: Document, fields: DocumentFields, actor: str
) -> None:
    _apply(session, congress, document, fields)
    audit.record(
        session,
        actor,
        "document.update",
        congress_id=congress.id,
        subject=document.title,
        document=document.id,
        visibility=document.visibility,
    )


# --- who reads what ----------------------------------------------------------------------


def is_listed(document: Document, viewer: Viewer, now: dt.datetime | None = None) -> bool:
    """Whether the viewer sees the document in the list and may open it."""
    if viewer.organizer:
        return True
    if document.visibility == "hidden":
        return False
    if document.publish_at is not None and document.publish_at > (now or utcnow()):
        return False
    return document.visibility == "public" or viewer.member


def documents_of(session: Session, congress: Congress) -> list[Document]:
    """Every document of the congress in reading order (group, order, title)."""
    found = session.scalars(
        select(Document)
        .where(Document.congress_id == congress.id)
        .options(selectinload(Document.versions))
    ).all()
    return sorted(found, key=lambda d: (GROUPS.index(d.group), d.position, d.title_folded, d.id))


def readable_document(
    session: Session, congress: Congress, document_id: int, viewer: Viewer
) -> Document:
    """The document if the viewer may read it. Refusals: hidden or unknown -> 404; delegates-only
    without sign-in -> 403 (the page offers the sign-in)."""
    document = session.get(Document, document_id, options=[selectinload(Document.versions)])
    if document is None or document.congress_id != congress.id or not document.versions:
        raise NotFound("document_not_found", "There is no such document")
    if is_listed(document, viewer):
        return document
    hidden_from_all = document.visibility == "hidden" or (
        document.publish_at is not None and document.publish_at > utcnow()
    )
    if hidden_from_all:
        raise NotFound("document_not_found", "There is no such document")
    raise CongressError(
        "delegates_only",
        "This document is for delegates; sign in with your delegate card",
        status=403,
    )


def version_of(document: Document, number: int | None) -> DocumentVersion:
    if number is None:
        return document.current
    for version in document.versions:
        if version.number == number:
            return version
    raise NotFound("version_not_found", "There is no such version of the document")


def pages_of(session: Session, version: DocumentVersion) -> list[DocumentPage]:
    return list(
        session.scalars(
            select(DocumentPage)
            .where(DocumentPage.version_id == version.id)
            .order_by(DocumentPage.number)
        )
    )


def delegate_for_portal(
    session: Session, congress: Congress, delegate_id: int | None, badge_version: int | None
) -> Delegate | None:
    """The signed-in delegate, if their badge still stands (a revoked or replaced badge signs out)."""
    if delegate_id is None:
        return None
    delegate = session.get(Delegate, delegate_id)
    if (
        delegate is None
        or delegate.congress_id != congress.id
        or delegate.revoked_at is not None
        or delegate.badge_version != badge_version
    ):
        return None
    return delegate


# --- search ------------------------------------------------------------------------------

WORD = re.compile(r"[0-9a-z]+")
MAX_TERMS = 8


Parts = tuple[tuple[str, bool], ...]  # a text in pieces, True where a word searched for is


@dataclass(frozen=True)
class SearchHit:
    document: Document
    page: int | None  # None: the title matched
    snippet: str
    parts: Parts = ()  # the snippet in pieces, the words found marked


def query_terms(query: str) -> list[str]:
    """The folded words of a search ("Nghị quyết" and "nghi quyet" both give nghi, quyet)."""
    return WORD.findall(fold(query[:200]))[:MAX_TERMS]


def _matching_pages(session: Session, version_ids: list[int], terms: list[str]) -> list[tuple]:
    if not version_ids or not terms:
        return []
    dialect = session.get_bind().dialect.name
    params: dict[str, object] = {f"v{i}": v for i, v in enumerate(version_ids)}
    in_list = ", ".join(f":v{i}" for i in range(len(version_ids)))
    if dialect == "postgresql":
        params["q"] = " & ".join(f"{term}:*" for term in terms)
        sql = (
            "SELECT p.version_id, p.number, p.text, p.folded FROM document_pages p "
            "WHERE to_tsvector('simple', p.folded) @@ to_tsquery('simple', :q) "
            f"AND p.version_id IN ({in_list}) "
            "ORDER BY ts_rank(to_tsvector('simple', p.folded), to_tsquery('simple', :q)) DESC, "
            "p.version_id, p.number LIMIT 200"
        )
    else:
        params["q"] = " AND ".join(f'"{term}"*' for term in terms)
        sql = (
            "SELECT p.version_id, p.number, p.text, p.folded FROM document_search s "
            "JOIN document_pages p ON p.id = s.rowid "
            f"WHERE document_search MATCH :q AND p.version_id IN ({in_list}) "
            "ORDER BY s.rank, p.version_id, p.number LIMIT 200"
        )
    return [tuple(row) for row in session.execute(text(sql), params)]


def _found(text: str, terms: list[str]) -> list[tuple[int, int, int]]:
    """(start, end, term index) of each word of `text` that starts with a term, in order.

    The text is folded letter by letter, so a place in the folded text is a place in the text
    itself whatever folding does to a letter's length.
    """
    folded: list[str] = []
    origin: list[int] = []
    for i, ch in enumerate(text):
        for c in fold(ch):
            folded.append(c)
            origin.append(i)
    flat = "".join(folded)
    spans = []
    for match in WORD.finditer(flat):
        word = match.group()
        for index, term in enumerate(terms):
            if word.startswith(term):
                spans.append((origin[match.start()], origin[match.end() - 1] + 1, index))
                break
    return spans


def highlight(text: str, terms: list[str], limit: int = 500) -> Parts:
    """`text` in pieces with every word found marked (the first `limit` of them)."""
    parts: list[tuple[str, bool]] = []
    at = 0
    for start, end, _ in _found(text, terms)[:limit]:
        if start > at:
            parts.append((text[at:start], False))
        parts.append((text[start:end], True))
        at = end
    if at < len(text):
        parts.append((text[at:], False))
    return tuple(parts)


def _window(flat: str, begin: int, width: int) -> tuple[int, int]:
    """[begin, begin + width) moved to word boundaries."""
    if begin:
        space = flat.rfind(" ", 0, begin + 1)
        begin = space + 1 if space >= 0 and begin - space < 20 else begin
    end = min(len(flat), begin + width)
    if end < len(flat):
        space = flat.rfind(" ", begin, end)
        end = space if space > begin + width // 2 else end
    return begin, end


def snippet_parts(original: str, terms: list[str], width: int = 160) -> Parts:
    """Pieces of the page's text that show every word found, marked: the place where the most
    of them are together, and a short piece around each one found only elsewhere."""
    flat = " ".join(original.split())
    spans = _found(flat, terms)[:400]
    lead = width // 4
    begin, best = 0, -1
    for anchor, _, _ in spans:
        start = max(0, anchor - lead)
        covered = {t for s, e, t in spans if s >= start and e <= start + width}
        if len(covered) > best:
            best, begin = len(covered), start
    windows = [_window(flat, begin, width)]
    shown = {t for s, e, t in spans if s >= windows[0][0] and e <= windows[0][1]}
    for s, e, t in spans:
        if t not in shown:
            shown.add(t)
            windows.append(_window(flat, max(0, s - 30), max(e - s + 60, width // 2)))
    windows.sort()
    merged: list[list[int]] = []
    for s, e in windows:
        if merged and s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    parts: list[tuple[str, bool]] = []
    for s, e in merged:
        if s > 0:
            parts.append(("…" if not parts else " … ", False))
        parts.extend(highlight(flat[s:e], terms))
    if merged and merged[-1][1] < len(flat):
        parts.append(("…", False))
    return tuple(parts)


def snippet(original: str, folded: str, terms: list[str], width: int = 160) -> str:
    """A piece of the page's text around the words found (`snippet_parts` as plain text)."""
    return "".join(text for text, _ in snippet_parts(original, terms, width))


def search(
    session: Session, congress: Congress, viewer: Viewer, query: str, limit: int = 50
) -> list[SearchHit]:
    """Titles and the current versions' text of the documents the viewer may read."""
    terms = query_terms(query)
    if not terms:
        return []
    readable = [d for d in documents_of(session, congress) if d.versions and is_listed(d, viewer)]
    by_version = {d.current.id: d for d in readable}
    hits: list[SearchHit] = []
    seen: set[int] = set()
    for document in readable:
        words = WORD.findall(document.title_folded)
        if all(any(w.startswith(term) for w in words) for term in terms):
            hits.append(SearchHit(document, None, document.title, highlight(document.title, terms)))
            seen.add(document.id)
    for version_id, number, original, _ in _matching_pages(session, list(by_version), terms):
        document = by_version[version_id]
        if document.id in seen:
            continue
        seen.add(document.id)
        parts = snippet_parts(original, terms)
        hits.append(SearchHit(document, number, "".join(t for t, _ in parts), parts))
    return hits[:limit]
