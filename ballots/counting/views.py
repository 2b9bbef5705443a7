"""Counting pages and the tally-station API: scans in, review, reconciliation, close, results."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from ballots.counting import counts as svc
from ballots.elections import current_round, get_election, spec_for
from ballots.models import BallotRound, Count, CountedBallot, Election
from congress import congresses
from congress.errors import CongressError, NotFound
from congress.models import Congress
from congress.storage import FileStore
from congress.web import actor, db_of, endpoint, form_of, principal, render, settings_of, t

HERE = Path(__file__).parent
log = logging.getLogger("ballots.counting.counts")
COUNT = ("counting",)
VIEW = ("counting", "organizer", "observer")
MAX_UPLOAD_FILES = 20


def _int(value: Any) -> int:
    try:
        return int(str(value))
    except ValueError as exc:
        raise NotFound("not_found", "This page does not exist") from exc


def _load(session: Session, request: Request) -> tuple[Congress, Count, Election, BallotRound]:
    congress = congresses.get_congress(session, request.path_params["slug"])
    count = svc.get_count(session, _int(request.path_params["count_id"]), congress)
    election = session.get(Election, count.election_id)
    round_ = session.get(BallotRound, count.round_id)
    assert election is not None and round_ is not None
    return congress, count, election, round_


def _base(request: Request) -> str:
    return f"/c/{request.path_params['slug']}/counts/{request.path_params['count_id']}"


def _context(session: Session, request: Request, **extra: Any) -> tuple[dict[str, Any], Count]:
    congress, count, election, round_ = _load(session, request)
    status = svc.status_json(session, count)
    who = principal(request)
    return {
        "congress": congress,
        "count": count,
        "election": election,
        "round": round_,
        "status": status,
        "rec": status["reconciliation"],
        "tally": status["tally"],
        "base": _base(request),
        "reasons": svc.REASON_NAMES,
        "notes": svc.NOTE_NAMES,
        "invalid_reasons": svc.INVALID_REASONS,
        "statuses": svc.STATUS_NAMES,
        "kinds": svc.DECISION_NAMES,
        "bases": svc.rules.BASE_NAMES,
        "states": svc.BALLOT_STATES,
        "can_count": bool(who and who.has(*COUNT)),
        "is_admin": bool(who and "admin" in who.roles),
        "minutes_ready": _proof_available(),
        "uploads": None,
        "public": False,
        **extra,
    }, count


def _proof_available() -> bool:
    from importlib.util import find_spec

    return find_spec("ballots.proof.minutes") is not None


# --- opening a count ----------------------------------------------------------------------------


@endpoint(*VIEW)
async def election_count(request: Request) -> Response:
    """The count of the election's current round, or the form that opens it."""
    slug = request.path_params["slug"]
    with db_of(request).session() as session:
        congress = congresses.get_congress(session, slug)
        election = get_election(session, request.path_params["election_id"], congress)
        round_ = current_round(election)
        count = svc.count_of_round(session, round_)
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
        (r.number, svc.count_of_round(session, r)) for r in election.rounds if r.id != round_.id
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


@endpoint(*COUNT)
async def open_count(request: Request) -> Response:
    form = await form_of(request)
    slug = request.path_params["slug"]
    tr = t(request)
    with db_of(request).write_session() as session:
        congress = congresses.get_congress(session, slug)
        election = get_election(session, request.path_params["election_id"], congress)
        try:
            count = svc.open_count(
                session,
                election,
                members=_lines(form.get("members")),
                issued=form.get("issued"),
                collected=form.get("collected"),
                two_person_rule=form.get("two_person_rule") == "1",
                actor=actor(request),
            )
        except CongressError as exc:
            session.rollback()
            return _render_open(
                request,
                session,
                congress,
                election,
                current_round(election),
                exc.translated(tr.gettext),
                exc.status,
            )
        count_id = count.id
    return RedirectResponse(f"/c/{slug}/counts/{count_id}", status_code=303)


# --- the count page -----------------------------------------------------------------------------


