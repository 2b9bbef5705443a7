"""Gate pages and the check-in API, the live attendance dashboard and its exports."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from congress import congresses
from congress.attendance import Attendance, attendance
from congress.errors import CongressError
from congress.filetypes import media_type
from congress.i18n import Translator, iso_local
from congress.models import Congress, Delegate
from congress.openapi import described
from congress.storage import FileStore
from congress.web import (
    actor,
    db_of,
    endpoint,
    event_stream,
    query_number,
    render,
    service_worker_script,
    session_scope,
    settings_of,
    t,
)
from scanner import attendance as att
from scanner.checkin import (
    MAX_TEXT,
    CheckinAnswer,
    ScanInput,
    get_sitting,
    is_open,
    record_scan,
    set_doors,
)
from scanner.verdicts import colour_of, page_table, shown_message

HERE = Path(__file__).parent
GATE = ("checkin", "organizer")
WATCH = ("organizer", "observer", "checkin", "counting")
MAX_SCAN_BYTES = 4 * 1024
MAX_BATCH = 500

SCAN: dict[str, Any] = {
    "type": "object",
    "required": ["scan_id", "sitting", "gate", "method"],
    "properties": {
        "scan_id": {"type": "string", "pattern": "^[A-Za-z0-9_-]{8,64}$"},
        "sitting": {"type": "integer", "minimum": 1, "maximum": 999},
        "gate": {"type": "string", "minLength": 1, "maxLength": 60},
        "method": {"type": "string", "enum": ["camera", "wedge", "manual"]},
        "text": {"type": "string", "maxLength": MAX_TEXT},
        "delegate_code": {"type": "string", "maxLength": 32},
        "scanned_at": {"type": "string", "format": "date-time"},
    },
}
SCAN_BATCH: dict[str, Any] = {
    "type": "object",
    "required": ["scans"],
    "properties": {"scans": {"type": "array", "items": SCAN, "maxItems": MAX_BATCH}},
}
log = logging.getLogger("scanner.checkin")


def _log_refusal(request: Request, exc: CongressError, scan_id: Any = None) -> None:
    """A request refused before it became a scan (bad JSON, too large, a reused scan id...)."""
    log.warning(
        "check-in request refused: %s (congress %s, operator %s, scan id %r, client %s)",
        exc.code,
        request.path_params.get("slug"),
        actor(request),
        str(scan_id)[:64] if scan_id is not None else None,
        request.client.host if request.client else "?",
    )


def _with_message(answer: CheckinAnswer, tr: Translator, zone_name: str) -> dict[str, Any]:
    """The stored, language-neutral answer plus what the gate shows, in the gate's language and
    the congress's local time."""
    message = shown_message(
        tr,
        zone_name,
        answer.result,
        admitted_at=answer.admitted_at,
        admitted_gate=answer.admitted_gate,
        replaced_at=answer.replaced_at,
    )
    return {**answer.to_dict(), "colour": colour_of(answer.result), "message": message}


def _json_body(raw: bytes, limit: int) -> Any:
    if len(raw) > limit:
        raise CongressError("too_large", "The request is too large", status=413)
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise CongressError("bad_json", "The request is not valid JSON") from exc


def _scan_one(request: Request, slug: str, data: Any) -> dict[str, Any]:
    tr = t(request)
    scan = ScanInput.from_json(data)
    with db_of(request).write_session() as session:
        congress = congresses.get_congress(session, slug)
        answer = record_scan(session, congress, scan, actor(request))
        zone_name = congress.time_zone
    return _with_message(answer, tr, zone_name)


@endpoint(*GATE, body=MAX_SCAN_BYTES)
@described("Check one badge in at a gate: the door's verdict", json_body=SCAN)
def api_scan(request: Request, raw: bytes) -> Response:
    data: Any = None
    try:
        data = _json_body(raw, MAX_SCAN_BYTES)
        answer = _scan_one(request, request.path_params["slug"], data)
    except CongressError as exc:
        _log_refusal(request, exc, data.get("scan_id") if isinstance(data, dict) else None)
        raise
    return JSONResponse(answer)


