"""`congress docs ...`: upload documents and new versions, list them, print the QR poster."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from congress import congresses
from congress.cli_frame import (
    CLI_ACTOR,
    CliState,
    congress_option,
    emit_json,
    json_option,
    out_option,
    with_state,
)
from congress.errors import CongressError
from congress.storage import FileStore
from docs_portal import documents as service
from docs_portal.models import GROUPS, VISIBILITIES, Document

# Commands that draw the poster import that code when they run, so that
# `congress --help` and every other command start without the PDF and image libraries.


@click.group("docs")
def docs() -> None:
    """Congress documents: upload, new versions, list, QR poster."""


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise CongressError("file_unreadable", "Cannot read %(path)s", path=str(path)) from exc


@docs.command("upload")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@congress_option
@click.option("--title", required=True)
@click.option("--group", type=click.Choice(GROUPS), default="other", show_default=True)
@click.option("--order", "position", type=int, default=0, show_default=True)
@click.option("--sitting", type=int, default=None, help="Number of the sitting it belongs to.")
@click.option(
    "--visibility", type=click.Choice(VISIBILITIES), default="delegates", show_default=True
)
@click.option("--publish-at", type=click.DateTime(), default=None)
@click.option("--comments/--no-comments", default=False, help="Take delegates' comments.")
@click.option("--shared-comments", is_flag=True, help="Delegates see each other's comments.")
@click.option(
    "--replace", "document_id", type=int, default=None, help="Upload as a new version of ID."
)
@json_option
@with_state
def upload_command(
    state: CliState,
    file: Path,
    slug: str,
    title: str,
    group: str,
    position: int,
    sitting: int | None,
    visibility: str,
    publish_at: dt.datetime | None,
    comments: bool,
    shared_comments: bool,
    document_id: int | None,
    as_json: bool,
) -> None:
    """Upload FILE (PDF; DOCX/ODT converted with LibreOffice) as a document or a new version."""
    prepared = service.prepare_upload(state.settings, _read(file), file.name)
    store = FileStore(state.settings.files_dir)
    with state.database().write_session() as session:
        congress = congresses.get_congress(session, slug)
        if document_id is not None:
            document = session.get(Document, document_id)
            if document is None or document.congress_id != congress.id:
                raise CongressError("document_not_found", "There is no such document")
            service.add_version(session, store, document, prepared, CLI_ACTOR)
        else:
            fields = service.DocumentFields(
                title=title,
                group=group,
                position=position,
                sitting_number=sitting,
                visibility=visibility,
                publish_at=publish_at,
                comments_open=comments,
                comments_shared=shared_comments,
            )
            document = service.create_document(
                session, store, congress, fields, prepared, CLI_ACTOR
            )
        version = document.current
        data = {
            "id": document.id,
            "title": document.title,
            "version": version.number,
            "pages": version.pages,
            "pdf_sha256": version.pdf_sha256,
            "url": f"{state.settings.public_url}/p/{congress.slug}/d/{document.id}",
        }
    if as_json:
        emit_json(data)
    else:
        click.echo(
            f"{data['id']}: {data['title']} (version {data['version']}, {data['pages']} pages) "
            f"{data['url']}"
        )


@docs.command("list")
@congress_option
@json_option
@with_state
def list_command(state: CliState, slug: str, as_json: bool) -> None:
    """Every document in reading order, with its current version."""
    with state.database().session() as session:
        congress = congresses.get_congress(session, slug)
        rows = [
            {
                "id": d.id,
                "title": d.title,
                "group": d.group,
                "order": d.position,
                "visibility": d.visibility,
                "version": d.current.number,
                "pages": d.current.pages,
            }
            for d in service.documents_of(session, congress)
            if d.versions
        ]
    if as_json:
        emit_json(rows)
        return
    for row in rows:
        click.echo(
            f"{row['id']:>4}  {row['group']:<12} {row['visibility']:<9} v{row['version']} "
            f"{row['pages']:>4}p  {row['title']}"
        )


@docs.command("poster")
@congress_option
@click.option("--size", type=click.Choice(["a4", "a3"]), default="a4", show_default=True)
@out_option
@with_state
def poster_command(state: CliState, slug: str, size: str, out: Path) -> None:
    """The QR poster that opens the documents portal."""
    from docs_portal.poster import render_poster

    with state.database().session() as session:
        congress = congresses.get_congress(session, slug)
        url = f"{state.settings.public_url}/p/{congress.slug}"
        data = render_poster(congress, url, size)
    out.write_bytes(data)
    click.echo(f"{url}: {out}")