def _recent(session: Session, count: Count, limit: int = 30) -> list[CountedBallot]:
    return list(
        session.scalars(
            select(CountedBallot)
            .where(CountedBallot.count_id == count.id)
            .order_by(CountedBallot.id.desc())
            .limit(limit)
        )
    )


def _render_count(request: Request, status: int = 200, **extra: Any) -> Response:
    with db_of(request).session() as session:
        ctx, count = _context(session, request, **extra)
        evaluation = dict(svc.evaluate(session, count).ballots)
        ctx["recent"] = [(b, evaluation[b.id].state) for b in _recent(session, count)]
        return render(request, "ballots/count.html", ctx, status=status)


@endpoint(*VIEW)
async def count_page(request: Request) -> Response:
    return await run_in_threadpool(_render_count, request)


@endpoint(*COUNT)
async def figures(request: Request) -> Response:
    form = await form_of(request)
    tr = t(request)
    try:
        with db_of(request).write_session() as session:
            count = svc.lock(session, _int(request.path_params["count_id"]))
            _load(session, request)
            svc.update_figures(
                session,
                count,
                members=_lines(form.get("members")),
                issued=form.get("issued"),
                collected=form.get("collected"),
                actor=actor(request),
            )
    except CongressError as exc:
        return _render_count(request, exc.status, error=exc.translated(tr.gettext))
    return RedirectResponse(_base(request), status_code=303)


@endpoint(*COUNT)
async def upload(request: Request) -> Response:
    """Several scanned files at once; each file is one ballot and stands alone."""
    form = await form_of(request)
    tr = t(request)
    files = [f for f in form.getlist("scans") if isinstance(f, UploadFile) and f.filename]
    if not files:
        return _render_count(
            request, 400, error=tr.gettext("Choose the scanned ballots (PNG, JPEG, TIFF or PDF)")
        )
    if len(files) > MAX_UPLOAD_FILES:
        return _render_count(
            request,
            400,
            error=tr.gettext("At most %(max)s files at a time", max=MAX_UPLOAD_FILES),
        )
    with db_of(request).session() as session:
        _load(session, request)  # the count belongs to this congress
    count_id = _int(request.path_params["count_id"])
    results: list[dict[str, Any]] = []
    for upload_file in files:
        data = await upload_file.read()
        name = upload_file.filename or "scan"
        try:
            received = await run_in_threadpool(
                svc.receive, db_of(request), count_id, data, name, actor(request), "web"
            )
            results.append({"file": name, "ok": True, **received.to_dict()})
        except CongressError as exc:
            results.append({"file": name, "ok": False, "error": exc.translated(tr.gettext)})
    return _render_count(request, uploads=results)


@endpoint(*COUNT)
async def close(request: Request) -> Response:
    form = await form_of(request)
    tr = t(request)
    try:
        with db_of(request).write_session() as session:
            _load(session, request)
            count = svc.lock(session, _int(request.path_params["count_id"]))
            svc.close_count(session, count, str(form.get("explanation", "")), actor(request))
    except CongressError as exc:
        return _render_count(request, exc.status, error=exc.translated(tr.gettext))
    await run_in_threadpool(_seal_quietly, request)
    return RedirectResponse(_base(request), status_code=303)


def _seal_quietly(request: Request) -> None:
    """Export the audit bundle of the closed count (its root hash goes on the minutes).

    A failure (the signing key lives on another machine...) leaves the count closed without a
    bundle; the page offers to make it again and names the problem.
    """
    try:
        svc.seal_count(db_of(request), _int(request.path_params["count_id"]))
    except CongressError as exc:
        log.warning("audit bundle of count %s not made: %s", request.path_params["count_id"], exc)


@endpoint(*COUNT)
async def seal(request: Request) -> Response:
    await form_of(request)
    tr = t(request)
    try:
        await run_in_threadpool(
            svc.seal_count, db_of(request), _int(request.path_params["count_id"])
        )
    except CongressError as exc:
        return _render_count(request, exc.status, error=exc.translated(tr.gettext))
    return RedirectResponse(_base(request), status_code=303)


