"""A large output file sent to disk as it grows, and let go of by the page cache ("drop-behind").

A run's JSON of a million payslips is 1.6 GB. Written whole and synced once at the end, all of it sits in
memory as dirty pages until that sync, and on the machine the benchmarks ran on the system's own work to
hold it grew much faster than the file: writing 1.6 GB from Python cost 1.5 to 5.8 s of system CPU, 160 MB
cost 0.07 s. Syncing every 64 MiB and telling the system the written part will not be read again keeps the
pages in use few: the same 1.6 GB then cost 0.7 to 0.9 s. The file is still moved into place only once
whole (cspay.outputs.files.atomic_output); this only decides when its bytes reach the disk.
"""

from __future__ import annotations

import os
import stat
from typing import IO, Any

SYNC_EVERY = 64 * 1024 * 1024  # characters written between two syncs (bytes, for ASCII text)


class DropBehind:
    """Counts what is written to a handle and, every SYNC_EVERY characters, syncs the file and drops the
    written part from the page cache; does nothing for a handle that is not a regular file (a StringIO, a
    pipe) or on a system without fdatasync and posix_fadvise."""

    def __init__(self, handle: IO[Any], every: int | None = None) -> None:
        self.handle, self.every, self.pending = handle, SYNC_EVERY if every is None else every, 0
        self.descriptor = _regular_file(handle)

    def wrote(self, characters: int) -> None:
        """Count `characters` just written; sync and drop what is written once enough has been."""
        if self.descriptor is None:
            return
        self.pending += characters
        if self.pending >= self.every:
            self.pending = 0
            self.handle.flush()
            os.fdatasync(self.descriptor)
            os.posix_fadvise(self.descriptor, 0, 0, os.POSIX_FADV_DONTNEED)  # clean now: the whole file so far


def _regular_file(handle: IO[Any]) -> int | None:
    """The handle's file descriptor when it is a regular file this system can sync and drop, else None."""
    if not (hasattr(os, "fdatasync") and hasattr(os, "posix_fadvise")):
        return None  # macOS, Windows: the final sync does it all, as before
    try:
        descriptor = handle.fileno()
        return descriptor if stat.S_ISREG(os.fstat(descriptor).st_mode) else None
    except (OSError, ValueError):  # io.UnsupportedOperation is both: no descriptor (a StringIO)
        return None
