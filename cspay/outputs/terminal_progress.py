"""A progress bar on stderr for long runs, only when a person is watching: never in pipes, files or cron."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import IO, TypeVar

from cspay.i18n import Words
from cspay.inputs.metrics import MetricsReader

MIN_BYTES = 4 * 2**20  # smaller files are paid in well under a second: a bar would only flicker
EVERY_ROWS = 4096  # rows between two updates when rows are paid one at a time
Row = TypeVar("Row")


@contextmanager
def progress_bar(
    reader: MetricsReader, words: Words, stream: IO[str] | None = None
) -> Iterator[Callable[[], None] | None]:
    """A callback that moves a bar to how far `reader` has read; None when no bar is shown."""
    stream = stream or sys.stderr
    if reader.size < MIN_BYTES or not drawable(stream):
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn

    columns = (TextColumn(words("progress.paying")), BarColumn(), TaskProgressColumn(), TimeRemainingColumn())
    with Progress(*columns, console=Console(file=stream), transient=True) as bar:
        task = bar.add_task("", total=reader.size)
        yield lambda: bar.update(task, completed=reader.bytes_read)


def drawable(stream: IO[str]) -> bool:
    """Whether a bar may be drawn on `stream`: a terminal that takes escape sequences. NO_COLOR and a dumb
    terminal ask for none (a bar moves the cursor and erases lines), so they get no bar at all."""
    if "NO_COLOR" in os.environ or os.environ.get("TERM") == "dumb":
        return False
    return stream.isatty()


def advancing(rows: Iterable[Row], advance: Callable[[], None] | None) -> Iterable[Row]:
    """The rows, moving the bar every EVERY_ROWS of them (the rows themselves when there is no bar)."""
    if advance is None:
        return rows
    return _advancing(rows, advance)


def _advancing(rows: Iterable[Row], advance: Callable[[], None]) -> Iterator[Row]:
    for count, row in enumerate(rows):
        if not count % EVERY_ROWS:
            advance()
        yield row
