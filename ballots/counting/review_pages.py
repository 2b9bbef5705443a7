"""The review pages: the queue of doubtful ballots, one ballot, and the committee's decisions on it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from ballots.counting import counts, review
from ballots.counting.pages import (
    COUNT,
    VIEW,
    caches_of,
    count_url,
    load_count,
    page_context,
    path_number,
)
from ballots.models import Count, CountedBallot
from ballots.reading.settings import ReadingSettings
from ballots.wording import Wording
from congress.errors import CongressError
from congress.web import actor, db_of, endpoint, render, t


@endpoint(*VIEW)
def review_page(request: Request) -> Response:
    return _render_review(request)


def _render_review(request: Request, status: int = 200, **extra: Any) -> Response:
    with db_of(request).session() as session:
        ctx, count = page_context(session, request)
        evaluation = review.evaluate(session, count, caches_of(request).states)
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
        ctx["machine_reasons"] = {i: review.machine_reason(b) for i, b in ballots.items()}
        ctx["duplicates"] = duplicates
        ctx["member"] = remembered_member(request)
        ctx.update({"done": 0, "refused": [], **extra})
        return render(request, "ballots/review.html", ctx, status=status)


@endpoint(*COUNT, form=True)
def review_batch(request: Request, form: FormData) -> Response:
    """Many ballots at once, each seen on the queue: the machine's invalid ballots decided
    invalid for its reason, decisions awaiting confirmation confirmed."""
    tr = t(request)
    ids: list[int] = []
    for value in form.getlist("ballot")[:500]:
        try:
            number = int(str(value))
        except ValueError:
            continue
        if 1 <= number <= 2_147_483_647:  # an id the database can hold; others are no ballot
            ids.append(number)
    if not ids:
        return _render_review(request, 400, error=tr.gettext("Tick the ballots you have looked at"))
    try:
        with db_of(request).write_session() as session:
            load_count(session, request)
            count = counts.lock(session, path_number(request.path_params["count_id"]))
            member = _member(request, form, count)
            result = review.act_on_many(session, count, ids, actor=actor(request), member=member)
    except CongressError as exc:
        return _render_review(request, exc.status, error=exc.translated(tr.gettext))
    refused = [
        tr.gettext("Ballot %(id)s", id=i) + ": " + exc.translated(tr.gettext)
        for i, exc in result.refused
    ]
    return _render_review(
        request,
        409 if refused and not result.done else 200,
        done=len(result.done),
        refused=refused,
    )


def _render_ballot(request: Request, status: int = 200, **extra: Any) -> Response:
    with db_of(request).session() as session:
        ctx, count = page_context(session, request, **extra)
        ballot = review.get_ballot(session, count, path_number(request.path_params["ballot_id"]))
        state = review.state_of(session, count, ballot)
        rr = review.round_rules(session, count)
        reading = ballot.recorded
        targets = list(reading.targets)
        doubtful = [x for x in targets if x.state == "ambiguous"]
        touch_dpi = ReadingSettings.from_dict(dict(reading.settings)).touch_dpi
        ctx.update(
            ballot=ballot,
            state=state,
            decisions=review.decisions_of(session, ballot.id),
            targets=targets,
            doubtful=doubtful,
            say=Wording(t(request), rr.layout, f"{touch_dpi:g}"),
            form=rr.layout.form,
            flagged=list(reading.flagged_ink),
            me=actor(request),
            member=remembered_member(request),
            machine_reason=review.machine_reason(ballot),
        )
        return render(request, "ballots/ballot.html", ctx, status=status)


@endpoint(*VIEW)
def ballot_page(request: Request) -> Response:
    return _render_ballot(request)


def _member(request: Request, form: FormData, count: Count) -> str:
    """The committee member acting: chosen on the page (one of the count's members, else
    refused), remembered for the session (per count)."""
    key = f"count_member:{request.path_params['count_id']}"
    raw = form.get("member", "")
    chosen = " ".join(raw.split())[:120] if isinstance(raw, str) else ""
    if chosen:
        chosen = review.member_of(count, chosen)
        request.session[key] = chosen
        return chosen
    remembered = request.session.get(key)
    if not remembered:
        raise CongressError("member_missing", "Choose which member of the committee you are")
    return str(remembered)


def remembered_member(request: Request) -> str:
    return str(request.session.get(f"count_member:{request.path_params['count_id']}", ""))


def _ballot_action(request: Request, form: FormData, kind: str) -> Response:
    tr = t(request)
    ballot_id = path_number(request.path_params["ballot_id"])
    try:
        with db_of(request).write_session() as session:
            load_count(session, request)
            count = counts.lock(session, path_number(request.path_params["count_id"]))
            who = actor(request)
            member = _member(request, form, count)
            note = str(form.get("note", ""))
            if kind == "decide":
                marks = {
                    key[5:]: str(value)
                    for key, value in form.items()
                    if key.startswith("mark:") and value in ("marked", "unmarked")
                }
                review.decide(
                    session,
                    count,
                    ballot_id,
                    status=str(form.get("status", "")),
                    reason=str(form.get("reason", "")) or None,
                    marks=marks,
                    note=note,
                    actor=who,
                    member=member,
                )
            elif kind == "confirm":
                review.confirm(session, count, ballot_id, who, note, member)
            else:
                review.reopen_ballot(session, count, ballot_id, note, who, member)
    except CongressError as exc:
        return _render_ballot(request, exc.status, error=exc.translated(tr.gettext))
    target = (
        f"{count_url(request)}/review"
        if kind != "reopen"
        else f"{count_url(request)}/ballots/{ballot_id}"
    )
    return RedirectResponse(target, status_code=303)


@endpoint(*COUNT, form=True)
def decide(request: Request, form: FormData) -> Response:
    return _ballot_action(request, form, "decide")


@endpoint(*COUNT, form=True)
def confirm(request: Request, form: FormData) -> Response:
    return _ballot_action(request, form, "confirm")


@endpoint(*COUNT, form=True)
def reopen_ballot(request: Request, form: FormData) -> Response:
    return _ballot_action(request, form, "reopen")
