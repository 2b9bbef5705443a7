"""The scanner station: a watched folder of scanned ballots, read here, counted exactly once.

A sheet-fed scanner saves one file per ballot into the watched folder. The station waits until
a file is complete, claims it (an atomic rename into its own work folder, so two stations on
one folder never take the same file), reads it with the ballot reader (the heavy OpenCV work
happens here, not on the server), sends image and reading to the server's station API, and
moves it to done/ or failed/ (with the reason beside it).

Exactly once: every step is written to a local journal (SQLite) BEFORE the file moves on, and
the server stores an image once per count (idempotent by its SHA-256). A station killed at any
moment and started again finds each file where it left it and its state in the journal, and
resumes: a file read but not sent is sent; a file sent whose answer was lost is sent again and
the server answers "already have it"; a file sent and journalled is moved.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import signal
import sqlite3
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from congress.errors import CongressError, reply_message
from congress.i18n import N_, Translator, translator
from congress.limits import Limits

if TYPE_CHECKING:
    from ballots.reading.context import ContextDescription
    from ballots.reading.reader import ReadingContext

EXTENSIONS = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".pdf")
JOURNAL_NAME = ".congress-station.sqlite"


@dataclass(frozen=True)
class StationSettings:
    """Timings of the station; the first two are command-line options."""

    # A file whose size and modification time stayed the same this long is complete: scanners
    # write a page in well under a second, and a half-written file must never be read.
    settle_seconds: float = 1.0
    poll_seconds: float = 0.5
    # A file unchanged this long (by its modification time) that does not open as an image is
    # not one; a younger one may still be in the scanner's hands.
    unreadable_seconds: float = 10.0
    retry_seconds: float = 2.0  # first wait after the server did not answer; doubles
    max_retry_seconds: float = 30.0
    connect_timeout: float = 5.0
    request_timeout: float = 120.0  # a 600 dpi colour TIFF on a slow network
    progress_seconds: float = 5.0  # plain progress line when the output is not a terminal


# --- the journal -------------------------------------------------------------------------------

STATES = ("seen", "read", "uploaded", "failed")


class Journal:
    """What the station knows about each file, by its SHA-256; shared by stations on a folder."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._db = sqlite3.connect(str(path), timeout=60, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")  # a power cut must not lose a step
        self._db.executescript(
            """
            CREATE TABLE IF NOT EXISTS files (
                sha256 TEXT PRIMARY KEY, name TEXT NOT NULL, path TEXT NOT NULL,
                station TEXT NOT NULL, state TEXT NOT NULL, reading TEXT, reason TEXT,
                ballot_id INTEGER, status TEXT, duplicate TEXT,
                seen_at TEXT NOT NULL, updated_at TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS config (key TEXT PRIMARY KEY, value TEXT NOT NULL);
            """
        )

    def close(self) -> None:
        self._db.close()

    def get(self, sha: str) -> dict[str, Any] | None:
        cursor = self._db.execute("SELECT * FROM files WHERE sha256 = ?", (sha,))
        row = cursor.fetchone()
        if row is None:
            return None
        return dict(zip([c[0] for c in cursor.description], row, strict=True))

    def seen(self, sha: str, name: str, path: Path, station: str) -> dict[str, Any]:
        now = _now()
        self._db.execute(
            "INSERT OR IGNORE INTO files (sha256, name, path, station, state, seen_at, updated_at)"
            " VALUES (?, ?, ?, ?, 'seen', ?, ?)",
            (sha, name, str(path), station, now, now),
        )
        row = self.get(sha)
        assert row is not None
        return row

    def update(self, sha: str, state: str, **values: Any) -> None:
        assert state in STATES
        columns = ", ".join(f"{k} = ?" for k in values)
        sql = f"UPDATE files SET state = ?, updated_at = ?{', ' if values else ''}{columns}"
        self._db.execute(sql + " WHERE sha256 = ?", (state, _now(), *values.values(), sha))

    def moved(self, sha: str, path: Path) -> None:
        self._db.execute("UPDATE files SET path = ? WHERE sha256 = ?", (str(path), sha))

    def pending(self, station: str) -> list[dict[str, Any]]:
        """Files this station read and has not sent yet, oldest first."""
        cursor = self._db.execute(
            "SELECT * FROM files WHERE station = ? AND state = 'read' ORDER BY seen_at, sha256",
            (station,),
        )
        names = [c[0] for c in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def counts(self, station: str | None = None) -> dict[str, int]:
        where, args = ("WHERE station = ?", (station,)) if station else ("", ())
        out = {state: 0 for state in STATES}
        for state, n in self._db.execute(
            f"SELECT state, count(*) FROM files {where} GROUP BY state", args
        ):
            out[state] = n
        review = self._db.execute(
            f"SELECT count(*) FROM files {where} {'AND' if where else 'WHERE'}"
            " state = 'uploaded' AND status IN ('review', 'rejected')",
            args,
        ).fetchone()[0]
        out["review"] = int(review)
        return out

    def save_config(self, key: str, value: dict[str, Any]) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO config VALUES (?, ?)",
            (key, json.dumps(value, ensure_ascii=False)),
        )

    def config(self, key: str) -> dict[str, Any] | None:
        row = self._db.execute("SELECT value FROM config WHERE key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row else None


def _now() -> str:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None).isoformat(timespec="microseconds")


