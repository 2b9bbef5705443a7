"""Find a scanned page's registration marks, map it onto the layout, warp it and read its QR."""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from ballots.paper.layout import Box, PageLayout
from ballots.reading.settings import ReadingSettings

_DICTIONARY = cv2.aruco.getPredefinedDictionary(cv2.aruco.DICT_4X4_50)


def _detector() -> cv2.aruco.ArucoDetector:
    params = cv2.aruco.DetectorParameters()
    params.cornerRefinementMethod = cv2.aruco.CORNER_REFINE_SUBPIX
    return cv2.aruco.ArucoDetector(_DICTIONARY, params)


_DETECTOR = _detector()


@dataclass(frozen=True)
class DetectedMark:
    aruco_id: int
    corners: np.ndarray  # 4 x 2 float, image pixels, in the marker's own corner order


@dataclass(frozen=True)
class PageGeometry:
    """Where the layout sits in the image: layout points -> image pixels."""

    homography: np.ndarray  # 3 x 3, maps (x_pt, y_pt, 1) to image pixels
    marks_found: tuple[str, ...]
    mark_error_pt: float  # worst corner misplacement, mapped back to points
    rotation: int  # 0/90/180/270: how the page lies in the image
    skew: float  # degrees beyond that rotation
    pixels_per_point: float


def detection_image(gray: np.ndarray, settings: ReadingSettings) -> tuple[np.ndarray, float]:
    """The image the marks are searched in, and its scale relative to `gray`."""
    side = max(gray.shape[:2])
    if side <= settings.detect_max_side:
        return gray, 1.0
    scale = settings.detect_max_side / side
    small = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    return small, scale


def find_marks(gray: np.ndarray) -> list[DetectedMark]:
    """Every DICT_4X4_50 marker in the image (any rotation), in the image's pixel coordinates."""
    corners, ids, _ = _DETECTOR.detectMarkers(gray)
    if ids is None:
        return []
    return [
        DetectedMark(int(i), np.asarray(c, np.float64).reshape(4, 2))
        for c, i in zip(corners, ids.ravel(), strict=True)
    ]


def _box_corners(box: Box) -> np.ndarray:
    x0, y0, x1, y1 = box
    return np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], np.float64)


def map_points(homography: np.ndarray, points: np.ndarray) -> np.ndarray:
    pts = np.asarray(points, np.float64).reshape(-1, 1, 2)
    return cv2.perspectiveTransform(pts, homography).reshape(-1, 2)


def fit_page(
    marks: list[DetectedMark], page: PageLayout, settings: ReadingSettings
) -> PageGeometry | None:
    """The homography from the layout's marks to the detected ones; None when too few or wrong.

    Each marker's corners come back in the marker's own order, so matching ids to the layout's
    marks undoes any rotation (a sheet fed upside down) without a separate orientation step.
    """
    by_id = {m.aruco_id: m for m in page.marks if m.aruco_id is not None}
    seen: dict[int, DetectedMark] = {}
    for mark in marks:
        if mark.aruco_id in by_id and mark.aruco_id not in seen:
            seen[mark.aruco_id] = mark
    if len(seen) < settings.min_marks:
        return None
    names = {m.aruco_id: m.id for m in page.marks}
    ids = sorted(seen)
    # A mark half beyond the image's edge, or a look-alike, can be found in the wrong place:
    # when the four found do not agree, the three that agree best are taken.
    best: tuple[float, np.ndarray, list[int]] | None = None
    for subset in [ids] + ([[i for i in ids if i != out] for out in ids] if len(ids) > 3 else []):
        src = np.concatenate([_box_corners(by_id[i].box) for i in subset])
        dst = np.concatenate([seen[i].corners for i in subset])
        homography, _ = cv2.findHomography(src, dst, 0)
        if homography is None:
            continue
        back = map_points(np.linalg.inv(homography), dst)
        error = float(np.max(np.linalg.norm(back - src, axis=1)))
        if error <= settings.max_mark_error_pt and len(subset) == len(ids):
            best = (error, homography, subset)
            break
        if best is None or error < best[0]:
            best = (error, homography, subset)
    if best is None or best[0] > settings.max_mark_error_pt:
        return None
    error, homography, subset = best
    return _geometry(homography, page, tuple(sorted(names[i] for i in subset)), error)


