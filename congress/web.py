"""Request plumbing shared by every page and API route: who is asking, in which language, may they."""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import inspect
import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any, Literal, TypeVar, cast, overload
from urllib.parse import quote

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.convertors import Convertor, register_url_convertor
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import (
    HTMLResponse,
    JSONResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)

from congress import auth
from congress.db import Database
from congress.errors import CongressError, Forbidden
from congress.i18n import DEFAULT_TIME_ZONE, Translator, negotiate, translator
from congress.limits import Limits
from congress.models import ROLE_NAMES, StaffUser, utcnow
from congress.settings import Settings

log = logging.getLogger("congress.web")

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
LANG_COOKIE = "lang"
AsyncHandler = Callable[[Request], Awaitable[Response]]
# A route handler: a plain function run in the thread pool, or a coroutine for body reading.
HandlerT = TypeVar("HandlerT", bound=Callable[[Request], Response | Awaitable[Response]])
FormHandler = Callable[[Request, FormData], Response]
BodyHandler = Callable[[Request, bytes], Response]


def digits_at_most(largest: int) -> str:
    """A regular expression of the decimal numbers from 0 to `largest` (leading zeros allowed
    up to its width): numbers of fewer digits, then, digit by digit, the ones below it."""
    text = str(largest)
    parts = [f"[0-9]{{1,{len(text) - 1}}}"] if len(text) > 1 else []
    for i, digit in enumerate(text):
        if digit != "0":
            rest = len(text) - i - 1
            parts.append(text[:i] + f"[0-{int(digit) - 1}]" + (f"[0-9]{{{rest}}}" if rest else ""))
    parts.append(text)
    return "(?:" + "|".join(parts) + ")"


class IdConvertor(Convertor[int]):
    """`{name:id}` in a route: a database id or a number, at most `Limits.largest_id`.

    The bound is in the route's own pattern, so a larger number finds no route and is the
    router's 404, before any handler: no OverflowError in Python, no NumericValueOutOfRange
    from PostgreSQL's 32-bit integers."""

    largest = Limits().largest_id
    regex = digits_at_most(largest)

    def convert(self, value: str) -> int:
        return int(value)

    def to_string(self, value: int) -> str:
        return str(int(value))


def register_convertors(settings: Settings) -> None:
    """Make `{name:id}` known to the router; called by create_app before any route is built."""
    # Starlette reads a convertor's pattern from its class: one made for these settings' bound.
    pattern = digits_at_most(settings.limits.largest_id)
    bound = {"regex": pattern, "largest": settings.limits.largest_id}
    register_url_convertor("id", type("IdConvertor", (IdConvertor,), bound)())


def query_number(
    params: Mapping[str, Any], name: str, default: int, *, lowest: int, highest: int
) -> int:
    """A whole number from the query string or a posted form, `default` when absent or empty;
    any other value outside lowest..highest is the client's mistake, a 400, never a database
    overflow. The one place a number a person typed becomes an int."""
    raw = params.get(name)
    text = (raw if isinstance(raw, str) else "" if raw is None else "\x00").strip()
    if not text:
        return default
    try:
        value = int(text) if len(text) <= 20 else None
    except ValueError:
        value = None
    if value is None or not lowest <= value <= highest:
        raise CongressError(
            "bad_number",
            "%(name)s must be a whole number from %(lowest)s to %(highest)s",
            name=name,
            lowest=lowest,
            highest=highest,
        )
    return value


def form_number(
    params: Mapping[str, Any],
    name: str,
    *,
    lowest: int,
    highest: int,
    default: int | None = None,
) -> int | None:
    """`query_number` for a form field that may be left empty (None)."""
    raw = params.get(name)
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return default
    return query_number(params, name, 0, lowest=lowest, highest=highest)


def settings_of(request: Request) -> Settings:
    return cast(Settings, request.app.state.settings)


def db_of(request: Request) -> Database:
    return cast(Database, request.app.state.db)


def is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def language(request: Request) -> str:
    cached = request.scope.get("congress.lang")
    if cached:
        return str(cached)
    lang = negotiate(
        request.query_params.get("lang"),
        request.cookies.get(LANG_COOKIE),
        request.headers.get("accept-language") if is_api(request) else None,
        settings_of(request).default_language,
    )
    request.scope["congress.lang"] = lang
    return lang


