"""The XLSX workbook for finance: Payslips, KPIs, Summary and About sheets, written row by row."""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_DOWN, Decimal
from pathlib import Path
from typing import IO, Any

from cspay import __version__
from cspay.engine.rounding import exponent, quantum
from cspay.engine.rules import run_line_codes
from cspay.engine.types import KpiResult, Payslip, Summary
from cspay.errors import OutputError
from cspay.i18n import Words
from cspay.inputs.files import InputFile
from cspay.outputs.export import SCORE_PLACES, zero
from cspay.outputs.sheets import Book, Listing, Sheet
from cspay.periods import Period
from cspay.policy.model import Policy
from cspay.run.pay import PayRun

FIXED_DATE = datetime(2000, 1, 1)
PERIOD_IN_NAME = re.compile(r"(?<!\d)((?:19|20)\d\d)[-_.]?(0[1-9]|1[0-2])(?!\d)")
ZERO = Decimal(0)


@dataclass(frozen=True)
class About:
    """Where a workbook comes from: each input file's kind, name and fingerprint, and the date it carries."""

    inputs: list[tuple[str, str, str]]  # (kind, file name, sha256) of each file, in the order read
    date: datetime
    date_source: str  # "epoch", "period" or "fixed"
    period: str = ""


def describe_inputs(
    files: list[InputFile], period: Period | None = None, environ: Mapping[str, str] = os.environ
) -> About:
    """The About facts of a run on `files`, dated without the wall clock so reruns give the same bytes:
    SOURCE_DATE_EPOCH, else the period's first day, else a month in a file's name, else a fixed date."""
    inputs = [(item.kind, item.name, item.sha256) for item in files]
    epoch = environ.get("SOURCE_DATE_EPOCH")
    if epoch is not None:
        return About(inputs, _epoch_date(epoch), "epoch")
    if period is not None:
        return About(inputs, datetime(period.first.year, period.first.month, 1), "period", period.label)
    for item in files:
        match = PERIOD_IN_NAME.search(item.name)
        if match:
            year, month = int(match[1]), int(match[2])
            return About(inputs, datetime(year, month, 1), "period", f"{year}-{month:02d}")
    return About(inputs, FIXED_DATE, "fixed")


def _epoch_date(text: str) -> datetime:
    try:
        seconds = int(text.strip())
        date = datetime.fromtimestamp(seconds, UTC).replace(tzinfo=None)
    except (ValueError, OverflowError, OSError):
        date = None
    if date is None or not 1900 < date.year < 10000:
        raise OutputError(f"SOURCE_DATE_EPOCH: expected whole seconds since 1970-01-01 (e.g. 1798761600), got {text!r}")
    return date


@dataclass
class Group:
    """Headcount, gross and bonus of one role, team or grade."""

    headcount: int = 0
    gross: Decimal = ZERO
    bonus: Decimal = ZERO


class Breakdown:
    """Totals per role, per team and per grade, accumulated payslip by payslip."""

    def __init__(self) -> None:
        self.groups: dict[str, dict[str, Group]] = {"role": {}, "team": {}, "grade": {}}

    def add(self, slip: Payslip) -> None:
        gross, bonus = slip.gross, slip.bonus
        for dimension, key in (("role", slip.role), ("team", slip.team), ("grade", slip.grade or "-")):
            group = self.groups[dimension].setdefault(key, Group())
            group.headcount += 1
            group.gross += gross
            group.bonus += bonus

    def ordered(self, dimension: str, order: Iterable[str]) -> list[tuple[str, Group]]:
        """The groups of a dimension in the policy's order, then any others as first seen."""
        groups = self.groups[dimension]
        keys = [key for key in order if key in groups]
        return [(key, groups[key]) for key in [*keys, *(key for key in groups if key not in keys)]]


