"""The XLSX workbook for finance: Payslips, KPIs, Summary and About sheets, written row by row."""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_DOWN, Decimal
from pathlib import Path
from typing import IO, Any

from cspay import __version__
from cspay.engine.consolidate import Consolidation
from cspay.engine.rounding import exponent, quantum
from cspay.engine.rules import run_line_codes
from cspay.engine.types import KpiResult, Payslip, Summaries, Summary
from cspay.errors import OutputError
from cspay.i18n import Words
from cspay.inputs.files import InputFile
from cspay.outputs.export import several_currencies, zero
from cspay.outputs.sheets import Book, Listing, Sheet
from cspay.outputs.text import SCORE_PLACES
from cspay.outputs.view import curve_words
from cspay.outputs.view_net import deduction_label
from cspay.outputs.workbook_ledger import write_one_offs, write_versions
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
    """Totals per role, per team and per grade (and per currency: a group paid in two has two totals),
    accumulated payslip by payslip."""

    def __init__(self) -> None:
        self.groups: dict[str, dict[tuple[str, str], Group]] = {"role": {}, "team": {}, "grade": {}}

    def add(self, slip: Payslip) -> None:
        gross, bonus = slip.gross, slip.bonus
        for dimension, key in (("role", slip.role), ("team", slip.team), ("grade", slip.grade or "-")):
            group = self.groups[dimension].setdefault((key, slip.currency), Group())
            group.headcount += 1
            group.gross += gross
            group.bonus += bonus

    def ordered(self, dimension: str, order: Iterable[str]) -> list[tuple[str, str, Group]]:
        """(group, currency, totals) of a dimension in the policy's order, then any others as first seen."""
        groups = self.groups[dimension]
        rank = {key: i for i, key in enumerate(order)}
        keys = sorted(groups, key=lambda item: rank.get(item[0], len(rank)))  # stable: first seen within a rank
        return [(key, currency, groups[key, currency]) for key, currency in keys]


Codes = list[tuple[str, str]]  # line codes with their labels
NO_DEDUCTIONS: tuple[Codes, Codes] = ([], [])


def payslip_columns(
    policy: Policy, words: Words, extra_codes: Iterable[str] = (), deductions: tuple[Codes, Codes] = NO_DEDUCTIONS
) -> list[tuple[str, str]]:
    """Who (and the currency, when the policy pays several), score, grade, action, one column per payslip
    line in payslip order, gross; with deductions, one column per deduction, net, and one per employer
    contribution."""
    identity = [(words(f"col.{key}"), "text") for key in ("agent", "name", "role", "team")]
    identity += [(words("col.currency"), "text")] if several_currencies(policy) else []
    lines = [(words.line_label(code, label), "money") for code, label in run_line_codes(policy, extra_codes)]
    taken, paid = deductions
    net = [
        *((deduction_label(words, code, label), "money") for code, label in taken),
        (words("col.net"), "money"),
        *((deduction_label(words, code, label), "money") for code, label in paid),
    ]
    return [
        *identity,
        (words("col.score"), "score"),
        (words("col.grade"), "text"),
        (words("xlsx.col.action"), "text"),
        *lines,
        (words("col.gross"), "money"),
        *(net if taken or paid else []),
    ]


def payslip_row(
    slip: Payslip,
    codes: list[str],
    zero: Decimal,
    deductions: tuple[list[str], list[str]] = ([], []),
    *,
    currency: bool = False,
) -> list[Any]:
    amounts: dict[str, Decimal] = {}
    for line in slip.lines:  # a payslip paid in parts has a line per part: one column adds them up
        amounts[line.code] = amounts[line.code] + line.amount if line.code in amounts else line.amount
    score = None if slip.score is None else slip.score.quantize(SCORE_PLACES, rounding=ROUND_DOWN)
    taken, paid = deductions
    net = []
    if taken or paid:
        withheld = {line.code: line.amount for line in [*slip.deductions, *slip.employer]}
        net = [*(withheld.get(code, zero) for code in taken), slip.net, *(withheld.get(code, zero) for code in paid)]
    return [
        slip.agent_id,
        slip.name,
        slip.role,
        slip.team,
        *([slip.currency] if currency else []),
        score,
        slip.grade,
        slip.action,
        *(amounts.get(code, zero) for code in codes),
        slip.gross,
        *net,
    ]


def kpi_columns(words: Words, *, by_group: bool = False) -> list[tuple[str, str]]:
    """Who, which KPI, its value, score, weight and contribution, or why it was left out; under a policy
    with a KPI by group, whose targets scored it."""
    return [
        (words("col.agent"), "text"),
        (words("col.name"), "text"),
        (words("xlsx.col.kpi"), "text"),
        (words("xlsx.col.value"), "number"),
        (words("xlsx.col.kpi_score"), "score"),
        (words("xlsx.col.weight"), "number"),
        (words("xlsx.col.contribution"), "score"),
        (words("xlsx.col.left_out"), "text"),
        *([(words("xlsx.col.targets"), "text")] if by_group else []),
    ]


