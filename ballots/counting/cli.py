"""`congress ballots count ...`: open a count, add scans from a folder, its status, close it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from congress.cli_frame import (
    CLI_ACTOR,
    CliState,
    election_option,
    emit_json,
    json_option,
    round_option,
    with_state,
)
from congress.errors import CongressError

# The counting service brings the ballot reader and the PDF printer: each command imports it
# when it runs, so that `congress --help` and the other commands start fast.

SCAN_SUFFIXES = {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".pdf"}
FAILED = "failed"  # the sub-folder a refused file is moved to, as the scanner station's


@click.group("count")
def count() -> None:
    """Count a ballot round: scans in, reconciliation, close (decisions are made on the pages)."""


@count.command("open")
@election_option
@click.option("--member", "members", multiple=True, required=True, help="Repeat per member.")
@click.option("--issued", type=int, required=True)
@click.option("--collected", type=int, required=True)
@click.option("--no-two-person", is_flag=True, help="A decision counts without confirmation.")
@click.option(
    "--excused",
    type=int,
    default=None,
    help="Delegates absent for reasons the congress accepts (Art. 30's threshold base).",
)
@with_state
def open_command(
    state: CliState,
    election_id: int,
    members: tuple[str, ...],
    issued: int,
    collected: int,
    no_two_person: bool,
    excused: int | None,
) -> None:
    """Open the count of the election's current round."""
    from ballots.counting import counts
    from ballots.elections import get_election

    with state.database().session() as session:
        opened = counts.open_count(
            session,
            get_election(session, election_id),
            members=list(members),
            issued=issued,
            collected=collected,
            two_person_rule=not no_two_person,
            actor=CLI_ACTOR,
            excused=excused,
        )
        click.echo(f"count {opened.id} open")


def _files(paths: tuple[Path, ...]) -> list[Path]:
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(
                p for p in path.iterdir() if p.is_file() and p.suffix.lower() in SCAN_SUFFIXES
            )
        else:
            found.append(path)
    return found


def set_aside(path: Path, reason: str) -> Path:
    """Move a refused file into failed/ beside it, its reason in `<name>.txt`, as the scanner
    station does: the folder is left with what is still to count, and a run again skips it."""
    folder = path.parent / FAILED
    folder.mkdir(exist_ok=True)
    target = folder / path.name
    n = 2
    while target.exists():  # a scanner reuses names: never overwrite an earlier refusal
        target = folder / f"{path.stem}-{n}{path.suffix}"
        n += 1
    # The reason first, then the move: a file in failed/ always has its reason.
    target.with_name(target.name + ".txt").write_text(reason + "\n", encoding="utf-8")
    path.replace(target)
    return target


@count.command("scan")
@election_option
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--station", default="cli", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON answer per file (JSON Lines).")
@with_state
def scan_command(
    state: CliState, election_id: int, paths: tuple[Path, ...], station: str, as_json: bool
) -> None:
    """Read and record scanned ballots (files, or folders of PNG/JPEG/TIFF/PDF): one per file.

    Each file stands alone: one that cannot be read, or is beyond the limits, is reported on
    one line and moved to failed/ beside it with its reason in failed/NAME.txt; the others are
    counted. Exits 1 when a file was refused.
    """
    from ballots.counting import counts, intake
    from ballots.elections import get_election
    from ballots.reading.bounds import ImageFileError

    contexts = intake.ContextCache(1)  # every file is of the same round
    db = state.database()
    with db.session() as session:
        count_id = counts.find_count(session, get_election(session, election_id)).id
    failed = 0
    for path in _files(paths):
        answer: dict[str, Any]
        try:
            try:
                data = path.read_bytes()
            except OSError as exc:
                raise CongressError(
                    "unreadable_file", "%(file)s cannot be read: %(reason)s",
                    file=path.name, reason=exc.strerror or str(exc),
                ) from exc  # fmt: skip
            answer = intake.receive(
                db, count_id, data, path.name, CLI_ACTOR, station, contexts=contexts
            ).to_dict()
        except CongressError as exc:
            if exc.code == "count_closed":
                raise
            failed += 1
            message = exc.translated(state.gettext)
            answer = {"file": path.name, "error": {"code": exc.code, "message": message}}
            if isinstance(exc, ImageFileError):
                try:
                    answer["moved_to"] = str(set_aside(path, message))
                except OSError:
                    pass  # a read-only folder: the refusal is still reported
        if as_json:
            click.echo(json.dumps(answer, ensure_ascii=False, sort_keys=True))
        elif "error" in answer:
            moved_to = f" -> {answer['moved_to']}" if "moved_to" in answer else ""
            click.echo(f"{path.name}: {answer['error']['message']}{moved_to}", err=True)
        else:
            extra = f" duplicate {answer['duplicate']}" if answer["duplicate"] else ""
            reasons = f" ({', '.join(answer['reasons'])})" if answer["reasons"] else ""
            click.echo(f"{path.name}: {answer['serial'] or '-'} {answer['status']}{reasons}{extra}")
    if failed:
        raise SystemExit(1)


@count.command("status")
@election_option
@round_option
@json_option
@with_state
def status_command(
    state: CliState, election_id: int, round_number: int | None, as_json: bool
) -> None:
    """Reconciliation and running totals."""
    from ballots.counting import counts, results
    from ballots.elections import get_election

    with state.database().session() as session:
        found = counts.find_count(session, get_election(session, election_id), round_number)
        data = results.status_json(session, found)
        zone_name = counts.time_zone_of(session, found)
    if as_json:
        emit_json(data)
        return
    rec = data["reconciliation"]
    closed = data["count"]["closed_at"]
    when = f" at {state.translator().datetime(closed, zone_name)}" if closed else ""
    click.echo(
        f"count {data['count']['id']} {data['count']['state']}{when}: issued {rec['issued']}, "
        f"collected {rec['collected']}, scanned {rec['scanned']}, counted {rec['counted']}, "
        f"awaiting decision {rec['awaiting_decision']}, confirmation "
        f"{rec['awaiting_confirmation']}, duplicates {rec['duplicates']}"
    )
    for c in data["tally"]["candidates"]:
        mark = " *" if c["elected"] else ""
        click.echo(f"  {c['number']:>3}. {c['name']}: {c['votes']} ({c['percentage']}%){mark}")


@count.command("close")
@election_option
@click.option("--explanation", default="", help="Why issued/collected/scanned/counted differ.")
@with_state
def close_command(state: CliState, election_id: int, explanation: str) -> None:
    """Close and lock the count, then write its signed audit bundle (root hash printed)."""
    from ballots.counting import closing, counts
    from ballots.elections import get_election

    db = state.database()
    with db.write_session() as session:
        found = counts.find_count(session, get_election(session, election_id))
        locked = counts.lock(session, found.id)
        closing.close_count(session, locked, explanation, CLI_ACTOR)
        count_id, closed_at = locked.id, locked.closed_at
        when = state.translator().datetime(closed_at, counts.time_zone_of(session, locked))
    root = closing.seal_count(db, count_id)
    click.echo(f"count {count_id} closed at {when}; audit bundle root {root}")
