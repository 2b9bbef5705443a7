"""Badge pages: the organizer's badge desk and the delegate's soft badge at /b/<token>."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from sqlalchemy import select
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from badges import cards as badge_cards
from badges.linksheet import render_link_sheet
from badges.pdf import LAYOUTS
from badges.service import change_badge, check_badge
from badges.token import BadgeTokenError, parse_badge
from congress import congresses
from congress.errors import CongressError
from congress.filetypes import media_type
from congress.models import Congress, Delegate
from congress.qr import qr_modules, qr_svg
from congress.storage import FileStore
from congress.web import (
    actor,
    download,
    endpoint,
    render,
    service_worker_script,
    session_scope,
    settings_of,
    t,
    web_manifest,
)

HERE = Path(__file__).parent
ORGANIZE = ("organizer",)


def _codes(value: str) -> list[str]:
    return [c for c in value.replace(";", ",").replace(" ", ",").split(",") if c]


def _render_desk(
    request: Request, message: str | None = None, error: str | None = None, status: int = 200
) -> Response:
    with session_scope(request) as session:
        congress = congresses.get_congress(session, request.path_params["slug"])
        delegations = [d for d, _, _ in congresses.delegation_counts(session, congress)]
        replaced = list(
            session.scalars(
                select(Delegate)
                .where(
                    Delegate.congress_id == congress.id,
                    (Delegate.badge_version > 1) | Delegate.revoked_at.is_not(None),
                )
                .order_by(Delegate.sort_key)
            )
        )
        return render(
            request,
            "badges/desk.html",
            {
                "congress": congress,
                "delegations": delegations,
                "layouts": LAYOUTS,
                "changed": replaced,
                "message": message,
                "error": error,
            },
            status=status,
        )


@endpoint(*ORGANIZE)
def desk(request: Request) -> Response:
    return _render_desk(request)


@endpoint(*ORGANIZE)
def badges_pdf(request: Request) -> Response:
    params = request.query_params
    layout = params.get("layout", "a4-8up")
    slug = request.path_params["slug"]
    tr = t(request)
    out = io.BytesIO()
    try:
        with session_scope(request) as session:
            congress = congresses.get_congress(session, slug)
            chosen = badge_cards.select_delegates(
                session, congress, params.get("delegation") or None, _codes(params.get("codes", ""))
            )
            badge_cards.print_badges(
                settings_of(request), session, congress, chosen, layout, out, tr,
                actor=actor(request),
            )  # fmt: skip
    except CongressError as exc:
        return _render_desk(request, error=exc.translated(tr.gettext), status=exc.status)
    return download(out.getvalue(), "application/pdf", f"badges-{slug}-{layout}.pdf")


def _links(request: Request, delegation: str | None) -> tuple[str, list[badge_cards.BadgeLink]]:
    with session_scope(request) as session:
        congress = congresses.get_congress(session, request.path_params["slug"])
        chosen = badge_cards.select_delegates(session, congress, delegation)
        links = badge_cards.badge_links(
            settings_of(request), session, congress, chosen, actor=actor(request)
        )
        return congress.name, links


@endpoint(*ORGANIZE)
def links_csv(request: Request) -> Response:
    tr = t(request)
    try:
        _, links = _links(request, request.query_params.get("delegation") or None)
    except CongressError as exc:
        return _render_desk(request, error=exc.translated(tr.gettext), status=exc.status)
    slug = request.path_params["slug"]
    return download(
        badge_cards.links_csv(links, tr), "text/csv; charset=utf-8", f"links-{slug}.csv"
    )


@endpoint(*ORGANIZE)
def link_sheet(request: Request) -> Response:
    tr = t(request)
    out = io.BytesIO()
    try:
        name, links = _links(request, request.query_params.get("delegation") or None)
        links.sort(key=lambda link: link.delegation)
        render_link_sheet(name, links, out, tr)
    except CongressError as exc:
        return _render_desk(request, error=exc.translated(tr.gettext), status=exc.status)
    return download(
        out.getvalue(), "application/pdf", f"link-sheet-{request.path_params['slug']}.pdf"
    )


@endpoint(*ORGANIZE, form=True)
def badge_change_page(request: Request, form: FormData) -> Response:
    """Reissue (a new version; older ones refused) or revoke a delegate's badge."""
    action = request.path_params["action"]
    if action not in ("reissue", "revoke"):
        return Response(status_code=404)
    code = str(form.get("code", "")).strip()[:32]
    reason = str(form.get("reason", "")).strip()[:300]
    tr = t(request)
    if form.get("confirmed") != "1":
        # Both refuse a badge someone holds: first a page that names whose and what follows.
        return _confirm_change(request, action, code, reason)
    try:
        with session_scope(request) as session:
            congress = congresses.get_congress(session, request.path_params["slug"])
            delegate, version = change_badge(
                session, congress, code, action, actor(request), reason
            )
            if version is not None:
                message = tr.gettext(
                    "New badge for %(name)s (version %(version)s); older badges are refused",
                    name=delegate.full_name,
                    version=version,
                )
            else:
                message = tr.gettext(
                    "Every badge of %(name)s is refused from now on", name=delegate.full_name
                )
    except CongressError as exc:
        return _render_desk(request, error=exc.translated(tr.gettext), status=exc.status)
    return _render_desk(request, message=message)


