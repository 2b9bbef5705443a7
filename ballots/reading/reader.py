"""Read scanned paper ballots: identify each page, score every target, apply the validity rules."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import cv2
import numpy as np
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ballots.paper.layout import BallotLayout, PageLayout
from ballots.paper.serials import PageToken, PageTokenError, decode_page_token, parse_page_token
from ballots.reading.geometry import (
    FoundQr,
    PageGeometry,
    detection_image,
    find_marks,
    find_qr,
    fit_page,
    least_dpi,
    place_page,
    read_qr,
    scale_homography,
    seen_mask,
    warp_page,
    warp_region,
)
from ballots.reading.imageio import ScannedFile, is_colour, to_gray
from ballots.reading.marks import (
    FineInk,
    FlaggedInk,
    TargetScore,
    allowed_ink_mask,
    classify,
    confirm_strike,
    darkness,
    fine_blank_darkness,
    fine_box,
    fine_strike,
    flag_ink,
    printed_mask,
    reference_darkness,
    score_page,
    seal_present,
    touch_area,
    touch_region,
    visible_strike,
    voter_ink,
)
from ballots.reading.settings import ReadingSettings
from ballots.reasons import READER_REASONS, Status, worst

if TYPE_CHECKING:
    from ballots.paper.design import BallotSpec

__all__ = [
    "READER_VERSION",
    "BallotReading",
    "ElectionRules",
    "PageReading",
    "ReadingContext",
    "ReadingSettings",
    "ReferencePages",
    "analyse_page",
    "annotate",
    "judge",
    "read_ballot",
    "read_files",
    "reference_pages",
]

# Raised whenever the same image and settings can read differently (a new step, a changed
# measure), so a recount can tell a changed reader from a changed ballot. Readings recorded
# without it are version 1. Version 2: the fine strike at touch_dpi (note "fine"), the
# low_resolution review of pages coarser than min_dpi, and PDFs rendered at most at their
# scanned image's resolution. Version 3: a strike marked at the working resolution short of an
# end, or across visible paper or a long unseen stretch of its name, is confirmed at touch_dpi
# (note "hidden"). Version 4: a page with fewer than min_marks marks found is placed by its QR
# and its print (it was page_unreadable); of the best three when four marks disagree; voter ink
# is never found beyond the image's edge, and a target not wholly in the image is ambiguous
# (note "unseen").
# Version 5: thin and faint ink (a 0.15-mm line) read at touch_dpi without
# the 2x2 core rule: every box not marked is scored again there (fine_box: a thin slash is a
# vote, any ink inside at least ambiguous, a ring round the box ambiguous "around", a box with
# no ink scores 0), a name not struck is followed again on its paper (visible_strike), and
# box_marked is 0.5.
READER_VERSION = 5

# Choices that elect on box forms; "disagree"/"no"/"low" never do.
_ELECTING = {"agree", "yes"}


@dataclass(frozen=True)
class ElectionRules:
    seats: int
    nobody_elected_invalid: bool = True
    seal_required: bool = True


class ReferencePages(dict[int, np.ndarray]):
    """Blank pages at the working resolution (page number -> grayscale), which also carry the
    same pages at `touch_dpi` in `fine` for the fine re-reading of unmarked targets."""

    fine: dict[int, np.ndarray]

    def __init__(self, pages: dict[int, np.ndarray], fine: dict[int, np.ndarray]) -> None:
        super().__init__(pages)
        self.fine = fine

    def __reduce__(self) -> Any:  # picklable for process pools
        return (ReferencePages, (dict(self), self.fine))


@dataclass
class ReadingContext:
    """Everything a reading depends on besides the images."""

    layout: BallotLayout
    references: dict[int, np.ndarray]  # page number -> blank page, grayscale, at working_dpi
    public_key: Ed25519PublicKey
    rules: ElectionRules
    settings: ReadingSettings = field(default_factory=ReadingSettings)
    # page number -> blank page at settings.touch_dpi; taken from `references` when it is a
    # ReferencePages (as reference_pages returns). Without them the coarser check at the
    # working resolution (residual_* settings) looks for ink hidden in a name's letters.
    fine_references: dict[int, np.ndarray] | None = None
    # Computed from the fields above on first use; not fields of their own (init=False), so a
    # context made by dataclasses.replace with other settings or pages computes them afresh.
    _cache: dict[int, tuple[np.ndarray, np.ndarray]] = field(
        default_factory=dict, init=False, repr=False
    )
    _dark: dict[int, np.ndarray] = field(default_factory=dict, init=False, repr=False)
    _fine_dark: dict[int, tuple[np.ndarray, ...]] = field(
        default_factory=dict, init=False, repr=False
    )

    def __post_init__(self) -> None:
        if self.fine_references is None and isinstance(self.references, ReferencePages):
            self.fine_references = self.references.fine

    def fine_darks(self, page: PageLayout) -> tuple[np.ndarray, ...] | None:
        """The blank page's darkness at touch_dpi, once per touch_blur_px blur (3x3 max),
        computed once; None without fine blank pages."""
        if self.fine_references is None or page.number not in self.fine_references:
            return None
        if page.number not in self._fine_dark:
            reference = to_gray(self.fine_references[page.number])
            if reference.shape[1] != math.ceil(page.width * self.settings.touch_dpi / 72):
                return None  # not rendered at touch_dpi: the coarse check stands in
            self._fine_dark[page.number] = fine_blank_darkness(reference, self.settings)
        return self._fine_dark[page.number]

    def fine_dark(self, page: PageLayout) -> np.ndarray | None:
        """The unblurred fine blank's darkness (3x3 max) at touch_dpi; None without it."""
        darks = self.fine_darks(page)
        return None if darks is None else darks[0]

    def reference_dark(self, page: PageLayout) -> np.ndarray:
        """The blank page's darkness (3x3 max) at the working resolution, computed once."""
        self.masks(page)
        return self._dark[page.number]

    def reference_gray(self, page: PageLayout) -> np.ndarray:
        """The blank page at the working resolution (pixel = point * dpi / 72), grayscale."""
        from ballots.reading.geometry import page_size_px

        reference = to_gray(self.references[page.number])
        width, height = page_size_px(page, self.settings)
        if reference.shape[1] != width or reference.shape[0] != height:
            # A reference at another resolution: resample so pixel = point * dpi / 72.
            scale = width / reference.shape[1]
            reference = cv2.resize(
                reference, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA
            )
            canvas = np.full((height, width), 255, np.uint8)
            h = min(height, reference.shape[0])
            w = min(width, reference.shape[1])
            canvas[:h, :w] = reference[:h, :w]
            reference = canvas
        return reference

    def masks(self, page: PageLayout) -> tuple[np.ndarray, np.ndarray]:
        """(printed, allowed) masks of a layout page at the working resolution, computed once."""
        if page.number not in self._cache:
            reference = self.reference_gray(page)
            printed = printed_mask(reference, self.settings)
            allowed = allowed_ink_mask(page, self.layout.form, self.settings)
            self._cache[page.number] = (printed, allowed)
            self._dark[page.number] = reference_darkness(reference, self.settings)
        return self._cache[page.number]


