"""Reader accuracy on the widened synthetic corpus: wrong calls, review rates, confusion per
mark kind, per pen and per pen width, and the score distributions the thresholds are chosen
from (docs/ballot-reading.md, "Thresholds").

Usage: python3 bench/bench_ballot_accuracy.py [targets] [first seed] (default 50000 targets;
600 for a quick run). Every ballot uses one pen of `WIDE_PENS`; phone photos are 3-12 MP.
The rows are written to bench/out/ballot_rows.json (for comparing two readers on one corpus:
a smaller run's corpus is the first targets of a larger one's);
`python3 bench/bench_ballot_accuracy.py --rows FILE [first N rows] [histogram.png]` prints the
report of saved rows again.
`python3 bench/bench_ballot_accuracy.py feeds [ballots]` (per feed and dpi; default 10):
sheets fed off-centre, skewed, a corner mark beyond the image (synth_feed), read or not.
"""

from __future__ import annotations

import json
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


Row = tuple[str, str, str, str, float, str, float]  # group, kind, expected, state, score, pen, mm


def _run(job: tuple[str, str, int, int]) -> list[Row]:
    form, mode, ballots, seed = job
    election, ctx = _context(form)
    rows: list[Row] = []
    for page in generate(election, ballots, seed=seed, mode=mode, phone_size=None):  # type: ignore[arg-type]
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
                    truth.pen,
                    truth.width_mm,
                )
            )
    return rows


