"""The demo's election, start to finish: ballots printed, filled, scanned, counted and proven.

An Executive Committee election of 40 candidates for 31 seats in the first sitting. One ballot is
printed for each delegate present; each is filled the way delegates do (a few doubtful marks, a
few ballots striking too few names), sealed, and scanned into the demo's tray. The scanner
station (the scanner capability's part of the story) reads the tray into the count; then two
members of the counting committee decide and confirm every ballot sent to them; the count is
closed and sealed, the minutes written, the audit bundle exported and verified from scratch.
"""

from __future__ import annotations

import io
import json
import random
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import cv2
import numpy as np
import pypdfium2 as pdfium
from PIL import Image
from sqlalchemy import select

from ballots import tally
from ballots.counting import counts
from ballots.counting.closing import close_count, count_report, seal_count
from ballots.counting.results import attendance_figures
from ballots.counting.review import (
    confirm,
    decide,
    evaluate,
    get_ballot,
    machine_reason,
    round_rules,
)
from ballots.elections import Rules, create_election, get_election, import_candidates, print_ballots
from ballots.models import IssuedSerial
from ballots.proof.minutes import minutes_pdf
from ballots.proof.verify import verify_bundle
from ballots.reading.synth import draw_marks, draw_seal
from congress.capabilities import DemoStage, DemoStep, DemoStory
from congress.db import Database
from congress.demo_data import full_name
from congress.files import export_file
from congress.storage import FileStore

DEMO_SEATS = 31
DEMO_CANDIDATES = 40
PRINT_DPI = 300  # the printed sheet: rendered finer than the scanner samples it, as paper is
SCAN_DPI = 150  # the committee's scanner resolution
# The minutes name the first member head of the committee and the others members.
MEMBERS = (
    "Nguyễn Thị Hồng Nhung",
    "Trần Quốc Bảo",
    "Lê Thu Trang",
    "Phạm Đức Anh",
    "Võ Minh Khoa",
)
DECIDER, CONFIRMER = "kiemphieu1", "kiemphieu2"
# The public seed of the demo's hand audit: twenty digits, as if from ten-sided dice.
AUDIT_SEED = "27182818284590452353"


def _candidates(rng: random.Random) -> bytes:
    rows = ["Họ và tên,Ngày sinh,Giới tính,Chức vụ,Đơn vị"]
    for _ in range(DEMO_CANDIDATES):
        gender = rng.choice(["male", "female"])
        born = f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/{rng.randint(1985, 1998)}"
        rows.append(
            f"{full_name(rng, gender)},{born},{'Nam' if gender == 'male' else 'Nữ'},"
            "Bí thư Đoàn cơ sở,Thành Đoàn Hà Nội"
        )
    return "\n".join(rows).encode()


class Voter:
    """How the demo's delegates fill a strike-out ballot: the names each one strikes out.

    Seven candidates are struck by most, two by about half, the others by few; most delegates
    strike exactly enough names (candidates - seats), some strike more, one in a hundred too few
    (the ballot then elects more than the seats: invalid), one in forty leaves a doubtful mark
    (a light touch on a name kept, or a stroke through part of a name struck) for the committee.
    """

    def __init__(self, items: list[str], seats: int, rng: np.random.Generator) -> None:
        self.items = items
        self.rng = rng
        self.least = len(items) - seats
        order = rng.permutation(len(items))
        weights = np.full(len(items), 0.3)
        weights[order[:7]] = 8.0
        weights[order[7:9]] = 2.5
        self.weights = weights / weights.sum()

    def ballot(self) -> tuple[dict[str, str], dict[str, str]]:
        """(mark kind per target, what the voter meant per target: marked = struck out)."""
        roll = self.rng.random()
        if roll < 0.01:
            strikes = self.least - 2
        elif roll < 0.8:
            strikes = self.least
        else:
            strikes = self.least + int(self.rng.integers(1, 4))
        struck = set(
            self.rng.choice(len(self.items), size=strikes, replace=False, p=self.weights).tolist()
        )
        kinds = {}
        for index, item in enumerate(self.items):
            kinds[f"{item}.strike"] = (
                str(self.rng.choice(["strike", "strike", "strike_wavy", "strike_double"]))
                if index in struck
                else "none"
            )
        if self.rng.random() < 0.025:
            index = int(self.rng.integers(len(self.items)))
            kinds[f"{self.items[index]}.strike"] = "partial" if index in struck else "light_touch"
        meant = {
            f"{item}.strike": "marked" if index in struck else "unmarked"
            for index, item in enumerate(self.items)
        }
        return kinds, meant