def reference_pages(
    spec: BallotSpec, layout: BallotLayout, settings: ReadingSettings
) -> dict[int, np.ndarray]:
    """The printer's blank pages at the reader's working resolution, carrying them at
    `touch_dpi` too (a ReferencePages)."""
    from ballots.paper.raster import render_blank_page

    def render(dpi: float) -> dict[int, np.ndarray]:
        return {
            page.number: render_blank_page(spec, layout, page.number, int(round(dpi)))
            for page in layout.pages
        }

    return ReferencePages(render(settings.working_dpi), render(settings.touch_dpi))


@dataclass
class PageReading:
    """What one scanned page said, before the ballot-level rules."""

    index: int  # position of the page in its file
    file: str
    sha256: str
    token: PageToken | None
    error: str | None  # a reason code when the page could not be identified
    geometry: PageGeometry | None = None
    scores: list[TargetScore] = field(default_factory=list)
    flagged: list[FlaggedInk] = field(default_factory=list)
    colour: bool = False
    seal: bool | None = None  # None: not checked (not page 1, grayscale, or not required)
    seal_share: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)
    dpi: float | None = None  # the page's coarsest sampling in the scan (least_dpi)
    coarse: bool = False  # dpi below settings.min_dpi

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "dpi": round(self.dpi, 1) if self.dpi is not None else None,
            "index": self.index,
            "page": self.token.page if self.token else None,
            "error": self.error,
            "rotation": self.geometry.rotation if self.geometry else None,
            "skew": self.geometry.skew if self.geometry else None,
            "colour": self.colour,
            "seal_red_share": round(self.seal_share, 4) if self.seal is not None else None,
        }


