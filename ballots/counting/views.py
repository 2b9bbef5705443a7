"""The counting web: one route list over the pages of each audience."""

from __future__ import annotations

from pathlib import Path

from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from ballots.audit.pages import (
    audit_page,
    audit_read,
    audit_screen,
    audit_start,
    entry_page,
    entry_submit,
)
from ballots.counting.ballot_images import annotated, crop, original
from ballots.counting.count_pages import (
    bundle,
    close,
    count_page,
    election_count,
    export,
    figures,
    open_count,
    reopen,
    seal,
    upload,
)
from ballots.counting.results_pages import (
    api_count_by_id,
    events,
    projector,
    public_export,
    public_results,
    results_page,
)
from ballots.counting.review_pages import (
    ballot_page,
    confirm,
    decide,
    reopen_ballot,
    review_batch,
    review_page,
)
from ballots.counting.station_api import api_ballot, api_station

HERE = Path(__file__).parent


def routes() -> list[BaseRoute]:
    one = "/c/{slug}/counts/{count_id:id}"
    ballot = one + "/ballots/{ballot_id:id}"
    return [
        Route("/c/{slug}/elections/{election_id:id}/count", election_count),
        Route("/c/{slug}/elections/{election_id:id}/count/open", open_count, methods=["POST"]),
        Route(one, count_page),
        Route(one + "/figures", figures, methods=["POST"]),
        Route(one + "/scans", upload, methods=["POST"]),
        Route(one + "/close", close, methods=["POST"]),
        Route(one + "/reopen", reopen, methods=["POST"]),
        Route(one + "/seal", seal, methods=["POST"]),
        Route(one + "/bundle", bundle),
        Route(one + "/review", review_page),
        Route(one + "/review/batch", review_batch, methods=["POST"]),
        Route(one + "/results", results_page),
        Route(one + "/public", public_results),
        Route(one + "/public/results.{fmt:str}", public_export),
        Route(one + "/projector", projector),
        Route(one + "/events", events),
        Route(ballot, ballot_page),
        Route(ballot + "/decide", decide, methods=["POST"]),
        Route(ballot + "/confirm", confirm, methods=["POST"]),
        Route(ballot + "/reopen", reopen_ballot, methods=["POST"]),
        Route(ballot + "/annotated.jpg", annotated),
        Route(ballot + "/crop/{target}.png", crop),
        Route(ballot + "/image", original),
        Route("/api/counts/{count_id:id}", api_count_by_id),
        Route("/api/elections/{election_id:id}/station", api_station),
        Route("/api/elections/{election_id:id}/ballots", api_ballot, methods=["POST"]),
        Mount(
            "/static/ballots", StaticFiles(directory=HERE.parent / "static"), name="ballots-static"
        ),
        Route(one + "/audit", audit_page),
        Route(one + "/audit/start", audit_start, methods=["POST"]),
        Route(one + "/audit/screen/{slot:id}", audit_screen),
        Route(one + "/audit/screen/{slot:id}", audit_read, methods=["POST"]),
        Route(one + "/enter", entry_page),
        Route(one + "/enter", entry_submit, methods=["POST"]),
        Route(one + "/{name:str}", export),  # last: minutes.pdf, entry-log.csv/xlsx/pdf
    ]