# --- where ballots are counted: a server, or this laptop's own database --------------------------


@dataclass(frozen=True)
class Sent:
    """The counting side's answer for one file.

    kind: "stored" (counted, or already there), "wait" (unreachable, or no open count: try
    again later), "refused" (this file will never be taken: it goes to failed/).
    """

    kind: str
    message: str = ""
    ballot_id: int | None = None
    status: str | None = None
    duplicate: str | None = None


class Counting(Protocol):
    def description(self) -> ContextDescription: ...

    def send(
        self, data: bytes, name: str, reading: str, station: str, source: Path | None = None
    ) -> Sent: ...

    def close(self) -> None: ...


class StationError(Exception):
    """The station cannot go on (wrong token, unknown election...): a message for the operator."""


UNREACHABLE = N_("The server does not answer: ballots are read and kept, and sent when it is back")
NO_CONFIG = N_(
    "Cannot reach the server and this station has no saved copy of the election's ballot "
    "layout: connect it once before counting"
)


class ServerCounting:
    """The station API of a congress server (bearer token with the counting role)."""

    def __init__(
        self,
        server: str,
        token: str,
        election: int,
        journal: Journal,
        tr: Translator,
        settings: StationSettings,
    ) -> None:
        import httpx

        self.election = election
        self.journal = journal
        self.tr = tr
        self._http = httpx.Client(
            base_url=server.rstrip("/"),
            headers={"authorization": f"Bearer {token}", "accept-language": tr.lang},
            timeout=httpx.Timeout(settings.request_timeout, connect=settings.connect_timeout),
        )

    def description(self) -> ContextDescription:
        import httpx

        key = f"station:{self.election}"
        try:
            reply = self._http.get(f"/api/elections/{self.election}/station")
        except httpx.HTTPError:
            reply = None
        if reply is not None and reply.status_code != 200 and reply.status_code < 500:
            raise StationError(reply_message(reply))
        if reply is not None and reply.status_code == 200:
            self.journal.save_config(key, reply.json())
        config = self.journal.config(key)
        if config is None:
            raise StationError(self.tr.gettext(NO_CONFIG))
        # The reader brings OpenCV: loaded when the station starts reading, not with the CLI.
        from ballots.reading.context import ContextDescription

        return ContextDescription.from_dict(config)

    def send(
        self, data: bytes, name: str, reading: str, station: str, source: Path | None = None
    ) -> Sent:
        import httpx

        try:
            reply = self._http.post(
                f"/api/elections/{self.election}/ballots",
                files={"image": (name, data, "application/octet-stream")},
                data={"reading": reading, "station": station},
            )
        except httpx.HTTPError:
            return Sent("wait", self.tr.gettext(UNREACHABLE))
        if reply.status_code in (200, 201):
            body = reply.json()
            return Sent(
                "stored", "", body.get("ballot_id"), body.get("status"), body.get("duplicate")
            )
        if reply.status_code >= 500 or reply.status_code == 409:
            # 409: no count open yet, or closed: the committee decides; the file waits.
            return Sent("wait", reply_message(reply))
        if reply.status_code in (401, 403, 404):
            raise StationError(reply_message(reply))
        return Sent("refused", reply_message(reply))

    def close(self) -> None:
        self._http.close()


