"""`congress elections ...` and `congress ballots ...`: elections, candidates, printing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
from rich.progress import Progress
from sqlalchemy import select

from ballots.models import Election, PrintRun
from congress import congresses
from congress.cli_frame import (
    CLI_ACTOR,
    CliState,
    congress_option,
    election_option,
    emit_json,
    json_option,
    out_option,
    round_option,
    with_state,
)
from congress.errors import NotFound
from congress.i18n import DEFAULT_TIME_ZONE
from congress.models import Congress

# The elections module brings the ballot printer (PDF) and `read` the image reader: each command
# imports them when it runs, so that `congress --help` and the other commands start fast.


@click.group("elections")
def elections() -> None:
    """Elections of a congress: candidates, rules and rounds."""


@elections.command("create")
@congress_option
@click.option("--title", required=True)
@click.option(
    "--form", type=click.Choice(["strike", "agree", "yesno", "confidence"]), required=True
)
@click.option("--seats", type=int, required=True)
@click.option(
    "--candidates",
    "candidates_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    required=True,
    help="CSV or XLSX: Họ và tên, Ngày sinh, Giới tính, Chức vụ, Đơn vị (or English).",
)
@click.option("--sitting", "sitting_number", type=int, default=None)
@click.option("--organisation", default="", help="Ballot header lines, separated by \\n.")
@click.option(
    "--threshold-base",
    type=click.Choice(["summoned", "net_summoned", "present", "issued", "collected", "valid"]),
    default="valid",
    show_default=True,
)
@click.option(
    "--percentage-base",
    type=click.Choice(["summoned", "present", "issued", "collected", "valid"]),
    default="valid",
    show_default=True,
)
@click.option(
    "--tie-rule", type=click.Choice(["new_round", "older"]), default="new_round", show_default=True
)
@click.option("--no-seal", is_flag=True, help="The red seal is not required on ballots.")
@click.option("--nobody-valid", is_flag=True, help="A ballot electing nobody stays valid.")
@click.option("--manual-order", is_flag=True, help="Keep the file's order (column Thứ tự).")
@json_option
@with_state
def create_command(
    state: CliState,
    slug: str,
    title: str,
    form: str,
    seats: int,
    candidates_file: Path,
    sitting_number: int | None,
    organisation: str,
    threshold_base: str,
    percentage_base: str,
    tie_rule: str,
    no_seal: bool,
    nobody_valid: bool,
    manual_order: bool,
    as_json: bool,
) -> None:
    """Create an election with its candidates (all rows of the file, or nothing).

    \b
    Exit codes (a script acts on them; --json prints the election when it is created):
      0  the election and every candidate created
      1  nothing created: a candidate row refused (each on standard error as "line N ..."),
         or the file, congress or sitting could not be read
      2  a wrong option or argument
    """
    from ballots.elections import Rules, create_election, election_json, import_candidates

    rules = Rules(
        threshold_base=threshold_base,
        percentage_base=percentage_base,
        tie_rule=tie_rule,
        seal_required=not no_seal,
        nobody_elected_invalid=not nobody_valid,
        candidate_order="manual" if manual_order else "alphabetical",
    )
    data = candidates_file.read_bytes()
    with state.database().session() as session:
        congress = congresses.get_congress(session, slug)
        election = create_election(
            session,
            congress,
            title=title,
            form=form,
            seats=seats,
            actor=CLI_ACTOR,
            sitting_number=sitting_number,
            organisation=organisation.replace("\\n", "\n"),
            rules=rules,
        )
        import_candidates(session, election, data, CLI_ACTOR)
        out = election_json(election)
    if as_json:
        emit_json(out)
    else:
        click.echo(
            f"election {out['id']}: {out['title']} ({len(out['candidates'])} candidates, "
            f"{out['seats']} seats)"
        )


@elections.command("list")
@click.option("--congress", "slug", default=None)
@json_option
@with_state
def list_command(state: CliState, slug: str | None, as_json: bool) -> None:
    """List elections (of one congress, or all)."""
    from ballots.elections import election_json

    with state.database().session() as session:
        stmt = select(Election).order_by(Election.id)
        if slug:
            stmt = stmt.where(Election.congress_id == congresses.get_congress(session, slug).id)
        rows = [election_json(e) for e in session.scalars(stmt)]
    if as_json:
        emit_json(rows)
    else:
        for row in rows:
            click.echo(
                f"{row['id']:>4}  {row['form']:<10} {row['seats']:>3} seats  "
                f"{'locked ' if row['locked'] else ''}{row['title']}"
            )


@elections.command("show")
@click.argument("election_id", type=int)
@json_option
@with_state
def show_command(state: CliState, election_id: int, as_json: bool) -> None:
    """An election: rules, candidates in ballot order, print runs."""
    from ballots.elections import election_json, get_election

    with state.database().session() as session:
        election = get_election(session, election_id)
        data = election_json(election)
        congress = session.get(Congress, election.congress_id)
        zone_name = congress.time_zone if congress is not None else DEFAULT_TIME_ZONE
    if as_json:
        emit_json(data)
        return
    click.echo(f"{data['title']} · {data['form']} · {data['seats']} seats · round {data['round']}")
    for n, c in enumerate(data["candidates"], 1):
        click.echo(f"  {n:>3}. {c['full_name']}")
    for run in data["print_runs"]:
        state_text = f"voided: {run['void_reason']}" if run["voided"] else "live"
        printed = state.translator().datetime(run["printed_at"], zone_name)
        click.echo(
            f"  run {run['id']} (round {run['round']}): {run['count']} ballots, printed "
            f"{printed}, {state_text}"
        )


@elections.command("new-round")
@click.argument("election_id", type=int)
@click.option(
    "--candidates",
    "candidate_ids",
    required=True,
    help="Ids of the remaining candidates, comma-separated (see `elections show`).",
)
@click.option("--seats", type=int, required=True)
@with_state
def new_round_command(state: CliState, election_id: int, candidate_ids: str, seats: int) -> None:
    """A further round with the remaining candidates for the seats still open."""
    from ballots.elections import get_election, new_round

    try:
        ids = [int(x) for x in candidate_ids.split(",") if x.strip()]
    except ValueError as exc:
        raise click.BadParameter("candidate ids are numbers", param_hint="--candidates") from exc
    with state.database().session() as session:
        round_ = new_round(session, get_election(session, election_id), ids, seats, CLI_ACTOR)
        click.echo(
            f"round {round_.number}: {len(round_.candidate_ids or [])} candidates, {seats} seats"
        )


@click.group("ballots")
def ballots() -> None:
    """Paper ballots: print (every run recorded with its serials) and void."""


@ballots.command("print")
@election_option
@click.option("--count", type=int, required=True)
@out_option
@click.option(
    "--layout",
    "layout_out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also write the layout JSON (targets, QR and marks).",
)
@with_state
def print_command(
    state: CliState, election_id: int, count: int, out: Path, layout_out: Path | None
) -> None:
    """Print ballots of the election's current round as one PDF."""
    from ballots.elections import get_election, print_ballots

    with Progress(transient=True) as progress:
        progress.add_task(f"printing {count} ballots", total=None)
        with state.database().session() as session:
            printed = print_ballots(
                state.settings, session, get_election(session, election_id), count, CLI_ACTOR
            )
            run_id = printed.run.id
    # Files are written only after the run is recorded: no ballot exists unaccounted for.
    out.write_bytes(printed.pdf)
    if layout_out:
        layout_out.write_text(printed.layout.to_json(), encoding="utf-8")
    click.echo(
        f"print run {run_id}: {count} ballots, {len(printed.layout.pages)} page(s) each: {out}"
    )


