"""A progress bar per step of a long command, in plain text: redrawn in place on a terminal,
one line at each quarter in a log or a pipe (so a log shows how far a step came, and when)."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any, TextIO

WIDTH = 24  # characters of the bar itself


class Bar:
    """`label  [#########...............]  37/100  4.2 s`; `done()` writes the last one."""

    def __init__(
        self,
        label: str,
        total: int,
        write: Callable[[str], Any],
        terminal: TextIO | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.label = label
        self.total = max(0, total)
        self.count = 0
        self.write = write  # a whole line (logs, pipes)
        self.terminal = terminal  # redrawn in place when given
        self.clock = clock
        self.started = clock()
        self._quarter = 0
        self._finished = False
        if terminal is not None:
            self._draw()

    def line(self) -> str:
        share = self.count / self.total if self.total else 1.0
        filled = round(WIDTH * min(1.0, share))
        bar = "#" * filled + "." * (WIDTH - filled)
        elapsed = self.clock() - self.started
        return f"{self.label}  [{bar}]  {self.count}/{self.total}  {elapsed:.1f} s"

    def _draw(self) -> None:
        assert self.terminal is not None
        self.terminal.write("\r" + self.line())
        self.terminal.flush()

    def advance(self, n: int = 1) -> None:
        self.to(self.count + n)

    def to(self, count: int) -> None:
        self.count = min(max(count, self.count), self.total)
        if self.terminal is not None:
            self._draw()
            return
        quarter = 4 * self.count // self.total if self.total else 4
        if quarter > self._quarter and self.count < self.total:
            self._quarter = quarter
            self.write(self.line())

    def done(self) -> None:
        """The step is over: its bar full (the whole total), with the time it took."""
        if self._finished:
            return
        self._finished = True
        self.count = self.total
        if self.terminal is not None:
            self.terminal.write("\r" + self.line() + "\n")
            self.terminal.flush()
        else:
            self.write(self.line())


def bars(write: Callable[[str], Any], stream: TextIO | None = None) -> Callable[[str, int], Bar]:
    """Bars that redraw in place when `stream` (default standard output) is a terminal, else
    write whole lines through `write`."""
    out = sys.stdout if stream is None else stream
    terminal = out if out.isatty() else None
    return lambda label, total: Bar(label, total, write, terminal)