def _closed_report(request: Request) -> tuple[Any, Count]:
    with db_of(request).session() as session:
        _, count, _, _ = _load(session, request)
        if count.state != "closed":
            raise CongressError(
                "count_not_closed", "The minutes are made once the count is closed", status=409
            )
        return svc.count_report(session, count), count


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
async def export(request: Request) -> Response:
    """The counting minutes (PDF) and the ballot-entry log (CSV, XLSX, PDF) of a closed count."""
    name = request.path_params["name"]
    if name not in _EXPORTS or not _proof_available():
        raise NotFound("not_found", "This page does not exist")
    lang = t(request).lang

    def build() -> tuple[bytes, int]:
        from ballots.proof import minutes

        report, count = _closed_report(request)
        make = {
            "minutes.pdf": minutes.minutes_pdf,
            "entry-log.csv": minutes.entry_log_csv,
            "entry-log.xlsx": minutes.entry_log_xlsx,
            "entry-log.pdf": minutes.entry_log_pdf,
        }[name]
        return make(report, lang), count.id

    data, count_id = await run_in_threadpool(build)
    media, stem = _EXPORTS[name]
    filename = f"{stem}-{count_id}.{name.rsplit('.', 1)[1]}"
    return Response(
        data,
        media_type=media,
        headers={"content-disposition": f'attachment; filename="{filename}"'},
    )


@endpoint(*VIEW)
async def bundle(request: Request) -> Response:
    """The signed audit bundle (zip) made when the count closed."""
    with db_of(request).session() as session:
        _, count, _, _ = _load(session, request)
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


@endpoint(*COUNT)
async def reopen(request: Request) -> Response:
    form = await form_of(request)
    tr = t(request)
    who = principal(request)
    try:
        with db_of(request).write_session() as session:
            _load(session, request)
            count = svc.lock(session, _int(request.path_params["count_id"]))
            svc.reopen_count(
                session,
                count,
                str(form.get("reason", "")),
                actor(request),
                bool(who and "admin" in who.roles),
            )
    except CongressError as exc:
        return _render_count(request, exc.status, error=exc.translated(tr.gettext))
    return RedirectResponse(_base(request), status_code=303)


# --- review -------------------------------------------------------------------------------------


@endpoint(*VIEW)
async def review_page(request: Request) -> Response:
    def build() -> Response:
        with db_of(request).session() as session:
            ctx, count = _context(session, request)
            evaluation = svc.evaluate(session, count)
            waiting = [
                (i, s)
                for i, s in evaluation.ballots
                if s.state in ("needs_decision", "needs_confirmation")
            ]
            ballots = {
                b.id: b
                for b in session.scalars(
                    select(CountedBallot).where(CountedBallot.id.in_([i for i, _ in waiting]))
                )
            }
            duplicates = [
                b
                for b in session.scalars(
                    select(CountedBallot).where(
                        CountedBallot.count_id == count.id, CountedBallot.duplicate_of.is_not(None)
                    )
                )
            ]
            ctx["queue"] = [(ballots[i], s) for i, s in waiting]
            ctx["duplicates"] = duplicates
            return render(request, "ballots/review.html", ctx)

    return await run_in_threadpool(build)


def _render_ballot(request: Request, status: int = 200, **extra: Any) -> Response:
    with db_of(request).session() as session:
        ctx, count = _context(session, request, **extra)
        ballot = svc.get_ballot(session, count, _int(request.path_params["ballot_id"]))
        state = svc.state_of(session, count, ballot)
        rr = svc.round_rules(session, count)
        labels = {i.id: f"{i.number}. {i.label}" for i in rr.layout.items}
        targets = ballot.reading.get("targets", [])
        doubtful = [x for x in targets if x.get("state") == "ambiguous"]
        ctx.update(
            ballot=ballot,
            state=state,
            decisions=svc.decisions_of(session, ballot.id),
            targets=targets,
            doubtful=doubtful,
            labels=labels,
            form=rr.layout.form,
            flagged=ballot.reading.get("flagged_ink", []),
            me=actor(request),
        )
        return render(request, "ballots/ballot.html", ctx, status=status)