def least_dpi(homography: np.ndarray, page: PageLayout, image_scale: float = 1.0) -> float:
    """The coarsest sampling of the page in the image, in dots per inch: the shortest image
    step of one point, across and down, over a 5 x 5 grid of the page (a photo taken at an
    angle samples the far edge coarser). `image_scale`: the image's size relative to the scan."""
    least = math.inf
    for x in np.linspace(0, page.width, 5):
        for y in np.linspace(0, page.height, 5):
            at, across, down = map_points(homography, np.array([[x, y], [x + 1, y], [x, y + 1]]))
            least = min(least, float(np.linalg.norm(across - at)), float(np.linalg.norm(down - at)))
    return least / image_scale * 72


def scale_homography(homography: np.ndarray, image_scale: float) -> np.ndarray:
    """The homography onto an image resized by `image_scale`."""
    return np.diag([image_scale, image_scale, 1.0]) @ homography


def warp_region(
    image: np.ndarray, homography: np.ndarray, box: Box, pixels_per_point: float
) -> np.ndarray:
    """The layout region `box`, rectified at `pixels_per_point`, sampled from `image`."""
    x0, y0, x1, y1 = box
    width = max(1, int(math.ceil((x1 - x0) * pixels_per_point)))
    height = max(1, int(math.ceil((y1 - y0) * pixels_per_point)))
    to_points = np.array(
        [[1 / pixels_per_point, 0, x0], [0, 1 / pixels_per_point, y0], [0, 0, 1]], np.float64
    )
    return cv2.warpPerspective(
        image,
        homography @ to_points,
        (width, height),
        flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
        borderMode=cv2.BORDER_REPLICATE,
    )


def page_size_px(page: PageLayout, settings: ReadingSettings) -> tuple[int, int]:
    """(width, height) of the working page, as pdfium renders the reference at working_dpi."""
    scale = settings.working_dpi / 72
    return int(math.ceil(page.width * scale)), int(math.ceil(page.height * scale))


def warp_page(
    image: np.ndarray, homography: np.ndarray, page: PageLayout, settings: ReadingSettings
) -> np.ndarray:
    """The whole page on the layout's coordinates at working_dpi (pixel = point * dpi / 72)."""
    scale = settings.working_dpi / 72
    width, height = page_size_px(page, settings)
    return warp_region(image, homography, (0.0, 0.0, width / scale, height / scale), scale)


def read_qr(
    gray: np.ndarray, homography: np.ndarray, page: PageLayout, settings: ReadingSettings
) -> str | None:
    """The text of the page's QR, decoded from the rectified QR area only (fast, robust)."""
    import zxingcpp

    x0, y0, x1, _ = page.qr
    side = x1 - x0
    margin = side * 0.08
    box = (x0 - margin, y0 - margin, x1 + margin, y0 + side + margin)
    ppp = settings.qr_dpi / 72
    crop = warp_region(gray, homography, box, ppp)
    for candidate in (crop, cv2.GaussianBlur(crop, (3, 3), 0)):
        results = zxingcpp.read_barcodes(candidate, formats=zxingcpp.BarcodeFormat.QRCode)  # type: ignore[arg-type]
        for result in results:
            if result.valid and result.text:
                return str(result.text)
    return None


def read_qr_anywhere(gray: np.ndarray) -> str | None:
    """Fallback for pages whose marks were not found: a QR anywhere in the image."""
    import zxingcpp

    qr = zxingcpp.BarcodeFormat.QRCode
    for result in zxingcpp.read_barcodes(gray, formats=qr):  # type: ignore[arg-type]
        if result.valid and result.text:
            return str(result.text)
    return None


# ---------------------------------------------------------------- placing a page by its print
# A page whose marks are not enough (a corner beyond the image's edge, a torn or covered mark)
# is placed by its QR, whatever marks were found, and then the page's own print (the table's
# lines, the names, the header) aligned with the blank page.


@dataclass(frozen=True)
class FoundQr:
    text: str
    corners: np.ndarray  # 4 x 2 image pixels: the symbol's own top-left, top-right, bottom-right,
    # bottom-left (its outer edge, quiet zone excluded), whatever way the page lies


