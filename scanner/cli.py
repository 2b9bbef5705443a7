"""`congress checkin ...`: open and close a sitting's doors, and the attendance report."""

from __future__ import annotations

import signal
import socket
import sys
from collections.abc import Callable
from os import cpu_count
from pathlib import Path
from typing import Any, TypeVar

import click
from sqlalchemy import ColumnElement, String

from ballots.models import CountedBallot
from congress import congresses
from congress.attendance import attendance
from congress.cli_frame import (
    CLI_ACTOR,
    CliState,
    congress_option,
    election_option,
    emit_json,
    fail,
    lang_option,
    output_translator,
    refusals,
    sitting_option,
    with_state,
)
from congress.limits import Limits
from scanner import attendance as att
from scanner.checkin import get_sitting, set_doors
from scanner.models import Scan
from scanner.station import (
    Counting,
    Journal,
    LineProgress,
    LocalCounting,
    RichProgress,
    ServerCounting,
    Station,
    StationError,
    StationSettings,
)

# The camera gate brings the image libraries: it is imported when its command runs, so that
# `congress --help` and the other commands start fast.

F = TypeVar("F", bound=Callable[..., Any])


def _width(column: ColumnElement[Any]) -> int:
    """How many characters the column a name is stored in holds."""
    kind = column.type
    assert isinstance(kind, String) and kind.length is not None
    return kind.length


GATE_NAME_LENGTH = _width(Scan.__table__.c.gate)
STATION_NAME_LENGTH = _width(CountedBallot.__table__.c.station)


def _at_most(length: int) -> Callable[[click.Context, click.Parameter, str | None], str | None]:
    """Refuses a name given longer than its column, rather than storing a cut one."""

    def check(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
        if value is not None and len(value) > length:
            raise click.BadParameter(f"at most {length} characters, not {len(value)}")
        return value

    return check


@click.group("checkin")
def checkin() -> None:
    """Check-in at the door: sittings' doors and attendance."""


def _doors(state: CliState, slug: str, number: int, open_: bool) -> None:
    with state.database().write_session() as session:
        congress = congresses.get_congress(session, slug)
        sitting = get_sitting(session, congress, number)
        set_doors(session, sitting, open_, CLI_ACTOR)
        title = sitting.title
    click.echo(f"sitting {number} ({title}): check-in {'open' if open_ else 'closed'}")


@checkin.command("open")
@congress_option
@sitting_option
@with_state
def open_command(state: CliState, slug: str, number: int) -> None:
    """Open the doors of a sitting: gates admit delegates to it."""
    _doors(state, slug, number, True)


@checkin.command("close")
@congress_option
@sitting_option
@with_state
def close_command(state: CliState, slug: str, number: int) -> None:
    """Close the doors of a sitting (admissions made are kept)."""
    _doors(state, slug, number, False)


@checkin.command("report")
@congress_option
@sitting_option
@click.option("--format", "fmt", type=click.Choice(["json", "csv", "xlsx", "pdf"]), default="json")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None)
@with_state
def report_command(state: CliState, slug: str, number: int, fmt: str, out: Path | None) -> None:
    """Attendance of a sitting: summoned, present, absent per delegation, and the quorum."""
    tr = state.translator()
    with state.database().session() as session:
        congress = congresses.get_congress(session, slug)
        sitting = get_sitting(session, congress, number)
        report = attendance(session, congress, sitting, with_people=fmt != "json")
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


def _server_options(role: str, required: bool) -> Callable[[F], F]:
    """--server and --token: the congress server a device talks to, and its token for `role`."""
    server = click.option(
        "--server", required=required, help="The congress server, e.g. http://10.0.0.2:8000"
    )
    token = click.option(
        "--token",
        envvar="CONGRESS_TOKEN",
        required=required,
        help=f"API token with the {role} role (or set CONGRESS_TOKEN).",
    )
    return lambda fn: server(token(fn))


