"""Election pages: the list, a new election, candidates, printing and voiding ballots."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from ballots import elections as svc
from ballots.counting.views import routes as count_routes
from ballots.models import Election, PrintRun
from ballots.tally import BASE_NAMES
from congress import congresses
from congress.delegate_import import ImportRefused
from congress.errors import CongressError, NotFound
from congress.i18n import N_
from congress.openapi import described
from congress.web import (
    actor,
    download,
    endpoint,
    form_number,
    query_number,
    render,
    session_scope,
    settings_of,
    t,
)

FORM_NAMES = {
    "strike": N_("Strike out names (gạch tên)"),
    "agree": N_("Agree / disagree per candidate"),
    "yesno": N_("Yes / no question"),
    "confidence": N_("Confidence vote (three levels)"),
}
LABELS = {"forms": FORM_NAMES, "bases": BASE_NAMES}
ORGANIZE = ("organizer",)
COMMITTEE = ("organizer", "counting")
WATCH = ("organizer", "counting", "observer")


@endpoint(*WATCH)
def list_page(request: Request) -> Response:
    return _render_list(request)


def _render_list(
    request: Request,
    error: str | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    with session_scope(request) as session:
        congress = congresses.get_congress(session, request.path_params["slug"])
        items = [
            svc.election_json(e)
            for e in session.scalars(
                select(Election).where(Election.congress_id == congress.id).order_by(Election.id)
            )
        ]
        return render(
            request,
            "ballots/elections.html",
            {
                "congress": congress,
                "elections": items,
                "error": error,
                "values": values or {},
                "sittings": list(congress.sittings),
                **LABELS,
            },
            status=status,
        )


@endpoint(*ORGANIZE, form=True)
def create(request: Request, form: FormData) -> Response:
    values = {k: v for k, v in form.items() if isinstance(v, str)}
    upload = form.get("candidates")
    tr = t(request)
    slug = request.path_params["slug"]
    try:
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise CongressError("no_file", "Choose the candidate list (CSV or XLSX)")
        data = upload.file.read()
        rules = svc.Rules(
            threshold_base=values.get("threshold_base", "valid"),
            percentage_base=values.get("percentage_base", "valid"),
            tie_rule=values.get("tie_rule", "new_round"),
            seal_required=values.get("seal_required") == "1",
            nobody_elected_invalid=values.get("nobody_elected_invalid") == "1",
            candidate_order=values.get("candidate_order", "alphabetical"),
        )
        with session_scope(request) as session:
            congress = congresses.get_congress(session, slug)
            election = svc.create_election(
                session,
                congress,
                title=values.get("title", ""),
                form=values.get("form", ""),
                seats=query_number(values, "seats", 0, lowest=1, highest=svc.MAX_CANDIDATES),
                actor=actor(request),
                sitting_number=form_number(
                    values, "sitting", lowest=1, highest=settings_of(request).limits.largest_id
                ),
                organisation=values.get("organisation", ""),
                rules=rules,
            )
            svc.import_candidates(
                session, election, data, actor(request), settings_of(request).limits
            )
            election_id = election.id
    except ImportRefused as exc:
        problems = "; ".join(
            f"{p.line}/{p.column}: "
            + (tr.gettext(p.message) % p.params if p.params else tr.gettext(p.message))
            for p in exc.report.problems
        )
        return _render_list(request, f"{exc.translated(tr.gettext)} {problems}", values, 422)
    except CongressError as exc:
        return _render_list(request, exc.translated(tr.gettext), values, exc.status)
    return RedirectResponse(f"/c/{slug}/elections/{election_id}", status_code=303)


def _render_detail(
    request: Request,
    error: str | None = None,
    message: str | None = None,
    problems: list[Any] | None = None,
    status: int = 200,
) -> Response:
    with session_scope(request) as session:
        congress = congresses.get_congress(session, request.path_params["slug"])
        election = svc.get_election(session, request.path_params["election_id"], congress)
        return render(
            request,
            "ballots/election.html",
            {
                "congress": congress,
                "election": svc.election_json(election),
                "error": error,
                "message": message,
                "problems": problems or [],
                **LABELS,
            },
            status=status,
        )


@endpoint(*WATCH)
def detail(request: Request) -> Response:
    return _render_detail(request)


@endpoint(*ORGANIZE, form=True)
def candidates(request: Request, form: FormData) -> Response:
    upload = form.get("file")
    tr = t(request)
    try:
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise CongressError("no_file", "Choose the candidate list (CSV or XLSX)")
        data = upload.file.read()
        with session_scope(request) as session:
            congress = congresses.get_congress(session, request.path_params["slug"])
            election = svc.get_election(session, request.path_params["election_id"], congress)
            count = svc.import_candidates(
                session, election, data, actor(request), settings_of(request).limits
            )
    except ImportRefused as exc:
        return _render_detail(
            request, exc.translated(tr.gettext), problems=exc.report.problems, status=exc.status
        )
    except CongressError as exc:
        return _render_detail(request, exc.translated(tr.gettext), status=exc.status)
    return _render_detail(request, message=tr.gettext("%(count)s candidates", count=count))


@endpoint(*COMMITTEE, form=True)
def print_page(request: Request, form: FormData) -> Response:
    tr = t(request)
    try:
        with session_scope(request) as session:
            congress = congresses.get_congress(session, request.path_params["slug"])
            election = svc.get_election(session, request.path_params["election_id"], congress)
            count = query_number(form, "count", 0, lowest=1, highest=svc.MAX_PRINT)
            printed = svc.print_ballots(
                settings_of(request), session, election, count, actor(request)
            )
            pdf, run_id = printed.pdf, printed.run.id
    except CongressError as exc:
        return _render_detail(request, exc.translated(tr.gettext), status=exc.status)
    name = f"ballots-{request.path_params['election_id']}-run{run_id}.pdf"
    return download(pdf, "application/pdf", name)


@endpoint(*COMMITTEE, form=True)
def void(request: Request, form: FormData) -> Response:
    tr = t(request)
    if form.get("confirmed") != "1":
        # Voiding sends a batch of ballots to be destroyed: first a page that says which.
        return _confirm_void(request, str(form.get("reason", "")).strip()[:300])
    try:
        with session_scope(request) as session:
            congress = congresses.get_congress(session, request.path_params["slug"])
            election = svc.get_election(session, request.path_params["election_id"], congress)
            run = svc.void_run(
                session,
                election,
                request.path_params["run_id"],
                str(form.get("reason", "")),
                actor(request),
            )
            message = tr.gettext("Print run %(id)s voided", id=run.id)
    except CongressError as exc:
        return _render_detail(request, exc.translated(tr.gettext), status=exc.status)
    return _render_detail(request, message=message)


def _confirm_void(request: Request, reason: str) -> Response:
    tr = t(request)
    if not reason:
        return _render_detail(request, tr.gettext("Say why the batch is voided"), status=400)
    with session_scope(request) as session:
        congress = congresses.get_congress(session, request.path_params["slug"])
        election = svc.get_election(session, request.path_params["election_id"], congress)
        run = session.get(PrintRun, request.path_params["run_id"])
        if run is None or run.round.election_id != election.id:
            raise NotFound(
                "unknown_print_run",
                "No print run %(id)s in this election",
                id=request.path_params["run_id"],
            )
        if run.voided_at is not None:
            return _render_detail(
                request, tr.gettext("This print run is already voided"), status=409
            )
        return render(
            request,
            "ballots/void_confirm.html",
            {
                "congress": congress,
                "election": election,
                "run": run,
                "printed_at": run.printed_at,
                "round": run.round.number,
                "last_run": run.round.number == 1 and len(svc.live_runs(run.round)) == 1,
                "reason": reason,
            },
        )


@endpoint(*ORGANIZE)
def candidates_template(request: Request) -> Response:
    """The candidates' import template (XLSX): the header row and a sheet explaining it."""
    with session_scope(request) as session:
        congresses.get_congress(session, request.path_params["slug"])  # an unknown one: 404
    data = svc.candidates_template_xlsx(t(request).gettext)
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return download(data, xlsx, f"ung-cu-vien-{request.path_params['slug']}.xlsx")


