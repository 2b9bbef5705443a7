"""The `congress` command: set up the database, manage staff and congresses, import, serve, demo."""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from congress import __version__, auth, congresses
from congress.db import Database, DatabaseNotReady, check_ready, upgrade
from congress.errors import CongressError
from congress.i18n import translator
from congress.settings import Settings, ensure_home

F = TypeVar("F", bound=Callable[..., Any])
CLI_ACTOR = "cli"


class CliState:
    """Settings and database of one command run, opened on first use."""

    def __init__(self, home: str | None) -> None:
        self._home = home
        self._settings: Settings | None = None
        self._db: Database | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            overrides: dict[str, Any] = {}
            env = None
            if self._home:
                import os

                env = dict(os.environ, CONGRESS_HOME=self._home)
            self._settings = Settings.from_env(env, **overrides)
        return self._settings

    def database(self, check: bool = True) -> Database:
        if self._db is None:
            settings = self.settings
            if settings.is_sqlite and not Path(settings.database_url.split("///", 1)[1]).exists():
                raise DatabaseNotReady(
                    "db_missing_file",
                    "There is no database in %(home)s; run `congress init` first",
                    home=str(settings.home),
                )
            self._db = Database(settings)
            if check:
                check_ready(self._db.engine)
        return self._db

    def gettext(self, message: str) -> str:
        lang = self._settings.default_language if self._settings else "vi"
        return translator(lang).gettext(message)


def fail(message: str) -> None:
    click.echo(f"congress: {message}", err=True)
    sys.exit(1)


def handle_errors(fn: F) -> F:
    """One line on stderr and a non-zero exit for every refusal; never a traceback."""

    @wraps(fn)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        state: CliState | None = click.get_current_context().find_object(CliState)
        gettext = state.gettext if state else (lambda s: s)
        try:
            return fn(*args, **kwargs)
        except CongressError as exc:
            report = getattr(exc, "report", None)
            if report is not None:
                print_report(report, gettext)
            fail(exc.translated(gettext))
        except OSError as exc:
            fail(f"{exc.strerror or exc}: {getattr(exc, 'filename', '') or ''}".rstrip(": "))

    return wrapped  # type: ignore[return-value]


def print_report(report: Any, gettext: Callable[[str], str]) -> None:
    for problem in report.problems:
        message = gettext(problem.message)
        if problem.params:
            message = message % problem.params
        click.echo(
            f"  line {problem.line}, column {problem.column!r}, value {problem.value!r}: {message}",
            err=True,
        )
    for change in report.changes:
        for field, (old, new) in change.fields.items():
            click.echo(
                f"  line {change.line}, {change.code} {change.full_name}: {field}: {old!r} -> {new!r}",
                err=True,
            )
    if report.unknown_columns:
        click.echo(f"  unknown columns (ignored): {', '.join(report.unknown_columns)}", err=True)


def emit_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


pass_state = click.make_pass_decorator(CliState)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="congress")
@click.option("--home", envvar="CONGRESS_HOME", help="Data directory (default ./congress-data).")
@click.pass_context
def main(ctx: click.Context, home: str | None) -> None:
    """Congress management: delegates, badges and check-in, documents, ballots and the tally."""
    ctx.obj = CliState(home)


@main.command()
@pass_state
@handle_errors
def init(state: CliState) -> None:
    """Create the database, or upgrade it to this version (safe to run again)."""
    settings = state.settings
    ensure_home(settings.home)
    upgrade(settings)
    click.echo(f"database ready at {settings.database_url.split('@')[-1]}")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=int)
@pass_state
@handle_errors
def serve(state: CliState, host: str, port: int, workers: int) -> None:
    """Serve the web app and API with uvicorn."""
    import os

    import uvicorn

    state.database()  # refuses a missing or old database before binding the port
    os.environ["CONGRESS_HOME"] = str(state.settings.home)
    click.echo(f"serving on http://{host}:{port}/")
    uvicorn.run(
        "congress.app:app_factory",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=True,
        log_level="info",
    )


@main.group()
def users() -> None:
    """Staff accounts."""