class _Scanner:
    """The committee's sheet-fed scanner, in colour at SCAN_DPI: the printed sheet skewed up to
    5 degrees and turned any quarter, resampled, blurred, its contrast dulled, sensor noise.

    ballots.reading.synth.scanner_degrade's model, with the noise cut from one field drawn once
    per process at a random place and strength: drawing fresh Gaussian noise for every page was
    most of the time the demo spent filling ballots.
    """

    def __init__(self, seed: int) -> None:
        side = int(297 / 25.4 * SCAN_DPI * 1.2) + 40  # an A4 page at SCAN_DPI, turned and skewed
        noise = np.random.default_rng([seed, 1 << 20]).standard_normal((side, side, 3), np.float32)
        self.noise = noise

    def scan(self, page: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        scale = SCAN_DPI / PRINT_DPI * rng.uniform(0.99, 1.01)
        h, w = page.shape[:2]
        matrix = cv2.getRotationMatrix2D((w / 2, h / 2), rng.uniform(-5, 5), scale)
        cos, sin = abs(matrix[0, 0]), abs(matrix[0, 1])
        nw, nh = int(h * sin + w * cos) + 20, int(h * cos + w * sin) + 20
        matrix[0, 2] += nw / 2 - w / 2
        matrix[1, 2] += nh / 2 - h / 2
        out = cv2.warpAffine(
            page, matrix, (nw, nh), flags=cv2.INTER_AREA, borderValue=(250, 250, 250)
        )
        turn = int(rng.integers(0, 4))
        if turn:
            out = cv2.rotate(
                out,
                [cv2.ROTATE_90_CLOCKWISE, cv2.ROTATE_180, cv2.ROTATE_90_COUNTERCLOCKWISE][turn - 1],
            )
        out = cv2.GaussianBlur(out, (0, 0), rng.uniform(0.3, 0.8))
        oh, ow = out.shape[:2]
        side = self.noise.shape[0]
        y, x = int(rng.integers(0, side - oh + 1)), int(rng.integers(0, side - ow + 1))
        return cv2.addWeighted(
            out.astype(np.float32),
            rng.uniform(0.92, 1.0),
            self.noise[y : y + oh, x : x + ow],
            rng.uniform(1.5, 4.0),
            0.0,
            dtype=cv2.CV_8U,
        )


class _Filler:
    """Fills, seals and scans ballots of one print run, one ballot at a time, in any process."""

    def __init__(self, pdf: bytes, layout: Any, seed: int) -> None:
        self.document = pdfium.PdfDocument(pdf)
        self.layout = layout
        self.seed = seed
        self.scanner = _Scanner(seed)

    def ballot(self, index: int, kinds: dict[str, str]) -> tuple[bytes, str]:
        # Each ballot its own random stream: the same scans whatever the number of processes.
        rng = np.random.default_rng([self.seed, index])
        scans = []
        for number, page_layout in enumerate(self.layout.pages):
            bitmap = self.document[index * len(self.layout.pages) + number].render(
                scale=PRINT_DPI / 72, grayscale=True
            )
            gray = np.asarray(bitmap.to_numpy())
            gray = np.ascontiguousarray(gray.reshape(gray.shape[0], gray.shape[1], -1)[:, :, 0])
            page = cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR)
            draw_marks(page, page_layout, "strike", PRINT_DPI, rng, choose=kinds)
            if page_layout.seal_box is not None:
                draw_seal(page, page_layout.seal_box, PRINT_DPI, rng)
            # The committee's scanner is set to colour (the red seal is checked on every
            # ballot) and to one resolution.
            scans.append(self.scanner.scan(page, rng))
        if len(scans) == 1:
            ok, encoded = cv2.imencode(".jpg", scans[0], [cv2.IMWRITE_JPEG_QUALITY, 85])
            assert ok
            return encoded.tobytes(), ".jpg"
        images = [Image.fromarray(cv2.cvtColor(s, cv2.COLOR_BGR2RGB)) for s in scans]
        buffer = io.BytesIO()
        images[0].save(
            buffer,
            format="PDF",
            save_all=True,
            append_images=images[1:],
            resolution=float(SCAN_DPI),
            quality=85,
        )
        return buffer.getvalue(), ".pdf"


