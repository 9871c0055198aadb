"""Writing files safely: a file appears whole or not at all, never replaces one without --force, and only
ever replaces a regular file.

Permissions follow one rule: a file that holds pay data (payslips in any format, statements, audit
figures, the ledger) is created readable and writable by its owner only (0600); a file it replaces keeps
the permissions someone gave that file. Policies and case files are configuration, not pay data: a new
one follows the umask.
"""

from __future__ import annotations

import io
import os
import shutil
import stat
import sys
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, TextIO

from cspay.errors import OutputError

STDOUT_NAMES = frozenset({"-", "/dev/stdout"})  # --output names that mean standard output
PRIVATE = 0o600


def is_stdout(path: Path | None) -> bool:
    """Whether an --output names standard output (nothing, `-` or /dev/stdout)."""
    return path is None or str(path) in STDOUT_NAMES


def kind_of(mode: int) -> str:
    """What a file is, in words: a file, a folder, a character device …"""
    kinds = (
        (stat.S_ISREG, "a file"),
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISFIFO, "a named pipe (FIFO)"),
        (stat.S_ISSOCK, "a socket"),
    )
    return next((name for test, name in kinds if test(mode)), "not a regular file")


def check_target(path: Path | None, force: bool) -> Path | None:
    """The regular file `path` names, checked before any work: None for standard output; OutputError when
    it exists and is not a regular file, exists without --force, is a symbolic link without --force (with
    it, the file the link points to is written, and the link stays), or its folder cannot be written."""
    if path is None or is_stdout(path):
        return None
    if path.is_symlink():
        if not force:
            raise OutputError(f"{path}: is a symbolic link (to {os.readlink(path)}); pass --force to replace the "
                              f"file it points to")  # fmt: skip
        path = path.resolve()
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        mode = None
    except OSError as error:
        raise OutputError(f"{path}: cannot be checked ({error.strerror or error})") from None
    if mode is not None and not stat.S_ISREG(mode):
        raise OutputError(f"{path}: is {kind_of(mode)}; expected a regular file to write, or a new name")
    if mode is not None and not force:
        raise OutputError(f"{path}: the file exists; pass --force to replace it")
    folder = path.parent if str(path.parent) else Path(".")
    writable_folder(folder, path)
    return path


