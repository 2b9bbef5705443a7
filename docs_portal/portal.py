"""The delegates' documents portal on their phones, under /p/<slug>: read, search, comment."""

from __future__ import annotations

import datetime as dt
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from badges.service import check_badge
from congress import congresses
from congress.auth import LoginLimiter, start_session
from congress.db import insert_ignore
from congress.errors import CongressError, NotFound
from congress.i18n import local_time
from congress.models import Congress, Delegate, utcnow
from congress.web import (
    db_of,
    endpoint,
    hold_session,
    principal,
    release_session,
    render,
    service_worker_script,
    session_alive,
    session_scope,
    settings_of,
    t,
    web_manifest,
)
from docs_portal import comments as comment_service
from docs_portal import documents as docs
from docs_portal.models import GROUPS, Document, DocumentRead
from docs_portal.render import DEFAULT_WIDTH, WIDTHS, pick_width
from docs_portal.web import int_or_none, renderer, store_of

HERE = Path(__file__).parent
# session: {congress id: [delegate id, badge version, the server-side session's secret]}
PORTAL_KEY = "portal"
IMMUTABLE = "max-age=31536000, immutable"


def portal_viewer(request: Request, session: Any, congress: Congress) -> tuple[docs.Viewer, Any]:
    """The reader: the delegate signed in on this phone (if their badge still stands) and staff."""
    signed = request.session.get(PORTAL_KEY, {}).get(str(congress.id))
    delegate = None
    idle = settings_of(request).limits.portal_session_idle_seconds
    # A sign-in the server has ended (signed out, idle too long) is worth nothing, even from a
    # saved copy of the cookie; one from before sessions were kept (two items) neither.
    if (
        isinstance(signed, list)
        and len(signed) == 3
        and isinstance(signed[0], int)
        and session_alive(request, session, signed[2], idle, delegate_id=signed[0])
    ):
        delegate = docs.delegate_for_portal(session, congress, signed[0], signed[1])
    who = principal(request)
    roles = who.roles if who is not None and who.kind == "user" else frozenset()
    return docs.Viewer(delegate.id if delegate else None, roles), delegate


def _portal_congress(session: Any, request: Request) -> Congress:
    return congresses.get_congress(session, request.path_params["slug"])


def _today_sittings(congress: Congress, now: dt.datetime | None = None) -> list[Any]:
    """The sittings of today, else the next two: days as the hall's calendar counts them."""
    today = local_time(now or utcnow(), congress.time_zone).date()

    def day(sitting: Any) -> dt.date:
        return local_time(sitting.starts_at, congress.time_zone).date()

    todays = [s for s in congress.sittings if day(s) == today]
    if todays:
        return todays
    upcoming = [s for s in congress.sittings if day(s) > today]
    return upcoming[:2]


@endpoint(public=True)
def portal_home(request: Request) -> Response:
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
def portal_search(request: Request) -> Response:
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


def badge_holder(session: Any, congress: Congress, token: str) -> Delegate:
    """The delegate of a badge that stands, or the refusal."""
    answer = check_badge(session, congress, token.strip()[:300])
    if not answer.verdict.admitted or answer.delegate is None:
        raise CongressError(
            "badge_refused",
            "This is not a valid delegate card of this congress; ask the organizers",
            status=403,
        )
    return answer.delegate


def sign_in(request: Request, session: Any, congress: Congress, token: str) -> Delegate:
    """Sign this phone in as the badge's delegate: a server-side session the phone can end."""
    delegate = badge_holder(session, congress, token)
    portal = dict(request.session.get(PORTAL_KEY, {}))
    before = portal.get(str(congress.id))
    if isinstance(before, list) and len(before) == 3:
        release_session(request, session, before[2])
    secret = start_session(
        session,
        delegate_id=delegate.id,
        forget_idle_seconds=settings_of(request).limits.longest_session_idle_seconds,
    )
    hold_session(request, session, secret)
    portal[str(congress.id)] = [delegate.id, delegate.badge_version, secret]
    request.session[PORTAL_KEY] = portal
    return delegate


@endpoint(public=True, form=True)
def enter(request: Request, form: FormData) -> Response:
    """The soft badge's link: a page whose button signs this phone in as the badge's delegate.

    Opening the link (GET) changes nothing: a page elsewhere that loads it cannot sign a
    visitor's phone in as someone else. The button's POST carries the CSRF token that this
    page put in this phone's own cookie, which another site can neither read nor send.
    """
    slug = request.path_params["slug"]
    token = request.path_params["token"]
    if request.method == "POST":
        with db_of(request).write_session() as session:
            congress = _portal_congress(session, request)
            sign_in(request, session, congress, token)
        return RedirectResponse(f"/p/{slug}", status_code=303)
    with session_scope(request) as session:
        congress = _portal_congress(session, request)
        holder = badge_holder(session, congress, token)
        _, delegate = portal_viewer(request, session, congress)
        response = render(
            request,
            "docs_portal/enter.html",
            {
                "congress": congress,
                "delegate": delegate,
                "holder": holder,
                "delegation": holder.delegation.name,
                "token": token,
                "query": "",
            },
        )
    # The page carries the card's code: neither cached nor sent on as a referrer.
    response.headers["cache-control"] = "no-store"
    response.headers["referrer-policy"] = "no-referrer"
    return response