_FILLER: _Filler | None = None


def _start_filler(pdf: bytes, layout: Any, seed: int) -> None:
    global _FILLER
    _FILLER = _Filler(pdf, layout, seed)


def _fill_one(job: tuple[int, dict[str, str]]) -> tuple[bytes, str]:
    assert _FILLER is not None
    return _FILLER.ballot(*job)


def filled_scans(
    pdf: bytes, layout: Any, seed: int, workers: int = 1
) -> Iterator[tuple[int, dict[str, str], dict[str, str], bytes, str]]:
    """Every printed ballot filled, sealed and scanned in colour: (index, mark kind per target,
    what the voter meant per target, file bytes, file suffix), one file per ballot: a JPEG, or a
    PDF of JPEG pages when the ballot has several pages, as a scanner's "one PDF per ballot"
    makes. In the order of the print run, by `workers` processes."""
    rng = np.random.default_rng(seed)
    voter = Voter([item.id for item in layout.items], layout.seats, rng)
    choices = [voter.ballot() for _ in range(printed_ballots(pdf, layout))]
    jobs = [(index, kinds) for index, (kinds, _) in enumerate(choices)]
    if workers <= 1 or len(jobs) < 2:
        filler = _Filler(pdf, layout, seed)
        try:
            for (index, kinds), (_, meant) in zip(jobs, choices, strict=True):
                yield (index, kinds, meant, *filler.ballot(index, kinds))
        finally:
            filler.document.close()
        return
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(
        max_workers=min(workers, len(jobs)),
        initializer=_start_filler,
        initargs=(pdf, layout, seed),
    ) as pool:
        scans = pool.map(_fill_one, jobs, chunksize=2)
        for (index, kinds), (_, meant), scanned in zip(jobs, choices, scans, strict=True):
            yield (index, kinds, meant, *scanned)


def fill_ballots(
    pdf: bytes, layout: Any, folder: Path, seed: int, workers: int = 1, bar: Any = None
) -> dict[int, dict[str, str]]:
    """Every printed ballot filled and scanned into `folder` (see filled_scans); returns what
    each voter meant, by ballot index."""
    folder.mkdir(parents=True, exist_ok=True)
    intents: dict[int, dict[str, str]] = {}
    for index, _, meant, data, suffix in filled_scans(pdf, layout, seed, workers):
        (folder / f"phieu-{index + 1:04d}{suffix}").write_bytes(data)
        intents[index] = meant
        if bar is not None:
            bar.advance()
    return intents


def printed_ballots(pdf: bytes, layout: Any) -> int:
    document = pdfium.PdfDocument(pdf)
    try:
        return len(document) // len(layout.pages)
    finally:
        document.close()