def writable_folder(folder: Path, named: Path) -> None:
    """OutputError naming `named` unless `folder` is a folder cspay can write in."""
    if not folder.is_dir():
        raise OutputError(f"{named}: the folder {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(f"{named}: the folder {folder} is not writable")
    try:  # os.access says yes to root even where nobody can write (a read-only disk, an immutable folder)
        tempfile.NamedTemporaryFile(dir=folder, prefix=".cspay-", suffix=".probe").close()
    except OSError as error:
        raise OutputError(f"{named}: the folder {folder} is not writable ({error.strerror})") from None


@contextmanager
def atomic_output(path: Path | None, *, force: bool, binary: bool = False,
                  private: bool = True) -> Iterator[IO[Any]]:  # fmt: skip
    """A temporary file next to the target (or spooled for standard output), moved into place only on
    success. `private`: a new file holds pay data (0600); otherwise it follows the umask."""
    target = check_target(path, force)
    folder = target.parent if target is not None else None
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
        if target is None:
            handle.seek(0)
            to_stdout(handle, binary)
        else:
            if target.exists() and not force:
                raise OutputError(f"{target}: the file appeared while cspay ran; pass --force to replace it")
            os.chmod(handle.name, mode_for(target, private))
            os.replace(handle.name, target)
    finally:
        handle.close()
        if os.path.exists(handle.name):
            os.unlink(handle.name)


def to_stdout(handle: IO[Any], binary: bool) -> None:
    """Copy a spooled output to standard output; OutputError when it is closed or cannot take the text."""
    stream = standard_output()
    target = stream.buffer if binary else stream
    try:
        shutil.copyfileobj(handle, target)
        target.flush()
    except UnicodeEncodeError as error:
        raise cannot_encode(error) from None
    except OSError as error:
        if isinstance(error, BrokenPipeError):
            raise
        raise OutputError(f"standard output cannot be written ({error.strerror or error}); write to a file with "
                          f"--output FILE") from None  # fmt: skip


STDOUT_CLOSED = "standard output is closed; redirect it to a file (> FILE) or write one with --output FILE"


class ClosedOutput(io.TextIOBase):
    """Standard output of a process started with it closed (`>&-`): writing to it is an OutputError, so
    every command that has something to print says so, and a command that prints nothing still runs."""

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return "utf-8"

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return False

    def write(self, text: str) -> int:
        if text:
            raise OutputError(STDOUT_CLOSED)
        return 0

    def flush(self) -> None:
        pass


def standard_output() -> TextIO:
    """sys.stdout, or OutputError when the process was started with it closed (`>&-`)."""
    if sys.stdout is None or isinstance(sys.stdout, ClosedOutput):
        raise OutputError(STDOUT_CLOSED)
    return sys.stdout


def cannot_encode(error: UnicodeEncodeError) -> OutputError:
    """The sentence for text that standard output's encoding cannot hold (`PYTHONIOENCODING=ascii` and a
    Chinese name): what to do instead, never a garbled or half-replaced amount or name."""
    return OutputError(
        f"standard output cannot show this text (its encoding is {error.encoding}); set "
        f"PYTHONIOENCODING=utf-8 or write to a file with --output FILE"
    )


def mode_for(path: Path, private: bool) -> int:
    """The permissions to give a file written at `path`: the replaced regular file's, else owner-only for
    pay data, else what the umask gives a new file."""
    try:
        existing = path.stat()
    except OSError:
        existing = None
    if existing is not None and stat.S_ISREG(existing.st_mode):
        return existing.st_mode & 0o777
    umask = os.umask(0)
    os.umask(umask)
    return (PRIVATE if private else 0o666) & ~umask


def check_folder(folder: Path, names: list[str], force: bool) -> None:
    """Fail before any work if the folder cannot take these files: it is not a folder, it (or the folder it
    would be made in) cannot be written, a file's place holds something other than a regular file, or
    files exist and --force was not given."""
    if folder.is_symlink() and not folder.is_dir():
        raise OutputError(f"{folder}: is a symbolic link to nothing; expected a folder for the files")
    if folder.exists() and not folder.is_dir():
        raise OutputError(f"{folder}: is {kind_of(folder.stat().st_mode)}; expected a folder for the files")
    if not folder.exists():
        writable_folder(folder.parent if str(folder.parent) else Path("."), folder)
        return
    writable_folder(folder, folder)
    existing = []
    for name in names:
        try:
            mode = (folder / name).lstat().st_mode
        except FileNotFoundError:
            continue
        if not stat.S_ISREG(mode):
            raise OutputError(f"{folder / name}: is {kind_of(mode)}; expected a regular file to replace")
        existing.append(name)
    if existing and not force:
        raise OutputError(f"{folder}: {_existing(existing)}; pass --force to replace them")


def write_folder(folder: Path, files: Iterable[tuple[str, str | Iterable[str]]], force: bool) -> int:
    """Write every file (its text, or its text in pieces) into a staging folder first, then swap them all
    in: on any failure the folder holds what it held before, file for file (the files it replaced are kept
    aside until every new one is in). The staged files reach the disk with one sync of their file system
    before any is moved, not one per file; files in the folder that the new ones would replace are found
    as the files are made, and without `force` nothing is written."""
    created = not folder.exists()
    try:
        folder.mkdir(exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=folder, prefix=".cspay-new-"))
    except OSError as error:
        raise OutputError(f"{folder}: cannot write the files here ({error.strerror or error})") from None
    aside = staging.with_name(staging.name.replace("-new-", "-old-"))
    moved: list[tuple[str, bool]] = []  # (name, whether an old file was put aside)
    try:
        names, existing = [], []
        for name, text in files:
            names.append(_stage(staging, name, text))
            if _replaces(folder / name):
                existing.append(name)
        if existing and not force:
            raise OutputError(f"{folder}: {_existing(existing)}; pass --force to replace them")
        _sync_staged(staging, names)
        aside.mkdir()
        for name in names:
            target = folder / name
            existed = target.exists() or target.is_symlink()
            if existed and (not force or not stat.S_ISREG(target.lstat().st_mode)):
                raise OutputError(f"{target}: appeared while cspay ran, or is not a regular file; nothing was "
                                  f"written")  # fmt: skip
            if existed:
                os.chmod(staging / name, target.stat().st_mode & 0o777)  # the replaced file's permissions
                os.replace(target, aside / name)
            moved.append((name, existed))
            os.replace(staging / name, target)
        _sync_folder(folder)
    except BaseException:
        for name, existed in reversed(moved):  # put back what was there, as it was
            (folder / name).unlink(missing_ok=True)
            if existed:
                os.replace(aside / name, folder / name)
        raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        shutil.rmtree(aside, ignore_errors=True)
        if created and not any(folder.iterdir()):
            folder.rmdir()
    return len(moved)


def _replaces(target: Path) -> bool:
    """Whether a new file would replace a regular file there; OutputError when something else is there."""
    try:
        mode = target.lstat().st_mode
    except FileNotFoundError:
        return False
    if not stat.S_ISREG(mode):
        raise OutputError(f"{target}: is {kind_of(mode)}; expected a regular file to replace")
    return True


def _existing(names: list[str]) -> str:
    shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
    return f"{len(names)} of the files exist ({shown})"


def _stage(staging: Path, name: str, text: str | Iterable[str]) -> str:
    """One file written into the staging folder (pay data: owner-only); synced later with the others."""
    path = staging / name
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE)
    with open(descriptor, "w", encoding="utf-8", newline="\n") as handle:
        if isinstance(text, str):
            handle.write(text)
        else:
            handle.writelines(text)
    return name


def _sync_staged(staging: Path, names: list[str]) -> None:
    """Make every staged file durable before any is moved into place: one syncfs(2) of the file system
    where the system has it (Linux), else an fsync of each file."""
    if _syncfs(staging):
        return
    for name in names:
        descriptor = os.open(staging / name, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


def _syncfs(folder: Path) -> bool:
    """Sync the file system that holds `folder`; False where syncfs(2) is not there or fails."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes  # syncfs(2) is not in the os module; one call replaces thousands of fsyncs

    try:
        syncfs = ctypes.CDLL(None, use_errno=True).syncfs
    except (OSError, AttributeError):
        return False
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        return bool(syncfs(descriptor) == 0)
    finally:
        os.close(descriptor)


def _sync_folder(folder: Path) -> None:
    """Make the renames in a folder durable (where the system lets a folder be synced)."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)
