"""Webcam frames of printed badges, rendered from the real badge PDF (tests and benchmark)."""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import cache

import cv2
import numpy as np

from badges.pdf import BadgeCard, Layout, render_badges

FRAME_SIZE = (1280, 720)  # a 720p USB webcam


@dataclass(frozen=True)
class Framing:
    """How the camera sees the badge: scale, where it is held, how it is tilted, how sharp.

    `px_per_mm` follows from distance and field of view: a 720p webcam with a 60° horizontal
    field sees 1.15 x distance across 1280 pixels, so 2.8 px/mm at 40 cm (an A6 badge held
    towards the camera at arm's length on a lanyard) and 4.4 px/mm at 25 cm (a CR80 card).
    """

    px_per_mm: float = 2.8
    centre: tuple[float, float] = (0.5, 0.5)  # fraction of the frame
    angle: float = 8.0  # degrees of in-plane rotation
    tilt: float = 0.06  # perspective: the far edge this fraction shorter
    blur: float = 0.8  # Gaussian sigma in pixels (focus, motion)
    noise: float = 4.0  # sensor noise, grey levels
    jpeg_quality: int = 80  # webcams send MJPG at 720p


def card_image(card: BadgeCard, layout: Layout, px_per_mm: float) -> np.ndarray:
    """The first page of the badge PDF as a BGR image at `px_per_mm`."""
    import pypdfium2

    out = io.BytesIO()
    render_badges([card], layout, out)
    pdf = pypdfium2.PdfDocument(out.getvalue())
    try:
        bitmap = pdf[0].render(scale=px_per_mm * 25.4 / 72)
        rgb = np.array(bitmap.to_pil().convert("RGB"))
    finally:
        pdf.close()
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)


def background(seed: int, size: tuple[int, int] = FRAME_SIZE) -> np.ndarray:
    """A dim, uneven room behind the badge: gradients and a few blurred shapes."""
    return _background(seed, size).copy()


@cache
def _background(seed: int, size: tuple[int, int]) -> np.ndarray:
    rng = np.random.default_rng(seed)
    w, h = size
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    base = 70 + 60 * xs / w + 30 * ys / h
    frame = np.dstack([base * f for f in rng.uniform(0.7, 1.1, 3)])
    for _ in range(6):
        x, y = int(rng.integers(0, w)), int(rng.integers(0, h))
        colour = tuple(float(c) for c in rng.integers(20, 200, 3))
        cv2.circle(frame, (x, y), int(rng.integers(40, 200)), colour, -1)
    return cv2.GaussianBlur(frame, (0, 0), 9).clip(0, 255).astype(np.uint8)


def compose(
    card: np.ndarray, framing: Framing, seed: int, size: tuple[int, int] = FRAME_SIZE
) -> np.ndarray:
    """One camera frame: the card placed, rotated and tilted on a background, then degraded."""
    rng = np.random.default_rng(seed)
    w, h = size
    ch, cw = card.shape[:2]
    corners = np.array([[0, 0], [cw, 0], [cw, ch], [0, ch]], np.float32)
    shrink = framing.tilt * cw / 2
    target = np.array([[0, 0], [cw, shrink], [cw, ch - shrink], [0, ch]], np.float32)
    theta = np.radians(framing.angle)
    rotation = np.array(
        [[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]], np.float32
    )
    target = (target - target.mean(axis=0)) @ rotation.T
    target += np.array([framing.centre[0] * w, framing.centre[1] * h], np.float32)
    matrix = cv2.getPerspectiveTransform(corners, target.astype(np.float32))
    frame = background(seed % 4, size)
    cv2.warpPerspective(
        card, matrix, (w, h), dst=frame, borderMode=cv2.BORDER_TRANSPARENT, flags=cv2.INTER_AREA
    )
    if framing.blur > 0:
        frame = cv2.GaussianBlur(frame, (0, 0), framing.blur)
    noisy = frame.astype(np.float32) + rng.normal(0, framing.noise, frame.shape)
    frame = noisy.clip(0, 255).astype(np.uint8)
    ok, jpeg = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, framing.jpeg_quality])
    assert ok
    decoded = cv2.imdecode(jpeg, cv2.IMREAD_COLOR)
    assert decoded is not None
    return np.asarray(decoded)


def empty_frame(seed: int, size: tuple[int, int] = FRAME_SIZE) -> np.ndarray:
    """The door with nobody holding a badge up."""
    return background(seed, size)