def review(
    db: Any, count_id: int, intents_by_serial: dict[str, dict[str, str]], story: Any = None
) -> int:
    """The committee reads the paper of every ballot sent to it: one member decides what the
    voter meant, another confirms. Returns the number of ballots decided."""
    decided = 0
    with db.write_session() as session:
        count = counts.get_count(session, count_id)
        evaluation = evaluate(session, count)
        waiting = [i for i, state in evaluation.ballots if state.state == "needs_decision"]
    bar = story.bar("review", len(waiting)) if story is not None else None
    for ballot_id in waiting:
        with db.write_session() as session:
            count = counts.get_count(session, count_id)
            ballot = get_ballot(session, count, ballot_id)
            meant = intents_by_serial.get(ballot.serial or "")
            grave = machine_reason(ballot)
            if meant is None:
                decide(
                    session, count, ballot_id, status="invalid", reason="other", marks={},
                    note="Phiếu không đọc được số sê-ri; Ban Kiểm phiếu đối chiếu bản giấy",
                    actor=DECIDER, member=MEMBERS[0],
                )  # fmt: skip
            elif grave is not None:
                # The machine found it invalid; the committee looks at the paper and agrees.
                decide(
                    session, count, ballot_id, status="invalid", reason=grave, marks={},
                    note="Đối chiếu phiếu giấy", actor=DECIDER, member=MEMBERS[0],
                )  # fmt: skip
            else:
                reading = ballot.recorded
                doubtful: dict[str, Literal["marked", "unmarked"]] = {
                    t.target: "marked" if meant[t.target] == "marked" else "unmarked"
                    for t in reading.targets
                    if t.state == "ambiguous"
                }
                # Read as the voter meant it, the ballot may still break a rule (too few names
                # struck): then the committee declares it invalid for that reason.
                rr = round_rules(session, count)
                outcome = tally.final_outcome(
                    rr.layout,
                    reading,
                    tally.Decision("valid", None, doubtful),
                    rr.seats,
                    rr.nobody_elected_invalid,
                )
                if outcome.status == "invalid":
                    decide(
                        session, count, ballot_id, status="invalid", reason=outcome.reasons[0],
                        marks={}, note="Đối chiếu phiếu giấy", actor=DECIDER, member=MEMBERS[0],
                    )  # fmt: skip
                else:
                    decide(
                        session, count, ballot_id, status="valid", reason=None, marks=doubtful,
                        note="Đối chiếu phiếu giấy: ý chí của cử tri rõ ràng", actor=DECIDER,
                        member=MEMBERS[0],
                    )  # fmt: skip
        with db.write_session() as session:
            count = counts.get_count(session, count_id)
            confirm(session, count, ballot_id, CONFIRMER, "Đồng ý", MEMBERS[1])
        decided += 1
        if bar is not None:
            bar.advance()
    if bar is not None:
        bar.done()
    return decided