@users.command("add")
@click.argument("name")
@click.option(
    "--role",
    "roles",
    multiple=True,
    required=True,
    help="admin, organizer, checkin, counting or observer (repeat for several).",
)
@click.option("--full-name", default="")
@click.option("--password", help="Given on the command line; otherwise prompted, or generated.")
@click.option("--generate", is_flag=True, help="Generate a password and print it once.")
@pass_state
@handle_errors
def users_add(
    state: CliState,
    name: str,
    roles: tuple[str, ...],
    full_name: str,
    password: str | None,
    generate: bool,
) -> None:
    """Add a staff user with one or more roles."""
    auth.parse_roles(",".join(roles))
    generated = False
    if password is None:
        if generate or not sys.stdin.isatty():
            password, generated = auth.generate_password(), True
        else:
            password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    with state.database().session() as session:
        user = auth.add_user(session, name, list(roles), password, CLI_ACTOR, full_name=full_name)
        click.echo(f"user {user.username} added with roles {user.roles}")
    if generated:
        click.echo(f"password (shown once): {password}")


@users.command("list")
@click.option("--json", "as_json", is_flag=True)
@pass_state
@handle_errors
def users_list(state: CliState, as_json: bool) -> None:
    """List staff users."""
    from sqlalchemy import select

    from congress.models import StaffUser

    with state.database().session() as session:
        rows: list[dict[str, Any]] = [
            {"username": u.username, "roles": sorted(u.role_set), "active": u.active}
            for u in session.scalars(select(StaffUser).order_by(StaffUser.username))
        ]
    if as_json:
        emit_json(rows)
    else:
        for row in rows:
            click.echo(f"{row['username']:<20} {','.join(row['roles'])}")


@main.group()
def tokens() -> None:
    """Bearer tokens for gates and scanner stations."""


@tokens.command("create")
@click.argument("name")
@click.option("--role", "roles", multiple=True, required=True)
@click.option("--json", "as_json", is_flag=True)
@pass_state
@handle_errors
def tokens_create(state: CliState, name: str, roles: tuple[str, ...], as_json: bool) -> None:
    """Create a station token; the secret is printed once."""
    with state.database().session() as session:
        record, secret = auth.create_token(session, name, list(roles), CLI_ACTOR)
        out = {"id": record.id, "name": record.name, "roles": record.roles, "token": secret}
    if as_json:
        emit_json(out)
    else:
        click.echo(f"token {name} ({out['roles']}), shown once: {secret}")


@main.group("congresses")
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
@click.option("--json", "as_json", is_flag=True)
@pass_state
@handle_errors
def congresses_create(
    state: CliState,
    slug: str,
    name: str,
    starts_on: dt.date,
    ends_on: dt.date | None,
    venue: str,
    organisation: str,
    as_json: bool,
) -> None:
    """Create a congress."""
    from congress.api import congress_json

    with state.database().session() as session:
        congress = congresses.create_congress(
            session,
            slug=slug,
            name=name,
            starts_on=starts_on,
            ends_on=ends_on or starts_on,
            venue=venue,
            organisation=organisation,
            actor=CLI_ACTOR,
        )
        data = congress_json(congress)
    if as_json:
        emit_json(data)
    else:
        click.echo(f"congress {data['slug']} created")


@congresses_group.command("list")
@click.option("--json", "as_json", is_flag=True)
@pass_state
@handle_errors
def congresses_list(state: CliState, as_json: bool) -> None:
    """List congresses."""
    from congress.api import congress_json

    with state.database().session() as session:
        rows = [congress_json(c) for c in congresses.list_congresses(session)]
    if as_json:
        emit_json(rows)
    else:
        for row in rows:
            click.echo(f"{row['slug']:<24} {row['starts_on']}  {row['name']}")


@main.group()
def sittings() -> None:
    """Sittings of a congress."""


