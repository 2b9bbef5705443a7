"""QR codes for every printed and shown symbol: the module matrix, drawn in a PDF or as SVG.

One writer, zxing-cpp's C++ encoder: segno, in pure Python, costs milliseconds a symbol and a
national congress prints 1,600 badges and thousands of ballot pages. Badge and ballot tokens are
upper-case base32, so the writer picks alphanumeric mode (a badge token is version 5 at level M).
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Literal

import numpy as np
import zxingcpp

if TYPE_CHECKING:
    # Only the type: the canvas comes from the caller, and importing ReportLab costs 0.2 s.
    from reportlab.pdfgen.canvas import Canvas

ErrorCorrection = Literal["L", "M", "Q", "H"]


# A badge print run asks for each card's symbol and for the shared portal link's many times;
# bounded, since a server prints run after run.
@lru_cache(maxsize=4096)
def qr_modules(text: str, ec_level: ErrorCorrection = "M") -> np.ndarray:
    """The QR matrix of `text`, True where dark, without quiet zone (read-only: it is shared)."""
    barcode = zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.QRCode, ec_level=ec_level)
    cells = np.asarray(barcode.to_image(scale=1, add_quiet_zones=False)) < 128
    cells.flags.writeable = False
    return cells


def _runs(cells: np.ndarray) -> list[tuple[int, int, int]]:
    """Every horizontal run of dark cells as (row, first column, column after the last)."""
    padded = np.pad(cells, ((0, 0), (1, 1)))
    # Every padded row starts and ends light, so its edges come in (start, end) pairs, row by row.
    rows, cols = np.nonzero(padded[:, 1:] != padded[:, :-1])
    return list(zip(rows[0::2].tolist(), cols[0::2].tolist(), cols[1::2].tolist(), strict=True))


def fill_ops(cells: np.ndarray) -> str:
    """PDF path operators filling each horizontal run of dark cells, in cell units, y down."""
    ops = [f"{start} {row} {end - start} 1 re" for row, start, end in _runs(cells)]
    ops.append("f")
    return "\n".join(ops)


def draw_cells(canvas: Canvas, cells: np.ndarray, left: float, top: float, cell: float) -> None:
    """The dark cells of a grid (a QR symbol, a printed marker) as one vector path, the grid's
    top-left corner at (`left`, `top`) in canvas units, each cell `cell` wide."""
    canvas.saveState()
    canvas.setFillGray(0)
    # A flipped transform keeps the operators in small integers: fast to write, small file.
    canvas.transform(cell, 0, 0, -cell, left, top)
    canvas.addLiteral(fill_ops(cells))
    canvas.restoreState()


def draw_qr(
    canvas: Canvas, cells: np.ndarray, left: float, top: float, size: float, quiet: int
) -> None:
    """The symbol `cells` with a quiet zone of `quiet` modules, filling the `size` square whose
    top-left corner is at (`left`, `top`) in canvas units; the quiet zone itself is not drawn."""
    module = size / (cells.shape[1] + 2 * quiet)
    draw_cells(canvas, cells, left + quiet * module, top - quiet * module, module)


def qr_svg(cells: np.ndarray, scale: int = 8, quiet: int = 4, css_class: str = "qr") -> str:
    """The symbol as an SVG document sized by its viewBox: black modules on white, one module
    `scale` units, `quiet` modules of quiet zone (the markup segno writes for these options)."""
    side = cells.shape[1] + 2 * quiet
    steps: list[str] = []
    x, y = 0, 0.0
    # One stroke of width 1 along the middle of each run, each move relative to the last end.
    for row, start, end in _runs(cells):
        line = quiet + row + 0.5
        dy = line - y
        move = "m" if steps else "M"
        steps.append(
            f"{move}{quiet + start - x} {int(dy) if dy.is_integer() else dy}h{end - start}"
        )
        x, y = quiet + end, line
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {side * scale} {side * scale}"'
        f' class="{css_class}"><g transform="scale({scale})">'
        f'<path fill="#fff" d="M0 0h{side}v{side}h-{side}z"/>'
        f'<path stroke="#000" d="{"".join(steps)}"/></g></svg>\n'
    )
