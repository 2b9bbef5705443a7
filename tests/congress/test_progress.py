"""congress.progress: a bar per step, redrawn on a terminal, whole lines in a log."""

from __future__ import annotations

import io

from congress.progress import Bar, bars


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_in_a_log_a_line_at_each_quarter_and_one_when_done() -> None:
    lines: list[str] = []
    clock = Clock()
    bar = Bar("scanner station", 8, lines.append, clock=clock)
    for _ in range(8):
        clock.now += 0.5
        bar.advance()
    bar.done()
    bar.done()  # once
    assert lines == [
        "scanner station  [######..................]  2/8  1.0 s",
        "scanner station  [############............]  4/8  2.0 s",
        "scanner station  [##################......]  6/8  3.0 s",
        "scanner station  [########################]  8/8  4.0 s",
    ]


def test_on_a_terminal_the_bar_is_redrawn_in_place() -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    screen = Terminal()
    lines: list[str] = []
    assert bars(lines.append, screen)("review", 2).terminal is screen
    assert bars(lines.append, io.StringIO())("review", 2).terminal is None  # a log, a pipe
    screen.seek(0)
    screen.truncate()
    bar = Bar("review", 2, lines.append, screen, Clock())
    bar.to(1)
    bar.to(0)  # never backwards
    bar.done()
    assert lines == []
    assert screen.getvalue().split("\r")[1:] == [
        "review  [........................]  0/2  0.0 s",
        "review  [############............]  1/2  0.0 s",
        "review  [############............]  1/2  0.0 s",
        "review  [########################]  2/2  0.0 s\n",
    ]


def test_an_empty_step_is_done_at_once() -> None:
    lines: list[str] = []
    bar = Bar("review", 0, lines.append, clock=Clock())
    bar.done()
    assert lines == ["review  [########################]  0/0  0.0 s"]
