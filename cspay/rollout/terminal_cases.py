"""Rich tables of a `cspay test` run: one row per case, then every value that did not match."""

from __future__ import annotations

from rich.table import Table

from cspay.i18n import Words
from cspay.rollout.cases import CaseFile, CaseResult, shown_actual, shown_expected


def _status(result: CaseResult, updated: bool) -> str:
    if result.error is not None:
        return "test.error"
    if result.passed:
        return "test.pass"
    return "test.updated" if updated else "test.fail"


def results_table(files: list[CaseFile], words: Words, *, updated: bool = False) -> Table:
    """File, case, pass / FAIL / error (or updated), and the fields the case checks."""
    table = Table(title=words("test.title"), title_justify="left")
    for key in ("test.col.file", "test.col.case", "test.col.result", "test.col.checked"):
        table.add_column(words(key), no_wrap=key != "test.col.checked")
    for case_file in files:
        for result in case_file.results:
            fields = ", ".join(check.field for check in result.checks)
            table.add_row(str(case_file.path), result.name, words(_status(result, updated)), fields or "-")
    return table


def failures_table(files: list[CaseFile], words: Words) -> Table:
    """Each expected value that did not match: case, file:line of the value, field, expected, actual."""
    table = Table(title=words("test.failures"), title_justify="left")
    for key in ("test.col.case", "test.col.where", "test.col.field", "test.col.expected", "test.col.actual"):
        table.add_column(words(key), no_wrap=key != "test.col.case")
    for case_file in files:
        for result in case_file.results:
            for check in result.failures:
                table.add_row(
                    result.name,
                    f"{case_file.path}:{check.line}",
                    check.field,
                    shown_expected(check),
                    shown_actual(check),
                )
    return table