@endpoint(*GATE, body=MAX_SCAN_BYTES * MAX_BATCH)
@described(
    "Check in the scans a gate queued while offline, each answered on its own",
    json_body=SCAN_BATCH,
)
def api_scan_batch(request: Request, raw: bytes) -> Response:
    """The offline queue of a gate, synced when the network is back; each scan stands alone."""
    try:
        data = _json_body(raw, MAX_SCAN_BYTES * MAX_BATCH)
        scans = data.get("scans") if isinstance(data, dict) else None
        if not isinstance(scans, list) or len(scans) > MAX_BATCH:
            raise CongressError(
                "bad_batch", 'Send up to %(max)s scans as {"scans": [...]}', max=MAX_BATCH
            )
    except CongressError as exc:
        _log_refusal(request, exc)
        raise
    slug = request.path_params["slug"]
    tr = t(request)
    answers = []
    for item in scans:
        try:
            answers.append(_scan_one(request, slug, item))
        except CongressError as exc:
            scan_id = item.get("scan_id") if isinstance(item, dict) else None
            _log_refusal(request, exc, scan_id)
            answers.append(
                {
                    "scan_id": scan_id,
                    "error": {"code": exc.code, "message": exc.translated(tr.gettext)},
                }
            )
    return JSONResponse({"answers": answers})


def _bootstrap(request: Request, slug: str) -> dict[str, Any]:
    with session_scope(request) as session:
        congress = congresses.get_congress(session, slug)
        delegates = session.scalars(
            select(Delegate)
            .where(Delegate.congress_id == congress.id)
            .options(selectinload(Delegate.delegation))
        )
        return {
            "congress": {
                "id": congress.id,
                "slug": congress.slug,
                "name": congress.name,
                "time_zone": congress.time_zone,
            },
            "public_key": congress.public_key,
            "sittings": [
                {"number": s.number, "title": s.title, "open": is_open(session, s)}
                for s in congress.sittings
            ],
            # Enough to verify and show a badge offline: names, versions and revocations.
            "delegates": {
                str(d.id): {
                    "code": d.code,
                    "full_name": d.full_name,
                    "delegation": d.delegation.name,
                    "kind": d.kind,
                    "has_photo": bool(d.photo_sha256),
                    "version": d.badge_version,
                    "revoked": d.revoked_at is not None,
                    "replaced_at": iso_local(d.badge_replaced_at, congress.time_zone),
                }
                for d in delegates
            },
        }


@endpoint(*GATE)
@described("What a gate needs to start: the congress, its open sittings, the key")
def api_bootstrap(request: Request) -> Response:
    data = _bootstrap(request, request.path_params["slug"])
    return JSONResponse(data, headers={"cache-control": "no-store"})


@endpoint(*GATE)
def gate_page(request: Request) -> Response:
    tr = t(request)
    with session_scope(request) as session:
        congress = congresses.get_congress(session, request.path_params["slug"])
        sittings = [(s, is_open(session, s)) for s in congress.sittings]
        return render(
            request,
            "scanner/gate.html",
            {
                "congress": congress,
                "sittings": sittings,
                # In the page, not fetched: the gate must show verdicts with the network down.
                "verdicts_json": json.dumps(page_table(tr), ensure_ascii=False),
            },
        )


@endpoint(public=True)
async def gate_service_worker(request: Request) -> Response:
    """The gate page's offline copy; public: the script holds nothing of the congress."""
    slug = request.path_params["slug"]
    if not congresses.SLUG_RE.match(slug):
        return Response(status_code=404)
    scope = f"/c/{slug}/gate"
    return service_worker_script(HERE / "static" / "gate-sw.js", scope)


@endpoint(*GATE)
def delegate_photo(request: Request) -> Response:
    with session_scope(request) as session:
        congress = congresses.get_congress(session, request.path_params["slug"])
        delegate = session.get(Delegate, int(request.path_params["delegate_id"]))
        if delegate is None or delegate.congress_id != congress.id or not delegate.photo_sha256:
            return Response(status_code=404)
        sha = delegate.photo_sha256
    store = FileStore(settings_of(request).files_dir)
    if not store.exists(sha):
        return Response(status_code=404)
    data = store.get(sha)
    media = media_type(data)
    return Response(data, media_type=media, headers={"cache-control": "private, max-age=86400"})


# --- attendance ---------------------------------------------------------------------------------


def _report(request: Request, number: int | None, people: bool = False) -> Attendance:
    with session_scope(request) as session:
        congress = congresses.get_congress(session, request.path_params["slug"])
        if number is None:
            if not congress.sittings:
                raise CongressError("no_sittings", "This congress has no sittings yet")
            number = congress.sittings[0].number
        sitting = get_sitting(session, congress, number)
        return attendance(session, congress, sitting, with_people=people)


def _number(request: Request) -> int | None:
    if "number" in request.path_params:
        return int(request.path_params["number"])  # bounded by the route's {number:id}
    largest = settings_of(request).limits.largest_id
    return query_number(request.query_params, "sitting", 0, lowest=1, highest=largest) or None


