"""The progress line: only on a terminal, only after the delay, cleared at the end."""

from __future__ import annotations

import io

from symconv.progress import Progress


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_silent_when_not_a_terminal():
    stream = io.StringIO()
    p = Progress(3, stream=stream, delay=0.0)
    p.stage("gradients")
    p.done()
    assert stream.getvalue() == ""


def test_silent_before_the_delay():
    stream = Tty()
    p = Progress(3, stream=stream, delay=3600.0)
    p.stage("gradients")
    p.done()
    assert stream.getvalue() == ""


def test_shows_stage_and_count_then_clears():
    stream = Tty()
    p = Progress(3, stream=stream, delay=0.0)
    p.stage("gradients")
    text = stream.getvalue()
    assert text.startswith("\r[symconv ") and text.endswith("gradients (1/3)\033[K")
    p.done()
    assert stream.getvalue().endswith("\r\033[K")


def test_forced_on_a_pipe_writes_every_stage_as_a_line_at_once():
    stream = io.StringIO()
    p = Progress(2, stream=stream, delay=3600.0, force=True)
    p.stage("gradients")
    p.stage("JSON")
    p.done()
    lines = stream.getvalue().splitlines()
    assert [line.split("] ", 1)[1] for line in lines] == ["gradients (1/2)", "JSON (2/2)"]
    assert stream.getvalue().endswith("\n") and "\r" not in stream.getvalue()
