"""The tally-station API: what a station needs to read ballots, and one scanned ballot in."""

from __future__ import annotations

import json
from typing import Any

from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ballots.counting import counts, intake
from ballots.counting.pages import COUNT, caches_of, path_number
from ballots.elections import current_round, get_election, spec_for
from congress.errors import CongressError
from congress.keys import b64decode_any
from congress.models import Congress
from congress.openapi import described
from congress.web import actor, db_of, endpoint

BALLOT_UPLOAD: dict[str, Any] = {
    "type": "object",
    "required": ["image"],
    "properties": {
        "image": {"type": "string", "format": "binary", "description": "PNG, JPEG, TIFF or PDF"},
        "reading": {"type": "string", "description": "the station's reading, JSON"},
        "station": {"type": "string", "maxLength": 60},
    },
}


def _station(request: Request) -> dict[str, Any]:
    contexts = caches_of(request).contexts
    with db_of(request).session() as session:
        election = get_election(session, path_number(request.path_params["election_id"]))
        congress = session.get(Congress, election.congress_id)
        assert congress is not None
        round_ = current_round(election)
        count = counts.count_of_round(session, round_)
        _, layout = counts.printed_layout(round_)
        spec = spec_for(election, round_, congress)
        context = intake.reading_context(session, count, contexts) if count is not None else None
        # The reader brings OpenCV: loaded when a station asks, not with the counting pages.
        from ballots.reading.context import ContextDescription
        from ballots.reading.reader import ElectionRules, ReadingSettings

        described = ContextDescription(
            spec,
            layout,
            b64decode_any(congress.public_key) if congress.public_key else b"",
            ElectionRules(round_.seats, election.nobody_elected_invalid, election.seal_required),
            context.settings if context else ReadingSettings(),
        )
        return {
            "election_id": election.id,
            "round": round_.number,
            "form": election.form,
            **described.to_dict(),
            "count": {"id": count.id, "state": count.state} if count is not None else None,
        }


@endpoint(*COUNT)
@described("What a scanner station needs to read this election's ballots offline")
def api_station(request: Request) -> Response:
    return JSONResponse(_station(request), headers={"cache-control": "no-store"})


@endpoint(*COUNT, form=True)
@described(
    "One scanned ballot into the open count: idempotent by the image's SHA-256",
    form_body=BALLOT_UPLOAD,
    success=201,
)
def api_ballot(request: Request, form: FormData) -> Response:
    """One scanned ballot from a station (or a script): idempotent by the image's SHA-256."""
    image = form.get("image")
    if not isinstance(image, UploadFile):
        raise CongressError("no_image", "Send the scanned file as the field image", status=422)
    data = image.file.read()  # an empty one is refused by name, as the limits refuse a file
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
    with db_of(request).session() as session:
        election = get_election(session, path_number(request.path_params["election_id"]))
        count = counts.find_count(session, election)
        counts.ensure_open(count)
        count_id = count.id
    received = intake.receive(
        db_of(request),
        count_id,
        data,
        image.filename or "scan",
        actor(request),
        station,
        reading,
        caches_of(request).contexts,
    )
    body = received.to_dict()
    return JSONResponse(body, status_code=201 if received.created else 200)