def absent_by_delegation(report: Attendance) -> list[tuple[str, list[Delegate]]]:
    """The summoned full delegates not admitted, by delegation: the presidium's roll call."""
    groups: dict[str, list[Delegate]] = {}
    for delegate, presence in report.people:
        if delegate.kind == "full" and delegate.revoked_at is None and presence is None:
            groups.setdefault(delegate.delegation.name, []).append(delegate)
    return sorted(groups.items())


@endpoint(*WATCH)
def attendance_page(request: Request) -> Response:
    number = _number(request)
    if number is None:
        with session_scope(request) as session:
            congress = congresses.get_congress(session, request.path_params["slug"])
            if not congress.sittings:  # a new congress: the way to its first sitting (issue 22)
                return render(request, "no_sitting.html", {"congress": congress})
    projector = request.url.path.endswith("/projector")
    report = _report(request, number, people=not projector)
    with session_scope(request) as session:
        congress = congresses.get_congress(session, request.path_params["slug"])
        sittings = [(s, is_open(session, s)) for s in congress.sittings]
    template = "scanner/projector.html" if projector else "scanner/attendance.html"
    return render(
        request,
        template,
        {
            "congress": report.congress,
            "report": report,
            "sittings": sittings,
            "doors_open": dict((s.number, o) for s, o in sittings).get(report.sitting.number),
            "absent_groups": absent_by_delegation(report),
        },
    )


@endpoint(*WATCH)
@described("The attendance of a sitting: present, absent, quorum, per delegation")
def attendance_json(request: Request) -> Response:
    report = _report(request, _number(request))
    return JSONResponse(report.as_json())


@endpoint(*WATCH)
async def attendance_stream(request: Request) -> Response:
    """Server-sent events: the attendance of a sitting each time it changes."""
    number = _number(request)
    await run_in_threadpool(_report, request, number)  # unknown congress or sitting: refuse now

    last: list[Any] = [None]

    async def next_event() -> str | None:
        data = (await run_in_threadpool(_report, request, number)).as_json()
        if data == last[0]:
            return None
        last[0] = data
        return f"event: attendance\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"

    return event_stream(request, next_event, 1.0)


@endpoint(*WATCH)
def attendance_export(request: Request) -> Response:
    fmt = request.path_params["fmt"]
    if fmt not in ("csv", "xlsx", "pdf"):
        return Response(status_code=404)
    report = _report(request, _number(request), people=True)
    render_fn = {"csv": att.to_csv, "xlsx": att.to_xlsx, "pdf": att.to_pdf}[fmt]
    data = render_fn(report, t(request))
    media = {
        "csv": "text/csv; charset=utf-8",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "pdf": "application/pdf",
    }[fmt]
    name = f"attendance-{request.path_params['slug']}-{report.sitting.number}.{fmt}"
    return Response(
        data, media_type=media, headers={"content-disposition": f'attachment; filename="{name}"'}
    )


@endpoint("organizer")
def doors(request: Request) -> Response:
    """Open or close a sitting's check-in (the CSRF token was checked by endpoint())."""
    action = request.path_params["action"]
    if action not in ("open", "close"):
        return Response(status_code=404)
    slug = request.path_params["slug"]
    number = _number(request)
    with db_of(request).write_session() as session:
        congress: Congress = congresses.get_congress(session, slug)
        sitting = get_sitting(session, congress, number or 0)
        set_doors(session, sitting, action == "open", actor(request))
    return RedirectResponse(f"/c/{slug}/attendance/{number}", status_code=303)


def routes() -> list[BaseRoute]:
    return [
        Route("/c/{slug}/gate", gate_page),
        Route("/c/{slug}/gate/sw.js", gate_service_worker),
        Route("/c/{slug}/gate/photo/{delegate_id:id}", delegate_photo),
        Route("/api/c/{slug}/gate/bootstrap", api_bootstrap),
        Route("/api/c/{slug}/scans", api_scan, methods=["POST"]),
        Route("/api/c/{slug}/scans/batch", api_scan_batch, methods=["POST"]),
        Route("/api/c/{slug}/attendance/{number:id}", attendance_json),
        Route("/c/{slug}/attendance", attendance_page),
        Route("/c/{slug}/attendance/{number:id}", attendance_page),
        Route("/c/{slug}/attendance/{number:id}/projector", attendance_page),
        Route("/c/{slug}/attendance/{number:id}/events", attendance_stream),
        Route("/c/{slug}/attendance/{number:id}/report.{fmt}", attendance_export),
        Route("/c/{slug}/attendance/{number:id}/{action}", doors, methods=["POST"]),
        Mount("/static/scanner", StaticFiles(directory=HERE / "static"), name="scanner-static"),
    ]