def payslip_columns(policy: Policy, words: Words, extra_codes: Iterable[str] = ()) -> list[tuple[str, str]]:
    """Who, score, grade, action, one column per payslip line in payslip order, gross."""
    identity = [(words(f"col.{key}"), "text") for key in ("agent", "name", "role", "team")]
    lines = [(words.line_label(code, label), "money") for code, label in run_line_codes(policy, extra_codes)]
    return [
        *identity,
        (words("col.score"), "score"),
        (words("col.grade"), "text"),
        (words("xlsx.col.action"), "text"),
        *lines,
        (words("col.gross"), "money"),
    ]


def payslip_row(slip: Payslip, codes: list[str], zero: Decimal) -> list[Any]:
    amounts: dict[str, Decimal] = {}
    for line in slip.lines:  # a payslip paid in parts has a line per part: one column adds them up
        amounts[line.code] = amounts[line.code] + line.amount if line.code in amounts else line.amount
    score = None if slip.score is None else slip.score.quantize(SCORE_PLACES, rounding=ROUND_DOWN)
    return [
        slip.agent_id,
        slip.name,
        slip.role,
        slip.team,
        score,
        slip.grade,
        slip.action,
        *(amounts.get(code, zero) for code in codes),
        slip.gross,
    ]


def kpi_columns(words: Words) -> list[tuple[str, str]]:
    """Who, which KPI, its value, score, weight and contribution, or why it was left out."""
    return [
        (words("col.agent"), "text"),
        (words("col.name"), "text"),
        (words("xlsx.col.kpi"), "text"),
        (words("xlsx.col.value"), "number"),
        (words("xlsx.col.kpi_score"), "score"),
        (words("xlsx.col.weight"), "number"),
        (words("xlsx.col.contribution"), "score"),
        (words("xlsx.col.left_out"), "text"),
    ]


def kpi_row(slip: Payslip, kpi: KpiResult, reason: str | None) -> list[Any]:
    return [slip.agent_id, slip.name, kpi.label, kpi.value, kpi.score, kpi.weight, kpi.contribution, reason]


def left_out_reason(words: Words, policy: Policy, kpi: KpiResult) -> str | None:
    """Why a KPI did not count, in the reader's language."""
    if kpi.left_out is None:
        return None
    if kpi.value is None:
        return words("xlsx.left_out.no_value")
    volume = policy.kpis[kpi.code].min_volume if kpi.code in policy.kpis else None
    if volume is None or kpi.volume is None:
        return kpi.left_out  # a reason this module does not know yet: the engine's own words
    return words("xlsx.left_out.min_volume", column=volume.column, value=kpi.volume, minimum=volume.at_least)


def write_summary(
    book: Book, policy: Policy, words: Words, summary: Summary, breakdown: Breakdown, extra_codes: Iterable[str] = ()
) -> None:
    """Totals, then headcount, gross and bonus per role, team and grade, then each line's total."""
    sheet = Sheet(book, words("xlsx.sheet.summary"))
    headers = [
        words("xlsx.col.breakdown"),
        words("xlsx.col.group"),
        words("summary.headcount"),
        words("col.gross"),
        words("col.bonus"),
        words("summary.bonus_share"),
    ]
    sheet.write(headers, ["header"] * len(headers))
    sheet.sheet.freeze_panes(1, 0)
    kinds = ["label", "text", "count", "money", "money", "share"]
    everyone = Group(summary.headcount, summary.gross, summary.bonus)
    sheet.write([words("xlsx.group.all"), None, *_figures(everyone)], kinds)
    orders = {"role": list(policy.roles), "team": [], "grade": [g.grade for g in policy.grades_high_to_low()]}
    for dimension, order in orders.items():
        if dimension == "team" and policy.agents.team is None:
            continue
        for key, group in breakdown.ordered(dimension, order):
            sheet.write([words(f"xlsx.group.{dimension}"), key, *_figures(group)], kinds)
    sheet.row += 1
    sheet.write([words("xlsx.col.line"), None, None, words("xlsx.col.total")], ["header"] * 4)
    for code, label in run_line_codes(policy, extra_codes):
        sheet.write(
            [words.line_label(code, label), None, None, summary.lines.get(code, ZERO)],
            ["label", "text", "text", "money"],
        )
    sheet.finish()


