"""`congress gate`: a video of badges held up at the door, through OpenCV, into a live server."""

from __future__ import annotations

import shutil
import socket
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from click.testing import CliRunner
from sqlalchemy import func, select

from badges.pdf import BadgeCard
from congress import auth
from congress.cli import build_cli
from congress.db import Database
from congress.settings import Settings
from scanner.camera_frames import Framing, background, card_image, compose
from scanner.camera_gate import Debouncer, OfflineRegister, badge_texts, looks_like_badge
from scanner.models import Admission, Scan
from tests.scanner.checkin_helpers import open_doors, tokens

FPS = 10
SIZE = (1280, 720)


def _card(token: str, name: str) -> BadgeCard:
    return BadgeCard(
        congress_name="ĐẠI HỘI ĐẠI BIỂU ĐOÀN TNCS HỒ CHÍ MINH TỈNH NGHỆ AN",
        congress_dates="Ngày 2-3/6/2027",
        full_name=name,
        delegation="Đoàn Thành phố Vinh",
        position="Bí thư",
        unit="Phường 1",
        kind="full",
        photo=None,
        token=token,
        portal_url="https://daihoi.example.vn/p/dai-hoi-the",
    )


def _video(path: Path, scenes: list[tuple[str | None, int]]) -> None:
    """An MJPG .avi at 10 fps: each scene is a badge token (None: nobody) held for n frames."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), FPS, SIZE)
    assert writer.isOpened()
    cards: dict[str, np.ndarray] = {}
    index = 0
    for token, count in scenes:
        for _ in range(count):
            if token is None:
                frame = background(index % 4)
            else:
                if token not in cards:
                    cards[token] = card_image(_card(token, "Nguyễn Văn An"), "a6", 2.8)
                # Held by hand: it drifts and turns a little from frame to frame.
                framing = Framing(
                    centre=(0.45 + 0.01 * (index % 5), 0.5), angle=-6.0 + 2 * (index % 4)
                )
                frame = compose(cards[token], framing, seed=index)
            writer.write(frame)
            index += 1
    writer.release()


def _bearer(db: Database) -> str:
    with db.session() as session:
        _, secret = auth.create_token(session, "camera gate", ["checkin"], "test")
    return secret


def _gate(server: str, secret: str, video: Path, state: Path, *extra: str) -> Any:
    args = ["gate", "--camera", str(video), "--server", server, "--token", secret]
    args += ["--congress", "dai-hoi-the", "--sitting", "1", "--gate", "Cổng camera"]
    args += ["--headless", "--state", str(state), "--lang", "en", *extra]
    return CliRunner().invoke(build_cli(), args, catch_exceptions=False)


def _verdicts(output: str) -> list[tuple[str, str]]:
    """(result code, delegate code) of every verdict line the headless gate printed."""
    found = []
    for line in output.splitlines():
        parts = line.split("  ")
        if len(parts) >= 3 and parts[0].count(":") == 2:
            who = parts[3].rsplit("(", 1)[-1].rstrip(")") if len(parts) > 3 else ""
            found.append((parts[1], who))
    return found


def _counts(db: Database) -> tuple[int, int]:
    with db.session() as session:
        scans = session.scalar(select(func.count()).select_from(Scan)) or 0
        admitted = session.scalar(select(func.count()).select_from(Admission)) or 0
    return int(scans), int(admitted)


def test_a_video_of_badges_through_the_camera_gate(
    live_server: Any, db: Database, settings: Settings, register: dict[str, Any], tmp_path: Path
) -> None:
    open_doors(db, register["congress_id"])
    badges = tokens(db, settings)
    video = tmp_path / "door.avi"
    # A held for 1.5 s (one scan), B, then A again after more than the 1 s debounce.
    _video(
        video,
        [(None, 2), (badges["DB0001"], 15), (None, 3), (badges["DB0002"], 6), (None, 12)]
        + [(badges["DB0001"], 4)],
    )
    result = _gate(live_server.url, _bearer(db), video, tmp_path / "gate.sqlite", "--debounce", "1")
    assert result.exit_code == 0, result.output
    assert _verdicts(result.output) == [
        ("admitted", "DB0001"),
        ("admitted", "DB0002"),
        ("already_admitted", "DB0001"),
    ]
    assert "Already admitted at" in result.output and "Cổng camera" in result.output
    assert _counts(db) == (3, 2)
    with db.session() as session:
        assert set(session.scalars(select(Scan.method))) == {"camera"}
        assert set(session.scalars(select(Scan.gate))) == {"Cổng camera"}


def test_offline_the_gate_checks_locally_and_sends_its_queue_later(
    live_server: Any, db: Database, settings: Settings, register: dict[str, Any], tmp_path: Path
) -> None:
    open_doors(db, register["congress_id"])
    badges = tokens(db, settings)
    secret = _bearer(db)
    state = tmp_path / "gate.sqlite"
    first = tmp_path / "first.avi"
    _video(first, [(badges["DB0003"], 3)])
    online = _gate(live_server.url, secret, first, state)
    assert _verdicts(online.output) == [("admitted", "DB0003")]
    with socket.socket() as s:  # a port nobody listens on: the server is down
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}"
    later = tmp_path / "later.avi"
    _video(later, [(badges["DB0004"], 3), (None, 2), (badges["DB0003"], 3)])
    offline = _gate(dead, secret, later, state)
    assert offline.exit_code == 0, offline.output
    # The register copy and the gate's own admissions decide; nothing reached the server yet.
    assert _verdicts(offline.output) == [("admitted", "DB0004"), ("already_admitted", "DB0003")]
    assert "Offline" in offline.output and "waiting to be sent: 2" in offline.output
    assert _counts(db) == (1, 1)
    crashed = tmp_path / "copy.sqlite"
    shutil.copyfile(state, crashed)
    # Back online: the queue goes first, then the doors (an empty hallway here).
    empty = tmp_path / "empty.avi"
    _video(empty, [(None, 2)])
    back = _gate(live_server.url, secret, empty, state)
    assert back.exit_code == 0, back.output
    assert "waiting to be sent: 0" in back.output
    assert _counts(db) == (3, 2)
    # The same queue sent again (as after a crash before it was cleared): each scan id once.
    again = _gate(live_server.url, secret, empty, crashed)
    assert "waiting to be sent: 0" in again.output
    assert _counts(db) == (3, 2)


def test_refusals_are_one_clear_line(
    live_server: Any, db: Database, register: dict[str, Any], tmp_path: Path
) -> None:
    video = tmp_path / "v.avi"
    _video(video, [(None, 1)])
    state = tmp_path / "gate.sqlite"
    bad_token = _gate(live_server.url, "cgt_wrong", video, state)
    assert bad_token.exit_code == 1 and "Traceback" not in bad_token.output
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}"
    never_online = _gate(dead, _bearer(db), video, state)
    assert never_online.exit_code == 1
    assert "no saved copy of the register" in never_online.output
    missing = _gate(live_server.url, _bearer(db), tmp_path / "nope.avi", state)
    assert missing.exit_code == 1 and "There is no camera or video file" in missing.output
    no_sitting = _gate(live_server.url, _bearer(db), video, state, "--sitting", "7")
    assert no_sitting.exit_code == 1 and "no sitting number 7" in no_sitting.output


def test_decoding_and_debounce_on_rendered_frames(
    db: Database, settings: Settings, register: dict[str, Any]
) -> None:
    token = tokens(db, settings)["DB0005"]
    frame = compose(card_image(_card(token, "Trần Thị Bình"), "a6", 2.8), Framing(), seed=3)
    # The badge has two QR codes; only the delegate's token is a badge.
    assert badge_texts(frame) == [token]
    assert not looks_like_badge("https://daihoi.example.vn/p/dai-hoi-the")
    assert looks_like_badge("https://x.vn/b/" + token.lower())
    assert badge_texts(background(1)) == []
    debounce = Debouncer(4.0)
    assert [debounce.accept(token, t) for t in (0.0, 1.0, 4.5, 8.9, 12.0)] == [
        True,
        False,
        False,
        True,
        False,
    ]


def test_offline_register_verdicts(
    client: Any, db: Database, settings: Settings, register: dict[str, Any]
) -> None:
    from badges.service import revoke
    from badges.token import BadgeToken, sign_badge
    from congress.keys import generate_private_key
    from congress.models import Delegate

    badges = tokens(db, settings)
    with db.session() as session:
        d6 = session.scalar(select(Delegate).where(Delegate.code == "DB0006"))
        assert d6 is not None
        revoke(session, d6, "t")
        forged = sign_badge(generate_private_key(), BadgeToken(register["congress_id"], d6.id, 1))
    reply = client.get(
        "/api/c/dai-hoi-the/gate/bootstrap", headers={"authorization": f"Bearer {_bearer(db)}"}
    )
    assert reply.status_code == 200
    offline = OfflineRegister(reply.json())
    code, person, _ = offline.verdict(badges["DB0001"])
    assert code == "valid" and person is not None and person["code"] == "DB0001"
    assert offline.verdict(badges["DB0006"])[0] == "revoked"
    assert offline.verdict(forged)[0] == "forged"
    assert offline.verdict("hello")[0] == "malformed"


def test_the_window_shows_the_verdict_large_in_its_colour() -> None:
    from scanner.camera_gate import BGR, CameraGateSettings, GateResult, Screen

    lines: list[str] = []
    screen = Screen(True, CameraGateSettings(), lines.append)
    frame = background(2)
    idle = screen._compose(frame, "Cổng A · Phiên 1")
    assert idle.shape == (720 + 260, 1280, 3)
    person = {"full_name": "Nguyễn Văn An", "code": "DB0001", "delegation": "Đoàn Vinh"}
    screen.result(GateResult("admitted", "green", "Đã vào", person))
    shown = screen._compose(frame, "Cổng A · Phiên 1")
    band = shown[720:]
    # The band is the verdict's colour behind white text; the picture above is the camera's.
    colours, counts = np.unique(band.reshape(-1, 3), axis=0, return_counts=True)
    assert tuple(colours[counts.argmax()]) == BGR["green"]
    assert (band == 255).all(axis=2).sum() > 2000  # the message and the name, large
    assert lines[-1].split("  ")[1:] == ["admitted", "Đã vào", "Nguyễn Văn An (DB0001)"]
    screen.result(GateResult("forged", "red", "Giả", None))
    red = screen._compose(frame, "")[720:]
    colours, counts = np.unique(red.reshape(-1, 3), axis=0, return_counts=True)
    assert tuple(colours[counts.argmax()]) == BGR["red"]