@dataclass
class BallotReading:
    file: str
    image_sha256: str
    serial: str | None
    election_id: int | None
    round: int | None
    status: Status
    reasons: list[str]
    pages: list[PageReading]
    settings: ReadingSettings

    @property
    def scores(self) -> list[TargetScore]:
        return [s for p in self.pages for s in p.scores]

    @property
    def flagged(self) -> list[FlaggedInk]:
        return [f for p in self.pages for f in p.flagged]

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "image_sha256": self.image_sha256,
            "serial": self.serial,
            "election_id": self.election_id,
            "round": self.round,
            "status": self.status,
            "reasons": list(self.reasons),
            "pages": [p.to_dict() for p in self.pages],
            "targets": [
                {
                    "item": s.target.item,
                    "target": s.target.id,
                    "page": s.page,
                    "state": s.state,
                    "score": round(s.score, 4),
                    "note": s.note,
                }
                for s in self.scores
            ],
            "thresholds": {
                "strike": {
                    "marked": self.settings.strike_marked,
                    "marginal": self.settings.strike_marginal,
                },
                "box": {"marked": self.settings.box_marked, "marginal": self.settings.box_marginal},
            },
            "flagged_ink": [
                {"page": f.page, "box": list(f.box), "area_pt2": f.area_pt2} for f in self.flagged
            ],
            "settings": self.settings.to_dict(),
            "reader_version": READER_VERSION,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _identify(text: str | None, context: ReadingContext) -> tuple[PageToken | None, str | None]:
    if text is None:
        return None, "page_unreadable"
    try:
        token = decode_page_token(context.public_key, text)
    except PageTokenError as exc:
        if exc.code == "forged":
            try:
                return parse_page_token(text), "serial_forged"
            except PageTokenError:
                return None, "serial_forged"
        return None, "page_unreadable"
    layout = context.layout
    if (token.election_id, token.round) != (layout.election_id, layout.round) or (
        token.pages != len(layout.pages)
    ):
        return token, "wrong_election"
    return token, None


