"""Writing files safely: a file appears whole or not at all, and never replaces one without --force."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from cspay.errors import OutputError


def check_target(path: Path | None, force: bool) -> None:
    """Fail before any work if `path` cannot be written as asked."""
    if path is None:
        return
    if path.exists() and not force:
        raise OutputError(f"{path}: the file exists; pass --force to replace it")
    if path.is_dir():
        raise OutputError(f"{path}: is a folder; expected a file name")
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise OutputError(f"{path}: the folder {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(f"{path}: the folder {folder} is not writable")
    try:  # os.access says yes to root even where nobody can write (a read-only disk, an immutable folder)
        tempfile.NamedTemporaryFile(dir=folder, prefix=".cspay-", suffix=".probe").close()
    except OSError as error:
        raise OutputError(f"{path}: the folder {folder} is not writable ({error.strerror})") from None


@contextmanager
def atomic_output(path: Path | None, *, force: bool, binary: bool = False) -> Iterator[IO[Any]]:
    """A temporary file next to `path` (or spooled for stdout), moved into place only on success."""
    check_target(path, force)
    folder = path.parent if path is not None else None
    handle: IO[Any]
    if binary:
        handle = tempfile.NamedTemporaryFile("w+b", dir=folder, prefix=".cspay-", suffix=".part", delete=False)
    else:
        handle = tempfile.NamedTemporaryFile(
            "w+", dir=folder, prefix=".cspay-", suffix=".part", delete=False, encoding="utf-8", newline=""
        )
    try:
        yield handle
        handle.flush()
        os.fsync(handle.fileno())
        if path is None:
            handle.seek(0)
            target = sys.stdout.buffer if binary else sys.stdout
            shutil.copyfileobj(handle, target)
            target.flush()
        else:
            if path.exists() and not force:
                raise OutputError(f"{path}: the file appeared while cspay ran; pass --force to replace it")
            os.chmod(handle.name, _mode_for(path))
            os.replace(handle.name, path)
    finally:
        handle.close()
        if os.path.exists(handle.name):
            os.unlink(handle.name)


def _mode_for(path: Path) -> int:
    """The replaced file's permissions, or what the umask gives a new file (temp files are 0600)."""
    if path.exists():
        return path.stat().st_mode & 0o777
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask
