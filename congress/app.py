"""The Starlette application: composition of routes, middleware, templates and error pages."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import jinja2
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from congress import api, capabilities, views
from congress.auth import LoginLimiter
from congress.db import Database, check_ready
from congress.errors import CongressError
from congress.settings import Settings
from congress.web import error_response, register_convertors

log = logging.getLogger("congress.app")
HERE = Path(__file__).parent

SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (
        b"content-security-policy",
        b"default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; "
        b"style-src 'self' 'unsafe-inline'; script-src 'self'; object-src 'none'; "
        b"frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
    ),
]


class SecurityHeaders:
    """nosniff, no framing and a same-origin content policy on every response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                message.setdefault("headers", [])
                message["headers"] = list(message["headers"]) + [
                    (k, v) for k, v in SECURITY_HEADERS if k not in present
                ]
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodyLimit:
    """Refuse request bodies over the limit before reading them (huge payloads get a 413)."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope.get("headers", [])).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_bytes:
            response = Response("Payload too large", status_code=413)
            await response(scope, receive, send)
            return
        seen = 0

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise HTTPException(413, "Payload too large")
            return message

        await self.app(scope, limited_receive, send)


def _templates(caps: list[capabilities.Capability]) -> jinja2.Environment:
    loaders: list[jinja2.BaseLoader] = [jinja2.FileSystemLoader(HERE / "templates")]
    loaders += [jinja2.FileSystemLoader(c.templates) for c in caps if c.templates]
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=True,
        extensions=["jinja2.ext.i18n"],
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env


# The error handlers are plain functions, which Starlette runs in its thread pool: an error page
# shows who is signed in, and looking that up reads the database.
def _congress_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, CongressError)
    return error_response(request, exc)


HTTP_ERRORS = {
    404: CongressError("not_found", "This page does not exist", status=404),
    405: CongressError("method_not_allowed", "This action is not allowed here", status=405),
    413: CongressError("too_large", "The upload is too large", status=413),
}


def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    error = HTTP_ERRORS.get(exc.status_code) or CongressError(
        "http_error", "The request was refused", status=exc.status_code
    )
    return error_response(request, error)


def _server_error(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(
        request,
        CongressError(
            "internal_error",
            "Something went wrong on the server; nothing was changed. The error is logged.",
            status=500,
        ),
    )


def create_app(settings: Settings | None = None, *, check_database: bool = True) -> Starlette:
    settings = settings or Settings.from_env()
    db = Database(settings)
    if check_database:
        check_ready(db.engine)
    caps = capabilities.load()
    register_convertors(settings)  # before any route is built: routes compile their patterns
    routes: list[BaseRoute] = [*views.routes(), *api.routes()]
    for cap in caps:
        routes += cap.routes(settings)
    routes.append(Mount("/static", StaticFiles(directory=HERE / "static"), name="static"))

    middleware = [
        Middleware(SecurityHeaders),
        Middleware(BodyLimit, max_bytes=settings.max_upload_bytes + 1024 * 1024),
        Middleware(
            SessionMiddleware,
            secret_key=settings.secret_key,
            session_cookie="congress_session",
            max_age=14 * 24 * 3600,
            same_site="lax",
            https_only=settings.https,
        ),
    ]

    @contextlib.asynccontextmanager
    async def lifespan(application: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            for cap in caps:
                if cap.on_shutdown:
                    cap.on_shutdown(application)

    app = Starlette(
        routes=routes,
        middleware=middleware,
        lifespan=lifespan,
        exception_handlers={
            CongressError: _congress_error,
            HTTPException: _http_error,
            Exception: _server_error,
        },
    )
    app.state.settings = settings
    app.state.db = db
    app.state.templates = _templates(caps)
    limits = settings.limits
    app.state.login_limiter = LoginLimiter(
        limits.login_failures_per_name_and_address,
        limits.login_window_seconds,
        per_address=limits.login_failures_per_address,
        per_account=limits.login_failures_per_account,
        max_keys=limits.login_tracked_keys,
    )
    app.state.capabilities = caps
    app.state.nav = [item for cap in caps for item in cap.nav]
    for cap in caps:
        if cap.on_startup:
            cap.on_startup(app)
    return app


def app_factory() -> Any:
    """For `uvicorn --factory congress.app:app_factory`: settings from the environment."""
    return create_app(Settings.from_env())
