"""A live congress server for the load benchmarks: uvicorn in its own process on loopback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def live_process(env: dict[str, str], workers: int = 1) -> Iterator[tuple[str, int]]:
    """Serve the app with `env` (CONGRESS_HOME, ...) in its own process until the block ends;
    yields its URL and the process id (its memory is its own: tests/test_server_memory.py)."""
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "congress.app:app_factory",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        env=env,
        cwd=Path(__file__).resolve().parent.parent,  # this checkout's code, not an installed one
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(url + "/healthz", timeout=1)
                break
            except httpx.HTTPError:
                if server.poll() is not None:
                    raise RuntimeError("the server stopped before answering") from None
                if time.monotonic() > deadline:
                    raise RuntimeError("the server did not answer in 30 s") from None
                time.sleep(0.1)
        yield url, server.pid
    finally:
        server.terminate()
        server.wait(10)


@contextmanager
def live_server(env: dict[str, str], workers: int = 1) -> Iterator[str]:
    """Serve the app with `env` (CONGRESS_HOME, ...) until the block ends; yields its URL."""
    with live_process(env, workers) as (url, _):
        yield url


def percentile(sorted_values: list[float], share: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(len(sorted_values) * share))]


@contextmanager
def bench_home(database_url: str | None) -> Iterator[tuple[dict[str, str], Any, str]]:
    """(environment, settings, congress slug) of one run: a temporary data directory, and the
    PostgreSQL database named if any, whose congress of that slug is removed afterwards."""
    from sqlalchemy import delete

    from congress.db import Database
    from congress.models import Congress
    from congress.settings import Settings

    with tempfile.TemporaryDirectory() as home:
        env = dict(os.environ, CONGRESS_HOME=home, CONGRESS_SECRET_KEY="bench")
        if database_url:
            env["CONGRESS_DATABASE_URL"] = database_url
        settings = Settings.from_env(env)
        slug = f"bench-{uuid.uuid4().hex[:8]}"
        try:
            yield env, settings, slug
        finally:
            if database_url:
                db = Database(settings)
                with db.session() as session:
                    session.execute(delete(Congress).where(Congress.slug == slug))
                db.dispose()
