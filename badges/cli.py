"""`congress badges ...`: verify a scanned token, print badge PDFs, reissue, revoke, links."""

from __future__ import annotations

import io
import sys
from pathlib import Path
from typing import Any

import click
from rich.progress import Progress

from badges.service import change_badge, check_badge
from badges.token import BadgeTokenError, parse_badge
from congress import congresses
from congress.cli_frame import (
    CLI_ACTOR,
    CliState,
    congress_option,
    delegation_option,
    emit_json,
    json_option,
    out_option,
    with_state,
)
from congress.errors import CongressError
from congress.i18n import iso_local, translator
from congress.models import Congress

# Commands that print PDFs or read images import that code when they run, so that
# `congress --help` and every other command start without the PDF and image libraries.

LAYOUT_CHOICE = click.Choice(["a6", "cr80", "a4-4up", "a4-8up"])


@click.group("badges")
def badges() -> None:
    """Delegate badges: verify, print, replace, revoke, soft-badge links."""


def _verdict_json(answer: Any, gettext: Any, lang: str, zone_name: str) -> dict[str, Any]:
    verdict = answer.verdict
    when = verdict.replaced_at
    message = gettext(verdict.message)
    if "%(date)s" in verdict.message:
        message = message % {"date": translator(lang).local_date(when, zone_name) if when else "?"}
    data: dict[str, Any] = {
        "verdict": verdict.code,
        "message": message,
        "token": None,
        "delegate": None,
    }
    if verdict.token is not None:
        data["token"] = {
            "congress_id": verdict.token.congress_id,
            "delegate_id": verdict.token.delegate_id,
            "version": verdict.token.version,
        }
    if when is not None:
        data["replaced_at"] = iso_local(when, zone_name)
    if answer.delegate is not None:
        d = answer.delegate
        data["delegate"] = {
            "code": d.code,
            "full_name": d.full_name,
            "delegation": d.delegation.name,
            "kind": d.kind,
            "badge_version": d.badge_version,
        }
    return data


@badges.command("verify")
@click.argument("token")
@click.option(
    "--congress", "slug", default=None, help="The congress at this gate (default: the token's)."
)
@json_option
@with_state
def verify_command(state: CliState, token: str, slug: str | None, as_json: bool) -> None:
    """Check a scanned badge: valid, replaced, revoked, unknown, forged, other_congress, malformed.

    \b
    Exit codes (a script acts on them; --json prints the same verdict either way):
      0  valid: the badge admits its delegate
      1  any other verdict (printed on standard output), or the badge could not be checked
         (one line on standard error, nothing on standard output)
      2  a wrong option or argument
    """
    lang = state.settings.default_language
    with state.database().session() as session:
        if slug:
            congress = congresses.get_congress(session, slug)
        else:
            try:
                congress_id = parse_badge(token)[0].congress_id
            except BadgeTokenError:
                congress_id = 0
            found = session.get(Congress, congress_id) if congress_id else None
            if found is None:
                only = congresses.list_congresses(session)
                if len(only) != 1:
                    raise CongressError(
                        "name_the_congress",
                        "Name the congress with --congress: the token does not name one of ours",
                    )
                found = only[0]
            congress = found
        data = _verdict_json(
            check_badge(session, congress, token), state.gettext, lang, congress.time_zone
        )
    if as_json:
        emit_json(data)
    else:
        who = data["delegate"]
        click.echo(f"{data['verdict']}: {data['message']}")
        if who:
            click.echo(f"  {who['code']} {who['full_name']} ({who['delegation']})")
    if data["verdict"] != "valid":
        sys.exit(1)  # the verdict is told; the exit code lets a script refuse the badge


@badges.command("pdf")
@congress_option
@click.option("--layout", type=LAYOUT_CHOICE, default="a4-8up", show_default=True)
@delegation_option
@click.option(
    "--delegates", "codes", default="", help="Only these delegate codes, comma-separated."
)
@out_option
@with_state
def pdf_command(
    state: CliState, slug: str, layout: str, delegation: str | None, codes: str, out: Path
) -> None:
    """Print badges as one PDF (A6, CR80 cards, or A4 sheets with crop marks)."""
    from badges.cards import print_badges, select_delegates

    tr = state.translator()
    buffer = io.BytesIO()
    with state.database().session() as session:
        congress = congresses.get_congress(session, slug)
        chosen = select_delegates(
            session, congress, delegation, [c for c in codes.split(",") if c.strip()]
        )
        with Progress(transient=True) as progress:
            task = progress.add_task("badges", total=len(chosen))
            count = print_badges(
                state.settings,
                session,
                congress,
                chosen,
                layout,
                buffer,
                tr,
                progress=lambda done: progress.update(task, completed=done),
                actor=CLI_ACTOR,
            )
    # Written only when complete: a refusal never leaves half a PDF behind.
    out.write_bytes(buffer.getvalue())
    click.echo(f"{count} badges, layout {layout}: {out}")


def _change(state: CliState, slug: str, code: str, reason: str, action: str) -> None:
    with state.database().session() as session:
        congress = congresses.get_congress(session, slug)
        delegate, version = change_badge(session, congress, code, action, CLI_ACTOR, reason)
        if version is None:
            click.echo(f"{delegate.code} {delegate.full_name}: every badge revoked")
        else:
            click.echo(f"{delegate.code} {delegate.full_name}: badge version {version}")


@badges.command("reissue")
@click.argument("code")
@congress_option
@click.option("--reason", default="")
@with_state
def reissue_command(state: CliState, code: str, slug: str, reason: str) -> None:
    """Give a delegate a new badge: older versions are refused from now on."""
    _change(state, slug, code, reason, "reissue")


@badges.command("revoke")
@click.argument("code")
@congress_option
@click.option("--reason", default="")
@with_state
def revoke_command(state: CliState, code: str, slug: str, reason: str) -> None:
    """Refuse every badge of a delegate."""
    _change(state, slug, code, reason, "revoke")


@badges.command("links")
@congress_option
@delegation_option
@out_option
@with_state
def links_command(state: CliState, slug: str, delegation: str | None, out: Path) -> None:
    """Every delegate's soft-badge link as CSV (at CONGRESS_PUBLIC_URL)."""
    from badges.cards import badge_links, links_csv, select_delegates

    tr = state.translator()
    with state.database().session() as session:
        congress = congresses.get_congress(session, slug)
        chosen = select_delegates(session, congress, delegation)
        links = badge_links(state.settings, session, congress, chosen, actor=CLI_ACTOR)
    out.write_bytes(links_csv(links, tr))
    click.echo(f"{len(links)} links: {out}")
