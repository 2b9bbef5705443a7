"""Audit bundle: write and verify (re-read every image, recount) a count of N marked A4 ballots."""

from __future__ import annotations

import base64
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

from ballots.proof.bundle import BundleBallot, BundleInput, write_bundle
from ballots.reading.reader import (
    ElectionRules,
    ReadingContext,
    ReadingSettings,
    read_ballot,
    reference_pages,
)
from ballots.reading.recorded import RecordedReading
from ballots.reading.synth import draw_marks, make_election, print_pages, serials_for
from ballots.tally import CandidateInfo, CountFigures, TallyRules, ballot_outcome, tally

DPI = 200


def main(count: int = 300, keep: str | None = None) -> None:
    election = make_election("strike", 30, seats=20, seed=3, seal_required=False)
    layout = election.layout
    settings = ReadingSettings()
    context = ReadingContext(
        layout,
        reference_pages(election.spec, layout, settings),
        election.private_key.public_key(),
        ElectionRules(20, True, False),
        settings,
    )
    rng = np.random.default_rng(1)
    serials = serials_for(rng, count)
    started = time.perf_counter()
    ballots = []
    ids = [t.id for t in layout.pages[0].targets]
    for start in range(0, count, 50):
        for serial, gray in zip(
            serials[start : start + 50],
            print_pages(election, serials[start : start + 50], DPI),
            strict=True,
        ):
            page = cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR)
            struck = set(rng.choice(ids, size=int(rng.integers(10, 14)), replace=False))
            choose = {t: ("strike" if t in struck else "none") for t in ids}
            draw_marks(page, layout.pages[0], "strike", DPI, rng, choose)
            data = cv2.imencode(".png", page)[1].tobytes()
            import hashlib

            reading = read_ballot([page], context, file=f"{serial}.png",
                                  sha256=hashlib.sha256(data).hexdigest()).to_dict()  # fmt: skip
            ballots.append(BundleBallot(data, f"{serial}.png", reading, []))
    prepared = time.perf_counter() - started
    candidates = [CandidateInfo(i.id, i.label) for i in layout.items]
    figures = {"summoned": count, "present": count, "issued": count, "collected": count}
    rules = TallyRules("strike", 20, "valid", "valid", "new_round")
    outcomes = [
        ballot_outcome(layout, RecordedReading.from_dict(b.reading), [], True, 20, True)
        for b in ballots
    ]
    result = tally(rules, candidates, CountFigures(**figures), outcomes).to_dict()
    data = BundleInput(
        congress={"name": "Bench", "slug": "bench", "public_key": base64.b64encode(
            election.private_key.public_key().public_bytes_raw()).decode()},  # type: ignore[attr-defined]
        election={"id": 7, "round": 1, "title": election.spec.title, "form": "strike", "seats": 20,
                  "threshold_base": "valid", "percentage_base": "valid", "tie_rule": "new_round",
                  "nobody_elected_invalid": True, "seal_required": False},
        spec=election.spec.to_dict(), layout=layout.to_dict(), settings=settings.to_dict(),
        candidates=[{"item": c.item, "name": c.name, "birth_date": None} for c in candidates],
        figures=figures, count={"members": ["A", "B"], "two_person_rule": True},
        ballots=ballots, tally=result,
    )  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "bundle.zip"
        started = time.perf_counter()
        write_bundle(data, election.private_key, out)
        written = time.perf_counter() - started
        size = out.stat().st_size
        timings = {}
        for workers in (1, 2):
            started = time.perf_counter()
            done = subprocess.run(
                [sys.executable, "-c", VERIFY, str(out), str(workers)],
                capture_output=True,
                text=True,
            )
            timings[workers] = time.perf_counter() - started
            ok = done.returncode == 0
            if not ok:
                print(done.stdout[-2000:], done.stderr[-2000:])
            peak = int(done.stderr.rsplit("VmHWM:", 1)[-1].split()[0]) / 1024
            print(f"verify ({workers} process{'es' if workers > 1 else ''}): "
                  f"{timings[workers]:.1f} s ({timings[workers] / count * 1000:.0f} ms a ballot), "
                  f"ok={ok}, peak RSS of the verifying process {peak:.0f} MB")  # fmt: skip
        if keep:
            shutil.copy(out, keep)
    print(f"ballots: {count} (A4, 30 names, {DPI}-dpi PNG), prepared in {prepared:.1f} s")
    print(f"write_bundle: {written:.2f} s, {size / 1e6:.1f} MB")


# The command an auditor runs, in its own process; it reports its own peak memory (VmHWM: the
# high-water mark of this program, not of the forked bench process it started as).
VERIFY = """
import sys
from congress.cli import main
try:
    main(["ballots", "verify", sys.argv[1], "--workers", sys.argv[2]])
finally:
    sys.stderr.write([l for l in open("/proc/self/status") if l.startswith("VmHWM")][0])
"""


if __name__ == "__main__":
    # bench_bundle.py [COUNT] [KEEP.zip]: KEEP keeps the bundle for a look afterwards.
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 300, sys.argv[2] if len(sys.argv) > 2 else None)
