"""A one-line progress display on stderr, shown only on a terminal and only for slow work.

Stages report as they start (``progress.stage("gradients")``); nothing is printed until a
second has passed since the start, nor ever when stderr is not a terminal (pipes, CI, tests)
unless forced (``--progress``): then every stage is reported from the start, rewritten in place
on a terminal and one line per stage elsewhere (CI logs, notebooks).
"""

from __future__ import annotations

import sys
import time


class Progress:
    """``[symconv 2.3 s] gradients (3/6)`` rewritten in place; :meth:`done` clears the line."""

    def __init__(self, total: int, stream=None, delay: float = 1.0, force: bool = False):
        self.stream = stream if stream is not None else sys.stderr
        self.total = total
        self.count = 0
        self.start = time.monotonic()
        self.shown = False
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.enabled = self.tty or force
        self.delay = 0.0 if force else delay

    def stage(self, name: str) -> None:
        self.count += 1
        elapsed = time.monotonic() - self.start
        if self.enabled and elapsed >= self.delay:
            line = f"[symconv {elapsed:5.1f} s] {name} ({self.count}/{self.total})"
            self.stream.write(f"\r{line}\033[K" if self.tty else f"{line}\n")
            self.stream.flush()
            self.shown = True

    def done(self) -> None:
        if self.shown and self.tty:
            self.stream.write("\r\033[K")
            self.stream.flush()