def analyse_page(
    image: np.ndarray,
    context: ReadingContext,
    index: int = 0,
    file: str = "",
    sha256: str = "",
) -> PageReading:
    """Identify one scanned page and score its targets (pipeline steps 1-6)."""
    import time

    settings = context.settings
    clock = time.perf_counter()
    timings: dict[str, float] = {}

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[name] = (now - clock) * 1000
        clock = now

    gray = to_gray(image)
    small, scale = detection_image(gray, settings)
    lap("prepare")
    marks = find_marks(small)
    lap("marks")
    reading = PageReading(index, file, sha256, None, None, colour=is_colour(image), timings=timings)
    # Every page of a ballot has the marks and QR in the same place, so page 1's layout finds them.
    geometry_small = fit_page(marks, context.layout.pages[0], settings)
    if geometry_small is None:
        # Too few marks (one beyond the image's edge, say): the QR and the page's own print.
        found = find_qr(gray)
        reading.token, reading.error = _identify(found.text if found else None, context)
        if reading.error is None and reading.token is not None and found is not None:
            page = context.layout.page(reading.token.page)
            small_qr = FoundQr(found.text, found.corners * scale)
            placed = place_page(
                small, marks, small_qr, page, context.reference_gray(page), settings
            )
            if placed is None:
                reading.error = "page_unreadable"
            else:
                geometry_small = placed[0]
        lap("qr")
        if geometry_small is None:
            return reading
        homography = scale_homography(geometry_small.homography, 1.0 / scale)
    else:
        homography = scale_homography(geometry_small.homography, 1.0 / scale)
        text = read_qr(gray, homography, context.layout.pages[0], settings)
        reading.token, reading.error = _identify(text, context)
        lap("qr")
    if reading.error is not None or reading.token is None:
        return reading
    page = context.layout.page(reading.token.page)
    reading.geometry = geometry_small
    reading.dpi = least_dpi(geometry_small.homography, page, scale)
    reading.coarse = reading.dpi < settings.min_dpi
    warped = warp_page(small, geometry_small.homography, page, settings)
    # Where the sheet lies beyond the image (a corner off the scanner's bed) nothing is seen:
    # no ink there, and a target not wholly seen is the committee's to read.
    seen = seen_mask(small, geometry_small.homography, page, settings)
    lap("warp")
    printed, allowed = context.masks(page)
    dark = darkness(warped, settings)
    ink = voter_ink(warped, printed, settings, dark)
    if seen is not None:
        ink &= seen
    lap("ink")
    fine_dark = context.fine_darks(page)
    # Without the fine blank, the working resolution's residual check stands in for it.
    coarse_dark = context.reference_dark(page) if fine_dark is None else None
    scores = score_page(page, context.layout.form, ink, printed, settings, dark, coarse_dark)
    if seen is not None:
        scores = [_unseen(s, seen, settings) for s in scores]
    lap("score")
    if fine_dark is not None:
        scores = [
            _recheck(s, gray, homography, fine_dark, context.layout.form, settings) for s in scores
        ]
        lap("touch")
    else:  # nothing finer to confirm a doubtful strike with: the committee decides
        scores = [
            replace(s, state="ambiguous", note="hidden", doubtful=False) if s.doubtful else s
            for s in scores
        ]
    reading.scores = scores
    reading.flagged = flag_ink(page.number, ink, allowed, settings)
    if page.seal_box is not None and context.rules.seal_required and reading.colour:
        seal = warp_region(image, homography, page.seal_box, settings.working_dpi / 72)
        reading.seal, reading.seal_share = seal_present(seal, settings)
    lap("flags")
    return reading


def _unseen(score: TargetScore, seen: np.ndarray, settings: ReadingSettings) -> TargetScore:
    """A target not wholly inside the scanned image: ambiguous, note "unseen"."""
    scale = settings.working_dpi / 72
    x0, y0, x1, y1 = score.target.box
    rows = slice(max(0, int(y0 * scale)), int(math.ceil(y1 * scale)) + 1)
    cols = slice(max(0, int(x0 * scale)), int(math.ceil(x1 * scale)) + 1)
    region = seen[rows, cols]
    if region.size and region.all():
        return score
    return replace(score, state="ambiguous", note="unseen", doubtful=False)


