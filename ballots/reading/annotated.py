"""What the committee looks at: a scan with its targets outlined, and a zoomed crop of each doubt."""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np

from ballots.reading.geometry import detection_image, scale_homography
from ballots.reading.imageio import load_bytes
from ballots.reading.reader import ReadingContext, annotate, read_ballot
from congress.limits import Limits

DISPLAY_WIDTH = 1100  # pixels of the annotated page on screen
CROP_PAD_PT = (24.0, 10.0)  # points around a target in its crop (x, y)
CROP_HEIGHT = 140  # pixels of a crop on screen


def annotated_images(
    context: ReadingContext, data: bytes, name: str, limits: Limits
) -> tuple[bytes, dict[str, bytes]]:
    """(JPEG of every page annotated, stacked; {target id: PNG crop}) of one stored scan.

    The scan is read again for its geometry (a stored reading keeps states, not the page's
    homography); the same image and settings give the same reading.
    """
    scanned = load_bytes(data, name, limits=limits)
    pages = list(scanned.pages)
    reading = read_ballot(pages, context, file=name, sha256=scanned.sha256)
    drawn: list[np.ndarray] = []
    crops: dict[str, bytes] = {}
    for page_reading in reading.pages:
        image = pages[page_reading.index]
        out = annotate(image, reading, context, page_reading.index)
        scale_to = DISPLAY_WIDTH / out.shape[1]
        drawn.append(cv2.resize(out, None, fx=scale_to, fy=scale_to, interpolation=cv2.INTER_AREA))
        if page_reading.geometry is None:
            continue
        gray = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
        _, scale = detection_image(gray, context.settings)
        homography = scale_homography(page_reading.geometry.homography, 1.0 / scale)
        for score in page_reading.scores:
            crops[score.target.id] = _crop(out, homography, score.target.box)
    stacked = np.vstack(drawn) if drawn else np.full((200, DISPLAY_WIDTH, 3), 255, np.uint8)
    ok, jpeg = cv2.imencode(".jpg", stacked, [cv2.IMWRITE_JPEG_QUALITY, 85])
    assert ok
    return jpeg.tobytes(), crops


def _crop(image: np.ndarray, homography: np.ndarray, box: Any) -> bytes:
    x0, y0, x1, y1 = box
    px, py = CROP_PAD_PT
    corners = np.array(
        [[x0 - px, y0 - py], [x1 + px, y0 - py], [x1 + px, y1 + py], [x0 - px, y1 + py]],
        np.float64,
    )
    pts = cv2.perspectiveTransform(corners.reshape(-1, 1, 2), homography).reshape(-1, 2)
    left, top = np.floor(pts.min(axis=0)).astype(int)
    right, bottom = np.ceil(pts.max(axis=0)).astype(int)
    height, width = image.shape[:2]
    left, top = max(0, left), max(0, top)
    right, bottom = min(width, right), min(height, bottom)
    piece = image[top:bottom, left:right]
    if piece.size == 0:
        piece = np.full((20, 20, 3), 255, np.uint8)
    zoom = CROP_HEIGHT / piece.shape[0]
    piece = cv2.resize(piece, None, fx=zoom, fy=zoom, interpolation=cv2.INTER_CUBIC)
    ok, png = cv2.imencode(".png", piece)
    assert ok
    return png.tobytes()