def _confirm_change(request: Request, action: str, code: str, reason: str) -> Response:
    tr = t(request)
    with session_scope(request) as session:
        congress = congresses.get_congress(session, request.path_params["slug"])
        delegate = session.scalar(
            select(Delegate).where(Delegate.congress_id == congress.id, Delegate.code == code)
        )
        if delegate is None:
            error = tr.gettext("No delegate with the code(s) %(codes)s", codes=code)
            return _render_desk(request, error=error, status=400)
        if action == "reissue" and delegate.revoked_at is not None:
            error = tr.gettext("The badge of %(name)s is revoked", name=delegate.full_name)
            return _render_desk(request, error=error, status=400)
        return render(
            request,
            "badges/confirm.html",
            {
                "congress": congress,
                "action": action,
                "delegate": delegate,
                "delegation": delegate.delegation.name,
                "reason": reason,
            },
        )


# --- the soft badge -------------------------------------------------------------------------


def _soft_badge_context(request: Request, token: str) -> tuple[dict[str, Any], int]:
    with session_scope(request) as session:
        congress = None
        try:
            parsed, _, _ = parse_badge(token)
            congress = session.get(Congress, parsed.congress_id)
        except BadgeTokenError:
            pass
        if congress is None:
            return {"verdict": "unknown", "message": "Not a delegate badge"}, 404
        answer = check_badge(session, congress, token)
        verdict = answer.verdict
        if not verdict.admitted or answer.delegate is None:
            status = 410 if verdict.code in ("replaced", "revoked") else 404
            when = t(request).local_date(verdict.replaced_at, congress.time_zone)
            return {
                "verdict": verdict.code,
                "message": verdict.message,
                "params": {"date": when},
                "congress": congress,
            }, status
        delegate = answer.delegate
        settings = settings_of(request)
        return {
            "verdict": "valid",
            "congress": congress,
            "delegate": delegate,
            "delegation": delegate.delegation.name,
            "sittings": list(congress.sittings),
            "token": token,
            "qr_svg": qr_svg(qr_modules(token)),
            "photo_url": f"/b/{token}/photo" if delegate.photo_sha256 else None,
            "portal_url": f"/p/{congress.slug}/enter/{token}",
            "dates": badge_cards.congress_dates(t(request), congress),
            "link": badge_cards.soft_badge_url(settings, token),
        }, 200


@endpoint(public=True)
def soft_badge(request: Request) -> Response:
    token = request.path_params["token"]
    if len(token) > 200:
        context: dict[str, Any] = {"verdict": "unknown", "message": "Not a delegate badge"}
        status = 404
    else:
        context, status = _soft_badge_context(request, token)
    base: dict[str, Any] = {"delegate": None, "token": None, "congress": None, "params": None}
    response = render(request, "badges/soft.html", {**base, **context}, status=status)
    response.headers["cache-control"] = "no-cache"
    return response


@endpoint(public=True)
def soft_badge_photo(request: Request) -> Response:
    token = request.path_params["token"]
    with session_scope(request) as session:
        try:
            parsed, _, _ = parse_badge(token)
        except BadgeTokenError:
            return Response(status_code=404)
        congress = session.get(Congress, parsed.congress_id)
        if congress is None:
            return Response(status_code=404)
        answer = check_badge(session, congress, token)
        if not answer.verdict.admitted or answer.delegate is None:
            return Response(status_code=404)
        sha = answer.delegate.photo_sha256
    store = FileStore(settings_of(request).files_dir)
    if not sha or not store.exists(sha):
        return Response(status_code=404)
    data = store.get(sha)
    media = media_type(data)
    return Response(data, media_type=media, headers={"cache-control": "private, max-age=86400"})


@endpoint(public=True)
async def manifest(request: Request) -> Response:
    card = t(request).gettext("Delegate card")
    token = request.path_params["token"]
    return web_manifest(card, card, f"/b/{token}", "/b/", "/static/badges/icon.svg")


@endpoint(public=True)
async def service_worker(request: Request) -> Response:
    return service_worker_script(HERE / "static" / "sw.js", "/b/")


def routes() -> list[BaseRoute]:
    return [
        Route("/c/{slug}/badges", desk),
        Route("/c/{slug}/badges/badges.pdf", badges_pdf),
        Route("/c/{slug}/badges/links.csv", links_csv),
        Route("/c/{slug}/badges/link-sheet.pdf", link_sheet),
        Route("/c/{slug}/badges/{action:str}", badge_change_page, methods=["POST"]),
        Route("/b/sw.js", service_worker),
        Route("/b/{token}", soft_badge),
        Route("/b/{token}/photo", soft_badge_photo),
        Route("/b/{token}/manifest.webmanifest", manifest),
        Mount("/static/badges", StaticFiles(directory=HERE / "static"), name="badges-static"),
    ]