class LocalCounting:
    """This laptop's own database: a one-laptop congress with no server."""

    def __init__(self, db: Any, election: int, tr: Translator, actor: str) -> None:
        self.db = db
        self.election = election
        self.tr = tr
        self.actor = actor

    def _count_id(self) -> int:
        from ballots.counting import counts
        from ballots.elections import get_election

        with self.db.session() as session:
            count = counts.find_count(session, get_election(session, self.election))
            counts.ensure_open(count)
            return int(count.id)

    def description(self) -> ContextDescription:
        from ballots.elections import current_round, get_election, read_description

        with self.db.session() as session:
            election = get_election(session, self.election)
            return read_description(election, current_round(election).number)

    def send(
        self, data: bytes, name: str, reading: str, station: str, source: Path | None = None
    ) -> Sent:
        """Counted here; the file (`source`) is linked into the file store, not copied: the
        scans in done/ and the store's images are one copy on disk."""
        from ballots.counting import intake

        try:
            received = intake.receive(
                self.db, self._count_id(), data, name, self.actor, station, json.loads(reading),
                source=source,
            )  # fmt: skip
        except CongressError as exc:
            if exc.status == 409 or exc.code in ("no_open_count", "count_closed"):
                return Sent("wait", exc.translated(self.tr.gettext))
            if exc.status in (404,):
                raise StationError(exc.translated(self.tr.gettext)) from exc
            return Sent("refused", exc.translated(self.tr.gettext))
        return Sent("stored", "", received.ballot_id, received.status, received.duplicate)

    def close(self) -> None:
        pass


# --- reading: in this process, or in a pool of reader processes --------------------------------


@dataclass(frozen=True)
class ReadResult:
    """What reading one file gave: its reading (JSON) and status, or why it cannot be read."""

    reading: str | None = None
    status: str | None = None
    refusal: str | None = None  # the file is not an image the reader can open, in words


def read_scan(
    context: ReadingContext, data: bytes, name: str, sha: str, limits: Limits, tr: Translator
) -> ReadResult:
    """Read one file as one ballot (all its pages): the heavy work, in whichever process."""
    from ballots.reading.imageio import ImageFileError, load_bytes
    from ballots.reading.reader import read_ballot

    try:
        # Pages and pixels are checked before decoding: a hostile file is refused, not read.
        scanned = load_bytes(data, name, limits=limits)
    except ImageFileError as exc:
        return ReadResult(refusal=exc.translated(tr.gettext))
    reading = read_ballot(list(scanned.pages), context, file=name, sha256=sha)
    return ReadResult(reading.to_json(), reading.status)


_WORKER: tuple[ReadingContext, Limits, Translator] | None = None


def _start_reader(described: ContextDescription, limits: Limits, lang: str, parent: int) -> None:
    """A reader process: the context built once; Ctrl-C is the station's to handle (it lets
    the files in hand finish); it ends when the station does, even by kill -9."""
    # No cv2.setNumThreads here: in a process forked from one that used OpenCV's threads, it
    # waits for ever on a lock of the parent's thread pool.
    global _WORKER
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def orphaned() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=orphaned, daemon=True).start()
    _WORKER = (described.build(), limits, translator(lang))


def _read_in_worker(data: bytes, name: str, sha: str) -> ReadResult:
    assert _WORKER is not None
    return read_scan(_WORKER[0], data, name, sha, *_WORKER[1:])


class Readers:
    """Where the station reads: in its own process (one worker), or a pool of `workers`
    processes, each with the election's context built once, while the station sends."""

    def __init__(self, workers: int, limits: Limits, tr: Translator) -> None:
        self.workers = max(1, workers)
        self.limits = limits
        self.tr = tr
        self._described: ContextDescription | None = None
        self._context: ReadingContext | None = None
        self._pool: ProcessPoolExecutor | None = None

    def start(self, described: ContextDescription) -> None:
        self._described = described
        if self.workers == 1:
            self._context = described.build()
            return
        import multiprocessing

        self._pool = ProcessPoolExecutor(
            max_workers=self.workers,
            # fork: a reader starts at once, with the reader's modules already loaded
            mp_context=multiprocessing.get_context("fork"),
            initializer=_start_reader,
            initargs=(described, self.limits, self.tr.lang, os.getpid()),
        )

    @property
    def started(self) -> bool:
        return self._described is not None

    def submit(self, data: bytes, name: str, sha: str) -> Future[ReadResult]:
        if self._pool is not None:
            return self._pool.submit(_read_in_worker, data, name, sha)
        assert self._context is not None
        future: Future[ReadResult] = Future()
        try:
            future.set_result(read_scan(self._context, data, name, sha, self.limits, self.tr))
        except Exception as exc:  # raised again where the result is taken, as from a pool
            future.set_exception(exc)
        return future

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


