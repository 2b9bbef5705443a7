"""Documents pages: the organizers' desk under /c/<slug>/documents, the phone portal under /p/<slug>."""

from __future__ import annotations

import datetime as dt
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from badges.service import check_badge
from congress import congresses
from congress.auth import LoginLimiter
from congress.db import insert_ignore
from congress.errors import CongressError, NotFound
from congress.models import Congress, Delegate
from congress.storage import FileStore
from congress.web import (
    actor,
    db_of,
    endpoint,
    form_of,
    principal,
    render,
    service_worker_script,
    session_scope,
    settings_of,
    t,
    web_manifest,
)
from docs_portal import comments as comment_service
from docs_portal import documents as docs
from docs_portal.models import GROUPS, VISIBILITIES, Document, DocumentRead
from docs_portal.poster import render_poster
from docs_portal.render import DEFAULT_WIDTH, WIDTHS, PageRenderer, pick_width

HERE = Path(__file__).parent
ORGANIZE = ("organizer",)
PORTAL_KEY = "portal"  # session: {congress id: [delegate id, badge version]}
IMMUTABLE = "max-age=31536000, immutable"


def renderer(request: Request) -> PageRenderer:
    return cast(PageRenderer, request.app.state.page_renderer)


def store_of(request: Request) -> FileStore:
    return FileStore(settings_of(request).files_dir)


def _download(data: bytes, media_type: str, filename: str) -> Response:
    return Response(
        data,
        media_type=media_type,
        headers={
            "content-disposition": f'attachment; filename="{filename}"',
            "cache-control": "no-store",
        },
    )


# --- organizer side ----------------------------------------------------------------------


def _int_or_none(value: Any) -> int | None:
    text = str(value or "").strip()
    if not text:
        return None
    if not text.lstrip("-").isdigit():
        raise CongressError("not_a_number", "%(value)s is not a whole number", value=text[:20])
    return int(text)


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
        position=_int_or_none(form.get("position")) or 0,
        sitting_number=_int_or_none(form.get("sitting")),
        visibility=str(form.get("visibility", "delegates")),
        publish_at=_datetime_or_none(form.get("publish_at")),
        comments_open=form.get("comments_open") == "on",
        comments_shared=form.get("comments_shared") == "on",
    ).checked()


async def _uploaded(request: Request, form: Any) -> tuple[bytes, str]:
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise CongressError("file_missing", "Choose a file to upload")
    limit = settings_of(request).max_upload_bytes
    data = await upload.read(limit + 1)
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
async def desk(request: Request) -> Response:
    return _render_desk(request)


@endpoint(*ORGANIZE)
async def upload_document(request: Request) -> Response:
    tr = t(request)
    settings = settings_of(request)
    try:
        form = await form_of(request)
        fields = fields_from_form(form)
        data, filename = await _uploaded(request, form)
        prepared = await run_in_threadpool(docs.prepare_upload, settings, data, filename)

        def store() -> tuple[int, str, int]:
            with db_of(request).write_session() as session:
                congress = congresses.get_congress(session, request.path_params["slug"])
                document = docs.create_document(
                    session, store_of(request), congress, fields, prepared, actor(request)
                )
                return document.id, document.current.pdf_sha256, document.current.pages

        document_id, sha, pages = await run_in_threadpool(store)
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
async def document_page(request: Request) -> Response:
    return _document_page(request)


@endpoint(*ORGANIZE)
async def update_document(request: Request) -> Response:
    tr = t(request)
    try:
        form = await form_of(request)
        fields = fields_from_form(form)
        with db_of(request).write_session() as session:
            congress = congresses.get_congress(session, request.path_params["slug"])
            document = _organizer_document(session, congress, request)
            docs.update_document(session, congress, document, fields, actor(request))
    except CongressError as exc:
        return _document_page(request, error=exc.translated(tr.gettext), status=exc.status)
    return _document_page(request, message=tr.gettext("Saved"))