def kpi_row(slip: Payslip, kpi: KpiResult, reason: str | None) -> list[Any]:
    return [slip.agent_id, slip.name, kpi.label, kpi.value, kpi.score, kpi.weight, kpi.contribution, reason]


def targets_cell(words: Words, slip: Payslip, kpi: KpiResult) -> str | None:
    """Whose targets scored a KPI by group, as the payslip says it; None for a KPI with one curve."""
    return curve_words(words, kpi.by, kpi.curve_group, slip.groups.get(kpi.by, "")) if kpi.by else None


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
    book: Book,
    policy: Policy,
    words: Words,
    summary: Summary,
    breakdown: Breakdown,
    extra_codes: Iterable[str] = (),
    deductions: tuple[Codes, Codes] = NO_DEDUCTIONS,
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
    several = isinstance(summary, Summaries)
    if several:  # every money row names its currency, and amounts show in it
        headers.insert(2, words("col.currency"))
    sheet.write(headers, ["header"] * len(headers))
    sheet.sheet.freeze_panes(1, 0)

    def row(label: str, key: str | None, currency: str, group: Group) -> None:
        money = f"money:{currency}" if several else "money"
        kinds = ["label", "text", *(["text"] if several else []), "count", money, money, "share"]
        sheet.write([label, key, *([currency] if several else []), *_figures(group)], kinds)

    totals = summary.by_currency()
    for currency, money in totals.items():
        row(words("xlsx.group.all"), None, currency, Group(money.headcount, money.gross, money.bonus))
    orders = {"role": list(policy.roles), "team": [], "grade": [g.grade for g in policy.grades_high_to_low()]}
    for dimension, order in orders.items():
        if dimension == "team" and policy.agents.team is None:
            continue
        for key, currency, group in breakdown.ordered(dimension, order):
            row(words(f"xlsx.group.{dimension}"), key, currency, group)
    sheet.row += 1
    pad = [None] if several else []
    sheet.write([words("xlsx.col.line"), None, *pad, None, words("xlsx.col.total")], ["header"] * (4 + len(pad)))
    for currency, money in totals.items():
        for code, label in run_line_codes(policy, extra_codes):
            sheet.write(
                [
                    words.line_label(code, label),
                    None,
                    *([currency] if several else []),
                    None,
                    money.lines.get(code, ZERO),
                ],
                ["label", "text", *(["text"] if several else []), "text", f"money:{currency}" if several else "money"],
            )
    taken, paid = deductions
    if taken or paid:
        for currency, money in totals.items():
            _net_rows(sheet, words, money, deductions, currency if several else None)
    sheet.finish()


def _net_rows(
    sheet: Sheet, words: Words, summary: Summary, deductions: tuple[Codes, Codes], currency: str | None
) -> None:
    """From one currency's gross to its net, and what it costs the employer (`currency` named when the run
    paid several)."""
    taken, paid = deductions
    totals = {**summary.deductions, **summary.employer}
    rows = [(words("col.gross"), summary.gross)]
    rows += [(deduction_label(words, code, label), totals.get(code, ZERO)) for code, label in taken]
    rows.append((words("col.net"), summary.net))
    rows += [(deduction_label(words, code, label), totals.get(code, ZERO)) for code, label in paid]
    rows.append((words("xlsx.col.total_cost"), summary.employer_cost))
    pad, kinds = ([currency], ["text"]) if currency is not None else ([], [])
    money = f"money:{currency}" if currency is not None else "money"
    for label, amount in rows:
        sheet.write([label, None, *pad, None, amount], ["label", "text", *kinds, "text", money])


def write_consolidated(book: Book, words: Words, consolidated: Consolidation) -> None:
    """The consolidated view on a sheet of its own: each currency's gross, rate, rate date and gross converted."""
    sheet = Sheet(book, words("xlsx.sheet.consolidated"))
    target = f"money:{consolidated.currency}"
    sheet.write([words("summary.consolidated", currency=consolidated.currency, rates=consolidated.source)], ["label"])
    headers = [words(f"xlsx.consolidated.{key}") for key in ("currency", "gross", "rate", "date", "converted")]
    sheet.write(headers, ["header"] * len(headers))
    for part in consolidated.parts:
        sheet.write(
            [part.currency, part.gross, part.rate, part.date.isoformat() if part.date else None, part.converted_gross],
            ["text", f"money:{part.currency}", "number", "text", target],
        )
    sheet.write(
        [words("summary.consolidated_gross", currency=consolidated.currency), None, None, None, consolidated.gross],
        ["label", "text", "text", "text", target],
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
        (words("xlsx.about.currency"), ", ".join(policy.paid_currencies)),
        (words("xlsx.about.language"), words.language),
        (words("xlsx.about.cspay_version"), __version__),
        (words("xlsx.about.date"), about.date),
        (words("xlsx.about.date_source"), words(f"xlsx.date.{about.date_source}", period=about.period)),
        *([(words("xlsx.about.as_text"), str(book.as_text))] if book.as_text else []),
    ]
    for label, value in facts:
        sheet.write([label, value], ["label", "date" if isinstance(value, datetime) else "text"])
    sheet.finish()


