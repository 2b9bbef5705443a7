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
    src = np.concatenate([_box_corners(by_id[i].box) for i in sorted(seen)])
    dst = np.concatenate([seen[i].corners for i in sorted(seen)])
    homography, _ = cv2.findHomography(src, dst, 0)
    if homography is None:
        return None
    back = map_points(np.linalg.inv(homography), dst)
    error = float(np.max(np.linalg.norm(back - src, axis=1)))
    if error > settings.max_mark_error_pt:
        return None
    cx, cy = page.width / 2, page.height / 2
    a, b = map_points(homography, np.array([[cx, cy], [cx + 10, cy]]))
    angle = math.degrees(math.atan2(b[1] - a[1], b[0] - a[0]))
    rotation = int(round(angle / 90.0)) % 4 * 90
    skew = (angle - rotation + 180) % 360 - 180
    ppp = float(np.linalg.norm(b - a) / 10)
    names = {m.aruco_id: m.id for m in page.marks}
    return PageGeometry(
        homography=homography,
        marks_found=tuple(sorted(names[i] for i in seen)),
        mark_error_pt=error,
        rotation=rotation,
        skew=round(skew, 2),
        pixels_per_point=ppp,
    )


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
