"""What the committee looks at: a scan with its targets outlined, and a zoomed crop of each doubt.

Both are turned to the reading orientation the reader found (a sheet fed upside down is shown
the right way up; the stored scan is never changed), and carry words, not codes: the caption
is written by the caller in the reader's language, with a font that has Vietnamese glyphs.
"""

from __future__ import annotations

from functools import cache
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
CAPTION_PX = 34  # the caption's type size on the annotated image
_TURN = {90: cv2.ROTATE_90_COUNTERCLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_CLOCKWISE}


def upright(image: np.ndarray, rotation: int) -> np.ndarray:
    """The image turned so that a page lying at `rotation` (the reader's PageGeometry.rotation:
    0/90/180/270) reads the right way up."""
    turn = _TURN.get(int(rotation) % 360)
    return image if turn is None else cv2.rotate(image, turn)


def annotated_images(
    context: ReadingContext,
    data: bytes,
    name: str,
    limits: Limits,
    caption: str = "",
    hide_serial: bool = False,
) -> tuple[bytes, dict[str, bytes]]:
    """(JPEG of every page annotated, upright, stacked, under `caption`; {target id: PNG crop,
    upright}) of one stored scan. `hide_serial` blanks each page's QR and serial (the hall's
    projector shows the ballot, never whose it could be).

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
        out = annotate(image, reading, context, page_reading.index, text=False)
        geometry = page_reading.geometry
        if geometry is not None:
            gray = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
            _, scale = detection_image(gray, context.settings)
            homography = scale_homography(geometry.homography, 1.0 / scale)
            if hide_serial and page_reading.token is not None:
                qr = context.layout.page(page_reading.token.page).qr
                _fill(out, homography, qr)
            for score in page_reading.scores:
                crops[score.target.id] = _crop(out, homography, score.target.box)
            out = upright(out, geometry.rotation)
        scale_to = DISPLAY_WIDTH / out.shape[1]
        drawn.append(cv2.resize(out, None, fx=scale_to, fy=scale_to, interpolation=cv2.INTER_AREA))
    stacked = np.vstack(drawn) if drawn else np.full((200, DISPLAY_WIDTH, 3), 255, np.uint8)
    if caption:
        stacked = np.vstack([caption_band(caption, stacked.shape[1]), stacked])
    ok, jpeg = cv2.imencode(".jpg", stacked, [cv2.IMWRITE_JPEG_QUALITY, 85])
    assert ok
    return jpeg.tobytes(), crops


def _fill(image: np.ndarray, homography: np.ndarray, box: Any) -> None:
    x0, y0, x1, y1 = box
    corners = np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], np.float64)
    pts = cv2.perspectiveTransform(corners.reshape(-1, 1, 2), homography)
    cv2.fillPoly(image, [np.round(pts).astype(np.int32)], (255, 255, 255))


def _crop(image: np.ndarray, homography: np.ndarray, box: Any) -> bytes:
    """The target and its surroundings resampled straight from the page: upright and unskewed
    whatever way the sheet lay in the scanner."""
    x0, y0, x1, y1 = box
    px, py = CROP_PAD_PT
    zoom = CROP_HEIGHT / (y1 - y0 + 2 * py)  # pixels per point
    width = max(1, int(round((x1 - x0 + 2 * px) * zoom)))
    to_page = np.array([[1 / zoom, 0, x0 - px], [0, 1 / zoom, y0 - py], [0, 0, 1]], np.float64)
    piece = cv2.warpPerspective(
        image,
        homography @ to_page,
        (width, CROP_HEIGHT),
        flags=cv2.INTER_CUBIC | cv2.WARP_INVERSE_MAP,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=(255, 255, 255),
    )
    ok, png = cv2.imencode(".png", piece)
    assert ok
    return png.tobytes()


@cache
def _font(size: int) -> Any:
    from PIL import ImageFont

    from congress.fonts import font_path

    return ImageFont.truetype(str(font_path("Sans-SemiBold")), size)


def caption_band(text: str, width: int, size: int = CAPTION_PX) -> np.ndarray:
    """A white band (BGR) with `text` in dark red, wrapped to `width`: words in any language,
    Vietnamese diacritics included (OpenCV's own fonts have none)."""
    from PIL import Image, ImageDraw

    font = _font(size)
    margin = size // 2
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for word in paragraph.split():
            trial = f"{line} {word}".strip()
            if line and font.getlength(trial) > width - 2 * margin:
                lines.append(line)
                line = word
            else:
                line = trial
        lines.append(line)
    step = int(size * 1.35)
    band = Image.new("RGB", (width, margin * 2 + step * len(lines)), (255, 255, 255))
    draw = ImageDraw.Draw(band)
    for n, line in enumerate(lines):
        draw.text((margin, margin + n * step), line, font=font, fill=(170, 20, 20))
    return cv2.cvtColor(np.asarray(band), cv2.COLOR_RGB2BGR)
