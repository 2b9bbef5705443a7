"""The camera gate: a laptop webcam at the door reads badge QRs and checks delegates in.

Frames come from OpenCV (a device index or a video file); QR codes are decoded with zxing-cpp
(a few milliseconds a 720p frame, where OpenCV's own detector takes about 80 ms and misses
small symbols: bench/bench_camera_gate.py). Each new badge is posted to the check-in API as
the browser gate does. Without network the gate verifies the signature itself against the
register fetched at start (kept in the state file), queues the scan and sends the queue when
the server answers again; the server counts each scan id once.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import sqlite3
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from badges.token import SETTINGS as TOKEN_SETTINGS
from badges.token import DelegateBadgeState, VerdictCode, decide, verify_badge
from congress.errors import CongressError, reply_message
from congress.i18n import DEFAULT_TIME_ZONE, Translator, local_time
from congress.keys import public_key_from_bytes
from scanner.verdicts import OFFLINE_NOTE, ResultCode, colour_of, refusal_of, shown_message


@dataclass(frozen=True)
class CameraGateSettings:
    """Timings of the camera gate; every one is a command-line option."""

    # The same badge seen again within this many seconds of its last sighting is the same
    # presentation (held up, moved about), not a new scan.
    debounce_seconds: float = 4.0
    request_timeout: float = 3.0  # a gate that waits longer than this is offline
    offline_retry_seconds: float = 10.0  # offline: go straight to the local check this long
    sync_seconds: float = 3.0  # how often the queue is sent while it is not empty
    bootstrap_seconds: float = 60.0  # how often the register (revocations) is refreshed
    result_seconds: float = 3.0  # how long a verdict stays on screen
    batch_size: int = 500  # the API's batch limit


@dataclass
class GateResult:
    """One verdict as the gate shows it: a code of scanner.verdicts (or "error"), colour, message."""

    result: str
    colour: str
    message: str
    delegate: dict[str, Any] | None = None
    offline: bool = False
    scan_id: str = ""
    at: float = field(default_factory=time.time)
    time_zone: str = DEFAULT_TIME_ZONE  # the congress's: the laptop's own zone may be any

    def clock(self) -> str:
        """When the verdict was given, on the congress's clock."""
        when = dt.datetime.fromtimestamp(self.at, dt.UTC)
        return local_time(when, self.time_zone).strftime("%H:%M:%S")

    def line(self) -> str:
        """The headless display: one line per verdict, the code first so scripts can read it."""
        who = ""
        if self.delegate:
            who = f"{self.delegate.get('full_name', '')} ({self.delegate.get('code', '')})"
        parts = [self.clock(), self.result, self.message]
        if who:
            parts.append(who)
        return "  ".join(parts)


def looks_like_badge(text: str) -> bool:
    """A delegate badge token or soft-badge link; the documents QR on the badge is not one."""
    upper = text.strip().upper()
    return upper.startswith(TOKEN_SETTINGS.prefix) or TOKEN_SETTINGS.url_marker.upper() in upper


def decode_qr(frame: np.ndarray) -> list[str]:
    """Texts of every QR code in a frame (BGR or grey), in zxing-cpp's order."""
    import cv2
    import zxingcpp

    grey = frame if frame.ndim == 2 else cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
    found = zxingcpp.read_barcodes(
        grey, formats=zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)
    )
    return [r.text for r in found if r.valid and r.text]


def badge_texts(frame: np.ndarray) -> list[str]:
    return [text for text in decode_qr(frame) if looks_like_badge(text)]


