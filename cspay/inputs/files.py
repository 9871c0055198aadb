"""Which files a run read, each with the SHA-256 of its bytes: the provenance every output carries."""

from __future__ import annotations

import hashlib
import stat
from dataclasses import dataclass
from pathlib import Path

from cspay.errors import MetricsError, UsageProblem

KINDS = ("metrics", "export", "derived", "roster", "opening")


@dataclass(frozen=True)
class InputFile:
    """One file a run read: metrics (agent-level), a raw export, derived metrics, a roster or opening balances,
    as named on the command line."""

    kind: str
    path: str
    sha256: str

    @property
    def name(self) -> str:
        return Path(self.path).name


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file's bytes, read in blocks so a large export does not fill memory."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def input_file(kind: str, path: Path) -> InputFile:
    """The file's provenance; MetricsError naming the file when it cannot be read, UsageProblem when it is
    not a regular file (see check_regular)."""
    check_regular(kind, path)
    try:
        return InputFile(kind, str(path), file_sha256(path))
    except OSError as error:
        raise MetricsError(f"{path}: cannot read the {kind} file: {error.strerror or error}") from None


OPTIONS = {"roster": "--roster", "derived": "--derived"}


def check_regular(kind: str, path: Path, option: str | None = None) -> None:
    """UsageProblem when the file is not a regular file: a pipe or a device cannot be read a second time
    to pay what was fingerprinted, and a device never ends. A file that cannot be looked at is left to the
    reading, which names the reason."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return
    if not stat.S_ISREG(mode):
        raise UsageProblem(
            f"{path}: is not a regular file (a pipe, a device or a socket); expected {_article(kind)} {kind} "
            f"file: save what it holds to a file and name that",
            option or OPTIONS.get(kind, "METRICS"),
        )


def _article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"
