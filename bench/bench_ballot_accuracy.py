"""Reader accuracy on the synthetic corpus: wrong calls, ambiguous rates, confusion per mark kind.

Usage: python3 bench/bench_ballot_accuracy.py [targets] (default 50000; 600 for a quick run).
       python3 bench/bench_ballot_accuracy.py feeds [ballots] (per feed and dpi; default 10):
       sheets fed off-centre, skewed, a corner mark beyond the image (synth_feed), read or not.
"""

from __future__ import annotations

import sys
from collections import Counter, defaultdict
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import cv2
import numpy as np

from ballots.reading.reader import (
    ElectionRules,
    ReadingContext,
    ReadingSettings,
    read_ballot,
    reference_pages,
)
from ballots.reading.synth import SynthElection, generate, make_election

CANDIDATES = 30
FORMS = ("strike", "agree")


_CONTEXTS: dict[str, tuple[SynthElection, ReadingContext]] = {}


def _context(form: str) -> tuple[SynthElection, ReadingContext]:
    """One election and reading context per form and worker process (rendering is slow)."""
    if form not in _CONTEXTS:
        election = make_election(form, CANDIDATES, seed=1)
        settings = ReadingSettings()
        _CONTEXTS[form] = (
            election,
            ReadingContext(
                election.layout,
                reference_pages(election.spec, election.layout, settings),
                election.private_key.public_key(),
                ElectionRules(election.spec.seats, True, True),
                settings,
            ),
        )
    return _CONTEXTS[form]


def _run(job: tuple[str, str, int, int]) -> list[tuple[str, str, str, str, float]]:
    form, mode, ballots, seed = job
    election, ctx = _context(form)
    rows = []
    for page in generate(election, ballots, seed=seed, mode=mode, phone_size=(4000, 3000)):  # type: ignore[arg-type]
        reading = read_ballot([page.image], ctx)
        scores = {s.target.id: s for s in reading.scores}
        for truth in page.truth:
            score = scores.get(truth.target)
            state = score.state if score else "unread"
            rows.append(
                (
                    f"{form}/{mode}",
                    truth.kind,
                    truth.expected,
                    state,
                    score.score if score else -1.0,
                )
            )
    return rows