def find_qr(gray: np.ndarray) -> FoundQr | None:
    """The first valid QR anywhere in the image, with its corners."""
    import zxingcpp

    qr = zxingcpp.BarcodeFormat.QRCode
    for result in zxingcpp.read_barcodes(gray, formats=qr):  # type: ignore[arg-type]
        if result.valid and result.text:
            p = result.position
            corners = [p.top_left, p.top_right, p.bottom_right, p.bottom_left]
            return FoundQr(str(result.text), np.array([[c.x, c.y] for c in corners], np.float64))
    return None


def qr_symbol_corners(page: PageLayout, text: str) -> np.ndarray:
    """Where the symbol of `text` is printed on `page`, in points (tl, tr, br, bl): the QR
    area's square minus its 4-module quiet zone, the symbol's size being the text's own."""
    from congress.qr import qr_modules

    modules = qr_modules(text).shape[1]
    x0, y0, x1, _ = page.qr
    quiet = 4 * (x1 - x0) / (modules + 8)
    return _box_corners((x0 + quiet, y0 + quiet, x1 - quiet, y0 + (x1 - x0) - quiet))


def _ecc(
    template: np.ndarray, image: np.ndarray, mask: np.ndarray, warp: np.ndarray, motion: int
) -> tuple[float, np.ndarray] | None:
    """ECC alignment of `image` onto `template` from `warp`; None when it does not converge."""
    criteria = (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 60, 1e-5)
    try:
        rho, found = cv2.findTransformECC(template, image, warp, motion, criteria, mask, 5)
    except cv2.error:  # no convergence: the print does not match
        return None
    return float(rho), found


# Coarse to fine: the shares of the working resolution aligned at. The map is affine: a
# scanner's is, and a perspective fitted to part of a page (the rest beyond the image) runs
# away. Placed this way, pages measured within 1 pt of where they lie (150-300 dpi, skews to
# 5 degrees); a phone photo's perspective correlates less and is refused when too strong.
LEVELS = (0.25, 0.5)


def refine_by_print(
    image: np.ndarray,
    homography: np.ndarray,
    page: PageLayout,
    reference: np.ndarray,
    settings: ReadingSettings,
) -> tuple[np.ndarray, float] | None:
    """`homography` (layout points -> `image` pixels) corrected so the scan's print lies on the
    blank page's (`reference`, at working_dpi), coarse to fine; with the correlation of the
    two at the end. The QR area, the seal box and what the image does not hold are left out."""
    scale = settings.working_dpi / 72
    to_px = np.diag([scale, scale, 1.0])
    warped = warp_page(image, homography, page, settings)
    mask = cv2.erode(_inside(image, homography, page, settings), np.ones((5, 5), np.uint8))
    for box in (page.qr, page.seal_box):
        if box is not None:
            x0, y0, x1, y1 = (int(round(v * scale)) for v in box)
            mask[max(0, y0 - 4) : y1 + 4, max(0, x0 - 4) : x1 + 4] = 0
    template = reference.astype(np.float32)
    scan = warped.astype(np.float32)
    warp = np.eye(3, dtype=np.float32)
    result: tuple[float, np.ndarray] | None = None
    for level in LEVELS:
        size = (max(8, int(template.shape[1] * level)), max(8, int(template.shape[0] * level)))
        t = cv2.resize(template, size, interpolation=cv2.INTER_AREA)
        s = cv2.resize(scan, size, interpolation=cv2.INTER_AREA)
        m = cv2.resize(mask, size, interpolation=cv2.INTER_NEAREST)
        # The level's own pixel sizes, not `level`: a rounded size would stretch the map.
        sx, sy = size[0] / template.shape[1], size[1] / template.shape[0]
        at_level = np.diag([sx, sy, 1.0]).astype(np.float32)
        start = at_level @ warp @ np.linalg.inv(at_level)
        result = _ecc(t, s, m, start[:2], cv2.MOTION_AFFINE)
        if result is None:
            return None
        found = np.vstack([result[1], [0, 0, 1]]).astype(np.float32)
        warp = (np.linalg.inv(at_level) @ found @ at_level).astype(np.float32)
    assert result is not None
    corrected = homography @ np.linalg.inv(to_px) @ warp.astype(np.float64) @ to_px
    return corrected / corrected[2, 2], result[0]


