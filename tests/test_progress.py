"""The progress bar: on stderr only when a person watches a long run, and never in a pipe or a file."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from helpers import DATA, STANDARD
from typer.testing import CliRunner

import cspay.outputs.terminal_progress
from cspay.cli import app
from cspay.i18n import Words
from cspay.inputs.metrics import MetricsReader
from cspay.outputs.terminal_progress import EVERY_ROWS, advancing, progress_bar
from cspay.policy.loader import load_policy


class Terminal(io.StringIO):
    """A stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("format", ["csv", "json"])
def test_no_progress_is_written_when_stderr_is_not_a_terminal(
    tmp_path: Path, format: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Even for a file counted as long, stderr holds only the closing line when it is not a terminal."""
    monkeypatch.setattr(cspay.outputs.terminal_progress, "MIN_BYTES", 0)
    out = tmp_path / f"out.{format}"
    result = CliRunner().invoke(app, ["compute", str(STANDARD), str(DATA / "month.csv"), "-f", format, "-o", str(out)])
    assert 0 == result.exit_code, result.output
    assert [f"Wrote 4 payslips to {out} (total gross ¥23,945.00)."] == result.stderr.splitlines()


def test_a_terminal_sees_the_bar_with_cspays_words(monkeypatch: pytest.MonkeyPatch) -> None:
    """On a terminal the bar is drawn with the catalog's words, in the language asked for."""
    monkeypatch.setattr(cspay.outputs.terminal_progress, "MIN_BYTES", 0)
    policy = load_policy(STANDARD)
    stream = Terminal()
    with progress_bar(MetricsReader(DATA / "month.csv", policy), Words("zh"), stream) as advance:
        assert advance is not None
        advance()
    assert "正在计算工资" in stream.getvalue()


def test_a_short_file_gets_no_bar_even_on_a_terminal() -> None:
    """Below MIN_BYTES there is nothing to watch: no callback, nothing written."""
    stream = Terminal()
    with progress_bar(MetricsReader(DATA / "month.csv", load_policy(STANDARD)), Words(), stream) as advance:
        assert advance is None
    assert "" == stream.getvalue()


def test_advancing_moves_the_bar_every_so_many_rows() -> None:
    """The bar moves on the first row and then once every EVERY_ROWS rows; the rows pass unchanged."""
    moves = []
    rows = list(advancing(range(2 * EVERY_ROWS + 1), lambda: moves.append(1)))
    assert (list(range(2 * EVERY_ROWS + 1)), 3) == (rows, len(moves))


def test_without_a_bar_the_rows_are_not_wrapped() -> None:
    """No bar, no extra layer: the very same iterable comes back."""
    rows = [1, 2, 3]
    assert rows is advancing(rows, None)