@ballots.command("void")
@election_option
@click.option("--run", "run_id", type=int, required=True)
@click.option("--reason", required=True)
@with_state
def void_command(state: CliState, election_id: int, run_id: int, reason: str) -> None:
    """Void a printed batch (recorded); the candidate list may change again."""
    from ballots.elections import get_election, void_run

    with state.database().session() as session:
        run = void_run(session, get_election(session, election_id), run_id, reason, CLI_ACTOR)
        click.echo(f"print run {run.id} voided ({run.count} ballots)")


@ballots.command("layout")
@election_option
@click.option("--run", "run_id", type=int, required=True)
@with_state
def layout_command(state: CliState, election_id: int, run_id: int) -> None:
    """The layout JSON a print run was printed with (what the reader and a recount use)."""
    from ballots.elections import get_election

    with state.database().session() as session:
        election = get_election(session, election_id)
        run = session.get(PrintRun, run_id)
        if run is None or run.round.election_id != election.id:
            raise NotFound("unknown_print_run", "No print run %(id)s in this election", id=run_id)
        click.echo(json.dumps(run.layout, ensure_ascii=False, indent=2))


@ballots.command("read")
@election_option
@round_option
@click.argument(
    "files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per ballot (JSON Lines).")
@click.option(
    "--annotate",
    "annotate_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Write each scan with its targets outlined and scored here.",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=None,
    help="Processes that read at once (default: one per core); the output order is the files'.",
)
@with_state
def read_command(
    state: CliState,
    election_id: int,
    round_number: int | None,
    files: tuple[Path, ...],
    as_json: bool,
    annotate_dir: Path | None,
    workers: int | None,
) -> None:
    """Read scanned ballots (PNG, JPEG, TIFF, PDF); prints readings, writes nothing to the database.

    A file that cannot be read, or is beyond the limits, is reported on one line and the others
    are read; the command then exits 1."""
    import os

    import cv2

    from ballots.elections import get_election, read_description
    from ballots.reading.imageio import load_file
    from ballots.reading.pool import FileRefused, analysed_files
    from ballots.reading.reader import PageReading, annotate, assemble_files

    with state.database().session() as session:
        described = read_description(get_election(session, election_id), round_number)
    limits = state.settings.limits
    analysed: list[list[PageReading]] = []
    refused = 0
    with Progress(transient=True, disable=as_json) as progress:
        task = progress.add_task("reading", total=len(files))
        pages = analysed_files(list(files), described, workers or os.cpu_count() or 1, limits)
        for path, found in zip(files, pages, strict=True):
            if isinstance(found, FileRefused):
                refused += 1
                message = found.error().translated(state.gettext)
                if as_json:
                    error = {"code": found.code, "message": message}
                    click.echo(json.dumps({"file": path.name, "error": error}, ensure_ascii=False))
                else:
                    click.echo(f"{path}: {message}", err=True)
            else:
                analysed.append(found)
            progress.advance(task)
    context = described.build()
    readings = assemble_files(analysed, context)
    by_name = {p.name: p for p in files}
    loaded: dict[str, Any] = {}
    if annotate_dir is not None:
        annotate_dir.mkdir(parents=True, exist_ok=True)
    for reading in readings:
        if as_json:
            click.echo(reading.to_json())
        else:
            reasons = f" ({', '.join(reading.reasons)})" if reading.reasons else ""
            click.echo(f"{reading.file}: {reading.serial or '-'} {reading.status}{reasons}")
        if annotate_dir is None:
            continue
        for page in reading.pages:
            if page.file not in loaded:
                loaded[page.file] = load_file(by_name[page.file], limits=limits)
            image = loaded[page.file].pages[page.index]
            drawn = annotate(image, reading, context, page.index)
            stem = Path(page.file).stem
            cv2.imwrite(str(annotate_dir / f"{stem}-p{page.index + 1}.png"), drawn)
    if refused:
        raise SystemExit(1)
