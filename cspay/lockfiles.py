"""Lock files: one per file cspay writes, found from any path that names it, saying who holds it."""

from __future__ import annotations

import errno
import fcntl
import os
import socket
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from cspay.errors import CspayError, OutputError

BUSY = frozenset({errno.EACCES, errno.EAGAIN, errno.EWOULDBLOCK})  # what flock says when another holds it


class LockedError(CspayError):
    """Another cspay run (or another program) holds the ledger or the output file; cron should simply try
    again later."""

    exit_code = 75  # EX_TEMPFAIL from sysexits.h: a temporary failure, worth retrying


def lock_path(path: Path) -> Path:
    """The lock file of `path`: beside the file the path resolves to, so a symlink, `./x/../ledger.db` and
    the file's own name share one lock."""
    return Path(f"{os.path.realpath(path)}.lock")


def account() -> str:
    """The operating-system account this process runs as; the environment's LOGNAME or USER only when the
    uid has no account (some containers), else the uid itself."""
    import pwd

    try:
        return pwd.getpwuid(os.getuid()).pw_name
    except KeyError:
        named = os.environ.get("LOGNAME") or os.environ.get("USER")
        return named or f"uid {os.getuid()}"


def holder_text() -> str:
    """What this process writes into a lock file it holds: who, where, since when, doing what."""
    since = datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    command = " ".join(["cspay", *sys.argv[1:2]])
    return f"pid {os.getpid()}, {account()} on {socket.gethostname()}, {command} since {since}"


def held_by(lock: Path) -> str | None:
    """Who holds `lock`, as its holder wrote it ("unknown" when it wrote nothing yet); None when nobody does."""
    try:
        fd = os.open(lock, os.O_RDONLY)
    except OSError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except OSError as error:
            if error.errno not in BUSY:
                return None
            text = os.read(fd, 400).decode("utf-8", "replace").strip()
            return text or "unknown"
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


def already_running(lock: Path, holder: str | None) -> LockedError:
    """The error for a lock someone else holds, naming them when they said who they are."""
    who = f" (held by {holder})" if holder and holder != "unknown" else ""
    return LockedError(
        f"{lock}: already running: another cspay run holds this lock{who}; try again when it has finished"
    )


_HELD: dict[Path, int] = {}  # the lock files this process holds, each with the number of its acquisition
_TAKEN = [0]


def held_here(path: Path) -> int | None:
    """The number of this process's current hold on the lock of `path` (None when it does not hold it): a
    check made under the same number saw the file as it still is, as far as cspay's runs go."""
    return _HELD.get(lock_path(path))


class FileLock:
    """An exclusive lock on `<real path>.lock`, taken at once or not at all, plus (for a file that exists) a
    lock on the file itself, which its hard links share. Released when the process ends, however it ends."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lock = lock_path(path)
        self._held: list[int] = []

    def acquire(self) -> None:
        try:
            fd = os.open(self.lock, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as error:
            raise OutputError(
                f"{self.lock}: cannot create the lock file ({error.strerror or error}); expected a writable folder"
            ) from None
        self._take(fd, lambda: held_by(self.lock))
        _TAKEN[0] += 1
        _HELD[self.lock] = _TAKEN[0]
        os.ftruncate(fd, 0)
        os.write(fd, holder_text().encode("utf-8", "replace"))
        real = Path(os.path.realpath(self.path))
        if real.is_file():
            # Another name of the same file (a hard link) has another lock file, but not another inode. (The
            # descriptor is closed only after the run's SQLite connections: closing it drops their locks.)
            self._take(os.open(real, os.O_RDONLY), lambda: f"a cspay run writing {real} under another name")

    def _take(self, fd: int, holder: Callable[[], str | None]) -> None:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as error:
            os.close(fd)
            if error.errno in BUSY:
                who = holder()
                self.release()
                raise already_running(self.lock, who) from None
            raise
        self._held.append(fd)

    def release(self) -> None:
        if self._held:
            _HELD.pop(self.lock, None)
        for fd in reversed(self._held):
            os.close(fd)  # closing the descriptor releases its flock
        self._held.clear()

    def __enter__(self) -> FileLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