@endpoint(*WATCH)
def layout_json(request: Request) -> Response:
    with session_scope(request) as session:
        congress = congresses.get_congress(session, request.path_params["slug"])
        election = svc.get_election(session, request.path_params["election_id"], congress)
        run = session.get(PrintRun, request.path_params["run_id"])
        if run is None or run.round.election_id != election.id:
            raise NotFound(
                "unknown_print_run",
                "No print run %(id)s in this election",
                id=request.path_params["run_id"],
            )
        return JSONResponse(run.layout)


@endpoint(*WATCH)
@described("The elections of a congress with their rounds and candidates")
def api_elections(request: Request) -> Response:
    with session_scope(request) as session:
        congress = congresses.get_congress(session, request.path_params["slug"])
        return JSONResponse(
            [
                svc.election_json(e)
                for e in session.scalars(
                    select(Election)
                    .where(Election.congress_id == congress.id)
                    .order_by(Election.id)
                )
            ]
        )


def routes() -> list[BaseRoute]:
    base = "/c/{slug}/elections"
    one = base + "/{election_id:id}"
    return [
        Route(base, list_page),
        Route(base + "/new", create, methods=["POST"]),
        Route(base + "/candidates-template.xlsx", candidates_template),
        Route(one, detail),
        Route(one + "/candidates", candidates, methods=["POST"]),
        Route(one + "/print", print_page, methods=["POST"]),
        Route(one + "/runs/{run_id:id}/void", void, methods=["POST"]),
        Route(one + "/runs/{run_id:id}/layout.json", layout_json),
        Route("/api/congresses/{slug}/elections", api_elections),
        *count_routes(),
    ]