def _recheck(
    score: TargetScore,
    gray: np.ndarray,
    homography: np.ndarray,
    fine_dark: tuple[np.ndarray, ...],
    form: str,
    settings: ReadingSettings,
) -> TargetScore:
    """An unmarked target with faint or hidden ink found at touch_dpi goes to review; a strike
    that the working resolution saw only in pieces is scored again at touch_dpi; a strike it
    read whole only by bridging paper or a long unseen stretch must show whole there."""
    if score.doubtful:
        # Marked at the working resolution short of an end, or across paper or a long stretch
        # it could not see: the sharp blank (short of an end: a blurred one can carry a stroke
        # past its end), or the best of the blanks, must see the stroke through the name.
        short = score.score < settings.fine_strike_marked
        blanks = fine_dark[:1] if short else fine_dark
        seen = confirm_strike(gray, homography, score.target, blanks, settings)
        if seen >= settings.fine_strike_marked:
            return score
        return replace(score, score=seen, state="ambiguous", note="hidden", doubtful=False)
    if form != "strike":
        return _recheck_box(score, gray, homography, fine_dark, settings)
    if score.state == "ambiguous" and score.note is None:
        fine = fine_strike(
            gray, homography, score.target, fine_dark, settings, settings.fine_strike_marked
        )
        if fine >= settings.fine_strike_marked:
            return replace(score, score=fine, state="marked", note="fine")
        thin = visible_strike(gray, homography, score.target, fine_dark, settings)
        if thin is not None and _whole(thin, settings):
            return replace(score, score=thin.score, state="marked", note="fine")
        return score
    if score.state == "ambiguous" and score.note == "touch":
        # Ink on the name that made no strike at the working resolution: a thin or grainy
        # pencil line there is pieces too narrow to count; at touch_dpi it may be whole.
        thin = visible_strike(gray, homography, score.target, fine_dark, settings)
        if thin is not None and _whole(thin, settings):
            return replace(score, score=thin.score, state="marked", note="fine")
        return score
    if score.state != "unmarked":
        return score
    # A thin or faint line on the name's paper: struck through the whole name, or at least
    # seen (a score of 0 means no ink there).
    thin = visible_strike(gray, homography, score.target, fine_dark, settings)
    if thin is not None and thin.ink_px:
        if _whole(thin, settings):
            return replace(score, score=thin.score, state="marked", note="fine")
        value = max(score.score, thin.score, settings.strike_marginal)
        return replace(score, score=value, state="ambiguous", note="touch")
    region = touch_region(score.target, form, settings)
    area = touch_area(gray, homography, region, fine_dark, settings)
    if area < settings.touch_area_pt2:
        return score
    # Seen, so never a score of 0: the share of the region the ink covers.
    share = area / max(1e-6, (region[2] - region[0]) * (region[3] - region[1]))
    return replace(score, score=max(score.score, share), state="ambiguous", note="touch")


def _whole(thin: FineInk, settings: ReadingSettings) -> bool:
    """A thin strike seen through the whole name on its paper, with no doubt about it."""
    return thin.score >= settings.fine_strike_marked and not thin.doubtful


def _recheck_box(
    score: TargetScore,
    gray: np.ndarray,
    homography: np.ndarray,
    fine_dark: tuple[np.ndarray, ...],
    settings: ReadingSettings,
) -> TargetScore:
    """A box not marked at the working resolution, read again at touch_dpi (fine_box): the
    higher of the two scores classifies it; any ink inside it makes it at least ambiguous
    (note "touch"), a ring round it ambiguous (note "around"); with no ink inside at all its
    score is 0. A thin line (0.15 mm) is too faint and too narrow for the working resolution."""
    if score.state == "marked":
        return score
    fine = fine_box(gray, homography, score.target, fine_dark, settings)
    if fine is None:
        return score
    if fine.ink_px == 0 and score.state == "unmarked" and not fine.around:
        return replace(score, score=0.0)
    value = max(score.score, fine.score)
    state = classify(value, settings.box_marked, settings.box_marginal)
    if state == "marked" and fine.score < settings.box_fine_marked:
        state = "ambiguous"  # only the fine step sees it, and not clearly enough
    note = score.note
    if state == "unmarked" and fine.ink_px:
        state, note = "ambiguous", "touch"
    if state != "marked" and fine.around:
        state, note = "ambiguous", "around"
    return replace(score, score=value, state=state, note=note)


def _elected_bounds(layout: BallotLayout, scores: Sequence[TargetScore]) -> tuple[int, int]:
    """The fewest and the most people this ballot can elect, given its ambiguous targets."""
    if layout.form == "strike":
        low = sum(1 for s in scores if s.state == "unmarked")
        high = sum(1 for s in scores if s.state != "marked")
        return low, high
    by_item: dict[str, dict[str, str]] = {}
    for s in scores:
        by_item.setdefault(s.target.item, {})[s.target.choice] = s.state
    low = high = 0
    for states in by_item.values():
        electing = [c for c in states if c in _ELECTING]
        others = [c for c in states if c not in _ELECTING]
        if not electing:
            continue
        yes = states[electing[0]]
        if yes == "marked" and all(states[c] == "unmarked" for c in others):
            low += 1
        if yes != "unmarked" and all(states[c] != "marked" for c in others):
            high += 1
    return low, high


