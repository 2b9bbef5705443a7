"""The organizer's pages: sign-in, congresses, sittings, delegations, delegates and their import."""

from __future__ import annotations

import datetime as dt
from typing import Any

from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from congress import audit, auth, congresses, delegate_edit, setup
from congress.delegate_import import ImportRefused, import_delegates, template_xlsx
from congress.errors import CongressError
from congress.i18n import DEFAULT_TIME_ZONE, LANGUAGES, local_time, time_zones
from congress.models import GENDERS, utcnow
from congress.photos import PhotosRefused, files_of_zip, import_photos
from congress.storage import FileStore
from congress.web import (
    LANG_COOKIE,
    actor,
    client_address,
    download,
    end_cookie_sessions,
    endpoint,
    principal,
    query_number,
    render,
    session_scope,
    settings_of,
    t,
)

ORGANIZE = ("organizer",)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
VIEW = ("organizer", "observer", "checkin", "counting")


def _safe_next(value: str | None) -> str:
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/"


@endpoint(public=True, form=True)
def login(request: Request, form: FormData) -> Response:
    next_url = _safe_next(request.query_params.get("next"))
    if request.method != "POST":
        # GET and HEAD (which Starlette routes with GET) show the form: only a POST signs in,
        # so a HEAD is never counted as a failed sign-in.
        return render(request, "login.html", {"next": next_url})
    username = str(form.get("username", "")).strip()
    password = str(form.get("password", ""))
    next_url = _safe_next(str(form.get("next", "/")))
    limiter: auth.LoginLimiter = request.app.state.login_limiter
    address = client_address(request)
    wait = limiter.retry_after(address, username)
    if wait:
        minutes = max(1, (wait + 59) // 60)
        message = t(request).gettext(
            "Too many failed sign-ins; try again in %(minutes)s minutes", minutes=minutes
        )
        return render(request, "login.html", {"next": next_url, "error": message}, status=429)
    with session_scope(request) as session:
        user = auth.authenticate(session, username, password)
        if user is None:
            limiter.failed(address, username)
            audit.record(session, f"anonymous@{address}", "login.failed", subject=username[:80])
        else:
            limiter.succeeded(address, username)
            audit.record(session, user.username, "login", subject=address)
            # Signing in again in this browser ends the sessions it had, as logging out would.
            end_cookie_sessions(request, session)
            secret = auth.start_session(
                session,
                staff_user_id=user.id,
                forget_idle_seconds=settings_of(request).limits.longest_session_idle_seconds,
            )
    if user is None:
        message = t(request).gettext("Wrong user name or password")
        return render(request, "login.html", {"next": next_url, "error": message}, status=401)
    # A fresh cookie: nothing from before the sign-in (a planted CSRF token, a delegate's
    # sign-in on a shared laptop) carries over into the staff session.
    request.session.clear()
    request.session["uid"] = user.id
    request.session["sid"] = secret
    request.session["csrf"] = auth.new_csrf_token()
    return RedirectResponse(next_url, status_code=303)


@endpoint()
def logout(request: Request) -> Response:
    # The server forgets the session, so a copy of the cookie is worth nothing either.
    with session_scope(request) as session:
        end_cookie_sessions(request, session)
    return RedirectResponse("/login", status_code=303)


@endpoint(public=True)
async def switch_language(request: Request) -> Response:
    lang = request.path_params["lang"]
    response = RedirectResponse(_safe_next(request.query_params.get("next")), status_code=303)
    if lang in LANGUAGES:
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="lax", httponly=True)
    return response


def _current(items: list[Any], now: dt.datetime) -> Any:
    """The congress a door keeper means: the one under way, else the next, else the latest;
    each judged by the date where it takes place (its own zone), not the server's."""

    def today(c: Any) -> dt.date:
        return local_time(now, c.time_zone).date()

    under_way = [c for c in items if c.starts_on <= today(c) <= c.ends_on]
    coming = sorted((c for c in items if c.starts_on > today(c)), key=lambda c: c.starts_on)
    return (under_way or coming or items)[0]


def _landing(request: Request, items: list[Any]) -> str | None:
    """Where staff with one job land (a `NavItem`'s `lands`), in the current congress."""
    who = principal(request)
    if who is None or who.kind != "user" or not who.roles or "admin" in who.roles or not items:
        return None
    for item in request.app.state.nav:
        if item.lands and who.roles <= set(item.lands):
            return str(item.path).format(slug=_current(items, utcnow()).slug)
    return None


