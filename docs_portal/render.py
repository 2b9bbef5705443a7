"""Page images for the phone reader: rendered by pdfium in worker processes, cached on disk.

A page image is addressed by the PDF's SHA-256, the page number and the width, so a cached file
never changes: it is served with an ETag and as immutable. Rendering happens in a process pool
(pdfium is not thread-safe, and a 100-page document must not hold up the server); requests for
a page already being rendered wait for that one rendering.
"""

from __future__ import annotations

import asyncio
import functools
import multiprocessing
import os
import tempfile
import threading
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

# Widths offered to phones (CSS pixels x device pixel ratio, rounded up to one of these); the
# widest one keeps small print sharp when a page is zoomed in the reader.
WIDTHS = (480, 720, 1080, 1440, 2160)
DEFAULT_WIDTH = 720
WEBP_QUALITY = 72


def cache_path(cache_dir: Path, sha256: str, page: int, width: int) -> Path:
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise ValueError("not a SHA-256 digest")
    return cache_dir / "pages" / sha256[:2] / sha256 / f"{page}-{width}.webp"


def render_page(pdf_path: str, page: int, width: int, out_path: str) -> int:
    """Render one page (1-based) `width` pixels wide as WebP into out_path; returns its size.

    Runs in a worker process. Only the page's content is drawn: forms are flattened into the
    image and no script of the PDF runs (pdfium's JavaScript support is not built in).
    """
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(pdf_path)
    try:
        pdf_page = document[page - 1]
        try:
            scale = width / pdf_page.get_width()
            bitmap = pdf_page.render(scale=scale, may_draw_forms=True, grayscale=False)
            image = bitmap.to_pil()
        finally:
            pdf_page.close()
    finally:
        document.close()
    target = Path(out_path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=target.parent, prefix=".render-", suffix=".webp")
    try:
        with os.fdopen(fd, "wb") as out:
            image.convert("RGB").save(out, format="WEBP", quality=WEBP_QUALITY, method=4)
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return target.stat().st_size


class PageRenderer:
    """A pool of render processes shared by the app, started on first use."""

    def __init__(self, cache_dir: Path, workers: int) -> None:
        self.cache_dir = cache_dir
        self.workers = max(1, workers)
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()
        self._running: dict[Path, Future[int]] = {}

    def _executor(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                # spawn: the server has threads; a forked child could inherit a held lock.
                self._pool = ProcessPoolExecutor(
                    self.workers, mp_context=multiprocessing.get_context("spawn")
                )
            return self._pool

    def submit(self, pdf_path: Path, sha256: str, page: int, width: int) -> Future[int] | None:
        """Start rendering unless cached or already running; None when the file is there."""
        target = cache_path(self.cache_dir, sha256, page, width)
        if target.exists():
            return None
        with self._lock:
            running = self._running.get(target)
            if running is not None:
                return running
        pool = self._executor()
        try:
            future = pool.submit(render_page, str(pdf_path), page, width, str(target))
        except BrokenProcessPool:
            self._replace(pool)
            future = self._executor().submit(render_page, str(pdf_path), page, width, str(target))
        with self._lock:
            self._running.setdefault(target, future)
            future = self._running[target]
        future.add_done_callback(functools.partial(self._forget, target))
        return future

    def _forget(self, key: Path, _done: object = None) -> None:
        with self._lock:
            self._running.pop(key, None)

    def _replace(self, broken: ProcessPoolExecutor) -> None:
        """Drop a pool whose worker died (killed, out of memory): the next use starts a new one."""
        with self._lock:
            if self._pool is broken:
                self._pool = None
        broken.shutdown(wait=False, cancel_futures=True)

    async def image(self, pdf_path: Path, sha256: str, page: int, width: int) -> Path:
        """The cached image, rendering it first if needed, without blocking the event loop.

        A worker that died takes its pool with it; the page is tried once more in a new pool.
        """
        for attempt in (1, 2):
            pool = self._executor()
            future = self.submit(pdf_path, sha256, page, width)
            if future is None:
                break
            try:
                await asyncio.wrap_future(future)
                break
            except BrokenProcessPool:
                self._replace(pool)
                if attempt == 2:
                    raise
        return cache_path(self.cache_dir, sha256, page, width)

    def prerender(
        self, pdf_path: Path, sha256: str, pages: int, width: int = DEFAULT_WIDTH
    ) -> None:
        """Queue every page at the common width, so the first readers find them ready."""
        for page in range(1, pages + 1):
            self.submit(pdf_path, sha256, page, width)

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


def pick_width(requested: int | None) -> int:
    """The smallest offered width at least as wide as asked (the widest when asked for more)."""
    if not requested:
        return DEFAULT_WIDTH
    for width in WIDTHS:
        if width >= requested:
            return width
    return WIDTHS[-1]
