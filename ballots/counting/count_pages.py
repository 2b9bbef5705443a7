"""The count pages: open a count, its page, figures, scans uploaded, close, seal, re-open, downloads."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from ballots.counting import closing, counts, intake, review
from ballots.counting.pages import (
    COUNT,
    VIEW,
    caches_of,
    count_url,
    load_count,
    page_context,
    path_number,
    proof_available,
)
from ballots.elections import current_round, get_election
from ballots.models import BallotRound, Count, CountedBallot, Election
from ballots.reading.bounds import ImageFileError
from congress import congresses
from congress.errors import CongressError, NotFound
from congress.models import Congress
from congress.storage import FileStore
from congress.web import actor, db_of, endpoint, principal, render, settings_of, t

log = logging.getLogger("ballots.counting.counts")
MAX_UPLOAD_FILES = 20


@endpoint(*VIEW)
def election_count(request: Request) -> Response:
    """The count of the election's current round, or the form that opens it."""
    slug = request.path_params["slug"]
    with db_of(request).session() as session:
        congress = congresses.get_congress(session, slug)
        election = get_election(session, request.path_params["election_id"], congress)
        round_ = current_round(election)
        count = counts.count_of_round(session, round_)
        if count is not None:
            return RedirectResponse(f"/c/{slug}/counts/{count.id}", status_code=303)
        return _render_open(request, session, congress, election, round_)


def _render_open(
    request: Request,
    session: Session,
    congress: Congress,
    election: Election,
    round_: BallotRound,
    error: str | None = None,
    status: int = 200,
) -> Response:
    earlier = [
        (r.number, counts.count_of_round(session, r)) for r in election.rounds if r.id != round_.id
    ]
    return render(
        request,
        "ballots/count_open.html",
        {
            "congress": congress,
            "election": election,
            "round": round_,
            "printed": sum(run.count for run in round_.print_runs if run.voided_at is None),
            "earlier": [(n, c) for n, c in earlier if c is not None],
            "error": error,
        },
        status=status,
    )


def _lines(text: Any) -> list[str]:
    return [line for line in str(text or "").replace("\r", "").split("\n") if line.strip()]


@endpoint(*COUNT, form=True)
def open_count(request: Request, form: FormData) -> Response:
    slug = request.path_params["slug"]
    tr = t(request)
    try:
        with db_of(request).write_session() as session:
            congress = congresses.get_congress(session, slug)
            election = get_election(session, request.path_params["election_id"], congress)
            count = counts.open_count(
                session,
                election,
                members=_lines(form.get("members")),
                issued=form.get("issued"),
                collected=form.get("collected"),
                two_person_rule=form.get("two_person_rule") == "1",
                actor=actor(request),
            )
            count_id = count.id
    except CongressError as exc:
        # Nothing of the refused count was written (its transaction rolled back whole); the
        # page is shown again from a fresh read, with the reason.
        with db_of(request).session() as session:
            congress = congresses.get_congress(session, slug)
            election = get_election(session, request.path_params["election_id"], congress)
            return _render_open(
                request,
                session,
                congress,
                election,
                current_round(election),
                exc.translated(tr.gettext),
                exc.status,
            )
    return RedirectResponse(f"/c/{slug}/counts/{count_id}", status_code=303)


def _recent(session: Session, count: Count, limit: int = 30) -> list[CountedBallot]:
    return list(
        session.scalars(
            select(CountedBallot)
            .where(CountedBallot.count_id == count.id)
            .order_by(CountedBallot.id.desc())
            .limit(limit)
        )
    )


def render_count(request: Request, status: int = 200, **extra: Any) -> Response:
    with db_of(request).session() as session:
        ctx, count = page_context(session, request, **extra)
        evaluation = dict(review.evaluate(session, count, caches_of(request).states).ballots)
        ctx["recent"] = [(b, evaluation[b.id].state) for b in _recent(session, count)]
        return render(request, "ballots/count.html", ctx, status=status)


@endpoint(*VIEW)
def count_page(request: Request) -> Response:
    return render_count(request)


@endpoint(*COUNT, form=True)
def figures(request: Request, form: FormData) -> Response:
    tr = t(request)
    try:
        with db_of(request).write_session() as session:
            count = counts.lock(session, path_number(request.path_params["count_id"]))
            load_count(session, request)
            counts.update_figures(
                session,
                count,
                members=_lines(form.get("members")),
                issued=form.get("issued"),
                collected=form.get("collected"),
                actor=actor(request),
            )
    except CongressError as exc:
        return render_count(request, exc.status, error=exc.translated(tr.gettext))
    return RedirectResponse(count_url(request), status_code=303)