# --- the station -------------------------------------------------------------------------------


class Progress(Protocol):
    def event(self, text: str) -> None: ...

    def update(self, figures: dict[str, Any]) -> None: ...


@dataclass(frozen=True)
class _InHand:
    """A file being read: where it is, its bytes and their SHA-256."""

    path: Path
    data: bytes
    sha: str


class Station:
    """One station on one watched folder; `step()` does one pass, `run()` loops.

    With several workers, up to two files per worker are read at once in the pool while this
    process journals, sends and moves the ones read: every file goes through the same journalled
    steps, in the same order, as with one.
    """

    def __init__(
        self,
        watch: Path,
        counting: Counting,
        journal: Journal,
        name: str,
        tr: Translator,
        progress: Progress,
        settings: StationSettings = StationSettings(),
        limits: Limits = Limits(),
        workers: int = 1,
    ) -> None:
        self.watch = watch
        self.limits = limits
        self.counting = counting
        self.journal = journal
        self.name = name
        self.tr = tr
        self.progress = progress
        self.settings = settings
        safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in name)[:60] or "station"
        self.work = watch / f".work-{safe}"
        self.done = watch / "done"
        self.failed = watch / "failed"
        for folder in (self.work, self.done, self.failed):
            folder.mkdir(exist_ok=True)
        self.readers = Readers(workers, limits, tr)
        self._reading: dict[Future[ReadResult], _InHand] = {}
        self._sizes: dict[str, tuple[int, int, float]] = {}
        self._retry_at = 0.0
        self._retry_wait = settings.retry_seconds
        self.waiting_reason = ""
        self._stopping = False
        self.started = time.monotonic()
        self.read_now = 0  # files read by this run, for the rate

    def start(self) -> None:
        """Fetch the election (or its saved copy) and start the readers, before the first file."""
        if not self.readers.started:
            self.readers.start(self.counting.description())

    @property
    def capacity(self) -> int:
        """Files read at once: two per worker keep each busy while the others are sent."""
        return 1 if self.readers.workers == 1 else 2 * self.readers.workers

    # --- finding complete files -------------------------------------------------------------

    def complete_files(self, now: float) -> list[Path]:
        """Files of the watched folder whose size and time have settled, oldest first."""
        ready = []
        present = set()
        try:
            entries = list(os.scandir(self.watch))
        except FileNotFoundError:
            return []
        for entry in entries:
            if not entry.is_file() or entry.name.startswith((".", "~")):
                continue
            if not entry.name.lower().endswith(EXTENSIONS):
                continue
            try:
                stat = entry.stat()
            except FileNotFoundError:
                continue
            present.add(entry.name)
            signature = (stat.st_size, stat.st_mtime_ns)
            previous = self._sizes.get(entry.name)
            if previous is None or previous[:2] != signature:
                self._sizes[entry.name] = (*signature, now)
                continue
            if now - previous[2] < self.settings.settle_seconds:
                continue
            # An empty file is a scanner that has not written yet, until it is old enough to be
            # one that never will: then it is taken, and refused with its reason like any other.
            if stat.st_size > 0 or time.time() - stat.st_mtime >= self.settings.unreadable_seconds:
                ready.append((stat.st_mtime_ns, entry.name))
        for gone in set(self._sizes) - present:
            del self._sizes[gone]
        return [self.watch / name for _, name in sorted(ready)]

    def claim(self, path: Path) -> Path | None:
        """Move a file into this station's work folder; None when another station took it."""
        target = _free_name(self.work, path.name)
        try:
            os.rename(path, target)
        except FileNotFoundError:
            return None
        self._sizes.pop(path.name, None)
        return target

    # --- one file ---------------------------------------------------------------------------

    def handle(self, path: Path, now: float) -> None:
        """Take a claimed file as far as it goes now: read it (or hand it to a reader), send
        it, move it."""
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return
        sha = hashlib.sha256(data).hexdigest()
        if any(hand.sha == sha for hand in self._reading.values()):
            return  # the same bytes under another name are being read: its turn comes after
        # The same bytes under another name (a file copied twice) share the row: the server
        # stores the image once, and each copy ends in done/ once the image is stored.
        row = self.journal.get(sha)
        if row is None:
            row = self.journal.seen(sha, _original_name(path), path, self.name)
        if row["state"] == "seen":
            if not self._stopping:
                future = self.readers.submit(data, _original_name(path), sha)
                self._reading[future] = _InHand(path, data, sha)
                self.collect()  # at once when read in this process
            return
        self._onwards(path, data, row, now)

    def _onwards(self, path: Path, data: bytes, row: dict[str, Any], now: float) -> None:
        """Send a file read, move a file sent or refused."""
        if row["state"] == "read" and now >= self._retry_at:
            self._send(path, data, row)
            got = self.journal.get(row["sha256"])
            assert got is not None
            row = got
        if row["state"] in ("uploaded", "failed"):
            self._finish(path, row)

    def collect(self, timeout: float = 0.0) -> bool:
        """Journal the readings that are back (waiting up to `timeout` for the first), then send
        and move their files; True when one came back."""
        if not self._reading:
            return False
        finished, _ = wait(list(self._reading), timeout=timeout, return_when=FIRST_COMPLETED)
        for future in sorted(finished, key=lambda f: str(self._reading[f].path)):
            hand = self._reading.pop(future)
            result = future.result()
            if result.refusal is not None:
                try:
                    age = time.time() - hand.path.stat().st_mtime
                except FileNotFoundError:
                    continue
                if age < self.settings.unreadable_seconds:
                    continue  # perhaps still being written after all: look again later
                self.journal.update(hand.sha, "failed", reason=result.refusal)
            else:
                self.journal.update(hand.sha, "read", reading=result.reading, status=result.status)
                self.read_now += 1
            row = self.journal.get(hand.sha)
            assert row is not None
            self._onwards(hand.path, hand.data, row, time.monotonic())
        return bool(finished)

    def _send(self, path: Path, data: bytes, row: dict[str, Any]) -> None:
        sent = self.counting.send(data, row["name"], row["reading"], self.name, path)
        if sent.kind == "wait":
            self._retry_at = time.monotonic() + self._retry_wait
            self._retry_wait = min(self._retry_wait * 2, self.settings.max_retry_seconds)
            if sent.message != self.waiting_reason:
                self.progress.event(sent.message)
            self.waiting_reason = sent.message
            return
        self._retry_wait = self.settings.retry_seconds
        self._retry_at = 0.0
        self.waiting_reason = ""
        if sent.kind == "stored":
            self.journal.update(
                row["sha256"],
                "uploaded",
                ballot_id=sent.ballot_id,
                status=sent.status,
                duplicate=sent.duplicate,
            )
        else:
            self.journal.update(row["sha256"], "failed", reason=sent.message)

    def _finish(self, path: Path, row: dict[str, Any]) -> None:
        name = _original_name(path)
        if row["state"] == "uploaded":
            target = _free_name(self.done, name)
            os.replace(path, target)
            self.journal.moved(row["sha256"], target)
            detail = row["status"] or ""
            if row["duplicate"] == "serial":
                detail += " · " + self.tr.gettext("same serial as an earlier ballot")
            self.progress.event(f"done  {name}  {detail}  #{row['ballot_id']}")
        else:
            target = _free_name(self.failed, name)
            reason = str(row["reason"] or "")
            # The reason first, then the move: a file in failed/ always has its reason.
            target.with_name(target.name + ".txt").write_text(reason + "\n", encoding="utf-8")
            os.replace(path, target)
            self.journal.moved(row["sha256"], target)
            self.progress.event(f"failed  {name}  {reason}")

    # --- the loop -----------------------------------------------------------------------------

    def step(self) -> bool:
        """One pass; True when something was done (a file read, sent or moved) or is being read."""
        now = time.monotonic()
        before = self.journal.counts(self.name)
        in_hand = {hand.path for hand in self._reading.values()}
        for path in sorted(self.work.iterdir()):
            if path.is_file() and path not in in_hand:
                self.handle(path, now)
        self.collect()
        for path in self.complete_files(now):
            if self._stopping or len(self._reading) >= self.capacity:
                break
            claimed = self.claim(path)
            if claimed is not None:
                self.handle(claimed, time.monotonic())
                self.report()
        # The pool is full, or the folder has no more: wait for a reader to give a file back.
        self.collect(timeout=self.settings.poll_seconds)
        self.report()
        return bool(self._reading) or self.journal.counts(self.name) != before

    def idle(self) -> bool:
        """Nothing left: no file in the folder or in hand."""
        if any(p.is_file() for p in self.work.iterdir()):
            return False
        return not any(
            e.is_file()
            and not e.name.startswith((".", "~"))
            and e.name.lower().endswith(EXTENSIONS)
            for e in os.scandir(self.watch)
        )

    def figures(self) -> dict[str, Any]:
        counts = self.journal.counts(self.name)
        elapsed = max(time.monotonic() - self.started, 1e-6)
        in_folder = sum(
            1
            for e in os.scandir(self.watch)
            if e.is_file()
            and not e.name.startswith((".", "~"))
            and e.name.lower().endswith(EXTENSIONS)
        )
        return {
            "seen": sum(counts[s] for s in STATES) + in_folder,
            "read": counts["read"] + counts["uploaded"],
            "uploaded": counts["uploaded"],
            "waiting": counts["read"],
            "review": counts["review"],
            "failed": counts["failed"],
            "rate": self.read_now / elapsed,
            "note": self.waiting_reason,
        }

    def report(self) -> None:
        self.progress.update(self.figures())

    def stop(self) -> None:
        """Stop once the files in hand are finished (moved and reported), not half-way."""
        self._stopping = True

    def run(self, until_idle: bool = False) -> None:
        self.start()
        try:
            while not self._stopping:
                busy = self.step()
                if until_idle and not self._reading and self.idle():
                    return
                if not busy:
                    time.sleep(self.settings.poll_seconds)
            while self._reading:  # stopping: the files being read are sent and moved
                self.collect(timeout=self.settings.poll_seconds)
        finally:
            self.readers.close()


