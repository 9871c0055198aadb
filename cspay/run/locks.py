"""One cspay run at a time per ledger and per output file, whatever path names it: a lock held for the run."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path

from cspay.lockfiles import FileLock


@contextmanager
def locked(paths: Sequence[Path | None]) -> Iterator[None]:
    """Hold the lock of each path given for the whole block (the lock file beside the file the path resolves
    to, and the file itself); LockedError (exit 75), naming the holder, if one is taken. Two paths naming
    one file take its lock once."""
    with ExitStack() as stack:
        taken: set[Path] = set()
        for path in (path for path in paths if path is not None):
            lock = FileLock(path)
            if lock.lock in taken:
                continue
            taken.add(lock.lock)
            stack.enter_context(lock)
        yield