def t(request: Request) -> Translator:
    return translator(language(request))


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def bearer_secret(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None
    return None


def principal(request: Request) -> auth.Principal | None:
    """The staff user of the session or the station of the bearer token, looked up once.

    The first call reads the database: it belongs in the thread pool, as endpoint() calls it.
    """
    if "congress.principal" in request.scope:
        return cast("auth.Principal | None", request.scope["congress.principal"])
    found: auth.Principal | None = None
    secret = bearer_secret(request)
    with db_of(request).lookup() as session:
        if secret:
            found = auth.principal_for_token(session, secret)
        elif "session" in request.scope and request.session.get("uid"):
            user = session.get(StaffUser, int(request.session["uid"]))
            idle = settings_of(request).limits.session_idle_seconds
            if (
                user is not None
                and user.active
                and session_alive(
                    request, session, request.session.get("sid"), idle, staff_user_id=user.id
                )
            ):
                found = auth.principal_for_user(user)
    request.scope["congress.principal"] = found
    return found


def session_alive(
    request: Request,
    session: Session,
    secret: object,
    idle_seconds: int,
    *,
    staff_user_id: int | None = None,
    delegate_id: int | None = None,
) -> bool:
    """Whether the cookie's server-side session still stands; its use is recorded later.

    The last use is written after the handler, in a transaction of its own and at most every
    few minutes (Limits.session_touch_seconds): the caller's session may be a reading one, or
    hold SQLite's write lock, and neither should take a second write here.
    """
    row = auth.live_session(
        session, secret, idle_seconds, staff_user_id=staff_user_id, delegate_id=delegate_id
    )
    if row is None:
        return False
    touch_every = dt.timedelta(seconds=settings_of(request).limits.session_touch_seconds)
    if row.last_seen_at < utcnow() - touch_every:
        request.scope.setdefault("congress.touch", set()).add(row.secret_sha256)
    return True


# Every server-side session this cookie carries besides the staff one (a phone's sign-ins to
# congress portals), so that signing in or out in this browser ends them all, not only the
# part of the cookie it forgets.
HELD_SESSIONS_KEY = "held"
MOST_HELD_SESSIONS = 16


def hold_session(request: Request, session: Session, secret: str) -> None:
    """Record a server-side session started for this cookie; the oldest past the bound ends."""
    held = [s for s in request.session.get(HELD_SESSIONS_KEY, []) if isinstance(s, str)]
    held.append(secret)
    for dropped in held[:-MOST_HELD_SESSIONS]:
        auth.end_session(session, dropped)
    request.session[HELD_SESSIONS_KEY] = held[-MOST_HELD_SESSIONS:]


def release_session(request: Request, session: Session, secret: object) -> None:
    """End one held session and forget it."""
    auth.end_session(session, secret)
    held = request.session.get(HELD_SESSIONS_KEY, [])
    if isinstance(held, list) and secret in held:
        request.session[HELD_SESSIONS_KEY] = [s for s in held if s != secret]


def end_cookie_sessions(request: Request, session: Session) -> None:
    """End every server-side session this cookie carries and empty the cookie."""
    held = request.session.get(HELD_SESSIONS_KEY, [])
    for secret in [request.session.get("sid"), *(held if isinstance(held, list) else [])]:
        auth.end_session(session, secret)
    request.session.clear()


def touch_sessions(request: Request) -> None:
    """Write the last use of the sessions this request found stale (see session_alive)."""
    digests = request.scope.pop("congress.touch", None)
    if not digests:
        return
    try:
        with db_of(request).write_session() as session:
            auth.touch_sessions(session, sorted(digests))
    except SQLAlchemyError:
        # A missed write only brings the idle end a few minutes nearer; the answer stands.
        log.warning("could not record the use of %d sessions", len(digests), exc_info=True)


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not token:
        token = auth.new_csrf_token()
        request.session["csrf"] = token
    return str(token)


async def form_of(request: Request) -> FormData:
    return await request.form(
        max_files=20, max_fields=2000, max_part_size=settings_of(request).max_upload_bytes
    )


def _csrf_exempt(request: Request) -> bool:
    # Bearer tokens are not sent by browsers on their own: no cross-site forgery.
    return request.method in SAFE_METHODS or bearer_secret(request) is not None


def _csrf_in_form(request: Request) -> bool:
    """A browser form post carries its token in the body rather than in a header."""
    content_type = request.headers.get("content-type", "")
    return not request.headers.get("x-csrf-token") and content_type.startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    )


async def _form_csrf_token(request: Request) -> str | None:
    value = (await form_of(request)).get("csrf_token")
    return value if isinstance(value, str) else None


def _refuse_forgery(request: Request, given: str | None) -> None:
    if not auth.csrf_matches(request.session.get("csrf"), given):
        raise Forbidden(
            "csrf_failed",
            "The form has expired or did not come from this site; reload the page and try again",
        )


async def _check_csrf(request: Request) -> None:
    if _csrf_exempt(request):
        return
    if _csrf_in_form(request):
        _refuse_forgery(request, await _form_csrf_token(request))
    else:
        _refuse_forgery(request, request.headers.get("x-csrf-token"))


