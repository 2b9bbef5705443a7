"""Shared by the station tests and bench: a counted election, scans in a folder, a station process,
and a switchable proxy that plays a server going down and coming back."""

from __future__ import annotations

import hashlib
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import select

from ballots.counting import counts
from ballots.elections import get_election
from ballots.models import CountedBallot
from congress import auth
from congress.db import Database
from congress.settings import Settings
from tests.ballots.count_helpers import Printed, printed_election, scans
from tests.congress.test_cli import run

ROOT = Path(__file__).resolve().parents[2]


def counted_election(db: Database, settings: Settings, ballots: int) -> Printed:
    """An election of the register with `ballots` printed and its count open."""
    printed = printed_election(db, settings, ballots=ballots)
    with db.write_session() as session:
        election = get_election(session, printed.election_id)
        counts.open_count(
            session,
            election,
            members=["Nguyễn Văn Kiểm", "Trần Thị Phiếu"],
            issued=ballots,
            collected=ballots,
            actor="test",
        )
    return printed


def scan_files(printed: Printed, count: int, seed: int = 1) -> list[tuple[str, bytes]]:
    """(file name, PNG) of `count` marked ballots, as a scanner names them."""
    rng = np.random.default_rng(seed)
    marks = []
    for _ in range(count):
        struck = rng.choice(printed.targets, size=int(rng.integers(0, 3)), replace=False)
        marks.append({str(t): "strike" for t in struck})
    return [(f"scan{i + 1:04d}.png", data) for i, data in enumerate(scans(printed, marks, seed))]


def drop(folder: Path, files: list[tuple[str, bytes]]) -> None:
    """Files appear whole, as a scanner that writes then renames them."""
    for name, data in files:
        tmp = folder / f".{name}.part"
        tmp.write_bytes(data)
        os.replace(tmp, folder / name)


def counting_token(db: Database) -> str:
    with db.session() as session:
        _, secret = auth.create_token(session, "station", ["counting"], "test")
    return secret


def station(
    server: str, token: str, election: int, watch: Path, *extra: str
) -> subprocess.Popen[str]:
    args = ["station", "--server", server, "--token", token, "--election", str(election)]
    args += ["--watch", str(watch), "--settle", "0.2", "--lang", "en", *extra]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.Popen(
        [sys.executable, "-c", "from congress.cli import main; main()", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def local_station(settings: Settings, election_id: int, watch: Path, *options: str) -> Any:
    """`congress station --local` over the folder until every file is done (a CLI result)."""
    return run(
        settings, "station", "--local", "--election", str(election_id), "--watch", str(watch),
        "--settle", "0.1", "--until-idle", *options,
    )  # fmt: skip


def stored(db: Database, election: int) -> list[str]:
    """Image SHA-256 of every ballot the server recorded for the election's count."""
    with db.session() as session:
        count = counts.find_count(session, get_election(session, election))
        return list(
            session.scalars(
                select(CountedBallot.image_sha256).where(CountedBallot.count_id == count.id)
            )
        )


def digests(files: list[tuple[str, bytes]]) -> set[str]:
    return {hashlib.sha256(data).hexdigest() for _, data in files}


def folder_digests(folder: Path) -> list[str]:
    return [
        hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.iterdir())
        if p.is_file() and p.suffix == ".png"
    ]


class Proxy:
    """A TCP forwarder to a server that can be switched off: while down it refuses to talk."""

    def __init__(self, target: str) -> None:
        host, port = target.rsplit("//", 1)[-1].split(":")
        self.target = (host, int(port))
        self.up = True
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self._open: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            if not self.up:
                client.close()
                continue
            upstream = socket.create_connection(self.target)
            self._open += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    def _pipe(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def down(self) -> None:
        """The server goes away: open connections drop, new ones are refused."""
        self.up = False
        for s in self._open:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self._open.clear()

    def close(self) -> None:
        self.down()
        self.sock.close()


def wait_output(process: subprocess.Popen[str], timeout: float) -> str:
    try:
        out, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        out, _ = process.communicate()
        raise AssertionError(f"the station did not finish in {timeout} s:\n{out}") from None
    return out


def journal_states(watch: Path) -> dict[str, int]:
    import sqlite3

    path = watch / ".congress-station.sqlite"
    if not path.exists():
        return {}
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    try:
        return dict(db.execute("SELECT state, count(*) FROM files GROUP BY state").fetchall())
    except sqlite3.OperationalError:
        return {}
    finally:
        db.close()


def any_of(*values: Any) -> Any:
    return next((v for v in values if v), None)
