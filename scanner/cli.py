"""`congress checkin ...`: open and close a sitting's doors, and the attendance report."""

from __future__ import annotations

from pathlib import Path

import click

from congress import congresses
from congress.cli import CLI_ACTOR, CliState, emit_json, handle_errors, pass_state
from congress.i18n import translator


@click.group("checkin")
def checkin() -> None:
    """Check-in at the door: sittings' doors and attendance."""


def _doors(state: CliState, slug: str, number: int, open_: bool) -> None:
    from scanner.checkin import get_sitting, set_doors

    with state.database().write_session() as session:
        congress = congresses.get_congress(session, slug)
        sitting = get_sitting(session, congress, number)
        set_doors(session, sitting, open_, CLI_ACTOR)
        title = sitting.title
    click.echo(f"sitting {number} ({title}): check-in {'open' if open_ else 'closed'}")


@checkin.command("open")
@click.option("--congress", "slug", required=True)
@click.option("--sitting", "number", required=True, type=int)
@pass_state
@handle_errors
def open_command(state: CliState, slug: str, number: int) -> None:
    """Open the doors of a sitting: gates admit delegates to it."""
    _doors(state, slug, number, True)


@checkin.command("close")
@click.option("--congress", "slug", required=True)
@click.option("--sitting", "number", required=True, type=int)
@pass_state
@handle_errors
def close_command(state: CliState, slug: str, number: int) -> None:
    """Close the doors of a sitting (admissions made are kept)."""
    _doors(state, slug, number, False)


@checkin.command("report")
@click.option("--congress", "slug", required=True)
@click.option("--sitting", "number", required=True, type=int)
@click.option("--format", "fmt", type=click.Choice(["json", "csv", "xlsx", "pdf"]), default="json")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None)
@pass_state
@handle_errors
def report_command(state: CliState, slug: str, number: int, fmt: str, out: Path | None) -> None:
    """Attendance of a sitting: summoned, present, absent per delegation, and the quorum."""
    from scanner import attendance as att
    from scanner.checkin import get_sitting

    tr = translator(state.settings.default_language)
    with state.database().session() as session:
        congress = congresses.get_congress(session, slug)
        sitting = get_sitting(session, congress, number)
        report = att.attendance(session, congress, sitting, with_people=fmt != "json")
        if fmt == "json":
            data = report.as_json()
        else:
            content = {"csv": att.to_csv, "xlsx": att.to_xlsx, "pdf": att.to_pdf}[fmt](report, tr)
    if fmt == "json":
        emit_json(data)
        return
    if out is None:
        raise click.UsageError("--out FILE is needed for csv, xlsx and pdf")
    out.write_bytes(content)
    click.echo(f"{report.present}/{report.summoned} present: {out}")