def main() -> None:
    if sys.argv[1:2] == ["feeds"]:
        _feeds(int(sys.argv[2]) if len(sys.argv) > 2 else 10)
        return
    targets = int(sys.argv[1]) if len(sys.argv) > 1 else 50000
    jobs = []
    planned = index = 0
    # 3 in 4 ballots come from scanners, the rest are phone photos; both forms (a strike ballot
    # has one target a name, an agree ballot two: agree and disagree). Jobs of 5 ballots.
    while planned < targets:
        form = FORMS[(index // 5) % 2]
        mode = "phone" if (index // 10) % 4 == 3 else "scanner"
        jobs.append((form, mode, 5, 1000 + index))
        planned += 5 * CANDIDATES * (1 if form == "strike" else 2)
        index += 5
    rows: list[tuple[str, str, str, str, float]] = []
    with ProcessPoolExecutor(2) as pool:
        for done, part in enumerate(pool.map(_run, jobs), 1):
            rows.extend(part)
            if done % 20 == 0:  # progress on stderr: a long run can be followed (and cut short)
                wrong = sum(1 for r in rows if {r[2], r[3]} == {"marked", "unmarked"})
                clear = [r for r in rows if r[2] != "ambiguous"]
                amb = sum(1 for r in clear if r[3] == "ambiguous")
                doubtful = [r for r in rows if r[2] == "ambiguous"]
                counted = Counter(f"{r[1]}->{r[3]}" for r in doubtful if r[3] != "ambiguous")
                print(
                    f"  {len(rows)} targets, {wrong} wrong, {amb}/{len(clear)} clear marks in "
                    f"review, {len(doubtful) - sum(counted.values())}/{len(doubtful)} doubtful "
                    f"marks in review {dict(sorted(counted.items()))}",
                    file=sys.stderr,
                    flush=True,
                )
    wrong = [r for r in rows if {r[2], r[3]} == {"marked", "unmarked"}]
    print(f"targets read: {len(rows)}  wrong calls (marked <-> unmarked): {len(wrong)}")
    for mode in ("scanner", "phone"):
        clear = [r for r in rows if r[0].endswith(mode) and r[2] != "ambiguous"]
        amb = sum(1 for r in clear if r[3] == "ambiguous")
        doubtful = [r for r in rows if r[0].endswith(mode) and r[2] == "ambiguous"]
        reviewed = sum(1 for r in doubtful if r[3] == "ambiguous")
        print(
            f"{mode}: clear marks sent to review {amb}/{len(clear)} = {amb / max(1, len(clear)):.2%}; "
            f"doubtful marks sent to review {reviewed}/{len(doubtful)} = {reviewed / max(1, len(doubtful)):.2%}"
        )
    table: dict[tuple[str, str, str], Counter] = defaultdict(Counter)
    for group, kind, expected, state, _ in rows:
        table[(group, kind, expected)][state] += 1
    print(
        f"{'group':16s} {'kind':16s} {'expected':10s} {'marked':>7s} {'ambig':>7s} {'unmarked':>8s}"
    )
    for (group, kind, expected), counts in sorted(table.items()):
        print(
            f"{group:16s} {kind:16s} {expected:10s} {counts['marked']:7d} {counts['ambiguous']:7d} {counts['unmarked']:8d}"
        )
    out = Path(__file__).parent / "out"
    out.mkdir(exist_ok=True)
    _histogram(rows, out / "ballot_scores.png")
    print(f"histogram: {out / 'ballot_scores.png'}")


def _histogram(rows: list, path: Path) -> None:
    """Log-count histograms of scores per expected class, strike and box, thresholds drawn."""
    settings = ReadingSettings()
    panels = []
    for kind, thresholds in (("strike", (settings.strike_marginal, settings.strike_marked)),
                             ("agree", (settings.box_marginal, settings.box_marked))):  # fmt: skip
        width, height, bins = 600, 260, 60
        img = np.full((height, width, 3), 255, np.uint8)
        colours = {"marked": (40, 40, 220), "unmarked": (40, 160, 40), "ambiguous": (0, 140, 255)}
        for expected, colour in colours.items():
            values = np.array([r[4] for r in rows if r[0].startswith(kind) and r[2] == expected])
            if values.size == 0:
                continue
            hist, _ = np.histogram(np.clip(values, 0, 1), bins=bins, range=(0, 1))
            pts = [
                (
                    int(i * width / bins),
                    int(height - 20 - np.log1p(h) * (height - 40) / np.log1p(len(rows))),
                )
                for i, h in enumerate(hist)
            ]
            cv2.polylines(img, [np.array(pts, np.int32)], False, colour, 2)
        for t in thresholds:
            cv2.line(img, (int(t * width), 0), (int(t * width), height), (0, 0, 0), 1)
        cv2.putText(
            img,
            f"{kind}: red marked, green unmarked, orange doubtful",
            (5, 15),
            cv2.FONT_HERSHEY_SIMPLEX,
            0.45,
            (0, 0, 0),
            1,
        )
        panels.append(img)
    cv2.imwrite(str(path), np.vstack(panels))


# ---------------------------------------------------------------- feeds (issue 17, point 4)


def _feed_job(job: tuple[str, int, int, int]) -> list[tuple[str, int, str, int, int, int, int]]:
    """Ballots of one feed kind at one dpi: (kind, dpi, status, wrong, clear in review, clear,
    private marks found: the synthetic voters make none)."""
    from ballots.reading.synth import draw_marks, print_pages, serials_for
    from ballots.reading.synth_feed import feed_page, random_feed

    kind, dpi, ballots, seed = job
    election, ctx = _context("strike")
    rng = np.random.default_rng(seed)
    layout_page = election.layout.pages[0]
    rows = []
    for gray in print_pages(election, serials_for(rng, ballots), 300):
        page = cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR)
        truth = draw_marks(page, layout_page, "strike", 300, rng)
        image = feed_page(page, layout_page, random_feed(kind, dpi, layout_page, rng))
        reading = read_ballot([image], ctx)
        states = {s.target.id: s.state for s in reading.scores}
        wrong = sum(
            1 for t in truth if {t.expected, states.get(t.target)} == {"marked", "unmarked"}
        )
        clear = [t for t in truth if t.expected != "ambiguous"]
        review = sum(1 for t in clear if states.get(t.target) == "ambiguous")
        flagged = int("private_mark" in reading.reasons)
        rows.append((kind, dpi, reading.status, wrong, review, len(clear), flagged))
    return rows


def _feeds(ballots: int) -> None:
    from ballots.reading.synth_feed import FEED_KINDS

    jobs = [
        (kind, dpi, ballots, 100 * i + dpi)
        for i, kind in enumerate(FEED_KINDS)
        for dpi in (150, 200, 300)
    ]
    with ProcessPoolExecutor(2) as pool:
        rows = [row for part in pool.map(_feed_job, jobs) for row in part]
    print(
        f"{'feed':16s} {'dpi':>4s} {'ballots':>7s} {'read':>5s} {'rejected':>8s} "
        f"{'wrong':>6s} {'clear in review':>16s} {'private mark':>12s}"
    )
    for kind, dpi, _, _ in jobs:
        cell = [r for r in rows if r[0] == kind and r[1] == dpi]
        rejected = sum(1 for r in cell if r[2] == "rejected")
        review, clear = sum(r[4] for r in cell), sum(r[5] for r in cell)
        print(
            f"{kind:16s} {dpi:4d} {len(cell):7d} {len(cell) - rejected:5d} {rejected:8d} "
            f"{sum(r[3] for r in cell):6d} {f'{review}/{clear}':>16s} "
            f"{sum(r[6] for r in cell):12d}"
        )


if __name__ == "__main__":
    main()