def judge(
    layout: BallotLayout,
    rules: ElectionRules,
    pages: Sequence[PageReading],
    seen_serials: frozenset[str] | set[str] = frozenset(),
) -> tuple[Status, list[str]]:
    """The validity rules (pipeline step 7): the status and every reason code that applies."""
    reasons: set[str] = set()
    for page in pages:
        if page.error:
            reasons.add(page.error)
    tokens = [p.token for p in pages if p.token is not None and p.error is None]
    serials = {t.serial for t in tokens}
    if serials & set(seen_serials):
        reasons.add("serial_seen")
    numbers = [t.page for t in tokens]
    if len(numbers) != len(set(numbers)):
        reasons.add("serial_seen")
    if tokens and not reasons & {"page_unreadable", "serial_forged", "wrong_election"}:
        if set(numbers) != {p.number for p in layout.pages}:
            reasons.add("missing_page")
        scores = [s for p in pages for s in p.scores]
        if any(s.state == "ambiguous" for s in scores):
            reasons.add("ambiguous_mark")
        if any(p.flagged for p in pages):
            reasons.add("private_mark")
        if any(p.coarse for p in pages):
            reasons.add("low_resolution")
        if rules.seal_required:
            first = [p for p in pages if p.token is not None and p.token.page == 1]
            if first:
                if not first[0].colour:
                    reasons.add("seal_unverifiable")
                elif first[0].seal is False:
                    reasons.add("seal_missing")
        if layout.form in ("strike", "agree") and "missing_page" not in reasons:
            low, high = _elected_bounds(layout, scores)
            # On a coarse page an unmarked target may hide a light touch, so the fewest elected
            # is not known: the committee, not the machine, finds such a ballot invalid.
            if low > rules.seats and "low_resolution" not in reasons:
                reasons.add("more_than_seats")
            if high == 0 and rules.nobody_elected_invalid and len(layout.items) > 1:
                reasons.add("nobody_elected")
    ordered = [r for r in READER_REASONS if r in reasons]
    return worst(ordered), ordered


def _assemble(
    pages: list[PageReading], context: ReadingContext, seen: frozenset[str] | set[str]
) -> BallotReading:
    status, reasons = judge(context.layout, context.rules, pages, seen)
    token = next((p.token for p in pages if p.token is not None), None)
    pages = sorted(pages, key=lambda p: (p.token.page if p.token else 0, p.file, p.index))
    return BallotReading(
        file=pages[0].file if pages else "",
        image_sha256=pages[0].sha256 if pages else "",
        serial=token.serial if token else None,
        election_id=token.election_id if token else None,
        round=token.round if token else None,
        status=status,
        reasons=reasons,
        pages=pages,
        settings=context.settings,
    )


def read_ballot(
    pages: list[np.ndarray],
    context: ReadingContext,
    seen_serials: frozenset[str] | set[str] = frozenset(),
    file: str = "",
    sha256: str = "",
) -> BallotReading:
    """Read the pages of ONE ballot (any order, any rotation) into a judged reading."""
    readings = [analyse_page(image, context, i, file, sha256) for i, image in enumerate(pages)]
    return _assemble(readings, context, seen_serials)


def read_files(
    files: Iterable[ScannedFile],
    context: ReadingContext,
    seen_serials: frozenset[str] | set[str] = frozenset(),
) -> list[BallotReading]:
    """Readings of every ballot in the files: pages joined by serial, across files, in order.

    A serial already in `seen_serials`, or a page seen twice in this batch, is rejected as
    serial_seen (a photocopy or a double scan); the first copy read is the one that counts.
    """
    analysed = (
        [
            analyse_page(image, context, index, scanned.name, scanned.sha256)
            for index, image in enumerate(scanned.pages)
        ]
        for scanned in files
    )
    return assemble_files(analysed, context, seen_serials)


