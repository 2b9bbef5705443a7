"""`congress users ...` and `congress tokens ...`: staff accounts and station tokens."""

from __future__ import annotations

import sys
from typing import Any

import click
from sqlalchemy import select

from congress import auth
from congress.cli_frame import CLI_ACTOR, CliState, emit_json, json_option, with_state
from congress.errors import CongressError
from congress.models import StaffUser


@click.group()
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
@with_state
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
@json_option
@with_state
def users_list(state: CliState, as_json: bool) -> None:
    """List staff users."""
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


@users.command("set-password")
@click.argument("name")
@click.option("--password", help="Given on the command line; otherwise prompted, or generated.")
@click.option("--generate", is_flag=True, help="Generate a password and print it once.")
@with_state
def users_set_password(state: CliState, name: str, password: str | None, generate: bool) -> None:
    """Give a staff user a new password; every session they have is ended."""
    generated = False
    if password is None:
        if generate or not sys.stdin.isatty():
            password, generated = auth.generate_password(), True
        else:
            password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    with state.database().session() as session:
        user = session.scalar(select(StaffUser).where(StaffUser.username == name))
        if user is None:
            raise CongressError("unknown_user", "No such user: %(name)s", name=name, status=404)
        auth.set_password(session, user, password, CLI_ACTOR)
    click.echo(f"password of {name} changed; their sessions are ended")
    if generated:
        click.echo(f"password (shown once): {password}")


@users.command("end-sessions")
@click.argument("name")
@with_state
def users_end_sessions(state: CliState, name: str) -> None:
    """Sign a staff user out everywhere (a lost laptop, a shared browser): they sign in again."""
    with state.database().session() as session:
        ended = auth.end_sessions_of(session, name, CLI_ACTOR)
    click.echo(f"{ended} session(s) of {name} ended")


@click.group()
def tokens() -> None:
    """Bearer tokens for gates and scanner stations."""


@tokens.command("create")
@click.argument("name")
@click.option("--role", "roles", multiple=True, required=True)
@json_option
@with_state
def tokens_create(state: CliState, name: str, roles: tuple[str, ...], as_json: bool) -> None:
    """Create a station token; the secret is printed once."""
    with state.database().session() as session:
        record, secret = auth.create_token(session, name, list(roles), CLI_ACTOR)
        out = {"id": record.id, "name": record.name, "roles": record.roles, "token": secret}
    if as_json:
        emit_json(out)
    else:
        click.echo(f"token {name} ({out['roles']}), shown once: {secret}")