@endpoint(*VIEW)
async def ballot_page(request: Request) -> Response:
    return await run_in_threadpool(_render_ballot, request)


async def _ballot_action(request: Request, kind: str) -> Response:
    form = await form_of(request)
    tr = t(request)
    ballot_id = _int(request.path_params["ballot_id"])

    def run() -> None:
        with db_of(request).write_session() as session:
            _load(session, request)
            count = svc.lock(session, _int(request.path_params["count_id"]))
            who = actor(request)
            note = str(form.get("note", ""))
            if kind == "decide":
                marks = {
                    key[5:]: str(value)
                    for key, value in form.items()
                    if key.startswith("mark:") and value in ("marked", "unmarked")
                }
                svc.decide(
                    session,
                    count,
                    ballot_id,
                    status=str(form.get("status", "")),
                    reason=str(form.get("reason", "")) or None,
                    marks=marks,
                    note=note,
                    actor=who,
                )
            elif kind == "confirm":
                svc.confirm(session, count, ballot_id, who, note)
            else:
                svc.reopen_ballot(session, count, ballot_id, note, who)

    try:
        await run_in_threadpool(run)
    except CongressError as exc:
        message, status = exc.translated(tr.gettext), exc.status
        return await run_in_threadpool(lambda: _render_ballot(request, status, error=message))
    target = (
        f"{_base(request)}/review" if kind != "reopen" else f"{_base(request)}/ballots/{ballot_id}"
    )
    return RedirectResponse(target, status_code=303)


@endpoint(*COUNT)
async def decide(request: Request) -> Response:
    return await _ballot_action(request, "decide")


@endpoint(*COUNT)
async def confirm(request: Request) -> Response:
    return await _ballot_action(request, "confirm")


@endpoint(*COUNT)
async def reopen_ballot(request: Request) -> Response:
    return await _ballot_action(request, "reopen")


# --- images: the stored scan, annotated, and a zoomed crop of each doubtful target ---------------

_IMAGES: OrderedDict[tuple[str, int, str], tuple[bytes, dict[str, bytes]]] = OrderedDict()
_IMAGES_MAX = 48
_IMAGES_LOCK = threading.Lock()


def ballot_images(request: Request) -> tuple[bytes, dict[str, bytes]]:
    """(annotated JPEG of the scan, {target id: PNG crop}) of a ballot, kept for a while."""
    with db_of(request).session() as session:
        _, count, _, _ = _load(session, request)
        ballot = svc.get_ballot(session, count, _int(request.path_params["ballot_id"]))
        key = (svc.database_of(session), count.id, ballot.image_sha256)
        with _IMAGES_LOCK:
            if key in _IMAGES:
                _IMAGES.move_to_end(key)
                return _IMAGES[key]
        context = svc.reading_context(session, count)
        sha, name = ballot.image_sha256, ballot.file_name
    from ballots.reading.annotated import annotated_images

    data = FileStore(settings_of(request).files_dir).get(sha)
    made = annotated_images(context, data, name)
    with _IMAGES_LOCK:
        _IMAGES[key] = made
        while len(_IMAGES) > _IMAGES_MAX:
            _IMAGES.popitem(last=False)
    return made


@endpoint(*VIEW)
async def annotated(request: Request) -> Response:
    image, _ = await run_in_threadpool(ballot_images, request)
    return Response(
        image, media_type="image/jpeg", headers={"cache-control": "private, max-age=3600"}
    )


@endpoint(*VIEW)
async def crop(request: Request) -> Response:
    _, crops = await run_in_threadpool(ballot_images, request)
    target = request.path_params["target"]
    if target not in crops:
        raise NotFound("not_found", "This page does not exist")
    return Response(
        crops[target], media_type="image/png", headers={"cache-control": "private, max-age=3600"}
    )


@endpoint(*VIEW)
async def original(request: Request) -> Response:
    """The stored scan exactly as received."""
    with db_of(request).session() as session:
        _, count, _, _ = _load(session, request)
        ballot = svc.get_ballot(session, count, _int(request.path_params["ballot_id"]))
        sha, name = ballot.image_sha256, ballot.file_name
    data = FileStore(settings_of(request).files_dir).get(sha)
    return Response(
        data,
        media_type=svc._content_type(data),
        headers={"content-disposition": f'attachment; filename="{sha}{Path(name).suffix}"'},
    )