def _original_name(path: Path) -> str:
    return path.name


def _free_name(folder: Path, name: str) -> Path:
    """`folder/name`, or `name-2`, `name-3`... when a scanner reused the name."""
    target = folder / name
    stem, suffix = os.path.splitext(name)
    n = 2
    while target.exists():
        target = folder / f"{stem}-{n}{suffix}"
        n += 1
    return target


# --- the progress display ----------------------------------------------------------------------

# figure -> its label (the column header on a terminal)
LABELS = {
    "seen": N_("seen"),
    "read": N_("read"),
    "uploaded": N_("sent"),
    "waiting": N_("waiting to be sent"),
    "review": N_("to review"),
    "failed": N_("failed"),
}


class LineProgress:
    """Plain lines (logs, pipes, tests): every event, and the figures every few seconds."""

    def __init__(self, echo: Callable[[str], Any], tr: Translator, every: float) -> None:
        self.echo = echo
        self.tr = tr
        self.every = every
        self._last = 0.0
        self._figures: dict[str, Any] = {}

    def event(self, text: str) -> None:
        self.echo(text)

    def update(self, figures: dict[str, Any]) -> None:
        self._figures = figures
        now = time.monotonic()
        if now - self._last >= self.every:
            self._last = now
            self.echo(self.line(figures))

    def line(self, f: dict[str, Any]) -> str:
        parts = [f"{self.tr.gettext(label)} {f[key]}" for key, label in LABELS.items()]
        return " · ".join([*parts, f"{f['rate']:.2f}/s"])

    def close(self) -> None:
        if self._figures:
            self.echo(self.line(self._figures))


class RichProgress(LineProgress):
    """A live panel on a terminal (rich), events scrolling above it."""

    def __init__(self, tr: Translator) -> None:
        from rich.console import Console
        from rich.live import Live

        super().__init__(lambda s: None, tr, 0)
        self.console = Console()
        self.live = Live(console=self.console, refresh_per_second=4, transient=False)
        self.live.start()

    def event(self, text: str) -> None:
        self.live.console.print(text)

    def update(self, figures: dict[str, Any]) -> None:
        from rich.table import Table

        self._figures = figures
        tr = self.tr
        table = Table(show_header=True, header_style="bold")
        for label in LABELS.values():
            table.add_column(tr.gettext(label), justify="right")
        table.add_column(tr.gettext("ballots/s"), justify="right")
        table.add_row(*(str(figures[k]) for k in LABELS), f"{figures['rate']:.2f}")
        if figures.get("note"):
            table.caption = figures["note"]
        self.live.update(table)

    def close(self) -> None:
        self.live.stop()
