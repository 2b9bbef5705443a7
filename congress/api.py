"""The JSON API under /api/: the organizer's operations, for scripts, stations and gates."""

from __future__ import annotations

import datetime as dt
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from congress import __version__, congresses
from congress.delegate_import import import_delegates
from congress.errors import CongressError
from congress.i18n import DEFAULT_TIME_ZONE, iso_local
from congress.models import Congress, Delegate, Sitting
from congress.openapi import described, document
from congress.views import ORGANIZE, VIEW, delegate_query
from congress.web import actor, endpoint, principal, session_scope, settings_of, t

TEXT = {"type": "string", "maxLength": 500}
DATE = {"type": "string", "format": "date"}
FLAG = {"type": "string", "enum": ["0", "1"]}
NEW_CONGRESS: dict[str, Any] = {
    "type": "object",
    "required": ["slug", "name", "starts_on"],
    "properties": {
        "slug": {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]{1,62}$"},
        "name": TEXT,
        "starts_on": DATE,
        "ends_on": DATE,
        "venue": TEXT,
        "organisation": TEXT,
        "time_zone": {"type": "string", "maxLength": 64, "default": DEFAULT_TIME_ZONE},
    },
}
NEW_SITTING: dict[str, Any] = {
    "type": "object",
    "required": ["title", "starts_at"],
    "properties": {"title": TEXT, "starts_at": {"type": "string", "format": "date-time"}},
}
DELEGATE_QUERY: dict[str, dict[str, Any]] = {
    "q": {"type": "string", "maxLength": 100},
    "page": {"type": "integer", "minimum": 1},
    "per_page": {"type": "integer", "minimum": 1},
    "delegation": {"type": "integer", "minimum": 1},
    "kind": {"type": "string", "enum": ["full", "alternate"]},
    "gender": {"type": "string"},
}
IMPORT_FILE: dict[str, Any] = {
    "type": "object",
    "required": ["file"],
    "properties": {"file": {"type": "string", "format": "binary"}},
}


def congress_json(c: Congress) -> dict[str, Any]:
    return {
        "id": c.id,
        "slug": c.slug,
        "name": c.name,
        "organisation": c.organisation,
        "starts_on": c.starts_on.isoformat(),
        "ends_on": c.ends_on.isoformat(),
        "venue": c.venue,
        "time_zone": c.time_zone,
        "quorum": {
            "numerator": c.quorum_numerator,
            "denominator": c.quorum_denominator,
            "strict": c.quorum_strict,
            "base": c.quorum_base,
        },
    }


def sitting_json(s: Sitting, zone_name: str) -> dict[str, Any]:
    """A sitting; its times in ISO 8601 with the offset of the congress's zone."""
    return {
        "id": s.id,
        "number": s.number,
        "title": s.title,
        "starts_at": iso_local(s.starts_at, zone_name),
        "ends_at": iso_local(s.ends_at, zone_name),
    }


def delegate_json(d: Delegate, fields: frozenset[str]) -> dict[str, Any]:
    """A delegate as JSON, only the `fields` its reader may see (`congresses.visible_fields`)."""
    data = {
        "id": d.id,
        "code": d.code,
        "full_name": d.full_name,
        "gender": d.gender,
        "birth_date": d.birth_date.isoformat() if d.birth_date else None,
        "delegation": d.delegation.name,
        "kind": d.kind,
        "position": d.position,
        "unit": d.unit,
        "badge_version": d.badge_version,
        "revoked": d.revoked_at is not None,
    }
    return {key: value for key, value in data.items() if key in fields}