@endpoint(*VIEW)
def home(request: Request) -> Response:
    with session_scope(request) as session:
        items = congresses.list_congresses(session)
    target = _landing(request, items)
    if target is not None:
        return RedirectResponse(target, status_code=303)
    return render(request, "congresses.html", {"congresses": items})


def _parse_date(value: Any, field: str) -> dt.date:
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError as exc:
        raise CongressError("bad_date", "%(field)s is not a date", field=field) from exc


@endpoint(*ORGANIZE, form=True)
def congress_new(request: Request, form: FormData) -> Response:
    if request.method == "GET":
        return render(
            request,
            "congress_new.html",
            {"values": {"time_zone": DEFAULT_TIME_ZONE}, "time_zones": sorted(time_zones())},
        )
    values = {k: str(v) for k, v in form.items() if isinstance(v, str)}
    tr = t(request)
    try:
        with session_scope(request) as session:
            congress = congresses.create_congress(
                session,
                slug=values.get("slug", ""),
                name=values.get("name", ""),
                starts_on=_parse_date(values.get("starts_on"), tr.gettext("Start date")),
                ends_on=_parse_date(values.get("ends_on"), tr.gettext("End date")),
                venue=values.get("venue", ""),
                organisation=values.get("organisation", ""),
                time_zone=values.get("time_zone") or DEFAULT_TIME_ZONE,
                actor=actor(request),
            )
            slug = congress.slug
    except CongressError as exc:
        return render(
            request,
            "congress_new.html",
            {
                "values": values,
                "time_zones": sorted(time_zones()),
                "error": exc.translated(tr.gettext),
            },
            status=exc.status,
        )
    return RedirectResponse(f"/c/{slug}", status_code=303)


@endpoint(*VIEW)
def congress_page(request: Request) -> Response:
    with session_scope(request) as session:
        congress = congresses.get_congress(session, request.path_params["slug"])
        counts = congresses.delegation_counts(session, congress)
        sittings = list(congress.sittings)
        who = principal(request)
        # The setup steps are the organizers' to-do list; other roles see the figures.
        steps = (
            setup.setup_steps(session, congress, request.app.state.capabilities)
            if who is not None and who.has(*ORGANIZE)
            else []
        )
    return render(
        request,
        "congress.html",
        {
            "congress": congress,
            "steps": steps,
            "sittings": sittings,
            "delegations": counts,
            "total_full": sum(c[1] for c in counts),
            "total_alternate": sum(c[2] for c in counts),
        },
    )


def _render_sittings(request: Request, error: str | None = None) -> Response:
    with session_scope(request) as session:
        congress = congresses.get_congress(session, request.path_params["slug"])
        sittings = list(congress.sittings)
    return render(
        request,
        "sittings.html",
        {"congress": congress, "sittings": sittings, "error": error},
        status=400 if error else 200,
    )


@endpoint(*VIEW)
def sittings_page(request: Request) -> Response:
    return _render_sittings(request)


@endpoint(*ORGANIZE, form=True)
def sittings_add(request: Request, form: FormData) -> Response:
    slug = request.path_params["slug"]
    try:
        starts_at = dt.datetime.fromisoformat(str(form.get("starts_at", "")))
    except ValueError:
        return _render_sittings(
            request, t(request).gettext("The start time is not a date and time")
        )
    try:
        with session_scope(request) as session:
            congress = congresses.get_congress(session, slug)
            congresses.add_sitting(
                session,
                congress,
                title=str(form.get("title", "")),
                starts_at=starts_at,
                actor=actor(request),
            )
    except CongressError as exc:
        return _render_sittings(request, exc.translated(t(request).gettext))
    # The overview's form (a congress's first sitting) brings the organizer back to its steps.
    back = f"/c/{slug}" if form.get("next") == "overview" else f"/c/{slug}/sittings"
    return RedirectResponse(back, status_code=303)


def _render_delegations(request: Request, error: str | None = None) -> Response:
    with session_scope(request) as session:
        congress = congresses.get_congress(session, request.path_params["slug"])
        counts = congresses.delegation_counts(session, congress)
    return render(
        request,
        "delegations.html",
        {"congress": congress, "delegations": counts, "error": error},
        status=400 if error else 200,
    )


@endpoint(*VIEW)
def delegations_page(request: Request) -> Response:
    return _render_delegations(request)


@endpoint(*ORGANIZE, form=True)
def delegations_add(request: Request, form: FormData) -> Response:
    slug = request.path_params["slug"]
    try:
        with session_scope(request) as session:
            congress = congresses.get_congress(session, slug)
            congresses.add_delegation(session, congress, str(form.get("name", "")), actor(request))
    except CongressError as exc:
        return _render_delegations(request, exc.translated(t(request).gettext))
    return RedirectResponse(f"/c/{slug}/delegations", status_code=303)


