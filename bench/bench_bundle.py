"""Audit bundle: write and verify (re-read every image, recount) a count of N marked A4 ballots."""

from __future__ import annotations

import base64
import dataclasses
import resource
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

from ballots.bundle import BundleBallot, BundleInput, verify_bundle, write_bundle
from ballots.reader import (
    ElectionRules,
    ReadingContext,
    ReadingSettings,
    read_ballot,
    reference_pages,
)
from ballots.synth import draw_marks, make_election, print_pages, serials_for
from ballots.tally import CandidateInfo, CountFigures, TallyRules, ballot_outcome, tally

DPI = 200


def main(count: int = 300) -> None:
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
    outcomes = [ballot_outcome(layout, b.reading, [], True, 20, True) for b in ballots]
    result = tally(rules, candidates, CountFigures(**figures), outcomes).to_dict()
    spec = dataclasses.asdict(election.spec)
    spec["items"] = list(spec["items"])
    data = BundleInput(
        congress={"name": "Bench", "slug": "bench", "public_key": base64.b64encode(
            election.private_key.public_key().public_bytes_raw()).decode()},  # type: ignore[attr-defined]
        election={"id": 7, "round": 1, "title": election.spec.title, "form": "strike", "seats": 20,
                  "threshold_base": "valid", "percentage_base": "valid", "tie_rule": "new_round",
                  "nobody_elected_invalid": True, "seal_required": False},
        spec=spec, layout=layout.to_dict(), settings=settings.to_dict(),
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
        started = time.perf_counter()
        report = verify_bundle(out)
        verified = time.perf_counter() - started
        started = time.perf_counter()
        pooled = verify_bundle(out, workers=2)
        verified_pool = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"ballots: {count} (A4, 30 names, {DPI}-dpi PNG), prepared in {prepared:.1f} s")
    print(f"write_bundle: {written:.2f} s, {size / 1e6:.1f} MB")
    print(f"verify_bundle: {verified:.1f} s ({verified / count * 1000:.0f} ms a ballot), "
          f"ok={report.ok}, differences={len(report.differences)}")  # fmt: skip
    print(f"verify_bundle, 2 processes: {verified_pool:.1f} s "
          f"({verified_pool / count * 1000:.0f} ms a ballot), ok={pooled.ok}")  # fmt: skip
    print(f"peak RSS of the process: {peak:.0f} MB")
    if not (report.ok and pooled.ok):
        sys.exit(1)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 300)
