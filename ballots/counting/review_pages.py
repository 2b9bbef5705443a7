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
from ballots.models import CountedBallot
from ballots.proof.minutes import CHOICE_NAMES
from ballots.reading.settings import ReadingSettings
from congress.errors import CongressError
from congress.web import actor, db_of, endpoint, render, t


@endpoint(*VIEW)
def review_page(request: Request) -> Response:
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
        ctx["duplicates"] = duplicates
        return render(request, "ballots/review.html", ctx)


def _render_ballot(request: Request, status: int = 200, **extra: Any) -> Response:
    with db_of(request).session() as session:
        ctx, count = page_context(session, request, **extra)
        ballot = review.get_ballot(session, count, path_number(request.path_params["ballot_id"]))
        state = review.state_of(session, count, ballot)
        rr = review.round_rules(session, count)
        labels = {i.id: f"{i.number}. {i.label}" for i in rr.layout.items}
        # A target as the committee reads it: the name, and for a box form the box's meaning;
        # never its code ("c004.agree").
        tr = t(request)
        target_labels = {
            x.id: labels.get(x.item, x.item)
            if rr.layout.form == "strike"
            else f"{labels.get(x.item, x.item)} – {tr.gettext(CHOICE_NAMES.get(x.choice, x.choice))}"
            for x in rr.layout.targets()
        }
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
            labels=labels,
            target_labels=target_labels,
            form=rr.layout.form,
            flagged=list(reading.flagged_ink),
            note_dpi=f"{touch_dpi:g}",
            me=actor(request),
        )
        return render(request, "ballots/ballot.html", ctx, status=status)


@endpoint(*VIEW)
def ballot_page(request: Request) -> Response:
    return _render_ballot(request)


def _ballot_action(request: Request, form: FormData, kind: str) -> Response:
    tr = t(request)
    ballot_id = path_number(request.path_params["ballot_id"])
    try:
        with db_of(request).write_session() as session:
            load_count(session, request)
            count = counts.lock(session, path_number(request.path_params["count_id"]))
            who = actor(request)
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
                )
            elif kind == "confirm":
                review.confirm(session, count, ballot_id, who, note)
            else:
                review.reopen_ballot(session, count, ballot_id, note, who)
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