class DemoElection:
    """The demo's election in two parts of the story: the ballots filled and put in the
    scanner's tray; then, once the station has read the tray, the committee's work."""

    def __init__(self) -> None:
        self.count_id = 0
        self.intents: dict[str, dict[str, str]] = {}

    def fill(self, story: DemoStory) -> None:
        db, echo = story.db, story.echo
        settings = db.settings
        home = settings.home
        with db.session() as session:
            congress = story.congress(session)
            election = create_election(
                session,
                congress,
                title="Bầu Ban Chấp hành Thành Đoàn khóa XVIII",
                form="strike",
                seats=DEMO_SEATS,
                actor="demo",
                sitting_number=1,
                rules=Rules(threshold_base="summoned"),
            )
            import_candidates(session, election, _candidates(random.Random(story.seed + 5)), "demo")
            _, present = attendance_figures(session, election)
            bar = story.bar("ballots printed", max(1, present))
            printed = print_ballots(settings, session, election, max(1, present), DECIDER)
            election_id = election.id
        (home / "demo-ballots.pdf").write_bytes(printed.pdf)
        bar.done()
        echo(
            f"ballots: election {election_id} ({DEMO_CANDIDATES} candidates, {DEMO_SEATS} seats), "
            f"{printed.run.count} ballots printed, one per full delegate present: {home / 'demo-ballots.pdf'}"
        )

        folder = story.tray
        shutil.rmtree(folder, ignore_errors=True)
        bar = story.bar("ballots filled and scanned", printed.run.count)
        by_index = fill_ballots(printed.pdf, printed.layout, folder, story.seed, story.workers, bar)
        bar.done()
        with db.session() as session:
            serials = list(
                session.scalars(
                    select(IssuedSerial.serial)
                    .where(IssuedSerial.print_run_id == printed.run.id)
                    .order_by(IssuedSerial.id)
                )
            )
        self.intents = {serials[i]: meant for i, meant in by_index.items()}
        echo(f"ballots: {len(self.intents)} filled ballots scanned into {folder}")

        with db.write_session() as session:
            election = get_election(session, election_id)
            count = counts.open_count(
                session,
                election,
                members=MEMBERS,
                issued=printed.run.count,
                collected=len(self.intents),
                actor=DECIDER,
            )
            self.count_id = count.id

    def count(self, story: DemoStory) -> None:
        db, echo = story.db, story.echo
        settings = db.settings
        home = settings.home
        count_id = self.count_id
        decided = review(db, count_id, self.intents, story)
        bar = story.bar("count closed, sealed, minutes", 3)
        with db.write_session() as session:
            count = counts.get_count(session, count_id)
            result = close_count(session, count, "", DECIDER)
        bar.advance()
        root = seal_count(db, count_id)
        bar.advance()
        _write_minutes_and_bundle(db, count_id)
        with db.session() as session:
            slug = story.congress(session).slug
        bar.done()
        ballots = result["ballots"]
        echo(
            f"count: {ballots['counted']} ballots counted, {ballots['valid']} valid, "
            f"{ballots['invalid']} invalid; {decided} decided by two members of the committee; "
            f"{len(result['elected'])} elected of {DEMO_SEATS} seats"
            + ("; a new round is needed" if result.get("new_round_needed") else "")
        )
        echo(f"count: minutes {home / 'demo-minutes.pdf'}, audit bundle {home / 'demo-bundle.zip'}")
        bar = story.bar("verify: every image read again", int(result["ballots"]["counted"]))
        report = verify_bundle(
            home / "demo-bundle.zip",
            workers=story.workers,
            on_read=lambda done, total: bar.to(done),
        )
        bar.done()
        if not report.ok:
            raise RuntimeError(f"the demo's audit bundle does not verify: {report.differences}")
        echo(f"count: `congress ballots verify` recounted every image: it matches (root {root})")
        echo(f"count: results {settings.public_url}/c/{slug}/counts/{count_id}/public")

    def audit(self, story: DemoStory) -> None:
        """The hand audit of the sealed count with a fixed public seed: two members read each
        sampled paper as the voter filled it, until the audit concludes."""
        from ballots.audit.comparison import CONCLUSION_NAMES
        from ballots.audit.hand import HandReading
        from ballots.audit.record import AUDIT_FILE, check_audit_part
        from ballots.audit.service import audit_count, record_readings, report_of, start_audit
        from ballots.proof.format import MANIFEST, read_bundle
        from ballots.proof.verify import VerifyReport

        db, echo = story.db, story.echo
        with db.write_session() as session:
            count = counts.get_count(session, self.count_id)
            started = start_audit(session, count, AUDIT_SEED, "0.05", DECIDER)
            report = report_of(session, count, started)
            layout = audit_count(session, count).layout
        while report["conclusion"] == "in_progress":
            readings = []
            for s in report["sample"]:
                if s["agreed"] is not None:
                    continue
                meant = self.intents.get(s["serial"] or "")
                marked = [t for t, v in (meant or {}).items() if v == "marked"]
                invalid = None if meant is not None else "other"  # no serial on the paper
                for slot, member in ((1, MEMBERS[1]), (2, MEMBERS[2])):
                    readings.append(
                        HandReading.make(layout, s["ballot"], slot, member, marked, invalid)
                    )
            with db.write_session() as session:
                count = counts.get_count(session, self.count_id)
                report = record_readings(session, count, readings, DECIDER)
        seal_count(db, self.count_id)
        # The minutes now print the audit (section 7), and the stored bundle carries it signed:
        # checked from the bundle alone.
        bundle = _write_minutes_and_bundle(db, self.count_id)
        files = read_bundle(bundle)
        checked = VerifyReport()
        check_audit_part(files, json.loads(files[MANIFEST]), checked)
        if not checked.ok or AUDIT_FILE not in files:
            raise RuntimeError(f"the demo's hand audit does not verify: {checked.differences}")
        echo(
            f"audit: seed {AUDIT_SEED}, risk limit 5%: {report['sample_size']} of "
            f"{report['ballots']} ballots read by hand by two members, narrowest margin "
            f"{report['margin']}, {report['discrepancies']} differ from the count; "
            f"{CONCLUSION_NAMES[report['conclusion']]}"
        )

    def steps(self) -> list[DemoStep]:
        return [
            DemoStep(DemoStage.BALLOTS_FILLED, self.fill),
            DemoStep(DemoStage.COUNTED, self.count),
            DemoStep(DemoStage.COUNTED, self.audit),
        ]


def _write_minutes_and_bundle(db: Database, count_id: int) -> Path:
    """The count's minutes and its sealed bundle into the data directory, as they stand (after
    the count, then again after its hand audit); the bundle is linked from the file store, never
    written through: the store's files are content-addressed."""
    home = db.settings.home
    with db.session() as session:
        count = counts.get_count(session, count_id)
        (home / "demo-minutes.pdf").write_bytes(minutes_pdf(count_report(session, count)))
        bundle = FileStore(db.settings.files_dir).path(count.bundle_sha256 or "")
    export_file(bundle, home / "demo-bundle.zip")
    return bundle