def delegate_query(params: Any, largest_id: int) -> congresses.DelegateQuery:
    def number(name: str, default: int) -> int:
        return query_number(params, name, default, lowest=1, highest=largest_id)

    kind = params.get("kind") if params.get("kind") in ("full", "alternate") else None
    gender = params.get("gender") if params.get("gender") in GENDERS else None
    delegation = number("delegation", 0)
    return congresses.DelegateQuery(
        text=str(params.get("q", ""))[:100],
        delegation_id=delegation or None,
        kind=kind,
        gender=gender,
        page=number("page", 1),
        per_page=min(number("per_page", 50), 500),
    )


@endpoint(*VIEW)
def delegates_page(request: Request) -> Response:
    query = delegate_query(request.query_params, settings_of(request).limits.largest_id)
    with session_scope(request) as session:
        congress = congresses.get_congress(session, request.path_params["slug"])
        rows, total = congresses.find_delegates(session, congress, query)
        delegations = [d for d, _, _ in congresses.delegation_counts(session, congress)]
    pages = max(1, (total + query.per_page - 1) // query.per_page)
    return render(
        request,
        "delegates.html",
        {
            "congress": congress,
            "delegates": rows,
            "total": total,
            "query": query,
            "pages": pages,
            "delegations": delegations,
            "fields": congresses.visible_fields(principal(request)),
        },
    )


@endpoint(*VIEW)
def delegate_page(request: Request) -> Response:
    """One delegate: the register's fields the reader may see, and the delegate's history."""
    fields = congresses.visible_fields(principal(request))
    with session_scope(request) as session:
        congress = congresses.get_congress(session, request.path_params["slug"])
        delegate = delegate_edit.get_delegate(session, congress, request.path_params["delegate_id"])
        lines = delegate_edit.history(session, congress, delegate)
        return render(
            request,
            "delegate.html",
            {
                "congress": congress,
                "delegate": delegate,
                "fields": fields,
                "history": lines,
                "labels": delegate_edit.FIELD_LABELS,
                "kinds": delegate_edit.KIND_LABELS,
                "genders": delegate_edit.GENDER_LABELS,
                "saved": request.query_params.get("saved") == "1",
            },
        )


@endpoint(*ORGANIZE, form=True)
def delegate_edit_page(request: Request, form: FormData) -> Response:
    """Edit one delegate: every field checked as the import checks it; the change audited."""
    slug = request.path_params["slug"]
    delegate_id = request.path_params["delegate_id"]
    personal = congresses.visible_fields(principal(request)) >= congresses.PERSONAL_FIELDS
    error = None
    status = 200
    values = None
    if request.method == "POST":
        values = delegate_edit.DelegateForm.of(form)
        try:
            with session_scope(request) as session:
                congress = congresses.get_congress(session, slug)
                delegate = delegate_edit.get_delegate(session, congress, delegate_id)
                delegate_edit.edit_delegate(
                    session, congress, delegate, values, personal=personal, actor=actor(request)
                )
        except delegate_edit.FieldRefused as exc:
            tr = t(request)
            label = tr.gettext(delegate_edit.FIELD_LABELS[exc.field])
            error = f"{label}: {exc.translated(tr.gettext)}"
            status = exc.status
        else:
            return RedirectResponse(f"/c/{slug}/delegates/{delegate_id}?saved=1", status_code=303)
    with session_scope(request) as session:
        congress = congresses.get_congress(session, slug)
        delegate = delegate_edit.get_delegate(session, congress, delegate_id)
        delegations = [d for d, _, _ in congresses.delegation_counts(session, congress)]
        return render(
            request,
            "delegate_edit.html",
            {
                "congress": congress,
                "delegate": delegate,
                "values": (values or delegate_edit.DelegateForm.from_delegate(delegate)).values,
                "delegations": delegations,
                "personal": personal,
                "labels": delegate_edit.FIELD_LABELS,
                "kinds": delegate_edit.KIND_LABELS,
                "genders": delegate_edit.GENDER_LABELS,
                "max_length": delegate_edit.MAX_LENGTH,
                "error": error,
            },
            status=status,
        )


@endpoint(*ORGANIZE, form=True)
def delegates_import_page(request: Request, form: FormData) -> Response:
    """Upload, check, and (after seeing the differences) confirm an update: all rows or none."""
    slug = request.path_params["slug"]
    store = FileStore(settings_of(request).home / "uploads")
    context: dict[str, Any] = {
        "report": None,
        "pending": None,
        "filename": "",
        "labels": delegate_edit.FIELD_LABELS,
        "value_labels": delegate_edit.VALUE_LABELS,
    }
    status = 200
    if request.method == "POST":
        upload = form.get("file")
        pending = str(form.get("pending", ""))
        update = form.get("update") == "1"
        data: bytes | None = None
        name = ""
        if isinstance(upload, UploadFile) and upload.filename:
            data = upload.file.read()
            name = upload.filename
        elif pending:
            try:
                data = store.get(pending)
            except (ValueError, OSError):
                data = None
        if not data:
            context["error"] = t(request).gettext("Choose a CSV or XLSX file to import")
            status = 400
        else:
            try:
                with session_scope(request) as session:
                    congress = congresses.get_congress(session, slug)
                    report = import_delegates(
                        session,
                        congress,
                        data,
                        actor=actor(request),
                        update=update,
                        limits=settings_of(request).limits,
                    )
                context["report"] = report
            except ImportRefused as exc:
                context["report"] = exc.report
                context["error"] = exc.translated(t(request).gettext)
                if exc.report.changes and not exc.report.problems:
                    context["pending"] = store.put(data)
                status = 422
            except CongressError as exc:
                context["error"] = exc.translated(t(request).gettext)
                status = exc.status
        context["filename"] = name
    with session_scope(request) as session:
        congress = congresses.get_congress(session, slug)
    context["congress"] = congress
    return render(request, "delegates_import.html", context, status=status)


@endpoint(*ORGANIZE)
def delegates_template(request: Request) -> Response:
    """The delegates' import template (XLSX): the header row and a sheet explaining it."""
    with session_scope(request) as session:
        congresses.get_congress(session, request.path_params["slug"])  # an unknown one: 404
    data = template_xlsx(t(request).gettext)
    return download(data, XLSX, f"dai-bieu-{request.path_params['slug']}.xlsx")


@endpoint(*ORGANIZE, form=True)
def delegates_photos_page(request: Request, form: FormData) -> Response:
    """Upload a ZIP of photos named by delegate code: every photo, or none with a report."""
    slug = request.path_params["slug"]
    tr = t(request)
    context: dict[str, Any] = {"problems": [], "stored": None}
    status = 200
    if request.method == "POST":
        upload = form.get("file")
        try:
            if not isinstance(upload, UploadFile) or not upload.filename:
                raise CongressError("no_file", "Choose a ZIP file of photos")
            limits = settings_of(request).limits
            files = files_of_zip(upload.file, limits)  # the spooled upload, not a copy in memory
            with session_scope(request) as session:
                congress = congresses.get_congress(session, slug)
                context["stored"] = import_photos(
                    session,
                    FileStore(settings_of(request).files_dir),
                    congress,
                    files,
                    actor(request),
                    limits,
                )
        except PhotosRefused as exc:
            context["problems"] = exc.problems
            context["error"] = exc.translated(tr.gettext)
            status = exc.status
        except CongressError as exc:
            context["error"] = exc.translated(tr.gettext)
            status = exc.status
    with session_scope(request) as session:
        context["congress"] = congresses.get_congress(session, slug)
    return render(request, "delegates_photos.html", context, status=status)


@endpoint(public=True)
async def health(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


def routes() -> list[Route]:
    return [
        Route("/", home),
        Route("/login", login, methods=["GET", "POST"]),
        Route("/logout", logout, methods=["POST"]),
        Route("/lang/{lang}", switch_language),
        Route("/healthz", health),
        Route("/congresses/new", congress_new, methods=["GET", "POST"]),
        Route("/c/{slug}", congress_page),
        Route("/c/{slug}/sittings", sittings_page),
        Route("/c/{slug}/sittings", sittings_add, methods=["POST"]),
        Route("/c/{slug}/delegations", delegations_page),
        Route("/c/{slug}/delegations", delegations_add, methods=["POST"]),
        Route("/c/{slug}/delegates", delegates_page),
        Route("/c/{slug}/delegates/photos", delegates_photos_page, methods=["GET", "POST"]),
        Route("/c/{slug}/delegates/import", delegates_import_page, methods=["GET", "POST"]),
        Route("/c/{slug}/delegates/template.xlsx", delegates_template),
        Route("/c/{slug}/delegates/{delegate_id:id}", delegate_page),
        Route(
            "/c/{slug}/delegates/{delegate_id:id}/edit",
            delegate_edit_page,
            methods=["GET", "POST"],
        ),
    ]
