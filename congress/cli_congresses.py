"""`congress congresses|sittings|delegates ...`: the register of congresses, sittings, delegates."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click
from rich.progress import Progress
from sqlalchemy import select

from congress import congresses
from congress.api import congress_json, delegate_json
from congress.cli_frame import (
    CLI_ACTOR,
    CliState,
    congress_option,
    delegation_option,
    emit_json,
    fail,
    json_option,
    print_report,
    with_state,
)
from congress.delegate_import import import_delegates
from congress.errors import CongressError
from congress.i18n import DEFAULT_TIME_ZONE
from congress.models import Delegation
from congress.photos import PhotosRefused, files_of_zip, import_photos
from congress.storage import FileStore


@click.group("congresses")
def congresses_group() -> None:
    """Congresses."""


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        day, month, year = value.split("/")
        return dt.date(int(year), int(month), int(day))


class DateParam(click.ParamType):
    name = "date"

    def convert(self, value: Any, param: Any, ctx: Any) -> dt.date:
        if isinstance(value, dt.date):
            return value
        try:
            return _date(str(value))
        except ValueError:
            self.fail(f"{value!r} is not a date (yyyy-mm-dd or dd/mm/yyyy)", param, ctx)


@congresses_group.command("create")
@click.option("--slug", required=True, help="Short code used in addresses, e.g. hanoi-2026.")
@click.option("--name", required=True)
@click.option("--starts", "starts_on", required=True, type=DateParam())
@click.option("--ends", "ends_on", type=DateParam())
@click.option("--venue", default="")
@click.option("--organisation", default="")
@click.option(
    "--time-zone",
    default=DEFAULT_TIME_ZONE,
    show_default=True,
    help="IANA zone of the place it meets: every time is shown in it.",
)
@json_option
@with_state
def congresses_create(
    state: CliState,
    slug: str,
    name: str,
    starts_on: dt.date,
    ends_on: dt.date | None,
    venue: str,
    organisation: str,
    time_zone: str,
    as_json: bool,
) -> None:
    """Create a congress."""
    with state.database().session() as session:
        congress = congresses.create_congress(
            session,
            slug=slug,
            name=name,
            starts_on=starts_on,
            ends_on=ends_on or starts_on,
            venue=venue,
            organisation=organisation,
            time_zone=time_zone,
            actor=CLI_ACTOR,
        )
        data = congress_json(congress)
    if as_json:
        emit_json(data)
    else:
        click.echo(f"congress {data['slug']} created")


@congresses_group.command("list")
@json_option
@with_state
def congresses_list(state: CliState, as_json: bool) -> None:
    """List congresses."""
    with state.database().session() as session:
        rows = [congress_json(c) for c in congresses.list_congresses(session)]
    if as_json:
        emit_json(rows)
    else:
        for row in rows:
            click.echo(
                f"{row['slug']:<24} {row['starts_on']}  {row['time_zone']:<20} {row['name']}"
            )


@click.group()
def sittings() -> None:
    """Sittings of a congress."""


@sittings.command("add")
@congress_option
@click.option("--title", required=True)
@click.option(
    "--starts",
    "starts_at",
    required=True,
    type=click.DateTime(["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]),
    help="The congress's local time.",
)
@with_state
def sittings_add(state: CliState, slug: str, title: str, starts_at: dt.datetime) -> None:
    """Add a sitting."""
    with state.database().session() as session:
        congress = congresses.get_congress(session, slug)
        sitting = congresses.add_sitting(
            session, congress, title=title, starts_at=starts_at, actor=CLI_ACTOR
        )
        click.echo(f"sitting {sitting.number} (id {sitting.id}) added")


@click.group()
def delegates() -> None:
    """Delegates: import and list."""


@delegates.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@congress_option
@click.option("--update", is_flag=True, help="Apply changed rows after showing the differences.")
@click.option("--yes", is_flag=True, help="With --update: do not ask for confirmation.")
@click.option("--dry-run", is_flag=True, help="Check the file; change nothing.")
@json_option
@with_state
def delegates_import(
    state: CliState, file: Path, slug: str, update: bool, yes: bool, dry_run: bool, as_json: bool
) -> None:
    """Import delegates from CSV or XLSX: every row, or none when any row is wrong.

    \b
    Exit codes (a script acts on them; --json prints the report of a good file):
      0  every row is good: imported, or with --dry-run checked and nothing changed
      1  nothing imported: a row refused (each on standard error as "line N ..."), rows
         that differ from the register without --update, an update declined, or the file
         or congress could not be read; with --dry-run too
      2  a wrong option or argument
    """
    data = file.read_bytes()
    db = state.database()
    if update and not yes and not dry_run:
        with db.session() as session:
            congress = congresses.get_congress(session, slug)
            preview = import_delegates(
                session,
                congress,
                data,
                actor=CLI_ACTOR,
                update=True,
                dry_run=True,
                limits=state.settings.limits,
            )
        if preview.changes:
            print_report(preview, state.gettext)
            if not click.confirm(f"apply {len(preview.changes)} changed rows?", default=False):
                fail("nothing was imported")
    with Progress(transient=True, disable=as_json) as progress:
        task = progress.add_task("importing", total=None)
        with db.session() as session:
            congress = congresses.get_congress(session, slug)
            report = import_delegates(
                session,
                congress,
                data,
                actor=CLI_ACTOR,
                update=update,
                dry_run=dry_run,
                progress=lambda n: progress.advance(task, n),
                limits=state.settings.limits,
            )
    if as_json:
        emit_json(report.to_dict(state.gettext))
    else:
        verb = "checked" if dry_run else "imported"
        click.echo(
            f"{verb}: {report.rows} rows, {report.new} new, {len(report.changes)} changed, "
            f"{report.unchanged} unchanged"
        )
        if report.unknown_columns:
            click.echo(f"unknown columns (ignored): {', '.join(report.unknown_columns)}")


@delegates.command("photos")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@congress_option
@with_state
def delegates_photos(state: CliState, path: Path, slug: str) -> None:
    """Attach photos: a ZIP or folder of JPEG/PNG files named by delegate code (all or none).

    \b
    Exit codes:
      0  every photo attached
      1  none attached: a photo refused (each named on standard error), or the ZIP, folder
         or congress could not be read
      2  a wrong option or argument
    """
    files: Mapping[str, bytes]
    if path.is_dir():
        files = {
            str(p.relative_to(path)): p.read_bytes()
            for p in sorted(path.rglob("*"))
            if p.is_file() and p.suffix.lower() in (".jpg", ".jpeg", ".png")
        }
    else:
        files = files_of_zip(path.read_bytes(), state.settings.limits)
    try:
        with state.database().session() as session:
            congress = congresses.get_congress(session, slug)
            count = import_photos(
                session,
                FileStore(state.settings.files_dir),
                congress,
                files,
                CLI_ACTOR,
                state.settings.limits,
            )
    except PhotosRefused as exc:
        for problem in exc.problems:
            message = state.gettext(problem.message)
            click.echo(
                f"  {problem.name}: {message % problem.params if problem.params else message}",
                err=True,
            )
        raise
    click.echo(f"{count} photos attached")


@delegates.command("list")
@congress_option
@click.option("--search", "text", default="")
@delegation_option
@click.option("--kind", type=click.Choice(["full", "alternate"]))
@json_option
@with_state
def delegates_list(
    state: CliState, slug: str, text: str, delegation: str | None, kind: str | None, as_json: bool
) -> None:
    """List delegates in Vietnamese name order."""
    with state.database().session() as session:
        congress = congresses.get_congress(session, slug)
        delegation_id = None
        if delegation:
            delegation_id = session.scalar(
                select(Delegation.id).where(
                    Delegation.congress_id == congress.id, Delegation.name == delegation
                )
            )
            if delegation_id is None:
                raise CongressError(
                    "unknown_delegation", "No delegation named %(name)s", name=delegation
                )
        rows, total = congresses.find_delegates(
            session,
            congress,
            congresses.DelegateQuery(
                text=text, delegation_id=delegation_id, kind=kind, per_page=100_000
            ),
        )
        # The console's operator holds the database itself: every field.
        data = [delegate_json(d, congresses.EVERY_FIELD) for d in rows]
    if as_json:
        emit_json(data)
    else:
        for d in data:
            click.echo(f"{d['code']:<10} {d['full_name']:<32} {d['delegation']}")
        click.echo(f"{total} delegates")
