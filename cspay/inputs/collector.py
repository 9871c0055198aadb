"""Python's cyclic garbage collector paused while inputs build many objects that hold no cycles."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """The cyclic garbage collector paused while tables of an input are built (an export's figures, a
    period's agents folded from its months): they make millions of objects and no cycles, and the
    collector would walk them all again and again (half the time, measured). Once built they are frozen
    (gc.freeze): they are freed as ever when nothing refers to them, but no collection walks them again,
    not even the first one after the pause, which would otherwise walk every object made during it."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.freeze()
            gc.enable()
