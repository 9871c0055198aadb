"""One cspay run at a time per ledger and per output file: a lock file beside each, held for the run."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path

from cspay.errors import CspayError, OutputError


class LockedError(CspayError):
    """Another cspay run holds the ledger or the output file; cron should simply try again later."""

    exit_code = 75  # EX_TEMPFAIL from sysexits.h: a temporary failure, worth retrying


@contextmanager
def locked(paths: Sequence[Path | None]) -> Iterator[None]:
    """Hold `<path>.lock` for each path given for the whole block; LockedError (exit 75) if one is taken."""
    from filelock import FileLock, Timeout

    with ExitStack() as stack:
        for path in (Path(f"{path}.lock") for path in paths if path is not None):
            try:
                stack.enter_context(FileLock(path, timeout=0))
            except Timeout:
                raise LockedError(
                    f"{path}: already running: another cspay run holds this lock; try again when it has finished"
                ) from None
            except OSError as error:
                raise OutputError(
                    f"{path}: cannot create the lock file ({error.strerror or error}); expected a writable folder"
                ) from None
        yield
