"""`--log-format json`: every line cspay writes on stderr becomes one JSON object, for log collectors.

Notes, the raw-export summary, errors (cspay's own and the usage errors of the option parser) and
warnings all pass through one stream that wraps standard error, so no line can escape the format: a line
that is already a JSON object (the run's summary record) is written as it is; any other line becomes
`{"event": "error" | "note", "message": ...}`, with the `Error: ` prefix dropped from errors.
"""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Sequence
from typing import Any, TextIO

ERROR_PREFIX = "Error: "
OPTION = "--log-format"


class JsonLines(io.TextIOBase):
    """A text stream that writes each complete line to `target` as one JSON object."""

    def __init__(self, target: TextIO) -> None:
        super().__init__()
        self.target = target
        self.pending = ""
        encoding = (getattr(target, "encoding", None) or "").lower().replace("-", "").replace("_", "")
        self.ascii_only = not encoding.startswith("utf")  # escape what a legacy stderr could not show

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return "utf-8"

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return False  # nothing drawn for a person (progress bars, colours) goes into a log

    def write(self, text: str) -> int:
        self.pending += text
        *lines, self.pending = self.pending.split("\n")
        for line in lines:
            self._emit(line)
        return len(text)

    def flush(self) -> None:
        self.target.flush()

    def close(self) -> None:
        """Write what is left of an unfinished line; the wrapped stream stays open."""
        if self.pending:
            self._emit(self.pending)
            self.pending = ""
        self.flush()

    def _emit(self, line: str) -> None:
        line = line.rstrip("\r")
        if not line.strip():
            return  # blank lines carry nothing a log needs (the option parser puts one before its error)
        self.target.write(json.dumps(as_record(line), ensure_ascii=self.ascii_only) + "\n")


def as_record(line: str) -> dict[str, Any]:
    """The JSON object for one line of stderr: itself when it is one already, else an error or a note."""
    if line.startswith("{"):
        try:
            record = json.loads(line)
        except ValueError:
            record = None
        if isinstance(record, dict):
            return record
    if line.startswith(ERROR_PREFIX):
        return {"event": "error", "message": line[len(ERROR_PREFIX) :]}
    return {"event": "note", "message": line}


def log_as_json() -> None:
    """Wrap standard error so that each line written from now on is a JSON object (once per process)."""
    if isinstance(sys.stderr, JsonLines) or sys.stderr is None:
        return
    sys.stderr = JsonLines(sys.stderr)


def finish() -> None:
    """Write what is left of an unfinished line on a wrapped standard error."""
    if isinstance(sys.stderr, JsonLines):
        sys.stderr.close()


def asks_for_json(arguments: Sequence[str]) -> bool:
    """Whether a command line asks for JSON logs, read before the option parser runs, so that its own
    usage errors are logged as JSON too (the option itself is still checked by the parser)."""
    for index, argument in enumerate(arguments):
        if argument == "--":
            return False
        if argument == f"{OPTION}=json":
            return True
        if argument == OPTION and arguments[index + 1 : index + 2] == ["json"]:
            return True
    return False