@endpoint(*ORGANIZE)
async def new_version(request: Request) -> Response:
    tr = t(request)
    settings = settings_of(request)
    try:
        form = await form_of(request)
        data, filename = await _uploaded(request, form)
        prepared = await run_in_threadpool(docs.prepare_upload, settings, data, filename)

        def store() -> tuple[str, int, int]:
            with db_of(request).write_session() as session:
                congress = congresses.get_congress(session, request.path_params["slug"])
                document = _organizer_document(session, congress, request)
                version = docs.add_version(
                    session, store_of(request), document, prepared, actor(request)
                )
                return version.pdf_sha256, version.pages, version.number

        sha, pages, number = await run_in_threadpool(store)
    except CongressError as exc:
        return _document_page(request, error=exc.translated(tr.gettext), status=exc.status)
    renderer(request).prerender(store_of(request).path(sha), sha, pages)
    return _document_page(
        request, message=tr.gettext("Version %(number)s is now the one shown", number=number)
    )


@endpoint(*ORGANIZE)
async def mark_handled(request: Request) -> Response:
    form = await form_of(request)
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
async def export_comments(request: Request) -> Response:
    fmt = request.path_params["fmt"]
    if fmt not in ("xlsx", "pdf"):
        return Response(status_code=404)
    tr = t(request)

    def build() -> tuple[bytes, int]:
        with session_scope(request) as session:
            congress = congresses.get_congress(session, request.path_params["slug"])
            document = _organizer_document(session, congress, request)
            rows = comment_service.comments_for_organizers(session, document)
            if fmt == "xlsx":
                return comment_service.comments_xlsx(congress, document, rows, tr), document.id
            return comment_service.comments_pdf(congress, document, rows, tr), document.id

    data, document_id = await run_in_threadpool(build)
    media = (
        "application/pdf"
        if fmt == "pdf"
        else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    return _download(data, media, f"comments-{request.path_params['slug']}-{document_id}.{fmt}")


@endpoint(*ORGANIZE)
async def poster(request: Request) -> Response:
    size = request.query_params.get("size", "a4")
    if size not in ("a4", "a3"):
        raise CongressError("bad_size", "The poster is A4 or A3")
    settings = settings_of(request)

    def build() -> bytes:
        with session_scope(request) as session:
            congress = congresses.get_congress(session, request.path_params["slug"])
            return render_poster(congress, f"{settings.public_url}/p/{congress.slug}", size)

    data = await run_in_threadpool(build)
    return _download(data, "application/pdf", f"poster-{request.path_params['slug']}-{size}.pdf")


# --- the portal (phones) -------------------------------------------------------------------


def portal_viewer(request: Request, session: Any, congress: Congress) -> tuple[docs.Viewer, Any]:
    """The reader: the delegate signed in on this phone (if their badge still stands) and staff."""
    signed = request.session.get(PORTAL_KEY, {}).get(str(congress.id))
    delegate = None
    if isinstance(signed, list) and len(signed) == 2:
        delegate = docs.delegate_for_portal(session, congress, signed[0], signed[1])
    who = principal(request)
    roles = who.roles if who is not None and who.kind == "user" else frozenset()
    return docs.Viewer(delegate.id if delegate else None, roles), delegate


def _portal_congress(session: Any, request: Request) -> Congress:
    return congresses.get_congress(session, request.path_params["slug"])


def _today_sittings(congress: Congress) -> list[Any]:
    today = dt.date.today()
    todays = [s for s in congress.sittings if s.starts_at.date() == today]
    if todays:
        return todays
    upcoming = [s for s in congress.sittings if s.starts_at.date() > today]
    return upcoming[:2]


@endpoint(public=True)
async def portal_home(request: Request) -> Response:
    with session_scope(request) as session:
        congress = _portal_congress(session, request)
        viewer, delegate = portal_viewer(request, session, congress)
        every = docs.documents_of(session, congress)
        listed = [d for d in every if d.versions and docs.is_listed(d, viewer)]
        grouped: list[tuple[str, list[Document]]] = []
        for group in GROUPS:
            members = [d for d in listed if d.group == group]
            if members:
                grouped.append((group, members))
        hidden_for_delegates = not viewer.member and any(d.visibility == "delegates" for d in every)
        response = render(
            request,
            "docs_portal/home.html",
            {
                "congress": congress,
                "delegate": delegate,
                "grouped": grouped,
                "group_labels": docs.GROUP_LABELS,
                "sittings": _today_sittings(congress),
                "more_for_delegates": hidden_for_delegates,
                "query": "",
            },
        )
    response.headers["cache-control"] = "no-cache"
    return response


@endpoint(public=True)
async def portal_search(request: Request) -> Response:
    query = request.query_params.get("q", "")[:200]
    with session_scope(request) as session:
        congress = _portal_congress(session, request)
        viewer, delegate = portal_viewer(request, session, congress)
        hits = docs.search(session, congress, viewer, query)
        return render(
            request,
            "docs_portal/search.html",
            {"congress": congress, "delegate": delegate, "hits": hits, "query": query},
        )


def sign_in(request: Request, session: Any, congress: Congress, token: str) -> Delegate:
    answer = check_badge(session, congress, token.strip()[:300])
    if not answer.verdict.admitted or answer.delegate is None:
        raise CongressError(
            "badge_refused",
            "This is not a valid delegate card of this congress; ask the organizers",
            status=403,
        )
    portal = dict(request.session.get(PORTAL_KEY, {}))
    portal[str(congress.id)] = [answer.delegate.id, answer.delegate.badge_version]
    request.session[PORTAL_KEY] = portal
    return answer.delegate


@endpoint(public=True)
async def enter(request: Request) -> Response:
    """The soft badge's link: sign this phone in as the badge's delegate, then show the portal."""
    slug = request.path_params["slug"]
    with session_scope(request) as session:
        congress = _portal_congress(session, request)
        sign_in(request, session, congress, request.path_params["token"])
    return RedirectResponse(f"/p/{slug}", status_code=303)


@endpoint(public=True)
async def signin_page(request: Request) -> Response:
    error = None
    status = 200
    if request.method == "POST":
        form = await form_of(request)
        with session_scope(request) as session:
            congress = _portal_congress(session, request)
            try:
                sign_in(request, session, congress, str(form.get("token", "")))
            except CongressError as exc:
                error, status = exc.translated(t(request).gettext), exc.status
            else:
                target = str(form.get("next", ""))
                if not target.startswith(f"/p/{congress.slug}"):
                    target = f"/p/{congress.slug}"
                return RedirectResponse(target, status_code=303)
    with session_scope(request) as session:
        congress = _portal_congress(session, request)
        _, delegate = portal_viewer(request, session, congress)
        next_page = request.query_params.get("next", "")
        return render(
            request,
            "docs_portal/signin.html",
            {
                "congress": congress,
                "delegate": delegate,
                "error": error,
                "next": next_page if next_page.startswith(f"/p/{congress.slug}") else "",
                "query": "",
            },
            status=status,
        )


@endpoint(public=True)
async def sign_out(request: Request) -> Response:
    with session_scope(request) as session:
        congress = _portal_congress(session, request)
        portal = dict(request.session.get(PORTAL_KEY, {}))
        portal.pop(str(congress.id), None)
        request.session[PORTAL_KEY] = portal
    return RedirectResponse(f"/p/{congress.slug}", status_code=303)


def _refusal_page(request: Request, congress: Congress, exc: CongressError) -> Response:
    return render(
        request,
        "docs_portal/refused.html",
        {
            "congress": congress,
            "delegate": None,
            "message": exc.translated(t(request).gettext),
            "signin": exc.code == "delegates_only",
            "query": "",
        },
        status=exc.status,
    )


@endpoint(public=True)
async def reader(request: Request) -> Response:
    number = request.path_params.get("version")
    with db_of(request).session() as session:
        congress = _portal_congress(session, request)
        viewer, delegate = portal_viewer(request, session, congress)
        try:
            document = docs.readable_document(
                session, congress, int(request.path_params["document_id"]), viewer
            )
        except CongressError as exc:
            return _refusal_page(request, congress, exc)
        version = docs.version_of(document, int(number) if number is not None else None)
        pages = docs.pages_of(session, version)
        base = f"/p/{congress.slug}/d/{document.id}/v/{version.number}"
        figures = _figures(t(request).gettext, base, pages)
        mine, others = comment_service.comments_for_reader(session, document, delegate)
        response = render(
            request,
            "docs_portal/reader.html",
            {
                "congress": congress,
                "delegate": delegate,
                "document": document,
                "version": version,
                "pages": pages,
                "figures": figures,
                "base": base,
                "group_label": docs.GROUP_LABELS[document.group],
                "mine": mine,
                "others": others,
                "query": "",
                "comment_error": request.query_params.get("comment_error"),
                "comment_sent": "sent" in request.query_params,
            },
        )
        delegate_id = delegate.id if delegate is not None else None
        document_id = document.id
    if delegate_id is not None:
        await run_in_threadpool(_record_read, request, document_id, delegate_id)
    response.headers["cache-control"] = "private, no-cache"
    return response


@dataclass(frozen=True)
class Figure:
    """One page of the reader, its strings made once (a long document has hundreds)."""

    number: int
    src: str
    srcset: str
    full: str  # the widest image, opened when the page is tapped for zoom
    height: int  # at the 720-px layout width, so the page keeps its place while loading
    label: str
    full_label: str
    text: str


def _figures(gettext: Any, base: str, pages: list[Any]) -> list[Figure]:
    page_label, full_label = gettext("Page %(number)s"), gettext("Page %(number)s, full size")
    figures = []
    for p in pages:
        image = f"{base}/page/{p.number}.webp?w="
        figures.append(
            Figure(
                number=p.number,
                src=f"{image}{DEFAULT_WIDTH}",
                srcset=", ".join(f"{image}{w} {w}w" for w in WIDTHS),
                full=f"{image}{WIDTHS[-1]}",
                height=round(DEFAULT_WIDTH * p.height_pt / p.width_pt),
                label=page_label % {"number": p.number},
                full_label=full_label % {"number": p.number},
                text=p.text,
            )
        )
    return figures


def _record_read(request: Request, document_id: int, delegate_id: int) -> None:
    with db_of(request).session() as session:
        session.execute(
            insert_ignore(session, DocumentRead).values(
                document_id=document_id, delegate_id=delegate_id
            )
        )


def _version_for_file(request: Request) -> tuple[Document, Any, str]:
    with db_of(request).session() as session:
        congress = _portal_congress(session, request)
        viewer, _ = portal_viewer(request, session, congress)
        document = docs.readable_document(
            session, congress, int(request.path_params["document_id"]), viewer
        )
        version = docs.version_of(document, int(request.path_params["version"]))
        return document, version, document.visibility


@endpoint(public=True)
async def page_image(request: Request) -> Response:
    document, version, visibility = _version_for_file(request)
    page = int(request.path_params["page"])
    if not 1 <= page <= version.pages:
        raise NotFound("page_not_found", "There is no such page")
    try:
        requested = int(request.query_params.get("w", "0") or 0)
    except ValueError:
        requested = 0
    width = pick_width(requested)
    etag = f'"{version.pdf_sha256[:20]}-{page}-{width}"'
    scope = "public" if visibility == "public" else "private"
    headers = {"etag": etag, "cache-control": f"{scope}, {IMMUTABLE}"}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    store = store_of(request)
    try:
        path = await renderer(request).image(
            store.path(version.pdf_sha256), version.pdf_sha256, page, width
        )
    except BrokenProcessPool as exc:
        raise CongressError(
            "page_unavailable",
            "This page cannot be shown as an image; download the PDF instead",
            status=503,
        ) from exc
    data = await run_in_threadpool(path.read_bytes)
    return Response(data, media_type="image/webp", headers=headers)


@endpoint(public=True)
async def download_pdf(request: Request) -> Response:
    document, version, visibility = _version_for_file(request)
    data = await run_in_threadpool(store_of(request).get, version.pdf_sha256)
    scope = "public" if visibility == "public" else "private"
    return Response(
        data,
        media_type="application/pdf",
        headers={
            # Never shown inline: the phone's own viewer opens the saved file, not this site.
            "content-disposition": f'attachment; filename="document-{document.id}-v{version.number}.pdf"',
            "cache-control": f"{scope}, {IMMUTABLE}",
            "etag": f'"{version.pdf_sha256[:20]}"',
        },
    )


@endpoint(public=True)
async def post_comment(request: Request) -> Response:
    slug = request.path_params["slug"]
    document_id = int(request.path_params["document_id"])
    form = await form_of(request)
    tr = t(request)
    limiter = cast(LoginLimiter, request.app.state.comment_limiter)
    try:
        with db_of(request).write_session() as session:
            congress = _portal_congress(session, request)
            viewer, delegate = portal_viewer(request, session, congress)
            document = docs.readable_document(session, congress, document_id, viewer)
            if delegate is None:
                raise CongressError(
                    "sign_in_to_comment",
                    "Sign in with your delegate card to comment",
                    status=403,
                )
            wait = limiter.retry_after("comment", str(delegate.id))
            if wait:
                raise CongressError(
                    "comment_rate_limited",
                    "Too many comments in a short time; try again in %(seconds)s seconds",
                    status=429,
                    seconds=wait,
                )
            comment_service.add_comment(
                session,
                document,
                delegate,
                str(form.get("body", "")),
                _int_or_none(form.get("page")),
            )
            limiter.failed("comment", str(delegate.id))
    except CongressError as exc:
        if exc.code in ("document_not_found", "delegates_only"):
            raise
        from urllib.parse import quote

        message = quote(exc.translated(tr.gettext))
        return RedirectResponse(
            f"/p/{slug}/d/{document_id}?comment_error={message}#comments", status_code=303
        )
    return RedirectResponse(f"/p/{slug}/d/{document_id}?sent=1#comments", status_code=303)


@endpoint(public=True)
async def manifest(request: Request) -> Response:
    with session_scope(request) as session:
        congress = _portal_congress(session, request)
        name = congress.name
    start = f"/p/{request.path_params['slug']}"
    documents = t(request).gettext("Documents")
    return web_manifest(name, documents, start, "/p/", "/static/docs_portal/icon.svg")


@endpoint(public=True)
async def service_worker(request: Request) -> Response:
    return service_worker_script(HERE / "static" / "sw.js", "/p/")


def routes() -> list[BaseRoute]:
    doc = "/c/{slug}/documents/{document_id:int}"
    page = "/p/{slug}/d/{document_id:int}"
    return [
        Route("/c/{slug}/documents", desk),
        Route("/c/{slug}/documents", upload_document, methods=["POST"]),
        Route("/c/{slug}/documents/poster.pdf", poster),
        Route(doc, document_page),
        Route(doc, update_document, methods=["POST"]),
        Route(doc + "/versions", new_version, methods=["POST"]),
        Route(doc + "/comments.{fmt:str}", export_comments),
        Route(doc + "/comments/{comment_id:int}", mark_handled, methods=["POST"]),
        Route("/p/sw.js", service_worker),
        Route("/p/{slug}", portal_home),
        Route("/p/{slug}/search", portal_search),
        Route("/p/{slug}/manifest.webmanifest", manifest),
        Route("/p/{slug}/enter/{token}", enter),
        Route("/p/{slug}/signin", signin_page, methods=["GET", "POST"]),
        Route("/p/{slug}/signout", sign_out, methods=["POST"]),
        Route(page, reader),
        Route(page + "/v/{version:int}", reader),
        Route(page + "/v/{version:int}/page/{page:int}.webp", page_image),
        Route(page + "/v/{version:int}/document.pdf", download_pdf),
        Route(page + "/comments", post_comment, methods=["POST"]),
        Mount("/static/docs_portal", StaticFiles(directory=HERE / "static"), name="docs-static"),
    ]