@endpoint(*COUNT, form=True)
def upload(request: Request, form: FormData) -> Response:
    """Several scanned files at once; each file is one ballot and stands alone."""
    tr = t(request)
    files = [f for f in form.getlist("scans") if isinstance(f, UploadFile) and f.filename]
    if not files:
        return render_count(
            request, 400, error=tr.gettext("Choose the scanned ballots (PNG, JPEG, TIFF or PDF)")
        )
    if len(files) > MAX_UPLOAD_FILES:
        return render_count(
            request,
            400,
            error=tr.gettext("At most %(max)s files at a time", max=MAX_UPLOAD_FILES),
        )
    with db_of(request).session() as session:
        load_count(session, request)  # the count belongs to this congress
    count_id = path_number(request.path_params["count_id"])
    contexts = caches_of(request).contexts
    results: list[dict[str, Any]] = []
    file_refusals = 0
    for upload_file in files:
        data = upload_file.file.read()  # in the thread pool, as UploadFile.read() would
        name = upload_file.filename or "scan"
        try:
            received = intake.receive(
                db_of(request), count_id, data, name, actor(request), "web", contexts=contexts
            )
            results.append({"file": name, "ok": True, **received.to_dict()})
        except CongressError as exc:
            results.append({"file": name, "ok": False, "error": exc.translated(tr.gettext)})
            file_refusals += isinstance(exc, ImageFileError)
    # Each file stands alone and the page lists every answer; it is a refusal (422) when every
    # file was refused for what it is (unreadable, beyond the limits), so a script can tell.
    return render_count(request, 422 if file_refusals == len(files) else 200, uploads=results)


@endpoint(*COUNT, form=True)
def close(request: Request, form: FormData) -> Response:
    tr = t(request)
    states = caches_of(request).states
    try:
        with db_of(request).write_session() as session:
            load_count(session, request)
            count = counts.lock(session, path_number(request.path_params["count_id"]))
            explanation = str(form.get("explanation", ""))
            closing.close_count(session, count, explanation, actor(request), states)
    except CongressError as exc:
        return render_count(request, exc.status, error=exc.translated(tr.gettext))
    _seal_quietly(request)
    return RedirectResponse(count_url(request), status_code=303)


def _seal_quietly(request: Request) -> None:
    """Export the audit bundle of the closed count (its root hash goes on the minutes).

    A failure (the signing key lives on another machine...) leaves the count closed without a
    bundle; the page offers to make it again and names the problem.
    """
    try:
        closing.seal_count(db_of(request), path_number(request.path_params["count_id"]))
    except CongressError as exc:
        log.warning("audit bundle of count %s not made: %s", request.path_params["count_id"], exc)


@endpoint(*COUNT, form=True)
def seal(request: Request, form: FormData) -> Response:
    tr = t(request)
    try:
        closing.seal_count(db_of(request), path_number(request.path_params["count_id"]))
    except CongressError as exc:
        return render_count(request, exc.status, error=exc.translated(tr.gettext))
    return RedirectResponse(count_url(request), status_code=303)


def _closed_report(request: Request) -> tuple[Any, Count]:
    with db_of(request).session() as session:
        _, count, _, _ = load_count(session, request)
        if count.state != "closed":
            raise CongressError(
                "count_not_closed", "The minutes are made once the count is closed", status=409
            )
        return closing.count_report(session, count, caches_of(request).states), count


_EXPORTS = {
    "minutes.pdf": ("application/pdf", "bien-ban-kiem-phieu"),
    "entry-log.csv": ("text/csv; charset=utf-8", "nhat-ky-nhap-phieu"),
    "entry-log.xlsx": (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "nhat-ky-nhap-phieu",
    ),
    "entry-log.pdf": ("application/pdf", "nhat-ky-nhap-phieu"),
}


@endpoint(*VIEW)
def export(request: Request) -> Response:
    """The counting minutes (PDF) and the ballot-entry log (CSV, XLSX, PDF) of a closed count."""
    name = request.path_params["name"]
    if name not in _EXPORTS or not proof_available():
        raise NotFound("not_found", "This page does not exist")
    from ballots.proof import minutes

    report, count = _closed_report(request)
    make = {
        "minutes.pdf": minutes.minutes_pdf,
        "entry-log.csv": minutes.entry_log_csv,
        "entry-log.xlsx": minutes.entry_log_xlsx,
        "entry-log.pdf": minutes.entry_log_pdf,
    }[name]
    data, count_id = make(report, t(request).lang), count.id
    media, stem = _EXPORTS[name]
    filename = f"{stem}-{count_id}.{name.rsplit('.', 1)[1]}"
    return Response(
        data,
        media_type=media,
        headers={"content-disposition": f'attachment; filename="{filename}"'},
    )


@endpoint(*VIEW)
def bundle(request: Request) -> Response:
    """The signed audit bundle (zip) made when the count closed."""
    with db_of(request).session() as session:
        _, count, _, _ = load_count(session, request)
        if count.state != "closed" or not count.bundle_sha256:
            raise NotFound("no_bundle", "The audit bundle is made when the count closes")
        sha, count_id, root = count.bundle_sha256, count.id, count.root_hash or ""
    data = FileStore(settings_of(request).files_dir).get(sha)
    return Response(
        data,
        media_type="application/zip",
        headers={
            "content-disposition": f'attachment; filename="kiem-phieu-{count_id}-{root[:12]}.zip"'
        },
    )


@endpoint(*COUNT, form=True)
def reopen(request: Request, form: FormData) -> Response:
    tr = t(request)
    who = principal(request)
    try:
        with db_of(request).write_session() as session:
            load_count(session, request)
            count = counts.lock(session, path_number(request.path_params["count_id"]))
            closing.reopen_count(
                session,
                count,
                str(form.get("reason", "")),
                actor(request),
                bool(who and "admin" in who.roles),
            )
    except CongressError as exc:
        return render_count(request, exc.status, error=exc.translated(tr.gettext))
    return RedirectResponse(count_url(request), status_code=303)
