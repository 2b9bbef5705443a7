"""A ballot's images: the stored scan, annotated, and a zoomed crop of each doubtful target."""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response

from ballots.counting import counts, intake, review
from ballots.counting.pages import VIEW, caches_of, load_count, path_number
from congress.errors import NotFound
from congress.filetypes import media_type
from congress.storage import FileStore
from congress.web import db_of, endpoint, settings_of


def ballot_images(request: Request) -> tuple[bytes, dict[str, bytes]]:
    """(annotated JPEG of the scan, {target id: PNG crop}) of a ballot, kept for a while."""
    caches = caches_of(request)
    with db_of(request).session() as session:
        _, count, _, _ = load_count(session, request)
        ballot = review.get_ballot(session, count, path_number(request.path_params["ballot_id"]))
        key = (counts.database_of(session), count.id, ballot.image_sha256)
        kept = caches.images.get(key)
        if kept is not None:
            return kept
        context = intake.reading_context(session, count, caches.contexts)
        sha, name = ballot.image_sha256, ballot.file_name
    # Imported here: the image stack (OpenCV) loads only when a reviewer first looks at a scan.
    from ballots.reading.annotated import annotated_images

    data = FileStore(settings_of(request).files_dir).get(sha)
    made = annotated_images(context, data, name, settings_of(request).limits)
    caches.images.put(key, made)
    return made


@endpoint(*VIEW)
def annotated(request: Request) -> Response:
    image, _ = ballot_images(request)
    return Response(
        image, media_type="image/jpeg", headers={"cache-control": "private, max-age=3600"}
    )


@endpoint(*VIEW)
def crop(request: Request) -> Response:
    _, crops = ballot_images(request)
    target = request.path_params["target"]
    if target not in crops:
        raise NotFound("not_found", "This page does not exist")
    return Response(
        crops[target], media_type="image/png", headers={"cache-control": "private, max-age=3600"}
    )


@endpoint(*VIEW)
def original(request: Request) -> Response:
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
