"""The JSON API described for its clients: an OpenAPI 3.1 document at /api/openapi.json.

Each JSON endpoint states what it takes beside its definition (`@described`); the paths, their
numbers' ranges, the roles that may call them and the error shape come from the route table
itself, so the document cannot drift from the routes. A test fails on a JSON route that is not
described, and the abuse suite drives every described operation with hostile input.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from starlette.routing import BaseRoute, Mount, Route

from congress.web import IdConvertor

F = TypeVar("F", bound=Callable[..., Any])

API_PREFIX = "/api/"


@dataclass(frozen=True)
class Operation:
    """What one JSON endpoint takes and answers, beside what the route table says of it."""

    summary: str
    # JSON Schema of an application/json body, or of a multipart/form-data one's fields.
    json_body: dict[str, Any] | None = None
    form_body: dict[str, Any] | None = None
    query: dict[str, dict[str, Any]] = field(default_factory=dict)
    # The success status and what its body is.
    success: int = 200
    answers: str = "JSON"


def described(
    summary: str,
    *,
    json_body: dict[str, Any] | None = None,
    form_body: dict[str, Any] | None = None,
    query: dict[str, dict[str, Any]] | None = None,
    success: int = 200,
    answers: str = "JSON",
) -> Callable[[F], F]:
    """Describe a JSON endpoint for the published document (put it under `@endpoint`)."""
    operation = Operation(summary, json_body, form_body, dict(query or {}), success, answers)

    def mark(fn: F) -> F:
        fn.congress_api = operation  # type: ignore[attr-defined]
        return fn

    return mark


def operation_of(route: Route) -> Operation | None:
    found = getattr(route.endpoint, "congress_api", None)
    return found if isinstance(found, Operation) else None


def api_routes(routes: Iterable[BaseRoute], prefix: str = "") -> list[tuple[str, Route]]:
    """(full path, route) of every route of the JSON API, mounts walked."""
    found: list[tuple[str, Route]] = []
    for route in routes:
        if isinstance(route, Mount):
            found += api_routes(route.routes or [], prefix + route.path)
        elif isinstance(route, Route):
            path = prefix + route.path
            if path.startswith(API_PREFIX):
                found.append((path, route))
    return found


ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string", "description": "stable, for programs"},
                "message": {"type": "string", "description": "for people, in their language"},
            },
        }
    },
}

REFUSALS = {
    "400": "The request is wrong (a number out of range, a field missing)",
    "401": "Not signed in and no valid token",
    "403": "The role does not allow this",
    "404": "No such thing",
    "409": "In conflict with the present state",
    "413": "Too large",
    "422": "Well formed but refused (an unreadable file, a reading that does not fit)",
    "429": "Too many attempts",
}


def _path_parameters(route: Route) -> list[dict[str, Any]]:
    parameters = []
    for name, convertor in route.param_convertors.items():
        if isinstance(convertor, IdConvertor):
            schema: dict[str, Any] = {"type": "integer", "minimum": 1, "maximum": convertor.largest}
        else:
            schema = {"type": "string", "minLength": 1, "maxLength": 200}
        parameters.append({"name": name, "in": "path", "required": True, "schema": schema})
    return parameters


def _operation(path_route: Route, method: str, operation: Operation) -> dict[str, Any]:
    access = getattr(path_route.endpoint, "congress_access", "any-staff")
    parameters = _path_parameters(path_route) + [
        {"name": name, "in": "query", "required": False, "schema": schema}
        for name, schema in operation.query.items()
    ]
    success_content = (
        {"application/json": {"schema": {"type": "object"}}}
        if operation.answers == "JSON"
        else {operation.answers: {}}
    )
    described: dict[str, Any] = {
        "summary": operation.summary,
        "operationId": f"{method.lower()}_{path_route.name}",
        "parameters": parameters,
        "responses": {
            str(operation.success): {"description": "Done", "content": success_content},
            **{
                status: {
                    "description": text,
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
                    },
                }
                for status, text in REFUSALS.items()
            },
        },
    }
    if access == "public":
        described["security"] = []
    else:
        roles = list(access) if isinstance(access, tuple) else [str(access)]
        described["x-roles"] = roles
        described["security"] = [{"bearer": []}, {"session": []}]
    if method in ("POST", "PUT", "PATCH"):
        if operation.json_body is not None:
            described["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": operation.json_body}},
            }
        elif operation.form_body is not None:
            described["requestBody"] = {
                "required": True,
                "content": {"multipart/form-data": {"schema": operation.form_body}},
            }
    return described


def document(routes: Iterable[BaseRoute], version: str) -> dict[str, Any]:
    """The OpenAPI document of every described JSON route."""
    paths: dict[str, dict[str, Any]] = {}
    for path, route in api_routes(routes):
        operation = operation_of(route)
        if operation is None:
            continue
        shown = path
        for name in route.param_convertors:
            shown = shown.replace("{" + name + ":id}", "{" + name + "}")
            shown = shown.replace("{" + name + ":str}", "{" + name + "}")
        for method in sorted((route.methods or set()) - {"HEAD"}):
            paths.setdefault(shown, {})[method.lower()] = _operation(route, method, operation)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "congress",
            "version": version,
            "description": (
                "The JSON API of congress: the organizer's operations, the gates' check-in and "
                "the counting stations. Refusals answer {error: {code, message}}, the message in "
                "the language asked for (Accept-Language or ?lang=)."
            ),
        },
        "paths": paths,
        "components": {
            "schemas": {"Error": ERROR_SCHEMA},
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "a station or gate token (`congress tokens create`)",
                },
                "session": {"type": "apiKey", "in": "cookie", "name": "congress_session"},
            },
        },
    }