async def _json_body(request: Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError as exc:
        raise CongressError("bad_json", "The request body is not valid JSON") from exc
    if not isinstance(body, dict):
        raise CongressError("bad_json", "The request body must be a JSON object")
    return body


@endpoint()
@described("Who is asking: the signed-in user or the token, and its roles")
def me(request: Request) -> Response:
    who = principal(request)
    assert who is not None
    return JSONResponse({"name": who.name, "roles": sorted(who.roles), "kind": who.kind})


@endpoint(*VIEW)
@described("Every congress")
def list_congresses(request: Request) -> Response:
    with session_scope(request) as session:
        return JSONResponse([congress_json(c) for c in congresses.list_congresses(session)])


@endpoint(*ORGANIZE)
@described("Create a congress", json_body=NEW_CONGRESS, success=201)
async def create_congress(request: Request) -> Response:
    return await run_in_threadpool(_create_congress, request, await _json_body(request))


def _create_congress(request: Request, body: dict[str, Any]) -> Response:
    try:
        starts_on = dt.date.fromisoformat(str(body.get("starts_on")))
        ends_on = dt.date.fromisoformat(str(body.get("ends_on", body.get("starts_on"))))
    except ValueError as exc:
        raise CongressError(
            "bad_date", "%(field)s is not a date", field="starts_on/ends_on"
        ) from exc
    with session_scope(request) as session:
        congress = congresses.create_congress(
            session,
            slug=str(body.get("slug", "")),
            name=str(body.get("name", "")),
            starts_on=starts_on,
            ends_on=ends_on,
            venue=str(body.get("venue", "")),
            organisation=str(body.get("organisation", "")),
            time_zone=str(body.get("time_zone") or DEFAULT_TIME_ZONE),
            actor=actor(request),
        )
        return JSONResponse(congress_json(congress), status_code=201)


@endpoint(*VIEW)
@described("One congress with its sittings and delegations")
def get_congress(request: Request) -> Response:
    with session_scope(request) as session:
        congress = congresses.get_congress(session, request.path_params["slug"])
        data = congress_json(congress)
        data["sittings"] = [sitting_json(s, congress.time_zone) for s in congress.sittings]
        data["delegations"] = [
            {"id": d.id, "name": d.name, "full": full, "alternate": alt}
            for d, full, alt in congresses.delegation_counts(session, congress)
        ]
        return JSONResponse(data)


@endpoint(*ORGANIZE)
@described("Add a sitting", json_body=NEW_SITTING, success=201)
async def add_sitting(request: Request) -> Response:
    return await run_in_threadpool(_add_sitting, request, await _json_body(request))


def _add_sitting(request: Request, body: dict[str, Any]) -> Response:
    try:
        starts_at = dt.datetime.fromisoformat(str(body.get("starts_at")))
    except ValueError as exc:
        raise CongressError("bad_date", "%(field)s is not a date", field="starts_at") from exc
    with session_scope(request) as session:
        congress = congresses.get_congress(session, request.path_params["slug"])
        sitting = congresses.add_sitting(
            session,
            congress,
            title=str(body.get("title", "")),
            starts_at=starts_at,
            actor=actor(request),
        )
        return JSONResponse(sitting_json(sitting, congress.time_zone), status_code=201)


@endpoint(*VIEW)
@described("Find delegates, a page at a time", query=DELEGATE_QUERY)
def list_delegates(request: Request) -> Response:
    query = delegate_query(request.query_params, settings_of(request).limits.largest_id)
    fields = congresses.visible_fields(principal(request))
    with session_scope(request) as session:
        congress = congresses.get_congress(session, request.path_params["slug"])
        rows, total = congresses.find_delegates(session, congress, query)
        return JSONResponse(
            {
                "total": total,
                "page": query.page,
                "per_page": query.per_page,
                "delegates": [delegate_json(d, fields) for d in rows],
            }
        )


@endpoint(*ORGANIZE, form=True)
@described(
    "Import the delegate list (CSV or XLSX): every row checked, nothing stored on a problem",
    form_body=IMPORT_FILE,
    query={"update": FLAG, "dry_run": FLAG},
)
def import_delegates_api(request: Request, form: FormData) -> Response:
    """multipart `file`; `?update=1` applies changed rows, `?dry_run=1` only checks."""
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise CongressError("no_file", "Send the file in the multipart field 'file'")
    data = upload.file.read()
    update = request.query_params.get("update") == "1"
    dry_run = request.query_params.get("dry_run") == "1"
    with session_scope(request) as session:
        congress = congresses.get_congress(session, request.path_params["slug"])
        report = import_delegates(
            session,
            congress,
            data,
            actor=actor(request),
            update=update,
            dry_run=dry_run,
            limits=settings_of(request).limits,
        )
    return JSONResponse(report.to_dict(t(request).gettext))


@endpoint(public=True)
@described("This document: the JSON API in OpenAPI 3.1")
def openapi_document(request: Request) -> Response:
    return JSONResponse(document(request.app.routes, __version__))


def routes() -> list[Route]:
    return [
        Route("/api/openapi.json", openapi_document),
        Route("/api/me", me),
        Route("/api/congresses", list_congresses),
        Route("/api/congresses", create_congress, methods=["POST"]),
        Route("/api/congresses/{slug}", get_congress),
        Route("/api/congresses/{slug}/sittings", add_sitting, methods=["POST"]),
        Route("/api/congresses/{slug}/delegates", list_delegates),
        Route("/api/congresses/{slug}/delegates/import", import_delegates_api, methods=["POST"]),
    ]