def main() -> None:
    if sys.argv[1:2] == ["feeds"]:
        _feeds(int(sys.argv[2]) if len(sys.argv) > 2 else 10)
        return
    if len(sys.argv) > 2 and sys.argv[1] == "--rows":  # the report again, from a saved run
        saved: list[Row] = [tuple(r) for r in json.loads(Path(sys.argv[2]).read_text())]
        limit = int(sys.argv[3]) if len(sys.argv) > 3 else len(saved)
        report(saved[:limit])
        if len(sys.argv) > 4:
            _histogram(saved[:limit], Path(sys.argv[4]))
        return
    targets = int(sys.argv[1]) if len(sys.argv) > 1 else 50000
    first_seed = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    jobs = []
    planned = index = 0
    # 3 in 4 ballots come from scanners, the rest are phone photos; both forms (a strike ballot
    # has one target a name, an agree ballot two: agree and disagree). Jobs of 5 ballots.
    while planned < targets:
        form = FORMS[(index // 5) % 2]
        mode = "phone" if (index // 10) % 4 == 3 else "scanner"
        jobs.append((form, mode, 5, first_seed + index))
        planned += 5 * CANDIDATES * (1 if form == "strike" else 2)
        index += 5
    rows: list[Row] = []
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
    out = Path(__file__).parent / "out"
    out.mkdir(exist_ok=True)
    (out / "ballot_rows.json").write_text(json.dumps(rows))
    report(rows)
    _histogram(rows, out / "ballot_scores.png")
    print(f"histogram: {out / 'ballot_scores.png'}")


def _rates(rows: list[Row]) -> str:
    """wrong calls, clear marks in review, doubtful marks in review, as one line."""
    wrong = sum(1 for r in rows if {r[2], r[3]} == {"marked", "unmarked"})
    clear = [r for r in rows if r[2] != "ambiguous"]
    amb = sum(1 for r in clear if r[3] == "ambiguous")
    doubtful = [r for r in rows if r[2] == "ambiguous"]
    reviewed = sum(1 for r in doubtful if r[3] == "ambiguous")
    return (
        f"wrong {wrong:4d}  clear->review {amb:5d}/{len(clear):6d} = {amb / max(1, len(clear)):6.2%}"
        f"  doubtful in review {reviewed:5d}/{len(doubtful):5d} = "
        f"{reviewed / max(1, len(doubtful)):7.2%}"
    )


def report(rows: list[Row]) -> None:
    """Every table of the benchmark: totals, per form and mode, per kind, per pen, per width,
    and the score distribution per kind (the thresholds' evidence)."""
    wrong = [r for r in rows if {r[2], r[3]} == {"marked", "unmarked"}]
    print(f"targets read: {len(rows)}  wrong calls (marked <-> unmarked): {len(wrong)}")
    for mode in ("scanner", "phone"):
        print(f"{mode:8s} {_rates([r for r in rows if r[0].endswith(mode)])}")
    groups = sorted({r[0] for r in rows})
    print("\nper form and mode:")
    for group in groups:
        print(f"  {group:16s} {_rates([r for r in rows if r[0] == group])}")
    table: dict[tuple[str, str, str], Counter] = defaultdict(Counter)
    for group, kind, expected, state, *_ in rows:
        table[(group, kind, expected)][state] += 1
    print(
        f"\n{'group':16s} {'kind':20s} {'expected':10s} {'marked':>7s} {'ambig':>7s} {'unmarked':>8s}"
    )
    for (group, kind, expected), counts in sorted(table.items()):
        print(
            f"{group:16s} {kind:20s} {expected:10s} {counts['marked']:7d} {counts['ambiguous']:7d} {counts['unmarked']:8d}"
        )
    print("\nper form, mode and pen:")
    for group in groups:
        for pen in sorted({r[5] for r in rows if r[0] == group}):
            part = [r for r in rows if r[0] == group and r[5] == pen]
            print(f"  {group:16s} {pen:20s} {_rates(part)}")
    print("\nper form, mode and pen width (mm):")
    for group in groups:
        for width in sorted({r[6] for r in rows if r[0] == group}):
            part = [r for r in rows if r[0] == group and r[6] == width]
            print(f"  {group:16s} {width:5.2f} mm {_rates(part)}")
    print("\nscore distribution per form and kind (all modes): n, min, 1%, median, 99%, max")
    for form in sorted({r[0].split("/")[0] for r in rows}):
        for kind in sorted({r[1] for r in rows if r[0].startswith(form + "/")}):
            values = np.array([r[4] for r in rows if r[0].startswith(form + "/") and r[1] == kind])
            expected = next(r[2] for r in rows if r[0].startswith(form + "/") and r[1] == kind)
            q = np.percentile(values, [0, 1, 50, 99, 100])
            zero = int(np.count_nonzero(values == 0))
            print(
                f"  {form:7s} {kind:20s} {expected:10s} n={values.size:6d} "
                + " ".join(f"{v:5.3f}" for v in q)
                + f"  exactly 0: {zero}"
            )


def _histogram(rows: list[Row], path: Path) -> None:
    """Log-count histograms of the final scores per expected class, one panel per form and
    mode, with the thresholds drawn: marginal and marked (black), and the fine steps' marked
    thresholds (grey: fine_strike_marked, box_fine_marked)."""
    settings = ReadingSettings()
    panels = []
    colours = {"marked": (40, 40, 220), "unmarked": (40, 160, 40), "ambiguous": (0, 140, 255)}
    for group in ("strike/scanner", "strike/phone", "agree/scanner", "agree/phone"):
        strike = group.startswith("strike")
        lines = (
            (settings.strike_marginal, settings.strike_marked)
            if strike
            else (settings.box_marginal, settings.box_marked)
        )
        fine = settings.fine_strike_marked if strike else settings.box_fine_marked
        width, height, bins = 600, 200, 50
        img = np.full((height, width, 3), 255, np.uint8)
        part = [r for r in rows if r[0] == group]
        for expected, colour in colours.items():
            values = np.array([r[4] for r in part if r[2] == expected], np.float64)
            if values.size == 0:
                continue
            hist, _ = np.histogram(np.clip(values, 0, 1), bins=bins, range=(0, 1))
            top = np.log1p(max(1, len(part)))
            pts = [
                (
                    int((i + 0.5) * width / bins),
                    int(height - 15 - np.log1p(h) * (height - 40) / top),
                )
                for i, h in enumerate(hist)
            ]
            cv2.polylines(img, [np.array(pts, np.int32)], False, colour, 2)
        for t in lines:
            cv2.line(img, (int(t * width), 20), (int(t * width), height), (0, 0, 0), 1)
        cv2.line(img, (int(fine * width), 20), (int(fine * width), height), (150, 150, 150), 1)
        cv2.putText(img, f"{group} ({len(part)} targets): red marked, green unmarked, "
                    "orange doubtful", (5, 14), cv2.FONT_HERSHEY_SIMPLEX, 0.42, (0, 0, 0), 1)  # fmt: skip
        cv2.line(img, (0, height - 1), (width, height - 1), (200, 200, 200), 1)
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