class Debouncer:
    """Lets a badge through once per presentation: again only after `seconds` unseen."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._last_seen: dict[str, float] = {}

    def accept(self, text: str, now: float) -> bool:
        key = text.strip().upper()
        last = self._last_seen.get(key)
        self._last_seen[key] = now
        for old in [k for k, t in self._last_seen.items() if now - t > 4 * self.seconds]:
            del self._last_seen[old]
        return last is None or now - last > self.seconds


class GateStore:
    """The gate's own state file (SQLite): the register copy, the queue, local admissions.

    The queue survives a crash or a closed laptop lid; a scan leaves it only when the server
    has answered it.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(
            """
            CREATE TABLE IF NOT EXISTS bootstrap (slug TEXT PRIMARY KEY, body TEXT NOT NULL,
                fetched_at TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS queue (scan_id TEXT PRIMARY KEY, slug TEXT NOT NULL,
                body TEXT NOT NULL, queued_at TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS admitted (slug TEXT NOT NULL, sitting INTEGER NOT NULL,
                delegate_id INTEGER NOT NULL, gate TEXT NOT NULL, at TEXT NOT NULL,
                PRIMARY KEY (slug, sitting, delegate_id));
            """
        )

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def save_bootstrap(self, slug: str, body: dict[str, Any]) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO bootstrap VALUES (?, ?, ?)",
                (slug, json.dumps(body, ensure_ascii=False), _now_iso()),
            )

    def bootstrap(self, slug: str) -> dict[str, Any] | None:
        with self._lock:
            row = self._db.execute("SELECT body FROM bootstrap WHERE slug = ?", (slug,)).fetchone()
        return json.loads(row[0]) if row else None

    def enqueue(self, slug: str, scan: dict[str, Any]) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR IGNORE INTO queue VALUES (?, ?, ?, ?)",
                (scan["scan_id"], slug, json.dumps(scan, ensure_ascii=False), _now_iso()),
            )

    def queued(self, slug: str, limit: int) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._db.execute(
                "SELECT body FROM queue WHERE slug = ? ORDER BY queued_at, scan_id LIMIT ?",
                (slug, limit),
            ).fetchall()
        return [json.loads(r[0]) for r in rows]

    def queue_length(self, slug: str) -> int:
        with self._lock:
            row = self._db.execute("SELECT count(*) FROM queue WHERE slug = ?", (slug,)).fetchone()
        return int(row[0])

    def dequeue(self, scan_ids: list[str]) -> None:
        with self._lock:
            self._db.executemany("DELETE FROM queue WHERE scan_id = ?", [(s,) for s in scan_ids])

    def remember_admission(self, slug: str, sitting: int, delegate_id: int, gate: str) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR IGNORE INTO admitted VALUES (?, ?, ?, ?, ?)",
                (slug, sitting, delegate_id, gate, _now_iso()),
            )

    def admission(self, slug: str, sitting: int, delegate_id: int) -> tuple[str, str] | None:
        with self._lock:
            row = self._db.execute(
                "SELECT gate, at FROM admitted WHERE slug = ? AND sitting = ? AND delegate_id = ?",
                (slug, sitting, delegate_id),
            ).fetchone()
        return (row[0], row[1]) if row else None


def _now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


class OfflineRegister:
    """The verdict a gate can reach alone: the signature, the register copy, its own admissions."""

    def __init__(self, bootstrap: dict[str, Any]) -> None:
        self.congress_id = int(bootstrap["congress"]["id"])
        # A server older than the zone sent none: its times were the default zone's.
        self.time_zone = str(bootstrap["congress"].get("time_zone") or DEFAULT_TIME_ZONE)
        self.delegates: dict[str, dict[str, Any]] = bootstrap.get("delegates", {})
        raw = bootstrap.get("public_key")
        self.key = public_key_from_bytes(base64.b64decode(raw)) if raw else None

    def verdict(self, text: str) -> tuple[VerdictCode, dict[str, Any] | None, str | None]:
        """(badge verdict, delegate, replaced_at) without the server; admission is the caller's."""
        if self.key is None:
            return "unknown", None, None
        check = verify_badge((self.congress_id, self.key), text)
        person = None
        state = None
        if check.token is not None and check.code == "valid":
            found = self.delegates.get(str(check.token.delegate_id))
            if found is not None:
                person = {"id": check.token.delegate_id, **found}
                replaced = found.get("replaced_at")
                state = DelegateBadgeState(
                    current_version=int(found["version"]),
                    revoked=bool(found["revoked"]),
                    replaced_at=dt.datetime.fromisoformat(replaced) if replaced else None,
                )
        badge = decide(check, state)
        replaced_at = badge.replaced_at.isoformat() if badge.replaced_at else None
        return badge.code, person, replaced_at


