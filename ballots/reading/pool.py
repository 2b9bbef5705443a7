"""Many scanned files read at once: one process per core, each building the reading context
once; the pages come back in the order of the files, so the output is the one-process output."""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ballots.reading.context import ContextDescription
from ballots.reading.imageio import ImageFileError, load_file
from ballots.reading.reader import PageReading, ReadingContext, analyse_page
from congress.limits import Limits

__all__ = ["FileRefused", "analyse_file", "analysed_files"]


@dataclass(frozen=True)
class FileRefused:
    """A file that cannot be read, or is beyond the limits: the refusal's code and message
    (a msgid with its parameters), to be translated where it is shown."""

    code: str
    message: str
    params: dict[str, Any]

    def error(self) -> ImageFileError:
        return ImageFileError(self.code, self.message, **self.params)


def analyse_file(
    path: Path, context: ReadingContext, limits: Limits
) -> list[PageReading] | FileRefused:
    """Every page of one file analysed (the ballot rules come later, over all files)."""
    try:
        scanned = load_file(path, limits=limits)
    except ImageFileError as exc:
        return FileRefused(exc.code, exc.message, dict(exc.params))
    return [
        analyse_page(image, context, index, scanned.name, scanned.sha256)
        for index, image in enumerate(scanned.pages)
    ]


_WORKER: tuple[ReadingContext, Limits] | None = None


def _start(described: ContextDescription, limits: Limits) -> None:
    # No cv2.setNumThreads here: in a process forked from one that used OpenCV's threads, it
    # waits for ever on a lock of the parent's thread pool.
    global _WORKER
    _WORKER = (described.build(), limits)


def _analyse(path: Path) -> list[PageReading] | FileRefused:
    assert _WORKER is not None
    return analyse_file(path, *_WORKER)


def analysed_files(
    paths: Sequence[Path], described: ContextDescription, workers: int, limits: Limits = Limits()
) -> Iterator[list[PageReading] | FileRefused]:
    """The pages of each file (or its refusal), in the order of `paths`, read by `workers`
    processes (in this one when 1)."""
    if workers <= 1 or len(paths) < 2:
        context = described.build()
        for path in paths:
            yield analyse_file(path, context, limits)
        return
    with ProcessPoolExecutor(
        max_workers=min(workers, len(paths)),
        mp_context=multiprocessing.get_context("fork"),
        initializer=_start,
        initargs=(described, limits),
    ) as pool:
        yield from pool.map(_analyse, paths, chunksize=1)