def _figures(group: Group) -> list[Any]:
    return [group.headcount, group.gross, group.bonus, group.bonus / group.gross if group.gross else None]


def write_about(book: Book, policy: Policy, words: Words, about: About) -> None:
    """Which policy and metrics made this workbook, with their SHA-256, the cspay version and the date."""
    sheet = Sheet(book, words("xlsx.sheet.about"))
    facts = [
        (words("xlsx.about.policy"), policy.policy),
        (words("xlsx.about.title"), policy.title),
        (words("xlsx.about.version"), policy.version),
        (words("xlsx.about.policy_file"), Path(policy.path).name),
        (words("xlsx.about.policy_sha256"), policy.sha256),
        *(
            (label, value)
            for kind, name, sha in about.inputs
            for label, value in ((words(f"xlsx.about.{kind}_file"), name), (words(f"xlsx.about.{kind}_sha256"), sha))
        ),
        (words("xlsx.about.currency"), policy.currency),
        (words("xlsx.about.language"), words.language),
        (words("xlsx.about.cspay_version"), __version__),
        (words("xlsx.about.date"), about.date),
        (words("xlsx.about.date_source"), words(f"xlsx.date.{about.date_source}", period=about.period)),
    ]
    for label, value in facts:
        sheet.write([label, value], ["label", "date" if isinstance(value, datetime) else "text"])
    sheet.finish()


def _money(policy: Policy, words: Words) -> tuple[str, str, int]:
    before, after = words.money_parts(policy.currency)
    return before, after, -exponent(quantum(policy.rounding.step))


def _properties(policy: Policy, about: About) -> dict[str, Any]:
    # Fixed document properties, the date included: XlsxWriter would otherwise stamp the wall clock.
    return {
        "title": policy.title or policy.policy,
        "subject": f"{policy.policy} {policy.version}",
        "author": "cspay",
        "comments": f"cspay {__version__}",
        "created": about.date,
    }


def write_run_workbook(handle: IO[bytes], run: PayRun, words: Words) -> None:
    """The run's workbook for finance; the About sheet names every input file with its SHA-256."""
    about = describe_inputs(run.inputs, run.period)
    write_workbook(handle, run.applied, run.payslips, words, about, run.extra_codes, run.summary)


def write_workbook(
    handle: IO[bytes],
    policy: Policy,
    payslips: Iterable[Payslip],
    words: Words,
    about: About,
    extra_codes: Iterable[str] = (),
    summary: Summary | None = None,
) -> None:
    """The workbook, payslip by payslip into Payslips and KPIs; Summary and About once all are in.

    `summary` is the run's, complete once the payslips are read; without one, the payslips are totalled here.
    """
    # Sheet rows wait on disk in a private folder that goes away even when a bad row stops the run.
    with tempfile.TemporaryDirectory(prefix="cspay-xlsx-", ignore_cleanup_errors=True) as scratch:
        book = Book(handle, scratch, _money(policy, words), _properties(policy, about))
        slips = Listing(book, words("xlsx.sheet.payslips"), payslip_columns(policy, words, extra_codes))
        kpis = Listing(book, words("xlsx.sheet.kpis"), kpi_columns(words))
        codes = [code for code, _ in run_line_codes(policy, extra_codes)]
        empty = zero(policy)
        totals, breakdown = Summary(), Breakdown()
        for slip in payslips:
            if summary is None:
                totals.add(slip)
            breakdown.add(slip)
            slips.add(payslip_row(slip, codes, empty))
            for kpi in slip.kpis:
                kpis.add(kpi_row(slip, kpi, left_out_reason(words, policy, kpi)))
        slips.finish()
        kpis.finish()
        write_summary(book, policy, words, summary or totals, breakdown, extra_codes)
        write_about(book, policy, words, about)
        book.workbook.close()
