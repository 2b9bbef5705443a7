"""The results as they stand: results page, projector, live events, public results, the status JSON."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import func, select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ballots.counting import counts, results
from ballots.counting.pages import (
    VIEW,
    WORDS,
    caches_of,
    count_url,
    load_count,
    page_context,
    path_number,
)
from ballots.models import BallotDecision, CountedBallot
from congress.errors import NotFound
from congress.openapi import described
from congress.web import db_of, endpoint, event_stream, render


@endpoint(*VIEW)
def results_page(request: Request) -> Response:
    with db_of(request).session() as session:
        ctx, _ = page_context(session, request, public=False)
        return render(request, "ballots/results.html", ctx)


@endpoint(public=True)
def public_results(request: Request) -> Response:
    """Read-only results for anyone, once the count is closed (and never before)."""
    with db_of(request).session() as session:
        congress, count, election, round_ = load_count(session, request)
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
                "words": WORDS,
                "public": True,
                "base": count_url(request),
            },
        )


@endpoint(*VIEW)
def projector(request: Request) -> Response:
    with db_of(request).session() as session:
        ctx, _ = page_context(session, request)
        return render(request, "ballots/projector.html", ctx)


def _status(request: Request) -> dict[str, Any]:
    with db_of(request).session() as session:
        _, count, _, _ = load_count(session, request)
        return results.status_json(session, count, caches_of(request).states)


def _version(request: Request) -> tuple[Any, ...]:
    """Cheap: changes whenever a ballot, a decision or the count's state changes."""
    with db_of(request).session() as session:
        _, count, election, _ = load_count(session, request)
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
        present = results.attendance_figures(session, election)
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

    last: list[Any] = [None]

    async def next_event() -> str | None:
        version = await run_in_threadpool(_version, request)
        if version == last[0]:
            return None
        last[0] = version
        data = await run_in_threadpool(_status, request)
        return f"event: count\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"

    return event_stream(request, next_event, 0.5)


@endpoint(*VIEW)
@described("A count's status: reconciliation, running tally, ballots awaiting the committee")
def api_count_by_id(request: Request) -> Response:
    with db_of(request).session() as session:
        count = counts.get_count(session, path_number(request.path_params["count_id"]))
        return JSONResponse(results.status_json(session, count, caches_of(request).states))
