"""Delegates' comments (góp ý) on documents, their export, and who opened which document."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from congress import audit
from congress.errors import CongressError, NotFound
from congress.exports import append_row, paragraph
from congress.i18n import Translator
from congress.models import Congress, Delegate, Delegation, utcnow
from congress.vietnamese import nfc
from docs_portal.models import Document, DocumentComment, DocumentRead

MAX_COMMENT = 4000


@dataclass(frozen=True)
class CommentRow:
    comment: DocumentComment
    delegate_code: str
    delegate_name: str
    delegation: str


def add_comment(
    session: Session, document: Document, delegate: Delegate, body: str, page: int | None
) -> DocumentComment:
    if not document.comments_open:
        raise CongressError(
            "comments_closed", "Comments are not taken on this document", status=403
        )
    text = "\n".join(nfc(line) for line in body.replace("\r\n", "\n").split("\n")).strip()
    if not text:
        raise CongressError("comment_empty", "Write the comment first")
    if len(text) > MAX_COMMENT:
        raise CongressError(
            "comment_too_long", "A comment has at most %(limit)s characters", limit=MAX_COMMENT
        )
    version = document.current
    if page is not None and not 1 <= page <= version.pages:
        raise CongressError("page_not_found", "There is no such page")
    comment = DocumentComment(
        document_id=document.id,
        version_number=version.number,
        page=page,
        delegate_id=delegate.id,
        body=text,
    )
    session.add(comment)
    session.flush()
    return comment


def _rows(session: Session, document: Document, delegate_id: int | None = None) -> list[CommentRow]:
    query = (
        select(DocumentComment, Delegate.code, Delegate.full_name, Delegation.name)
        .join(Delegate, Delegate.id == DocumentComment.delegate_id)
        .join(Delegation, Delegation.id == Delegate.delegation_id)
        .where(DocumentComment.document_id == document.id)
        .order_by(DocumentComment.created_at, DocumentComment.id)
    )
    if delegate_id is not None:
        query = query.where(DocumentComment.delegate_id == delegate_id)
    return [
        CommentRow(c, code, name, delegation)
        for c, code, name, delegation in session.execute(query)
    ]


def comments_for_organizers(session: Session, document: Document) -> list[CommentRow]:
    return _rows(session, document)


def comments_for_reader(
    session: Session, document: Document, delegate: Delegate | None
) -> tuple[list[CommentRow], list[CommentRow]]:
    """The delegate's own comments, and the others' when the document shares them."""
    if delegate is None:
        return [], []
    mine = _rows(session, document, delegate.id)
    if not document.comments_shared:
        return mine, []
    others = [row for row in _rows(session, document) if row.comment.delegate_id != delegate.id]
    return mine, others


def set_handled(
    session: Session, document: Document, comment_id: int, handled: bool, actor: str
) -> None:
    comment = session.get(DocumentComment, comment_id)
    if comment is None or comment.document_id != document.id:
        raise NotFound("comment_not_found", "There is no such comment")
    comment.handled_at = utcnow() if handled else None
    comment.handled_by = actor if handled else None
    audit.record(
        session,
        actor,
        "comment.handled" if handled else "comment.reopened",
        congress_id=document.congress_id,
        subject=document.title,
        comment=comment.id,
    )


def read_counts(session: Session, congress: Congress) -> dict[int, int]:
    """Delegates who opened each document of the congress."""
    rows = session.execute(
        select(DocumentRead.document_id, func.count())
        .join(Document, Document.id == DocumentRead.document_id)
        .where(Document.congress_id == congress.id)
        .group_by(DocumentRead.document_id)
    )
    return {document_id: count for document_id, count in rows}


def open_comment_counts(session: Session, congress: Congress) -> dict[int, tuple[int, int]]:
    """(comments, not yet handled) per document."""
    rows = session.execute(
        select(
            DocumentComment.document_id,
            func.count(),
            func.count(DocumentComment.id).filter(DocumentComment.handled_at.is_(None)),
        )
        .join(Document, Document.id == DocumentComment.document_id)
        .where(Document.congress_id == congress.id)
        .group_by(DocumentComment.document_id)
    )
    return {document_id: (total, pending) for document_id, total, pending in rows}


@dataclass(frozen=True)
class DelegationReads:
    delegation: str
    delegates: int
    opened: int

    @property
    def percent(self) -> float:
        return round(100.0 * self.opened / self.delegates, 1) if self.delegates else 0.0


def read_stats(session: Session, congress: Congress, document: Document) -> list[DelegationReads]:
    """Per delegation: delegates, and how many of them opened the document (organizers only)."""
    opened = dict(
        session.execute(
            select(Delegate.delegation_id, func.count())
            .join(DocumentRead, DocumentRead.delegate_id == Delegate.id)
            .where(DocumentRead.document_id == document.id)
            .group_by(Delegate.delegation_id)
        ).all()
    )
    rows = session.execute(
        select(Delegation.id, Delegation.name, func.count(Delegate.id))
        .outerjoin(Delegate, Delegate.delegation_id == Delegation.id)
        .where(Delegation.congress_id == congress.id)
        .group_by(Delegation.id, Delegation.name)
        .order_by(Delegation.name)
    )
    return [DelegationReads(name, total, int(opened.get(did, 0))) for did, name, total in rows]


# --- export ------------------------------------------------------------------------------


def _export_rows(
    rows: list[CommentRow], tr: Translator, zone_name: str
) -> tuple[list[str], list[list[Any]]]:
    header = [
        tr.gettext("No."),
        tr.gettext("Delegate code"),
        tr.gettext("Full name"),
        tr.gettext("Delegation"),
        tr.gettext("Version"),
        tr.gettext("Page"),
        tr.gettext("Comment"),
        tr.gettext("Sent at"),
        tr.gettext("Handled"),
    ]
    body = [
        [
            index,
            row.delegate_code,
            row.delegate_name,
            row.delegation,
            row.comment.version_number,
            row.comment.page or "",
            row.comment.body,
            tr.datetime(row.comment.created_at, zone_name),
            tr.datetime(row.comment.handled_at, zone_name),
        ]
        for index, row in enumerate(rows, start=1)
    ]
    return header, body


def comments_xlsx(
    congress: Congress, document: Document, rows: list[CommentRow], tr: Translator
) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = tr.gettext("Comments")[:31]
    append_row(sheet, [congress.name])
    append_row(sheet, [document.title])
    append_row(sheet, [])
    header, body = _export_rows(rows, tr, congress.time_zone)
    append_row(sheet, header)
    for cell in sheet[4]:
        cell.font = Font(bold=True)
    for values in body:
        append_row(sheet, values)
    for column, width in zip("ABCDEFGHI", (6, 12, 26, 24, 8, 7, 70, 18, 18), strict=True):
        sheet.column_dimensions[column].width = width
    for row in sheet.iter_rows(min_row=5, min_col=7, max_col=7):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def comments_pdf(
    congress: Congress, document: Document, rows: list[CommentRow], tr: Translator
) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    from congress.fonts import register_reportlab_fonts

    register_reportlab_fonts()
    cell = ParagraphStyle("cell", fontName="Sans", fontSize=8.5, leading=11)
    head = ParagraphStyle("head", fontName="Sans-Bold", fontSize=8.5, leading=11)
    title = ParagraphStyle("title", fontName="Sans-Bold", fontSize=13, leading=17)
    sub = ParagraphStyle("sub", fontName="Sans", fontSize=10, leading=13)

    def para(value: Any, style: ParagraphStyle = cell) -> Paragraph:
        return paragraph(value, style)

    header, body = _export_rows(rows, tr, congress.time_zone)
    data = [[para(h, head) for h in header]] + [[para(v) for v in values] for values in body]
    widths = [10 * mm, 20 * mm, 34 * mm, 34 * mm, 12 * mm, 10 * mm, 95 * mm, 26 * mm, 26 * mm]
    table = Table(data, colWidths=widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    out = io.BytesIO()
    pdf = SimpleDocTemplate(
        out,
        pagesize=landscape(A4),
        leftMargin=10 * mm,
        rightMargin=10 * mm,
        topMargin=12 * mm,
        bottomMargin=12 * mm,
        title=tr.gettext("Comments") + " - " + document.title,
    )
    story: list[Any] = [
        para(congress.name, sub),
        para(tr.gettext("Comments on: %(title)s", title=document.title), title),
        para(tr.gettext("%(count)s comments", count=len(rows)), sub),
        Spacer(1, 4 * mm),
        table,
    ]
    pdf.build(story)
    return out.getvalue()