@click.command("gate")
@click.option(
    "--camera",
    "source",
    default="0",
    show_default=True,
    help="Webcam device index, or a video file to play through the gate.",
)
@_server_options("checkin", required=True)
@congress_option
@sitting_option
@click.option(
    "--gate",
    "gate_name",
    default=None,
    callback=_at_most(GATE_NAME_LENGTH),
    help=f"This gate's name, up to {GATE_NAME_LENGTH} characters (default: camera@host).",
)
@click.option("--headless", is_flag=True, help="Print verdicts as lines instead of a window.")
@click.option(
    "--debounce",
    type=float,
    default=4.0,
    show_default=True,
    help="Seconds the same badge is ignored after it was last seen.",
)
@click.option(
    "--state",
    "state_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="The gate's state file (register copy, offline queue).",
)
@lang_option
@click.option("--size", default="1280x720", show_default=True, help="Camera resolution.")
def gate_command(
    source: str,
    server: str,
    token: str,
    slug: str,
    number: int,
    gate_name: str | None,
    headless: bool,
    debounce: float,
    state_path: Path | None,
    lang: str | None,
    size: str,
) -> None:
    """A webcam at the door: read badge QRs, check delegates in, show the verdict large."""
    from scanner.camera_gate import (
        CameraGate,
        CameraGateSettings,
        GateError,
        GateStore,
        Screen,
        has_display,
        open_camera,
        run,
    )

    tr = output_translator(lang)
    try:
        width, height = (int(v) for v in size.lower().split("x"))
    except ValueError:
        raise click.BadParameter("WIDTHxHEIGHT, e.g. 1280x720", param_hint="--size") from None
    settings = CameraGateSettings(debounce_seconds=debounce)
    # A name nobody chose may be cut to fit: a long host name must not stop the gate.
    name = gate_name or f"camera@{socket.gethostname()}"[:GATE_NAME_LENGTH]
    store = GateStore(state_path or Path(f"congress-gate-{slug}.sqlite"))
    gate = CameraGate(
        server=server,
        token=token,
        slug=slug,
        sitting=number,
        gate=name,
        store=store,
        tr=tr,
        settings=settings,
    )
    try:
        with refusals(tr.gettext, GateError):
            fresh = gate.load_register()
            if not fresh:
                click.echo(tr.gettext("No network: scans are kept and sent later"))
            gate.sync()
            capture, is_file = open_camera(source, (width, height))
            window = not headless and has_display()
            if window:
                import cv2

                try:
                    cv2.namedWindow("congress gate", cv2.WINDOW_NORMAL)
                except cv2.error:
                    window = False  # an OpenCV built without a GUI (opencv-python-headless)
                    click.echo(
                        tr.gettext("No window can be shown here: verdicts are printed as lines")
                    )
            screen = Screen(window, settings, click.echo)
            try:
                run(gate, capture, is_file, screen, settings)
            except KeyboardInterrupt:
                pass
            finally:
                capture.release()
            gate.sync()
            left = store.queue_length(slug)
            summary = ", ".join(f"{code} {n}" for code, n in sorted(gate.counts.items()))
            click.echo(f"{summary or '0'}; {tr.gettext('waiting to be sent')}: {left}")
    finally:
        gate.close()
        store.close()


@click.command("station")
@_server_options("counting", required=False)
@click.option("--local", is_flag=True, help="Count into this laptop's database (no server).")
@election_option
@click.option(
    "--watch",
    "watch",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="The folder the scanner saves its files into.",
)
@click.option(
    "--journal",
    "journal_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="The station's journal (default: DIR/.congress-station.sqlite).",
)
@click.option(
    "--name",
    "station_name",
    default=None,
    callback=_at_most(STATION_NAME_LENGTH),
    help=f"This station's name, up to {STATION_NAME_LENGTH} characters (default: host).",
)
@click.option(
    "--settle",
    type=float,
    default=1.0,
    show_default=True,
    help="Seconds a file must stay unchanged before it is read.",
)
@click.option(
    "--until-idle", is_flag=True, help="Stop when the folder is empty and every ballot is sent."
)
@click.option(
    "--max-retry",
    type=float,
    default=30.0,
    show_default=True,
    help="Longest wait between attempts while the server does not answer.",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=None,
    help="Processes that read ballots at once (default: one per core).",
)
@lang_option
@click.pass_context
def station_command(
    ctx: click.Context,
    server: str | None,
    token: str | None,
    local: bool,
    election_id: int,
    watch: Path,
    journal_path: Path | None,
    station_name: str | None,
    settle: float,
    until_idle: bool,
    max_retry: float,
    workers: int | None,
    lang: str | None,
) -> None:
    """Read the ballots a scanner saves into a folder and count each exactly once."""
    tr = output_translator(lang)
    if local == bool(server):
        raise click.UsageError("give either --server URL (with --token) or --local")
    if server and not token:
        raise click.UsageError("--token (or CONGRESS_TOKEN) is needed with --server")
    if not watch.is_dir():
        fail(tr.gettext("There is no folder %(path)s", path=str(watch)))
    settings = StationSettings(
        settle_seconds=settle, max_retry_seconds=max_retry, retry_seconds=min(2.0, max_retry)
    )
    # A name nobody chose may be cut to fit: a long host name must not stop the station.
    name = station_name or socket.gethostname()[:STATION_NAME_LENGTH]
    journal = Journal(journal_path or watch / ".congress-station.sqlite")
    counting: Counting
    # A station on a server reads with the default bounds; the server checks its own again.
    limits = Limits()
    with refusals(tr.gettext):
        if local:
            state = ctx.find_object(CliState)
            assert state is not None
            counting = LocalCounting(state.database(), election_id, tr, f"{CLI_ACTOR}:{name}")
            limits = state.settings.limits
        else:
            assert server is not None and token is not None
            counting = ServerCounting(server, token, election_id, journal, tr, settings)
    progress: LineProgress = (
        RichProgress(tr) if sys.stdout.isatty() else LineProgress(click.echo, tr, 5.0)
    )
    station = Station(
        watch, counting, journal, name, tr, progress, settings, limits, workers or cpu_count() or 1
    )

    def stop_after_this_file(signum: int, frame: Any) -> None:
        # The first Ctrl-C lets the file in hand be finished and reported; a second one stops
        # at once (the journal still counts every file exactly once when started again).
        station.stop()
        signal.signal(signal.SIGINT, signal.default_int_handler)

    previous = signal.signal(signal.SIGINT, stop_after_this_file)
    try:
        with refusals(tr.gettext, StationError):
            try:
                station.run(until_idle=until_idle)
            except KeyboardInterrupt:
                pass
            finally:
                progress.close()  # before any refusal is printed, or the display hides it
    finally:
        signal.signal(signal.SIGINT, previous)
        counting.close()
    journal.close()
