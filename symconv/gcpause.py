"""Pause Python's cyclic garbage collector while a stage builds many small objects.

Building a large network creates hundreds of thousands of tuples and sympy objects, almost none
of them cyclic; the collector's generation scans then grow with the heap and make the stages
superlinear (64×64 one layer: 0.55 s with the collector on, 0.29 s paused). Reference counting
still frees everything; the collector is re-enabled (if it was on) when the stage returns.
"""

from __future__ import annotations

import functools
import gc


def gc_paused(fn):
    """Decorator: run ``fn`` with automatic garbage collection paused."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            return fn(*args, **kwargs)
        finally:
            if was_enabled:
                gc.enable()

    return wrapper