def _money(policy: Policy, words: Words, currency: str | None = None) -> tuple[str, str, int]:
    """What this language writes before and after an amount of the currency, and its decimal places."""
    code = currency or policy.currency
    before, after = words.money_parts(code)
    return before, after, -exponent(quantum(policy.rounding_step(code)))


def _properties(policy: Policy, about: About) -> dict[str, Any]:
    # Fixed document properties, the date included: XlsxWriter would otherwise stamp the wall clock.
    return {
        "title": policy.title or policy.policy,
        "subject": f"{policy.policy} {policy.version}",
        "author": "cspay",
        "comments": f"cspay {__version__}",
        "created": about.date,
    }


def write_run_workbook(handle: IO[bytes], run: PayRun, words: Words, *, recording: bool = False) -> None:
    """The run's workbook for finance; the About sheet names every input file with its SHA-256. With a
    ledger, the period's recorded versions (with their states and steps, and this run when it is being
    recorded) and the one-off adjustments the run pays each have a sheet."""
    about = describe_inputs(run.inputs, run.period)
    ledger_sheets = None
    if run.ledger is not None:
        paid = {item.id for item in run.one_offs}
        one_offs = [item for item in run.one_off_rows if item.id in paid]

        def ledger_sheets(book: Book) -> None:
            write_versions(book, words, run.versions, recording)
            if one_offs:
                write_one_offs(book, words, one_offs)

    write_workbook(
        handle,
        run.applied,
        run.payslips,
        words,
        about,
        run.extra_codes,
        run.summary,
        run.consolidated,
        run.rates,
        more=ledger_sheets,
        deductions=run.deduction_codes(),
    )


def write_workbook(
    handle: IO[bytes],
    policy: Policy,
    payslips: Iterable[Payslip],
    words: Words,
    about: About,
    extra_codes: Iterable[str] = (),
    summary: Summary | None = None,
    consolidate: Callable[[], Consolidation | None] | None = None,
    rates: Any = None,
    more: Callable[[Book], None] | None = None,
    deductions: tuple[Codes, Codes] = NO_DEDUCTIONS,
) -> None:
    """The workbook, payslip by payslip into Payslips and KPIs; Summary and About once all are in, then
    the sheets `more` adds.

    `summary` is the run's, complete once the payslips are read; without one, the payslips are totalled here.
    `consolidate` gives a consolidated view (with `rates`, what it converts with) once they are.
    """
    # Sheet rows wait on disk in a private folder that goes away even when a bad row stops the run.
    several = several_currencies(policy)
    shown = [*policy.paid_currencies, *([rates.currency] if rates is not None else [])]
    moneys = {code: _money(policy, words, code) for code in dict.fromkeys(shown)} if several or rates else None
    with tempfile.TemporaryDirectory(prefix="cspay-xlsx-", ignore_cleanup_errors=True) as scratch:
        book = Book(
            handle, scratch, _money(policy, words), _properties(policy, about), moneys, words("xlsx.note.as_text")
        )
        columns = payslip_columns(policy, words, extra_codes, deductions)
        slips = Listing(book, words("xlsx.sheet.payslips"), columns)
        by_group = any(kpi.by is not None for kpi in policy.kpis.values())
        kpis = Listing(book, words("xlsx.sheet.kpis"), kpi_columns(words, by_group=by_group))
        codes = [code for code, _ in run_line_codes(policy, extra_codes)]
        withheld = ([code for code, _ in deductions[0]], [code for code, _ in deductions[1]])
        zeros = {code: zero(policy, code) for code in policy.paid_currencies}
        kinds = {code: [f"money:{code}" if kind == "money" else kind for _, kind in columns] for code in zeros}
        totals, breakdown = Summaries(policy.paid_currencies) if several else Summary(), Breakdown()
        for slip in payslips:
            if summary is None:
                totals.add(slip)
            breakdown.add(slip)
            empty = zeros.get(slip.currency, zeros[policy.currency])
            row = payslip_row(slip, codes, empty, withheld, currency=several)
            slips.add(row, kinds[slip.currency] if several else None)
            for kpi in slip.kpis:
                row = kpi_row(slip, kpi, left_out_reason(words, policy, kpi))
                kpis.add([*row, targets_cell(words, slip, kpi)] if by_group else row)
        slips.finish()
        kpis.finish()
        write_summary(book, policy, words, summary or totals, breakdown, extra_codes, deductions)
        consolidated = consolidate() if consolidate is not None else None
        if consolidated is not None:
            write_consolidated(book, words, consolidated)
        write_about(book, policy, words, about)
        if more is not None:
            more(book)
        book.workbook.close()