class GateError(Exception):
    """The gate cannot run: a message for the operator (already translated)."""


class CameraGate:
    """Scans in, verdicts out: online through the API, offline through the register copy."""

    def __init__(
        self,
        *,
        server: str,
        token: str,
        slug: str,
        sitting: int,
        gate: str,
        store: GateStore,
        tr: Translator,
        settings: CameraGateSettings = CameraGateSettings(),
        transport: Any = None,
    ) -> None:
        import httpx

        self.slug = slug
        self.sitting = sitting
        self.gate = gate
        self.store = store
        self.tr = tr
        self.settings = settings
        headers = {"authorization": f"Bearer {token}", "accept-language": tr.lang}
        self._http = httpx.Client(
            base_url=server.rstrip("/"),
            headers=headers,
            timeout=settings.request_timeout,
            transport=transport,
        )
        self._offline_until = 0.0
        self._register: OfflineRegister | None = None
        self.counts: dict[str, int] = {}

    @property
    def time_zone(self) -> str:
        """The congress's zone, from the register (the default before it is loaded)."""
        return self._register.time_zone if self._register is not None else DEFAULT_TIME_ZONE

    # --- the register -------------------------------------------------------------------------

    def load_register(self) -> bool:
        """Fetch the register (True when fresh from the server), else use the saved copy."""
        import httpx

        fresh = False
        try:
            reply = self._http.get(f"/api/c/{self.slug}/gate/bootstrap")
        except httpx.HTTPError:
            reply = None
        if reply is not None and reply.status_code in (401, 403, 404):
            raise GateError(reply_message(reply))
        if reply is not None and reply.status_code == 200:
            self.store.save_bootstrap(self.slug, reply.json())
            fresh = True
        body = self.store.bootstrap(self.slug)
        if body is None:
            raise GateError(
                self.tr.gettext(
                    "Cannot reach the server and this gate has no saved copy of the register: "
                    "connect it once before the doors open"
                )
            )
        numbers = [s["number"] for s in body.get("sittings", [])]
        if self.sitting not in numbers:
            raise GateError(
                self.tr.gettext(
                    "This congress has no sitting number %(number)s", number=self.sitting
                )
            )
        self._register = OfflineRegister(body)
        return fresh

    # --- one scan -----------------------------------------------------------------------------

    @property
    def online(self) -> bool:
        return time.monotonic() >= self._offline_until

    def _went_offline(self) -> None:
        self._offline_until = time.monotonic() + self.settings.offline_retry_seconds

    def submit(self, text: str) -> GateResult:
        import httpx

        scan_id = uuid.uuid4().hex
        scan: dict[str, Any] = {
            "scan_id": scan_id,
            "sitting": self.sitting,
            "gate": self.gate,
            "method": "camera",
            "text": text,
            "scanned_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }
        if self.online:
            try:
                reply = self._http.post(f"/api/c/{self.slug}/scans", json=scan)
            except httpx.HTTPError:
                reply = None
            if reply is not None and reply.status_code < 500:
                result = self._answer(reply, scan_id)
                self._count(result.result)
                return result
            self._went_offline()
        self.store.enqueue(self.slug, scan)
        result = self._offline(text, scan_id)
        self._count(result.result)
        return result

    def _count(self, code: str) -> None:
        self.counts[code] = self.counts.get(code, 0) + 1

    def _answer(self, reply: Any, scan_id: str) -> GateResult:
        try:
            data = reply.json()
        except ValueError:
            data = {}
        if reply.status_code != 200 or "result" not in data:
            return GateResult(
                "error", "red", reply_message(reply), scan_id=scan_id, time_zone=self.time_zone
            )
        delegate = data.get("delegate")
        if data["result"] == "admitted" and delegate:
            self.store.remember_admission(self.slug, self.sitting, int(delegate["id"]), self.gate)
        return GateResult(
            data["result"],
            data.get("colour") or colour_of(data["result"]),
            data.get("message", ""),
            delegate,
            scan_id=scan_id,
            time_zone=self.time_zone,
        )

    def _offline(self, text: str, scan_id: str) -> GateResult:
        assert self._register is not None, "load_register() first"
        badge, person, replaced_at = self._register.verdict(text)
        code: ResultCode | None = refusal_of(badge)
        admitted_at = admitted_gate = None
        if code is None:
            assert person is not None
            earlier = self.store.admission(self.slug, self.sitting, int(person["id"]))
            if earlier is not None:
                code = "already_admitted"
                admitted_gate, admitted_at = earlier
            else:
                code = "admitted"
                self.store.remember_admission(self.slug, self.sitting, int(person["id"]), self.gate)
        message = shown_message(
            self.tr,
            self.time_zone,
            code,
            admitted_at=admitted_at,
            admitted_gate=admitted_gate,
            replaced_at=replaced_at,
        )
        message = f"{message} · {self.tr.gettext(OFFLINE_NOTE)}"
        return GateResult(
            code,
            colour_of(code),
            message,
            person,
            offline=True,
            scan_id=scan_id,
            time_zone=self.time_zone,
        )

    # --- the queue ----------------------------------------------------------------------------

    def sync(self) -> int:
        """Send queued scans; returns how many the server took. Network errors are quiet."""
        import httpx

        sent = 0
        while True:
            batch = self.store.queued(self.slug, self.settings.batch_size)
            if not batch:
                return sent
            try:
                reply = self._http.post(f"/api/c/{self.slug}/scans/batch", json={"scans": batch})
            except httpx.HTTPError:
                self._went_offline()
                return sent
            if reply.status_code != 200:
                self._went_offline()
                return sent
            self._offline_until = 0.0
            # Every scan in the batch has an answer, a verdict or a refusal; a refusal will not
            # change on a retry, so it leaves the queue too (the server logged it).
            answered = [a.get("scan_id") for a in reply.json().get("answers", [])]
            done = [s for s in answered if isinstance(s, str)]
            self.store.dequeue(done)
            sent += len(done)
            if len(done) < len(batch):
                return sent

    def close(self) -> None:
        self._http.close()


# --- the screen -------------------------------------------------------------------------------

BGR = {"green": (60, 160, 40), "yellow": (0, 190, 230), "red": (40, 40, 210)}


class Screen:
    """Where verdicts appear: a window (camera picture plus a large colour band) or lines."""

    def __init__(self, window: bool, settings: CameraGateSettings, echo: Callable[[str], Any]):
        self.window = window
        self.settings = settings
        self.echo = echo
        self.current: GateResult | None = None
        self._font: Any = None

    def result(self, result: GateResult) -> None:
        self.current = result
        self.echo(result.line())

    def frame(self, frame: np.ndarray, status: str) -> bool:
        """Show a frame; False when the operator asked to stop (q or Esc)."""
        if not self.window:
            return True
        import cv2

        shown = self._compose(frame, status)
        cv2.imshow("congress gate", shown)
        key = cv2.waitKey(1) & 0xFF
        return key not in (ord("q"), 27)

    def _compose(self, frame: np.ndarray, status: str) -> np.ndarray:
        import cv2
        from PIL import Image, ImageDraw, ImageFont

        from congress.fonts import font_path

        height = 720
        scale = height / frame.shape[0]
        picture = cv2.resize(frame, (int(frame.shape[1] * scale), height))
        band_height = 260
        current = self.current
        if current and time.time() - current.at > self.settings.result_seconds:
            current = None
        colour = BGR.get(current.colour, BGR["red"]) if current else (50, 50, 50)
        band = np.full((band_height, picture.shape[1], 3), colour, np.uint8)
        canvas = np.vstack([picture, band])
        image = Image.fromarray(cv2.cvtColor(canvas, cv2.COLOR_BGR2RGB))
        draw = ImageDraw.Draw(image)
        if self._font is None:
            self._font = (
                ImageFont.truetype(str(font_path("Sans-Bold")), 56),
                ImageFont.truetype(str(font_path("Sans")), 34),
            )
        big, small = self._font
        top = height + 20
        if current:
            draw.text((30, top), current.message, font=big, fill="white")
            if current.delegate:
                who = (
                    f"{current.delegate.get('full_name', '')} · {current.delegate.get('code', '')}"
                )
                draw.text((30, top + 80), who, font=big, fill="white")
                draw.text((30, top + 160), str(current.delegate.get("delegation", "")), font=small)
        draw.text((20, 20), status, font=small, fill="white", stroke_width=2, stroke_fill="black")
        return cv2.cvtColor(np.asarray(image), cv2.COLOR_RGB2BGR)

    def close(self) -> None:
        if self.window:
            import cv2

            cv2.destroyAllWindows()


def has_display() -> bool:
    if sys.platform.startswith("linux"):
        return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    return True


# --- frames -----------------------------------------------------------------------------------


def open_camera(source: str, size: tuple[int, int]) -> tuple[Any, bool]:
    """(cv2.VideoCapture, is_file) for a device index or a video file path."""
    import cv2

    if source.isdigit():
        capture = cv2.VideoCapture(int(source))
        # USB webcams send 720p uncompressed at a few frames a second, MJPG at 30.
        capture.set(cv2.CAP_PROP_FOURCC, cv2.VideoWriter.fourcc(*"MJPG"))
        capture.set(cv2.CAP_PROP_FRAME_WIDTH, size[0])
        capture.set(cv2.CAP_PROP_FRAME_HEIGHT, size[1])
        is_file = False
    else:
        if not Path(source).is_file():
            raise CongressError(
                "no_camera", "There is no camera or video file %(source)s", source=source
            )
        capture = cv2.VideoCapture(source)
        is_file = True
    if not capture.isOpened():
        raise CongressError(
            "no_camera", "There is no camera or video file %(source)s", source=source
        )
    return capture, is_file


def frames(capture: Any, is_file: bool) -> Iterator[tuple[np.ndarray, float]]:
    """(frame, seconds) until the video ends or the camera fails; a file's own clock is used
    so that a recorded run debounces exactly as it would have live."""
    import cv2

    failures = 0
    while True:
        ok, frame = capture.read()
        if not ok:
            if is_file:
                return
            failures += 1
            if failures > 50:
                raise CongressError("camera_failed", "The camera stopped sending pictures")
            time.sleep(0.02)
            continue
        failures = 0
        now = capture.get(cv2.CAP_PROP_POS_MSEC) / 1000 if is_file else time.monotonic()
        yield frame, now


def run(
    gate: CameraGate,
    capture: Any,
    is_file: bool,
    screen: Screen,
    settings: CameraGateSettings,
) -> None:
    """The gate's loop: frames, badges, verdicts; the queue is sent in the background."""
    stop = threading.Event()

    def background() -> None:
        last_bootstrap = time.monotonic()
        while not stop.wait(settings.sync_seconds):
            if gate.store.queue_length(gate.slug):
                gate.sync()
            if time.monotonic() - last_bootstrap > settings.bootstrap_seconds and gate.online:
                try:
                    gate.load_register()
                except GateError:
                    pass
                last_bootstrap = time.monotonic()

    worker = threading.Thread(target=background, daemon=True)
    worker.start()
    debounce = Debouncer(settings.debounce_seconds)
    try:
        for frame, now in frames(capture, is_file):
            for text in badge_texts(frame):
                if debounce.accept(text, now):
                    screen.result(gate.submit(text))
            queued = gate.store.queue_length(gate.slug)
            status = f"{gate.gate} · {gate.tr.gettext('Sitting')} {gate.sitting}"
            if queued:
                status += f" · {queued} {gate.tr.gettext('waiting to be sent')}"
            if not screen.frame(frame, status):
                break
    finally:
        stop.set()
        worker.join(timeout=settings.request_timeout * 2)
        screen.close()