# --- results, projector, live events ------------------------------------------------------------


@endpoint(*VIEW)
async def results_page(request: Request) -> Response:
    def build() -> Response:
        with db_of(request).session() as session:
            ctx, _ = _context(session, request, public=False)
            return render(request, "ballots/results.html", ctx)

    return await run_in_threadpool(build)


@endpoint(public=True)
async def public_results(request: Request) -> Response:
    """Read-only results for anyone, once the count is closed (and never before)."""

    def build() -> Response:
        with db_of(request).session() as session:
            congress, count, election, round_ = _load(session, request)
            if count.state != "closed" or count.result is None:
                raise NotFound("not_found", "This page does not exist")
            return render(
                request,
                "ballots/results.html",
                {
                    "congress": congress,
                    "count": count,
                    "election": election,
                    "round": round_,
                    "tally": count.result,
                    "reasons": svc.REASON_NAMES,
                    "bases": svc.rules.BASE_NAMES,
                    "public": True,
                    "base": _base(request),
                },
            )

    return await run_in_threadpool(build)


@endpoint(*VIEW)
async def projector(request: Request) -> Response:
    def build() -> Response:
        with db_of(request).session() as session:
            ctx, _ = _context(session, request)
            return render(request, "ballots/projector.html", ctx)

    return await run_in_threadpool(build)


def _status(request: Request) -> dict[str, Any]:
    with db_of(request).session() as session:
        _, count, _, _ = _load(session, request)
        return svc.status_json(session, count)


def _version(request: Request) -> tuple[Any, ...]:
    """Cheap: changes whenever a ballot, a decision or the count's state changes."""
    from sqlalchemy import func

    from ballots.models import BallotDecision

    with db_of(request).session() as session:
        _, count, election, _ = _load(session, request)
        ballots = session.execute(
            select(func.count(CountedBallot.id), func.max(CountedBallot.id)).where(
                CountedBallot.count_id == count.id
            )
        ).one()
        decisions = session.scalar(
            select(func.max(BallotDecision.id))
            .join(CountedBallot, CountedBallot.id == BallotDecision.ballot_id)
            .where(CountedBallot.count_id == count.id)
        )
        present = svc.attendance_figures(session, election)
        return (
            tuple(ballots),
            decisions,
            count.state,
            count.issued,
            count.collected,
            count.root_hash,
            present,
        )


@endpoint(*VIEW)
async def events(request: Request) -> Response:
    """Server-sent events: the count's status each time it changes."""
    await run_in_threadpool(_version, request)  # an unknown count is refused now

    async def stream() -> Any:
        last = None
        while not await request.is_disconnected():
            version = await run_in_threadpool(_version, request)
            if version != last:
                last = version
                data = await run_in_threadpool(_status, request)
                yield f"event: count\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"
            else:
                yield ": still here\n\n"
            await asyncio.sleep(0.5)

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"cache-control": "no-cache", "x-accel-buffering": "no"},
    )


@endpoint(*VIEW)
async def api_count(request: Request) -> Response:
    data = await run_in_threadpool(_status, request)
    return JSONResponse(data)


# --- the tally-station API ----------------------------------------------------------------------


def _station(request: Request) -> dict[str, Any]:
    with db_of(request).session() as session:
        election = get_election(session, _int(request.path_params["election_id"]))
        congress = session.get(Congress, election.congress_id)
        assert congress is not None
        round_ = current_round(election)
        count = svc.count_of_round(session, round_)
        _, layout = svc.printed_layout(round_)
        spec = spec_for(election, round_, congress)
        context = svc.reading_context(session, count) if count is not None else None
        from dataclasses import asdict

        from ballots.reading.reader import ReadingSettings

        key = congress.public_key or ""
        raw = base64.b64decode(key) if key else b""
        return {
            "election_id": election.id,
            "round": round_.number,
            "form": election.form,
            "layout": layout.to_dict(),
            "spec": {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(spec).items()},
            "public_key": base64.urlsafe_b64encode(raw).decode().rstrip("="),
            "rules": {
                "seats": round_.seats,
                "nobody_elected_invalid": election.nobody_elected_invalid,
                "seal_required": election.seal_required,
            },
            "settings": (context.settings if context else ReadingSettings()).to_dict(),
            "count": {"id": count.id, "state": count.state} if count is not None else None,
        }


