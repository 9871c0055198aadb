"""Which files a run read, each with the SHA-256 of its bytes: the provenance every output carries."""

from __future__ import annotations

import hashlib
import stat
from dataclasses import dataclass
from pathlib import Path

from cspay.errors import MetricsError, UsageProblem

KINDS = ("metrics", "export", "roster")


@dataclass(frozen=True)
class InputFile:
    """One file a run read: metrics (agent-level), a raw export or a roster, as named on the command line."""

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
    not a regular file (a pipe or a device cannot be read a second time to pay what was fingerprinted,
    and a device never ends)."""
    try:
        if not stat.S_ISREG(path.stat().st_mode):
            raise UsageProblem(
                f"{path}: is not a regular file (a pipe, a device or a socket); expected a {kind} file: save "
                f"what it holds to a file and name that",
                "--roster" if kind == "roster" else "METRICS",
            )
        return InputFile(kind, str(path), file_sha256(path))
    except OSError as error:
        raise MetricsError(f"{path}: cannot read the {kind} file: {error.strerror or error}") from None