def place_page(
    image: np.ndarray,
    marks: list[DetectedMark],
    qr: FoundQr,
    page: PageLayout,
    reference: np.ndarray,
    settings: ReadingSettings,
) -> tuple[PageGeometry, float] | None:
    """A page placed by its QR and whatever marks of `page` were found (`marks` and `qr` in
    `image`'s pixels), then by its print; None when the print does not agree
    (`place_min_correlation`) or the result misplaces a found mark by more than
    `max_mark_error_pt`. Returns the geometry and the print's correlation."""
    by_id = {m.aruco_id: m for m in page.marks if m.aruco_id is not None}
    seen: dict[int, DetectedMark] = {}
    for mark in marks:
        if mark.aruco_id in by_id and mark.aruco_id not in seen:
            seen[mark.aruco_id] = mark
    src = [qr_symbol_corners(page, qr.text)] + [_box_corners(by_id[i].box) for i in sorted(seen)]
    dst = [qr.corners] + [seen[i].corners for i in sorted(seen)]
    # A scanner's map is affine; from a QR 25 mm wide a perspective would be a guess.
    affine, _ = cv2.estimateAffine2D(
        np.concatenate(src).astype(np.float32), np.concatenate(dst).astype(np.float32),
        method=cv2.LMEDS,
    )  # fmt: skip
    if affine is None:
        return None
    start = np.vstack([affine, [0, 0, 1]])
    refined = refine_by_print(image, start, page, reference, settings)
    if refined is None or refined[1] < settings.place_min_correlation:
        return None
    homography, rho = refined
    error = 0.0
    if seen:
        points = np.concatenate([seen[i].corners for i in sorted(seen)])
        back = map_points(np.linalg.inv(homography), points)
        layout = np.concatenate([_box_corners(by_id[i].box) for i in sorted(seen)])
        error = float(np.max(np.linalg.norm(back - layout, axis=1)))
        if error > settings.max_mark_error_pt:
            return None
    names = {m.aruco_id: m.id for m in page.marks}
    return _geometry(homography, page, tuple(sorted(names[i] for i in seen)), error), rho


def _geometry(
    homography: np.ndarray, page: PageLayout, found: tuple[str, ...], error: float
) -> PageGeometry:
    cx, cy = page.width / 2, page.height / 2
    a, b = map_points(homography, np.array([[cx, cy], [cx + 10, cy]]))
    angle = math.degrees(math.atan2(b[1] - a[1], b[0] - a[0]))
    rotation = int(round(angle / 90.0)) % 4 * 90
    skew = (angle - rotation + 180) % 360 - 180
    return PageGeometry(
        homography=homography,
        marks_found=found,
        mark_error_pt=error,
        rotation=rotation,
        skew=round(skew, 2),
        pixels_per_point=float(np.linalg.norm(b - a) / 10),
    )


def seen_mask(
    image: np.ndarray, homography: np.ndarray, page: PageLayout, settings: ReadingSettings
) -> np.ndarray | None:
    """Where the working page (warp_page) holds pixels of the image; None when all of it does."""
    h, w = image.shape[:2]
    corners = map_points(homography, _box_corners((0.0, 0.0, page.width, page.height)))
    if corners.min() >= 0 and corners[:, 0].max() <= w - 1 and corners[:, 1].max() <= h - 1:
        return None
    # The edge rows replicated by warp_page, and the scanner's blur of the edge, are not seen.
    return cv2.erode(_inside(image, homography, page, settings), np.ones((3, 3), np.uint8)) > 0


def _inside(
    image: np.ndarray, homography: np.ndarray, page: PageLayout, settings: ReadingSettings
) -> np.ndarray:
    """1 where the working page (warp_page) holds pixels of `image`, 0 beyond its edges."""
    scale = settings.working_dpi / 72
    width, height = page_size_px(page, settings)
    to_points = np.array([[1 / scale, 0, 0], [0, 1 / scale, 0], [0, 0, 1]], np.float64)
    return cv2.warpPerspective(
        np.ones(image.shape[:2], np.uint8), homography @ to_points, (width, height),
        flags=cv2.INTER_NEAREST | cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_CONSTANT,
        borderValue=0,
    )  # fmt: skip