@sittings.command("add")
@click.option("--congress", "slug", required=True)
@click.option("--title", required=True)
@click.option(
    "--starts",
    "starts_at",
    required=True,
    type=click.DateTime(["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]),
)
@pass_state
@handle_errors
def sittings_add(state: CliState, slug: str, title: str, starts_at: dt.datetime) -> None:
    """Add a sitting."""
    with state.database().session() as session:
        congress = congresses.get_congress(session, slug)
        sitting = congresses.add_sitting(
            session, congress, title=title, starts_at=starts_at, actor=CLI_ACTOR
        )
        click.echo(f"sitting {sitting.number} (id {sitting.id}) added")


@main.group()
def delegates() -> None:
    """Delegates: import and list."""


@delegates.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--congress", "slug", required=True)
@click.option("--update", is_flag=True, help="Apply changed rows after showing the differences.")
@click.option("--yes", is_flag=True, help="With --update: do not ask for confirmation.")
@click.option("--dry-run", is_flag=True, help="Check the file; change nothing.")
@click.option("--json", "as_json", is_flag=True)
@pass_state
@handle_errors
def delegates_import(
    state: CliState, file: Path, slug: str, update: bool, yes: bool, dry_run: bool, as_json: bool
) -> None:
    """Import delegates from CSV or XLSX: every row, or none when any row is wrong."""
    from rich.progress import Progress

    from congress.delegate_import import import_delegates

    data = file.read_bytes()
    db = state.database()
    if update and not yes and not dry_run:
        with db.session() as session:
            congress = congresses.get_congress(session, slug)
            preview = import_delegates(
                session, congress, data, actor=CLI_ACTOR, update=True, dry_run=True
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
@click.option("--congress", "slug", required=True)
@pass_state
@handle_errors
def delegates_photos(state: CliState, path: Path, slug: str) -> None:
    """Attach photos: a ZIP or folder of JPEG/PNG files named by delegate code (all or none)."""
    from congress.photos import PhotosRefused, files_of_zip, import_photos
    from congress.storage import FileStore

    if path.is_dir():
        files = {
            str(p.relative_to(path)): p.read_bytes()
            for p in sorted(path.rglob("*"))
            if p.is_file() and p.suffix.lower() in (".jpg", ".jpeg", ".png")
        }
    else:
        files = files_of_zip(path.read_bytes())
    try:
        with state.database().session() as session:
            congress = congresses.get_congress(session, slug)
            count = import_photos(
                session, FileStore(state.settings.files_dir), congress, files, CLI_ACTOR
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
@click.option("--congress", "slug", required=True)
@click.option("--search", "text", default="")
@click.option("--delegation", default=None, help="Delegation name.")
@click.option("--kind", type=click.Choice(["full", "alternate"]))
@click.option("--json", "as_json", is_flag=True)
@pass_state
@handle_errors
def delegates_list(
    state: CliState, slug: str, text: str, delegation: str | None, kind: str | None, as_json: bool
) -> None:
    """List delegates in Vietnamese name order."""
    from sqlalchemy import select

    from congress.api import delegate_json
    from congress.models import Delegation

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
        data = [delegate_json(d) for d in rows]
    if as_json:
        emit_json(data)
    else:
        for d in data:
            click.echo(f"{d['code']:<10} {d['full_name']:<32} {d['delegation']}")
        click.echo(f"{total} delegates")


@main.command()
@click.option("--slug", default="demo", show_default=True)
@click.option("--delegates", "count", default=500, show_default=True, type=int)
@click.option("--seed", default=2026, show_default=True, type=int)
@pass_state
@handle_errors
def demo(state: CliState, slug: str, count: int, seed: int) -> None:
    """Build the demo congress in the data directory (safe to run again: it starts afresh)."""
    from congress.demo import build_demo

    settings = state.settings
    ensure_home(settings.home)
    upgrade(settings)
    build_demo(state.database(), slug=slug, delegates=count, seed=seed, echo=click.echo)


def _mount_capability_commands() -> None:
    from congress.capabilities import load

    for cap in load():
        for command in cap.commands():
            main.add_command(command)


if __name__ == "__main__":
    # `python -m congress.cli`: this copy of the module is __main__, and the capabilities'
    # commands import `congress.cli` itself; run that one, which mounts them.
    from congress.cli import main as _main

    _main()
else:
    _mount_capability_commands()