def _check_csrf_without_body(request: Request) -> None:
    """_check_csrf where the token, if one is needed, is in a header: no await, any thread."""
    if not _csrf_exempt(request):
        _refuse_forgery(request, request.headers.get("x-csrf-token"))


def _admission(request: Request, roles: tuple[str, ...]) -> Response | None:
    """None to let the request in, or the sign-in redirect; raises on a role that does not fit.

    It looks the principal up in the database: call it from the thread pool, never on the loop.
    """
    who = principal(request)
    if who is None:
        if is_api(request):
            raise CongressError("unauthenticated", "Sign in or send a station token", status=401)
        target = quote(request.url.path + ("?" + request.url.query if request.url.query else ""))
        return RedirectResponse(f"/login?next={target}", status_code=303)
    if roles and not who.has(*roles):
        names = ", ".join(t(request).gettext(ROLE_NAMES.get(r, r)) for r in roles)
        raise Forbidden(
            "forbidden", "Your role does not allow this (needs: %(roles)s)", roles=names
        )
    return None


async def read_body(request: Request, limit: int) -> bytes:
    """The request's body, read on the event loop, but never more than `limit` + 1 bytes: the
    handler tells a body over the limit by its length."""
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            return body[: limit + 1]
    return body


@overload
def endpoint(*roles: str, public: bool = False) -> Callable[[HandlerT], HandlerT]: ...


@overload
def endpoint(
    *roles: str, public: bool = False, form: Literal[True]
) -> Callable[[FormHandler], AsyncHandler]: ...


@overload
def endpoint(
    *roles: str, public: bool = False, body: int
) -> Callable[[BodyHandler], AsyncHandler]: ...


def endpoint(*roles: str, public: bool = False, form: bool = False, body: int | None = None) -> Any:
    """Wrap a route: authenticate, check the role, check CSRF on state-changing requests.

    Every route of the app goes through this, so access is explicit at each definition; a test
    walks the routes and fails on any that is not wrapped.

    No database work runs on the event loop, where one slow query would stall every request:
    - a plain `def` handler runs in the thread pool, the principal lookup with it in one hop;
    - with `form=True`, a `def handler(request, form)` gets the posted form (empty on GET),
      read on the event loop, and runs in the thread pool;
    - with `body=N`, a `def handler(request, body)` gets the raw body (at most N + 1 bytes), read
      on the event loop, and runs in the thread pool with the principal lookup in one hop: the
      gates' JSON API, where every request counts;
    - an `async def` handler is for another kind of body (a stream); it hands its database work
      to `run_in_threadpool` itself.
    """

    def admit(request: Request) -> Response | None:
        if public:
            # Who is asking, looked up now, before the handler takes its own connection: a
            # page that shows the signed-in user must not hold one connection while it waits
            # for a second from the same pool. Without a cookie or token this reads nothing.
            principal(request)
            return None
        return _admission(request, roles)

    async def guard(request: Request) -> Response | None:
        refused = None if public else await run_in_threadpool(_admission, request, roles)
        if refused is None:
            await _check_csrf(request)
        return refused

    def decorate(fn: Callable[..., Any]) -> Any:
        if body is not None:
            limit = body

            def admitted_with_body(request: Request, raw: bytes) -> Response:
                refused = admit(request)
                if refused is not None:
                    return refused
                _check_csrf_without_body(request)
                return cast(Response, fn(request, raw))

            async def wrapped(request: Request) -> Response:
                raw = await read_body(request, limit)
                return await run_in_threadpool(admitted_with_body, request, raw)

        elif form:

            async def wrapped(request: Request) -> Response:
                refused = await guard(request)
                if refused is not None:
                    return refused
                posted = FormData() if request.method in SAFE_METHODS else await form_of(request)
                return cast(Response, await run_in_threadpool(fn, request, posted))

        elif inspect.iscoroutinefunction(fn):

            async def wrapped(request: Request) -> Response:
                refused = await guard(request)
                return refused if refused is not None else cast(Response, await fn(request))

        else:

            def admitted_and_run(request: Request) -> Response:
                refused = admit(request)
                if refused is not None:
                    return refused
                _check_csrf_without_body(request)
                return cast(Response, fn(request))

            async def wrapped(request: Request) -> Response:
                if _csrf_exempt(request) or not _csrf_in_form(request):
                    return await run_in_threadpool(admitted_and_run, request)
                # A browser form post: its CSRF token is in the body, read on the event loop.
                refused = await guard(request)
                if refused is not None:
                    return refused
                return cast(Response, await run_in_threadpool(fn, request))

        async def then_touch(request: Request) -> Response:
            request.scope["congress.roles"] = None if public else roles
            try:
                return await wrapped(request)
            finally:
                if request.scope.get("congress.touch"):
                    await run_in_threadpool(touch_sessions, request)

        functools.update_wrapper(then_touch, fn)
        then_touch.congress_access = "public" if public else (roles or ("any-staff",))  # type: ignore[attr-defined]
        return then_touch

    return decorate


