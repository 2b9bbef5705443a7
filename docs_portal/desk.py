"""The organizers' documents desk under /c/<slug>/documents: upload, versions, comments, poster."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from congress import congresses
from congress.errors import CongressError, NotFound
from congress.models import Congress
from congress.web import actor, db_of, download, endpoint, render, session_scope, settings_of, t
from docs_portal import comments as comment_service
from docs_portal import documents as docs
from docs_portal.models import GROUPS, VISIBILITIES, Document
from docs_portal.poster import render_poster
from docs_portal.web import int_or_none, renderer, store_of

ORGANIZE = ("organizer",)


def _datetime_or_none(value: Any) -> dt.datetime | None:
    text = str(value or "").strip()
    if not text:
        return None
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError as exc:
        raise CongressError(
            "bad_datetime", "%(value)s is not a date and time", value=text[:40]
        ) from exc


def fields_from_form(form: Any) -> docs.DocumentFields:
    return docs.DocumentFields(
        title=str(form.get("title", "")),
        group=str(form.get("group", "other")),
        position=int_or_none(form.get("position")) or 0,
        sitting_number=int_or_none(form.get("sitting")),
        visibility=str(form.get("visibility", "delegates")),
        publish_at=_datetime_or_none(form.get("publish_at")),
        comments_open=form.get("comments_open") == "on",
        comments_shared=form.get("comments_shared") == "on",
    ).checked()


def _uploaded(request: Request, form: FormData) -> tuple[bytes, str]:
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise CongressError("file_missing", "Choose a file to upload")
    limit = settings_of(request).max_upload_bytes
    data = upload.file.read(limit + 1)
    if len(data) > limit:
        raise docs.UploadRefused(
            "file_too_large",
            "The file is %(size)s MB; at most %(limit)s MB are accepted",
            size=">" + str(limit // 1_048_576),
            limit=limit // 1_048_576,
        )
    return data, upload.filename


def _desk_context(session: Any, congress: Congress, public_url: str) -> dict[str, Any]:
    documents = docs.documents_of(session, congress)
    reads = comment_service.read_counts(session, congress)
    open_comments = comment_service.open_comment_counts(session, congress)
    delegates = congresses.delegation_counts(session, congress)
    return {
        "congress": congress,
        "documents": documents,
        "reads": reads,
        "open_comments": open_comments,
        "delegate_total": sum(full + alternates for _, full, alternates in delegates),
        "groups": GROUPS,
        "group_labels": docs.GROUP_LABELS,
        "visibilities": VISIBILITIES,
        "visibility_labels": docs.VISIBILITY_LABELS,
        "sittings": list(congress.sittings),
        "portal_url": f"{public_url}/p/{congress.slug}",
    }


def _render_desk(
    request: Request, *, message: str | None = None, error: str | None = None, status: int = 200
) -> Response:
    with session_scope(request) as session:
        congress = congresses.get_congress(session, request.path_params["slug"])
        context = _desk_context(session, congress, settings_of(request).public_url)
        return render(
            request,
            "docs_portal/desk.html",
            {**context, "message": message, "error": error},
            status=status,
        )


@endpoint(*ORGANIZE)
def desk(request: Request) -> Response:
    return _render_desk(request)


@endpoint(*ORGANIZE, form=True)
def upload_document(request: Request, form: FormData) -> Response:
    tr = t(request)
    try:
        fields = fields_from_form(form)
        data, filename = _uploaded(request, form)
        prepared = docs.prepare_upload(settings_of(request), data, filename)
        with db_of(request).write_session() as session:
            congress = congresses.get_congress(session, request.path_params["slug"])
            document = docs.create_document(
                session, store_of(request), congress, fields, prepared, actor(request)
            )
            document_id, sha = document.id, document.current.pdf_sha256
            pages = document.current.pages
    except CongressError as exc:
        return _render_desk(request, error=exc.translated(tr.gettext), status=exc.status)
    renderer(request).prerender(store_of(request).path(sha), sha, pages)
    return RedirectResponse(
        f"/c/{request.path_params['slug']}/documents/{document_id}?added=1", status_code=303
    )


def _document_page(
    request: Request, *, message: str | None = None, error: str | None = None, status: int = 200
) -> Response:
    with session_scope(request) as session:
        congress = congresses.get_congress(session, request.path_params["slug"])
        document = _organizer_document(session, congress, request)
        return render(
            request,
            "docs_portal/document.html",
            {
                "congress": congress,
                "document": document,
                "sitting_number": next(
                    (s.number for s in congress.sittings if s.id == document.sitting_id), None
                ),
                "comments": comment_service.comments_for_organizers(session, document),
                "stats": comment_service.read_stats(session, congress, document),
                "groups": GROUPS,
                "group_labels": docs.GROUP_LABELS,
                "visibilities": VISIBILITIES,
                "visibility_labels": docs.VISIBILITY_LABELS,
                "sittings": list(congress.sittings),
                "message": message
                or (
                    t(request).gettext("Document uploaded")
                    if "added" in request.query_params
                    else None
                ),
                "error": error,
            },
            status=status,
        )


def _organizer_document(session: Any, congress: Congress, request: Request) -> Document:
    document = session.get(Document, int(request.path_params["document_id"]))
    if document is None or document.congress_id != congress.id:
        raise NotFound("document_not_found", "There is no such document")
    return cast(Document, document)


@endpoint(*ORGANIZE)
def document_page(request: Request) -> Response:
    return _document_page(request)


@endpoint(*ORGANIZE, form=True)
def update_document(request: Request, form: FormData) -> Response:
    tr = t(request)
    try:
        fields = fields_from_form(form)
        with db_of(request).write_session() as session:
            congress = congresses.get_congress(session, request.path_params["slug"])
            document = _organizer_document(session, congress, request)
            docs.update_document(session, congress, document, fields, actor(request))
    except CongressError as exc:
        return _document_page(request, error=exc.translated(tr.gettext), status=exc.status)
    return _document_page(request, message=tr.gettext("Saved"))


@endpoint(*ORGANIZE, form=True)
def new_version(request: Request, form: FormData) -> Response:
    tr = t(request)
    try:
        data, filename = _uploaded(request, form)
        prepared = docs.prepare_upload(settings_of(request), data, filename)
        with db_of(request).write_session() as session:
            congress = congresses.get_congress(session, request.path_params["slug"])
            document = _organizer_document(session, congress, request)
            version = docs.add_version(
                session, store_of(request), document, prepared, actor(request)
            )
            sha, pages, number = version.pdf_sha256, version.pages, version.number
    except CongressError as exc:
        return _document_page(request, error=exc.translated(tr.gettext), status=exc.status)
    renderer(request).prerender(store_of(request).path(sha), sha, pages)
    return _document_page(
        request, message=tr.gettext("Version %(number)s is now the one shown", number=number)
    )


@endpoint(*ORGANIZE, form=True)
def mark_handled(request: Request, form: FormData) -> Response:
    handled = form.get("handled") == "1"
    with db_of(request).write_session() as session:
        congress = congresses.get_congress(session, request.path_params["slug"])
        document = _organizer_document(session, congress, request)
        comment_service.set_handled(
            session, document, int(request.path_params["comment_id"]), handled, actor(request)
        )
    return RedirectResponse(
        f"/c/{request.path_params['slug']}/documents/{request.path_params['document_id']}#comments",
        status_code=303,
    )


@endpoint(*ORGANIZE)
def export_comments(request: Request) -> Response:
    fmt = request.path_params["fmt"]
    if fmt not in ("xlsx", "pdf"):
        return Response(status_code=404)
    tr = t(request)
    with session_scope(request) as session:
        congress = congresses.get_congress(session, request.path_params["slug"])
        document = _organizer_document(session, congress, request)
        rows = comment_service.comments_for_organizers(session, document)
        write = comment_service.comments_xlsx if fmt == "xlsx" else comment_service.comments_pdf
        data, document_id = write(congress, document, rows, tr), document.id
    media = (
        "application/pdf"
        if fmt == "pdf"
        else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    return download(data, media, f"comments-{request.path_params['slug']}-{document_id}.{fmt}")


@endpoint(*ORGANIZE)
def poster(request: Request) -> Response:
    size = request.query_params.get("size", "a4")
    if size not in ("a4", "a3"):
        raise CongressError("bad_size", "The poster is A4 or A3")
    with session_scope(request) as session:
        congress = congresses.get_congress(session, request.path_params["slug"])
        url = f"{settings_of(request).public_url}/p/{congress.slug}"
        data = render_poster(congress, url, size)
    return download(data, "application/pdf", f"poster-{request.path_params['slug']}-{size}.pdf")