@endpoint(public=True, form=True)
def signin_page(request: Request, form: FormData) -> Response:
    error = None
    status = 200
    if request.method == "POST":
        with db_of(request).write_session() as session:
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
def sign_out(request: Request) -> Response:
    with db_of(request).write_session() as session:
        congress = _portal_congress(session, request)
        portal = dict(request.session.get(PORTAL_KEY, {}))
        signed = portal.pop(str(congress.id), None)
        if isinstance(signed, list) and len(signed) == 3:
            release_session(request, session, signed[2])
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
def reader(request: Request) -> Response:
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
        query = request.query_params.get("q", "")[:200]
        figures = _figures(t(request).gettext, base, pages, docs.query_terms(query))
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
                "query": query,
                "found": sum(f.found for f in figures),
                "comment_error": request.query_params.get("comment_error"),
                "comment_sent": "sent" in request.query_params,
            },
        )
        delegate_id = delegate.id if delegate is not None else None
        document_id = document.id
    if delegate_id is not None:
        _record_read(request, document_id, delegate_id)
    response.headers["cache-control"] = "private, no-cache"
    return response


@dataclass(frozen=True)
class Figure:
    """One page of the reader, its strings made once (a long document has hundreds)."""

    number: int
    src: str
    srcset: str
    full: str  # the widest image, for the reader's zoom
    sizes: str  # how wide the page is shown: text-heavy pages ask for sharper images
    height: int  # at the 720-px layout width, so the page keeps its place while loading
    label: str
    full_label: str
    text: docs.Parts  # the page's text, the words searched for marked
    found: int  # how many words searched for are on the page


# A page with this much text is small print on a phone: its images are asked for 1.5 times
# wider than shown, so that they stay sharp when zoomed.
TEXT_HEAVY = 1200
SIZES = "(max-width: 900px) 100vw, 900px"
SIZES_TEXT_HEAVY = "(max-width: 900px) 150vw, 1350px"


def _figures(gettext: Any, base: str, pages: list[Any], terms: list[str]) -> list[Figure]:
    page_label, full_label = gettext("Page %(number)s"), gettext("Page %(number)s, full size")
    figures = []
    for p in pages:
        image = f"{base}/page/{p.number}.webp?w="
        text = docs.highlight(p.text, terms) if terms and p.text else ((p.text, False),)
        figures.append(
            Figure(
                number=p.number,
                src=f"{image}{DEFAULT_WIDTH}",
                srcset=", ".join(f"{image}{w} {w}w" for w in WIDTHS),
                full=f"{image}{WIDTHS[-1]}",
                sizes=SIZES_TEXT_HEAVY if len(p.text) >= TEXT_HEAVY else SIZES,
                height=round(DEFAULT_WIDTH * p.height_pt / p.width_pt),
                label=page_label % {"number": p.number},
                full_label=full_label % {"number": p.number},
                text=text if p.text else (),
                found=sum(1 for _, hit in text if hit),
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
    # async: it awaits the render process; the database part runs in the thread pool.
    document, version, visibility = await run_in_threadpool(_version_for_file, request)
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
def download_pdf(request: Request) -> Response:
    document, version, visibility = _version_for_file(request)
    data = store_of(request).get(version.pdf_sha256)
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


@endpoint(public=True, form=True)
def post_comment(request: Request, form: FormData) -> Response:
    slug = request.path_params["slug"]
    document_id = int(request.path_params["document_id"])
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
                int_or_none(form.get("page")),
            )
            limiter.failed("comment", str(delegate.id))
    except CongressError as exc:
        if exc.code in ("document_not_found", "delegates_only"):
            raise
        message = quote(exc.translated(tr.gettext))
        return RedirectResponse(
            f"/p/{slug}/d/{document_id}?comment_error={message}#comments", status_code=303
        )
    return RedirectResponse(f"/p/{slug}/d/{document_id}?sent=1#comments", status_code=303)


@endpoint(public=True)
def offline_page(request: Request) -> Response:
    """Kept by the service worker and shown for a page not saved on this phone when offline."""
    with session_scope(request) as session:
        congress = _portal_congress(session, request)
        response = render(
            request,
            "docs_portal/offline.html",
            {"congress": congress, "delegate": None, "query": ""},
        )
    response.headers["cache-control"] = "no-cache"
    return response


@endpoint(public=True)
def manifest(request: Request) -> Response:
    with session_scope(request) as session:
        congress = _portal_congress(session, request)
        name = congress.name
    start = f"/p/{request.path_params['slug']}"
    documents = t(request).gettext("Documents")
    return web_manifest(name, documents, start, "/p/", "/static/docs_portal/icon.svg")


@endpoint(public=True)
async def service_worker(request: Request) -> Response:
    return service_worker_script(HERE / "static" / "sw.js", "/p/")
