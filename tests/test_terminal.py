"""Terminal tables: the plain payslip table written as the payslips come."""

from __future__ import annotations

import io
from collections.abc import Iterator

from helpers import DATA, iter_payslips

from cspay.engine.types import Payslip
from cspay.i18n import Words
from cspay.inputs.metrics import MetricsReader
from cspay.outputs.terminal import TableLayout, write_plain_table
from cspay.policy.model import Policy


def test_the_plain_table_is_written_as_the_payslips_come(standard: Policy) -> None:
    """Rows reach the output in chunks while later payslips are still to come, so the table never holds the run."""
    payslips = list(iter_payslips(standard, MetricsReader(DATA / "month.csv", standard)))
    out = io.StringIO()
    written_before_last: list[int] = []

    def many() -> Iterator[Payslip]:
        for _ in range(300):
            yield from payslips
        written_before_last.append(out.getvalue().count("\n"))
        yield payslips[0]

    write_plain_table(out, standard, Words("en"), payslips[:2], many())
    assert written_before_last[0] >= 512
    assert 3 + 2 + 300 * len(payslips) + 1 == out.getvalue().count("\n")


def test_a_cell_wider_than_the_first_rows_is_never_cut(standard: Policy) -> None:
    """A name longer than any in the first payslips widens its own line and keeps every character and amount."""
    payslips = list(iter_payslips(standard, MetricsReader(DATA / "month.csv", standard)))
    long_name = payslips[-1]
    long_name.name = "Ouyang Xiaoming-Wang of the very long name"
    out = io.StringIO()
    write_plain_table(out, standard, Words("en"), payslips[:2], payslips[2:])
    line = next(line for line in out.getvalue().splitlines() if long_name.name in line)
    words = Words("en")
    assert TableLayout(standard, words, None, floor=True).cells(long_name)[-1] == line.split()[-1]
