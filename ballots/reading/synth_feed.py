"""A printed page as a sheet-fed scanner delivers it: the sheet off the bed's centre, skewed,
a corner beyond the edge of the image, at the scanner's resolution.

Pure functions over numpy arrays, for tests and benchmarks (`ballots.reading.synth` draws the
voters' marks; this module only moves the sheet).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from ballots.paper.layout import Box, PageLayout

MM = 72 / 25.4  # points per millimetre


@dataclass(frozen=True)
class Feed:
    """How one sheet lies on the scanner's bed and what the scanner makes of it."""

    dpi: float = 200.0  # the scanner's resolution
    offset_mm: tuple[float, float] = (
        0.0,
        0.0,
    )  # the sheet's centre from the bed's, x right, y down
    skew_deg: float = 0.0  # the sheet's turn about its centre, clockwise as the image is seen
    # The scanned area beyond the paper's size on every side (negative: less than the paper,
    # e.g. an A4 sheet scanned as Letter); None: the image holds the whole turned sheet.
    bed_margin_mm: float | None = 0.0
    lid: int = 235  # the lid's grey where the bed sees no sheet
    blur_px: float = 0.5  # the scanner's optics, at its own resolution
    noise: float = 2.0  # sensor noise, standard deviation in grey levels
    seed: int = 0


def _page_to_image(
    width_pt: float, height_pt: float, feed: Feed
) -> tuple[np.ndarray, tuple[int, int]]:
    """The affine map from layout points to the scan's pixels, and the scan's (width, height)."""
    ppp = feed.dpi / 72
    angle = math.radians(feed.skew_deg)
    cos, sin = math.cos(angle), math.sin(angle)
    if feed.bed_margin_mm is None:
        half_w = (abs(cos) * width_pt + abs(sin) * height_pt) / 2 + 2 * MM
        half_h = (abs(sin) * width_pt + abs(cos) * height_pt) / 2 + 2 * MM
        half_w += abs(feed.offset_mm[0]) * MM
        half_h += abs(feed.offset_mm[1]) * MM
    else:
        half_w = width_pt / 2 + feed.bed_margin_mm * MM
        half_h = height_pt / 2 + feed.bed_margin_mm * MM
    size = (int(round(2 * half_w * ppp)), int(round(2 * half_h * ppp)))
    # y grows downwards: a clockwise turn as seen is the rotation matrix with +angle.
    rotate = np.array([[cos, -sin], [sin, cos]])
    centre_out = np.array([half_w + feed.offset_mm[0] * MM, half_h + feed.offset_mm[1] * MM])
    linear = rotate * ppp
    shift = (centre_out * ppp) - linear @ np.array([width_pt / 2, height_pt / 2])
    return np.hstack([linear, shift[:, None]]), size


def feed_page(page: np.ndarray, page_layout: PageLayout, feed: Feed) -> np.ndarray:
    """The scan of `page` (the sheet rendered at any resolution, white paper, gray or BGR) fed
    as `feed` says: what falls beyond the image is lost, the bed the sheet leaves is the lid."""
    to_image, size = _page_to_image(page_layout.width, page_layout.height, feed)
    source_ppp = page.shape[1] / page_layout.width
    to_points = np.array([[1 / source_ppp, 0, 0], [0, 1 / source_ppp, 0], [0, 0, 1]])
    matrix = to_image @ to_points
    ratio = feed.dpi / 72 / source_ppp
    source = page
    if ratio < 1:  # the scanner's sensor integrates the paper: no aliasing when it is coarser
        source = cv2.GaussianBlur(page, (0, 0), 0.45 / ratio)
    lid = (feed.lid,) * (3 if page.ndim == 3 else 1)
    out = cv2.warpAffine(
        source, matrix, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
        borderValue=lid,
    )  # fmt: skip
    if feed.blur_px > 0:
        out = cv2.GaussianBlur(out, (0, 0), feed.blur_px)
    if feed.noise > 0:
        rng = np.random.default_rng(feed.seed)
        out = np.clip(out + rng.normal(0, feed.noise, out.shape), 0, 255).astype(np.uint8)
    return out


def box_inside(page_layout: PageLayout, feed: Feed, box: Box, samples: int = 24) -> float:
    """The share of `box` (layout points) that lies inside the scanned image."""
    to_image, (width, height) = _page_to_image(page_layout.width, page_layout.height, feed)
    x0, y0, x1, y1 = box
    xs, ys = np.meshgrid(np.linspace(x0, x1, samples), np.linspace(y0, y1, samples))
    points = np.stack([xs.ravel(), ys.ravel(), np.ones(xs.size)])
    px, py = to_image @ points
    inside = (px >= 0) & (px < width) & (py >= 0) & (py < height)
    return float(inside.mean())


def marks_inside(page_layout: PageLayout, feed: Feed) -> dict[str, float]:
    """Each registration mark's share inside the image ("tl", "tr", "bl", "br")."""
    return {m.id: box_inside(page_layout, feed, m.box) for m in page_layout.marks}


FEED_KINDS = ("centred", "off-centre", "skew", "clipped corner")


def random_feed(kind: str, dpi: float, page_layout: PageLayout, rng: np.random.Generator) -> Feed:
    """A feed of `kind` (FEED_KINDS): the sheet centred and straight; off the bed's centre by up
    to 5 mm each way; skewed 2-5 degrees either way on a bed of the paper's size (corner marks
    cut at the larger angles); or one corner mark partly beyond the image, three whole."""
    seed = int(rng.integers(0, 2**31))
    if kind == "centred":
        return Feed(dpi, seed=seed)
    if kind == "off-centre":
        return Feed(dpi, offset_mm=(rng.uniform(-5, 5), rng.uniform(-5, 5)), seed=seed)
    if kind == "skew":
        return Feed(dpi, skew_deg=float(rng.choice([-1, 1]) * rng.uniform(2, 5)), seed=seed)
    if kind != "clipped corner":
        raise ValueError(f"unknown feed {kind!r}")
    while True:
        sign_x, sign_y = rng.choice([-1, 1], 2)
        feed = Feed(
            dpi,
            offset_mm=(sign_x * rng.uniform(6, 16), sign_y * rng.uniform(0, 4)),
            skew_deg=float(rng.uniform(-4, 4)),
            seed=seed,
        )
        shares = sorted(marks_inside(page_layout, feed).values())
        if 0.1 < shares[0] < 0.95 and shares[1:] == [1.0, 1.0, 1.0]:
            return feed