def assemble_files(
    analysed: Iterable[list[PageReading]],
    context: ReadingContext,
    seen_serials: frozenset[str] | set[str] = frozenset(),
) -> list[BallotReading]:
    """read_files' second half, for pages analysed elsewhere (a pool of processes): the pages
    of each file, files in order, joined into ballots by serial."""
    groups: dict[str, list[PageReading]] = {}
    order: list[tuple[str, list[PageReading]]] = []
    duplicates: list[PageReading] = []
    for pages in analysed:
        for page in pages:
            if page.token is None or page.error is not None:
                order.append(("", [page]))
                continue
            group = groups.get(page.token.serial)
            if group is None:
                group = groups[page.token.serial] = []
                order.append((page.token.serial, group))
            if any(p.token is not None and p.token.page == page.token.page for p in group):
                duplicates.append(page)
                order.append(("dup", [page]))
                continue
            group.append(page)
    readings = []
    for key, group in order:
        seen = set(seen_serials)
        if key == "dup":
            seen |= {group[0].token.serial} if group[0].token else set()
        readings.append(_assemble(group, context, seen))
    return readings


_GREEN = (40, 170, 40)
_RED = (40, 40, 220)
_ORANGE = (0, 140, 255)
_GREY = (150, 150, 150)


def annotate(
    page: np.ndarray,
    reading: BallotReading,
    context: ReadingContext,
    page_index: int = 0,
    text: bool = True,
) -> np.ndarray:
    """The scan (BGR) with every target outlined and scored and the voter's ink highlighted.

    Green: a counted vote (a name left standing, an agree/yes box); red: struck or against;
    orange: ambiguous, for the committee; grey: an unmarked box. `text`: the codes and scores
    written on it (the engineer's view); the committee's pages write words instead
    (ballots.reading.annotated).
    """
    out = page.copy() if page.ndim == 3 else cv2.cvtColor(page, cv2.COLOR_GRAY2BGR)
    matches = [p for p in reading.pages if p.index == page_index and p.geometry is not None]
    if not matches or matches[0].token is None:
        if text:
            cv2.putText(out, reading.status, (30, 60), cv2.FONT_HERSHEY_SIMPLEX, 2, _RED, 3)
        return out
    page_reading = matches[0]
    geometry = page_reading.geometry
    assert geometry is not None and page_reading.token is not None
    layout_page = context.layout.page(page_reading.token.page)
    gray = to_gray(page)
    small, scale = detection_image(gray, context.settings)
    homography = scale_homography(geometry.homography, 1.0 / scale)
    warped = warp_page(small, geometry.homography, layout_page, context.settings)
    printed, _ = context.masks(layout_page)
    ink = voter_ink(warped, printed, context.settings).astype(np.uint8) * 255
    to_image = homography @ np.diag([72 / context.settings.working_dpi] * 2 + [1.0])
    ink_image = cv2.warpPerspective(ink, to_image, (out.shape[1], out.shape[0])) > 0
    out[ink_image] = (200, 0, 200)
    thick = max(1, int(round(geometry.pixels_per_point / scale)))
    for s in page_reading.scores:
        if s.state == "ambiguous":
            colour = _ORANGE
        elif context.layout.form == "strike":
            colour = _RED if s.state == "marked" else _GREEN
        elif s.state == "marked":
            colour = _GREEN if s.target.choice in _ELECTING else _RED
        else:
            colour = _GREY
        x0, y0, x1, y1 = s.target.box
        corners = np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], np.float64)
        pts = cv2.perspectiveTransform(corners.reshape(-1, 1, 2), homography)
        cv2.polylines(out, [np.round(pts).astype(np.int32)], True, colour, thick * 2)
        if text:
            anchor = tuple(int(v) for v in np.round(pts[1, 0] + [thick * 3, thick * 8]))
            cv2.putText(
                out, f"{s.score:.2f}", anchor, cv2.FONT_HERSHEY_SIMPLEX, 0.4 * thick, colour, thick
            )
    for f in page_reading.flagged:
        x0, y0, x1, y1 = f.box
        corners = np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], np.float64)
        pts = cv2.perspectiveTransform(corners.reshape(-1, 1, 2), homography)
        cv2.polylines(out, [np.round(pts).astype(np.int32)], True, _ORANGE, thick * 2)
    if text:
        label = f"{reading.status} {' '.join(reading.reasons)}"
        cv2.putText(
            out, label, (thick * 20, thick * 20), cv2.FONT_HERSHEY_SIMPLEX, 0.6 * thick, _RED, thick
        )
    return out