@endpoint(*COUNT)
async def api_station(request: Request) -> Response:
    data = await run_in_threadpool(_station, request)
    return JSONResponse(data, headers={"cache-control": "no-store"})


@endpoint(*COUNT)
async def api_ballot(request: Request) -> Response:
    """One scanned ballot from a station (or a script): idempotent by the image's SHA-256."""
    form = await form_of(request)
    image = form.get("image")
    if not isinstance(image, UploadFile):
        raise CongressError("no_image", "Send the scanned file as the field image", status=422)
    data = await image.read()
    if not data:
        raise CongressError("no_image", "Send the scanned file as the field image", status=422)
    reading: Any = None
    raw = form.get("reading")
    if raw not in (None, ""):
        try:
            reading = json.loads(str(raw))
        except ValueError as exc:
            raise CongressError(
                "bad_reading",
                "The reading is not a ballot reading (JSON of the reader)",
                status=422,
            ) from exc
    station = str(form.get("station", "") or "")

    def find() -> int:
        with db_of(request).session() as session:
            election = get_election(session, _int(request.path_params["election_id"]))
            count = svc.find_count(session, election)
            svc.ensure_open(count)
            return count.id

    count_id = await run_in_threadpool(find)
    received = await run_in_threadpool(
        svc.receive,
        db_of(request),
        count_id,
        data,
        image.filename or "scan",
        actor(request),
        station,
        reading,
    )
    body = received.to_dict()
    return JSONResponse(body, status_code=201 if received.created else 200)


def routes() -> list[BaseRoute]:
    one = "/c/{slug}/counts/{count_id:int}"
    ballot = one + "/ballots/{ballot_id:int}"
    return [
        Route("/c/{slug}/elections/{election_id:int}/count", election_count),
        Route("/c/{slug}/elections/{election_id:int}/count/open", open_count, methods=["POST"]),
        Route(one, count_page),
        Route(one + "/figures", figures, methods=["POST"]),
        Route(one + "/scans", upload, methods=["POST"]),
        Route(one + "/close", close, methods=["POST"]),
        Route(one + "/reopen", reopen, methods=["POST"]),
        Route(one + "/seal", seal, methods=["POST"]),
        Route(one + "/bundle", bundle),
        Route(one + "/review", review_page),
        Route(one + "/results", results_page),
        Route(one + "/public", public_results),
        Route(one + "/projector", projector),
        Route(one + "/events", events),
        Route(ballot, ballot_page),
        Route(ballot + "/decide", decide, methods=["POST"]),
        Route(ballot + "/confirm", confirm, methods=["POST"]),
        Route(ballot + "/reopen", reopen_ballot, methods=["POST"]),
        Route(ballot + "/annotated.jpg", annotated),
        Route(ballot + "/crop/{target}.png", crop),
        Route(ballot + "/image", original),
        Route("/api/counts/{count_id:int}", api_count_by_id),
        Route("/api/elections/{election_id:int}/station", api_station),
        Route("/api/elections/{election_id:int}/ballots", api_ballot, methods=["POST"]),
        Mount(
            "/static/ballots", StaticFiles(directory=HERE.parent / "static"), name="ballots-static"
        ),
        Route(one + "/{name:str}", export),  # last: minutes.pdf, entry-log.csv/xlsx/pdf
    ]


@endpoint(*VIEW)
async def api_count_by_id(request: Request) -> Response:
    def build() -> dict[str, Any]:
        with db_of(request).session() as session:
            count = svc.get_count(session, _int(request.path_params["count_id"]))
            return svc.status_json(session, count)

    return JSONResponse(await run_in_threadpool(build))