def actor(request: Request) -> str:
    who = principal(request)
    return who.name if who else f"anonymous@{client_address(request)}"


def render(
    request: Request, template: str, context: dict[str, Any] | None = None, status: int = 200
) -> HTMLResponse:
    templates = request.app.state.templates
    tr = t(request)
    ctx: dict[str, Any] = {
        "request": request,
        "lang": tr.lang,
        "principal": principal(request),
        "csrf_token": csrf_token(request) if "session" in request.scope else "",
        "nav": request.app.state.nav,
        "error": None,  # every form page may show one error line
    }
    if context:
        ctx.update(context)
    # Every instant on a page is shown in its congress's zone (the default zone on pages of none).
    ctx.update(tr.template_globals(getattr(ctx.get("congress"), "time_zone", DEFAULT_TIME_ZONE)))
    html = templates.get_template(template).render(ctx)
    return HTMLResponse(html, status_code=status)


def download(data: bytes, media_type: str, filename: str) -> Response:
    """A file made for this request (PDF, spreadsheet): saved under its name, never cached."""
    return Response(
        data,
        media_type=media_type,
        headers={
            "content-disposition": f'attachment; filename="{filename}"',
            "cache-control": "no-store",
        },
    )


def error_response(request: Request, exc: CongressError) -> Response:
    tr = t(request)
    message = exc.translated(tr.gettext)
    if is_api(request):
        body: dict[str, Any] = {"error": {"code": exc.code, "message": message}}
        report = getattr(exc, "report", None)
        if report is not None:
            body["error"]["report"] = report.to_dict(tr.gettext)
        return JSONResponse(body, status_code=exc.status)
    return render(request, "error.html", {"message": message, "code": exc.code}, status=exc.status)


def session_scope(request: Request) -> Any:
    """A database session in one transaction: `with session_scope(request) as s:`."""
    return db_of(request).session()


# --- installable pages (PWA): the soft badge and the documents portal ---------------------------


def web_manifest(name: str, short_name: str, start_url: str, scope: str, icon: str) -> Response:
    """The web app manifest of an installable page, in the congress colours."""
    body = {
        "name": name,
        "short_name": short_name,
        "start_url": start_url,
        "scope": scope,
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#b3001b",
        "icons": [{"src": icon, "sizes": "any", "type": "image/svg+xml"}],
    }
    return Response(json.dumps(body, ensure_ascii=False), media_type="application/manifest+json")


def service_worker_script(path: Any, scope: str) -> Response:
    """A service worker served from outside its scope's folder, allowed to control `scope`."""
    return Response(
        Path(path).read_text(encoding="utf-8"),
        media_type="text/javascript",
        headers={"service-worker-allowed": scope, "cache-control": "no-cache"},
    )


__all__ = [
    "service_worker_script",
    "web_manifest",
    "actor",
    "csrf_token",
    "db_of",
    "download",
    "endpoint",
    "error_response",
    "form_of",
    "language",
    "principal",
    "render",
    "session_scope",
    "settings_of",
    "t",
]


def still_admitted(request: Request) -> bool:
    """Whether the reader of a long-lived response is still let in: the session may have been
    ended (signed out, a password changed, idle too long) or the token revoked since it began.
    The check is a use of the session, recorded as any request's is. Call from the thread pool.
    """
    request.scope.pop("congress.principal", None)
    roles = request.scope.get("congress.roles")
    try:
        admitted = roles is None or _admission(request, roles) is None
    except CongressError:
        admitted = False
    touch_sessions(request)
    return admitted


SIGNED_OUT_EVENT = "event: signed-out\ndata: {}\n\n"


def event_stream(
    request: Request, next_event: Callable[[], Awaitable[str | None]], interval: float
) -> StreamingResponse:
    """Server-sent events for a page left open (a projector, the presidium's attendance):
    `next_event()` every `interval` seconds gives an event, or None for a keep-alive. The
    reader is admitted again every `Limits.stream_recheck_seconds`; once not, the stream says
    `signed-out` and ends, so a session ended on the server does not keep watching."""
    every = settings_of(request).limits.stream_recheck_seconds

    async def events() -> AsyncIterator[str]:
        recheck_at = time.monotonic() + every
        while not await request.is_disconnected():
            if time.monotonic() >= recheck_at:
                if not await run_in_threadpool(still_admitted, request):
                    yield SIGNED_OUT_EVENT
                    return
                recheck_at = time.monotonic() + every
            yield await next_event() or ": still here\n\n"
            await asyncio.sleep(interval)

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"cache-control": "no-cache", "x-accel-buffering": "no"},
    )
