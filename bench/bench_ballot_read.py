"""Ballot reading speed: A4 200-dpi PNG scans of 30 names with a process pool, and phone photos."""

from __future__ import annotations

import sys
import time
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor

import cv2
import numpy as np

from ballots.reading.reader import (
    ElectionRules,
    ReadingContext,
    ReadingSettings,
    read_ballot,
    reference_pages,
)
from ballots.reading.synth import draw_marks, generate, make_election, print_pages

_CONTEXT: ReadingContext | None = None


def _context() -> ReadingContext:
    global _CONTEXT
    if _CONTEXT is None:
        election = make_election("strike", 30, seed=1)
        settings = ReadingSettings()
        _CONTEXT = ReadingContext(
            election.layout,
            reference_pages(election.spec, election.layout, settings),
            election.private_key.public_key(),
            ElectionRules(election.spec.seats, True, False),
            settings,
        )
    return _CONTEXT


def _read(png: bytes) -> dict[str, float]:
    started = time.perf_counter()
    image = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_UNCHANGED)
    decoded = time.perf_counter()
    reading = read_ballot([image], _context())
    timings = dict(reading.pages[0].timings)
    timings["decode_png"] = (decoded - started) * 1000
    timings["total"] = (time.perf_counter() - started) * 1000
    return timings


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    election = make_election("strike", 30, seed=1)
    rng = np.random.default_rng(0)
    pngs = []
    for gray in print_pages(election, [f"AAAAAAAA{c}{d}" for c in "ABCD" for d in "ABCDEFGH"], 200):
        page = cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR)
        draw_marks(page, election.layout.pages[0], "strike", 200, rng)
        pngs.append(cv2.imencode(".png", cv2.cvtColor(page, cv2.COLOR_BGR2GRAY))[1].tobytes())
    work = [pngs[i % len(pngs)] for i in range(count)]
    stages: dict[str, list[float]] = defaultdict(list)
    for timings in map(_read, work[:20]):
        for key, value in timings.items():
            stages[key].append(value)
    print("one process, per-stage median ms (A4 200 dpi PNG, 30 names):")
    for key, values in stages.items():
        print(f"  {key:12s} {np.median(values):7.1f}")
    with ProcessPoolExecutor(2) as pool:
        list(pool.map(_read, work[:8]))  # warm the workers (references, imports)
        started = time.perf_counter()
        list(pool.map(_read, work, chunksize=4))
        elapsed = time.perf_counter() - started
    print(
        f"pool of 2: {count} ballots in {elapsed:.2f} s = {count / elapsed:.1f} ballots/s (target >= 25)"
    )
    photos = [p.image for p in generate(election, 3, seed=5, mode="phone")]
    ctx = _context()
    times = []
    for photo in photos:
        started = time.perf_counter()
        read_ballot([photo], ctx)
        times.append((time.perf_counter() - started) * 1000)
    shape = photos[0].shape
    print(f"phone photo {shape[1]}x{shape[0]}: median {np.median(times):.0f} ms (target <= 150)")


if __name__ == "__main__":
    main()
