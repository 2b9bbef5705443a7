"""A ballot's images: the stored scan, annotated, and a zoomed crop of each doubtful target."""

from __future__ import annotations

import threading
from collections import OrderedDict
from pathlib import Path

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from ballots.counting import counts, intake, review
from ballots.counting.pages import VIEW, load_count, path_number
from congress.errors import NotFound
from congress.filetypes import media_type
from congress.storage import FileStore
from congress.web import db_of, endpoint, settings_of

_IMAGES: OrderedDict[tuple[str, int, str], tuple[bytes, dict[str, bytes]]] = OrderedDict()
_IMAGES_MAX = 48
_IMAGES_LOCK = threading.Lock()


def ballot_images(request: Request) -> tuple[bytes, dict[str, bytes]]:
    """(annotated JPEG of the scan, {target id: PNG crop}) of a ballot, kept for a while."""
    with db_of(request).session() as session:
        _, count, _, _ = load_count(session, request)
        ballot = review.get_ballot(session, count, path_number(request.path_params["ballot_id"]))
        key = (counts.database_of(session), count.id, ballot.image_sha256)
        with _IMAGES_LOCK:
            if key in _IMAGES:
                _IMAGES.move_to_end(key)
                return _IMAGES[key]
        context = intake.reading_context(session, count)
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
        _, count, _, _ = load_count(session, request)
        ballot = review.get_ballot(session, count, path_number(request.path_params["ballot_id"]))
        sha, name = ballot.image_sha256, ballot.file_name
    data = FileStore(settings_of(request).files_dir).get(sha)
    return Response(
        data,
        media_type=media_type(data),
        headers={"content-disposition": f'attachment; filename="{sha}{Path(name).suffix}"'},
    )
