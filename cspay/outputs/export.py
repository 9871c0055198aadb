"""Writing payslips as CSV or JSON, atomically: a file appears whole or not at all."""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import IO, Any

from cspay import __version__
from cspay.engine.rounding import quantum
from cspay.engine.rules import run_line_codes
from cspay.engine.types import BonusPiece, GateHit, KpiResult, Line, Part, Payslip, Summaries, Summary
from cspay.outputs.text import inert, score_text
from cspay.policy.model import Policy

ZERO = Decimal(0)
BATCH_CHARACTERS = 256 * 1024  # text gathered into one write
TEXT_CACHE_LIMIT = 20_000  # names, teams, roles and grades repeat; ids do not
_NEEDS_QUOTES = re.compile('[,"\r\n]')  # what makes csv.writer quote a cell


def zero(policy: Policy, currency: str | None = None) -> Decimal:
    """Zero written with the places of the rounding step of `currency` (the policy's when None): 0.00 for
    cents, 0 for yen, 0.000 for fils."""
    return Decimal(0).quantize(quantum(policy.rounding_step(currency or policy.currency)))


def several_currencies(policy: Policy) -> bool:
    """Whether the policy pays agents in more than one currency, so each payslip names its currency."""
    return len(policy.paid_currencies) > 1


def write_csv(
    handle: IO[str],
    policy: Policy,
    payslips: Iterable[Payslip],
    extra_codes: Iterable[str] = (),
    deduction_codes: tuple[Iterable[str], Iterable[str]] = ((), ()),
) -> None:
    """One row per agent: identity, score, grade, action, one column per line code, gross; with deductions,
    one column per deduction, net, and one per employer contribution."""
    rows = CsvRows(policy, extra_codes, deduction_codes)
    out = CsvOut(handle, rows.header())
    try:
        for slip in payslips:
            text = rows.text(slip)
            if text is None:
                out.cells(rows.cells(slip))
            else:
                out.text(text)
    finally:  # rows already paid are written even when the next one fails, as row-by-row writing did
        out.close()


class CsvOut:
    """Rows of text joined into large writes; a row with cells to quote goes through csv.writer."""

    def __init__(self, handle: IO[str], header: list[str]) -> None:
        self.handle = handle
        self.writer = csv.writer(handle, lineterminator="\n")
        self.writer.writerow(header)
        self.batch: list[str] = []
        self.pending = 0  # characters in the batch

    def text(self, lines: str) -> None:
        """Rows already written as text, each ending in a newline."""
        self.batch.append(lines)
        self.pending += len(lines)
        if self.pending >= BATCH_CHARACTERS:
            self.flush()

    def cells(self, cells: list[Any]) -> None:
        """A row of cells that csv.writer writes (and quotes)."""
        self.flush()
        self.writer.writerow(cells)

    def flush(self) -> None:
        self.handle.write("".join(self.batch))
        self.batch.clear()
        self.pending = 0

    def close(self) -> None:
        self.flush()


class CsvRows:
    """Payslips as CSV rows, written exactly as csv.writer would write them, without its cost per cell."""

    def __init__(
        self,
        policy: Policy,
        extra_codes: Iterable[str] = (),
        deduction_codes: tuple[Iterable[str], Iterable[str]] = ((), ()),
    ) -> None:
        self.codes = [code for code, _ in run_line_codes(policy, extra_codes)]
        self.budget = policy.budget is not None  # a last column with each bonus's budget factor
        self.position = {code: i for i, code in enumerate(self.codes)}
        self.zero = str(zero(policy))
        # A policy paying several currencies adds a currency column, and writes each zero in its currency.
        several = several_currencies(policy)
        self.zeros = {code: str(zero(policy, code)) for code in policy.paid_currencies} if several else None
        self.taken, self.paid = [list(codes) for codes in deduction_codes]
        self._ready: dict[str, str | None] = {"": ""}  # text -> the cell as written, None if it needs quotes

    def header(self) -> list[str]:
        factor = ["budget_factor"] if self.budget else []
        currency = ["currency"] if self.zeros else []
        net = [*self.taken, "net", *self.paid] if self.taken or self.paid else []
        return [
            "agent_id",
            "name",
            "role",
            "team",
            *currency,
            "score",
            "grade",
            "action",
            *self.codes,
            "gross",
            *net,
            *factor,
        ]

    def net(self, slip: Payslip) -> list[str]:
        """Each deduction, net and each employer contribution, under a run with deductions."""
        if not (self.taken or self.paid):
            return []
        empty = self.zeros[slip.currency] if self.zeros else self.zero
        taken = {line.code: str(line.amount) for line in slip.deductions}
        paid = {line.code: str(line.amount) for line in slip.employer}
        return [
            *(taken.get(code, empty) for code in self.taken),
            str(slip.net),
            *(paid.get(code, empty) for code in self.paid),
        ]

    def cells(self, slip: Payslip) -> list[Any]:
        """The row's cells, made inert, for csv.writer."""
        identity = [slip.agent_id, slip.name, slip.role, slip.team]
        return [
            *(inert(text) for text in identity),
            *([slip.currency] if self.zeros else []),
            score_text(slip.score),
            inert(slip.grade or ""),
            inert(slip.action or ""),
            *self.amounts(slip.lines, slip.currency),
            *self.net(slip),
            *self.factor(slip),
        ]

    def amounts(self, lines: Iterable[Line], currency: str = "") -> list[str]:
        """One amount per line code (zero, in the currency's places, when there is no such line; a payslip paid
        in parts has a line per part, added up), then gross."""
        empty = self.zeros[currency] if self.zeros else self.zero
        amounts, position, gross = [empty] * len(self.codes), self.position, ZERO
        summed: dict[int, Decimal] = {}
        for line in lines:
            gross += line.amount
            index = position.get(line.code)
            if index is None:
                continue
            summed[index] = summed[index] + line.amount if index in summed else line.amount
            amounts[index] = str(summed[index])
        amounts.append(str(gross))
        return amounts

    def text(self, slip: Payslip) -> str | None:
        """The row as one line of text, or None when a text cell needs quotes."""
        cells = [
            self.cell(slip.agent_id),
            self.cell(slip.name),
            self.cell(slip.role),
            self.cell(slip.team),
            *([slip.currency] if self.zeros else []),
            score_text(slip.score),
            self.cell(slip.grade or ""),
            self.cell(slip.action or ""),
        ]
        texts = [cell for cell in cells if cell is not None]
        if len(texts) < len(cells):
            return None
        return ",".join(texts + self.amounts(slip.lines, slip.currency) + self.net(slip) + self.factor(slip)) + "\n"

    def factor(self, slip: Payslip) -> list[str]:
        """The budget factor cell, under a policy with a budget."""
        return [str(slip.budget_factor)] if self.budget else []

    def cell(self, text: str) -> str | None:
        """A text cell as written (made inert), or None when csv.writer would quote it."""
        if text.isalnum():  # most ids: nothing to quote or neutralise, and too many to remember
            return text
        ready = self._ready
        if text in ready:
            return ready[text]
        cell: str | None = inert(text)
        if _NEEDS_QUOTES.search(cell):  # type: ignore[arg-type]
            cell = None
        if len(ready) < TEXT_CACHE_LIMIT:
            ready[text] = cell
        return cell


def payslip_data(slip: Payslip, *, currency: bool = False) -> dict[str, Any]:
    """A payslip as JSON-ready data; amounts and scores as decimal strings; with `currency`, the currency
    its amounts are in (a run paying several currencies)."""
    return {
        **payslip_head(slip, currency=currency),
        "lines": [line_data(line) for line in slip.lines],
        "kpis": [kpi_data(k, slip.groups) for k in slip.kpis],
        "gates": [gate_data(g) for g in slip.gates],
        **payslip_tail(slip),
    }


def payslip_head(slip: Payslip, *, currency: bool = False) -> dict[str, Any]:
    """A payslip's data before its lines, KPIs and gates."""
    # Rounded amounts (lines, gross and their sums) have at most six places, so str() writes them plainly;
    # the amounts before rounding go through _plain.
    return {
        "agent_id": slip.agent_id,
        "name": slip.name,
        "role": slip.role,
        "team": slip.team,
        **({"currency": slip.currency} if currency else {}),
        "row": slip.row,
        "score": _text(slip.score),
        "grade": slip.grade,
        "multiplier": _text(slip.multiplier),
        "action": slip.action,
        "gross": str(slip.gross),
        "proration": _plain(slip.proration),
        "target_bonus": _plain(slip.target_bonus),
        "bonus_before_gates": _plain(slip.bonus_before_gates),
        "capped": slip.capped,
    }


def payslip_tail(slip: Payslip) -> dict[str, Any]:
    """A payslip's data after its gates: the budget's factor, when a budget scaled the bonus; the parts of a
    period paid in parts; how each bonus line of team results was made; and the deductions and net."""
    return {
        **({} if slip.budget_factor is None else {"budget_factor": _plain(slip.budget_factor)}),
        **({"parts": [part_data(part) for part in slip.parts]} if slip.parts else {}),
        **({"bonus_parts": [piece_data(piece) for piece in slip.pieces]} if slip.pieces else {}),
        **({} if slip.withholding is None else net_data(slip)),
    }


def line_data(line: Line) -> dict[str, Any]:
    """A payslip line; a line of one part of a period paid in parts names its part."""
    data = {"code": line.code, "label": line.label, "amount": str(line.amount)}
    return data if line.part is None else {**data, "part": line.part}


def gate_data(g: GateHit) -> dict[str, Any]:
    return {
        "condition": g.condition,
        "effect": g.effect,
        "reason": g.reason,
        "bonus_before": _plain(g.bonus_before),
        "bonus_after": _plain(g.bonus_after),
    }


def part_data(part: Part) -> dict[str, Any]:
    """A part of a period paid in parts: role, team, its days (null when unknown) and share, exact ("1/2")."""
    return {
        "role": part.role,
        "team": part.team,
        "from": None if part.first is None else part.first.isoformat(),
        "to": None if part.last is None else part.last.isoformat(),
        "share": str(part.share),
    }


def piece_data(piece: BonusPiece) -> dict[str, Any]:
    """How one bonus line of a policy with team results was made."""
    return {
        "code": piece.code,
        "part": piece.part,
        "basis": piece.basis,
        "group": piece.group,
        "fallback": piece.fallback,
        "weight": str(piece.weight),
        "target": str(piece.target),
        "score": _text(piece.score),
        "grade": piece.grade,
        "multiplier": _text(piece.multiplier),
        "before_gates": str(piece.before_gates),
        "capped": piece.capped,
        "amount": str(piece.amount),
    }


def net_data(slip: Payslip) -> dict[str, Any]:
    """From gross to net: the deductions, net, the employer's contributions and how they were worked out."""
    return {
        "deductions": [line_data(line) for line in slip.deductions],
        "net": str(slip.net),
        "employer": [line_data(line) for line in slip.employer],
        "withholding": fields_data(slip.withholding),
    }


def fields_data(record: Any) -> dict[str, Any]:
    """A frozen dataclass of Decimals, texts, numbers and tuples of such as JSON-ready data (amounts as
    decimal strings), field by field: what dataclasses.asdict gives, without its deep copies."""
    return {name: _field_data(getattr(record, name)) for name in record.__dataclass_fields__}


def _field_data(value: Any) -> Any:
    if isinstance(value, Decimal):
        return _plain(value)
    if isinstance(value, tuple):
        return [_field_data(item) for item in value]
    if hasattr(value, "__dataclass_fields__"):
        return fields_data(value)
    return value


def kpi_data(k: KpiResult, groups: dict[str, str] | None = None) -> dict[str, Any]:
    """One KPI result as JSON-ready data; a KPI by group adds its column (`by`), the agent's cell in it
    (`group`) and the group whose own curve applied (`curve_group`, null for the KPI's own score)."""
    data = {
        "code": k.code,
        "label": k.label,
        "value": _text(k.value),
        "score": _text(k.score),
        "weight": _plain(k.weight),
        "contribution": _text(k.contribution),
        "position": k.position,
        "left_out": k.left_out,
    }
    if k.by is not None:
        data |= {"by": k.by, "group": (groups or {}).get(k.by, ""), "curve_group": k.curve_group}
    return data


def summary_data(summary: Summary, consolidated: Any = None) -> dict[str, Any]:
    """The run's totals; a run paid in several currencies has them per currency (`currencies`), never added
    up, and a consolidated view only when one was asked for, with every rate it used."""
    if isinstance(summary, Summaries):
        money: dict[str, Any] = {
            "currencies": {code: _money_data(totals, headcount=True) for code, totals in summary.by_currency().items()}
        }
    else:
        money = _money_data(summary)
    return {
        "headcount": summary.headcount,
        **money,
        "grades": summary.grades,
        "actions": summary.actions,
        **({} if summary.budget is None else {"budget": budget_data(summary.budget)}),
        **({} if consolidated is None else {"consolidated": consolidated_data(consolidated)}),
    }


def _money_data(summary: Summary, *, headcount: bool = False) -> dict[str, Any]:
    """One currency's totals; from gross to net too when its payslips had deductions."""
    share = summary.bonus_share
    return {
        **({"headcount": summary.headcount} if headcount else {}),
        "gross": str(summary.gross),
        "bonus": _plain(summary.bonus),
        "bonus_share_of_gross": None if share is None else _plain(share),
        "lines": {code: str(amount) for code, amount in summary.lines.items()},
        **(net_summary(summary) if summary.deductions or summary.employer else {}),
    }


def net_summary(summary: Summary) -> dict[str, Any]:
    """The total of each deduction and employer contribution, net, and what the run costs, in one currency."""
    return {
        "deductions": {code: str(amount) for code, amount in summary.deductions.items()},
        "net": str(summary.net),
        "employer": {code: str(amount) for code, amount in summary.employer.items()},
        "employer_cost": str(summary.employer_cost),
    }


def consolidated_data(consolidated: Any) -> dict[str, Any]:
    """A consolidated view: the currency, the rates file, each currency's totals, rate, rate date and totals
    converted, and the converted sums."""
    return {
        "currency": consolidated.currency,
        "rates": consolidated.source,
        "note": "converted at the rates of the rates file, for reporting; every payslip is paid in its own currency",
        "by_currency": [
            {
                "currency": part.currency,
                "gross": str(part.gross),
                "bonus": str(part.bonus),
                "rate": str(part.rate),
                "rate_date": part.date.isoformat() if part.date else None,
                "converted_gross": str(part.converted_gross),
                "converted_bonus": str(part.converted_bonus),
            }
            for part in consolidated.parts
        ],
        "gross": str(consolidated.gross),
        "bonus": str(consolidated.bonus),
    }


def budget_data(budget: Any) -> dict[str, Any]:
    """The month's bonus pool, what the bonuses asked for, and the factor they were scaled by."""
    return {
        "pool": _plain(budget.pool),
        "demand": _plain(budget.demand),
        "factor": _plain(budget.factor),
        "scaled": budget.scaled,
        "base_pay": _plain(budget.base_pay),
    }


def write_json(
    handle: IO[str],
    policy: Policy,
    payslips: Iterable[Payslip],
    summary: Summary,
    extra: dict[str, Any] | None = None,
    annotate: Callable[[Payslip], dict[str, Any]] | None = None,
    consolidate: Callable[[], Any] | None = None,
) -> None:
    """The run as one JSON document, written payslip by payslip so memory stays flat.

    `extra` adds keys to the head (period, input hashes); `annotate` adds keys to each payslip;
    `consolidate` gives the consolidated view once the totals are complete.
    """
    handle.write(json_head(policy, extra))
    texts = PayslipTexts(several_currencies(policy))
    for index, slip in enumerate(payslips):
        handle.write(",\n  " if index else "\n  ")
        handle.write(texts.text(slip, None if annotate is None else annotate(slip)))
    handle.write(json_end(summary, consolidate() if consolidate is not None else None))


def json_head(policy: Policy, extra: dict[str, Any] | None = None) -> str:
    """A run's JSON document up to its first payslip: the policy, cspay's version, `extra` keys."""
    several = several_currencies(policy)
    head = {
        "policy": policy.policy,
        "policy_version": policy.version,
        "policy_sha256": policy.sha256,
        "cspay_version": __version__,
        "currency": policy.currency,
        **({"currencies": policy.paid_currencies} if several else {}),
        **(extra or {}),
    }
    return json.dumps(head, ensure_ascii=False, indent=1)[:-2] + ',\n "payslips": ['


def json_end(summary: Summary, consolidated: Any = None) -> str:
    """A run's JSON document after its last payslip: the totals."""
    return '\n ],\n "summary": ' + json.dumps(summary_data(summary, consolidated), ensure_ascii=False) + "\n}\n"


def _text(value: Decimal | None) -> str | None:
    return None if value is None else _plain(value)


def _plain(value: Decimal) -> str:
    """A number's digits, never in exponent form (0E-7, 1E+3): what a reader of the JSON expects."""
    return format(value, "f")


class PayslipTexts:
    """Payslips as JSON text, each the text json.dumps gives its payslip_data, put together from the text
    of the lines, KPI results and gate hits payslips share (the engine's tables hand out the same objects),
    each made once while there is room to remember it."""

    LIMIT = 4096  # texts remembered; beyond, each is made anew

    def __init__(self, several: bool) -> None:
        self.several = several
        # (id, the agent's cell it shows) -> (the object, its text): kept alive, so ids hold.
        self.texts: dict[tuple[int, str], tuple[object, str]] = {}

    def text(self, slip: Payslip, extra: dict[str, Any] | None = None) -> str:
        """The payslip's JSON object with `extra` keys after its own (a key of its own: as json.dumps would)."""
        tail = payslip_tail(slip)
        if extra:
            if not extra.keys().isdisjoint(("lines", "kpis", "gates", *tail)):
                return _dumps({**payslip_data(slip, currency=self.several), **extra})
            tail.update(extra)
        head = _dumps(payslip_head(slip, currency=self.several))[:-1]
        lines = ", ".join([self._part(line, line_data) for line in slip.lines])
        kpis = ", ".join([self._kpi(k, slip.groups) for k in slip.kpis])
        gates = ", ".join([self._part(g, gate_data) for g in slip.gates])
        rest = ", " + _dumps(tail)[1:-1] if tail else ""
        return f'{head}, "lines": [{lines}], "kpis": [{kpis}], "gates": [{gates}]{rest}}}'

    def _kpi(self, k: KpiResult, groups: dict[str, str]) -> str:
        """A KPI result's text. Agents in groups that share a curve share its result but not their group
        cell, so a KPI by group's text is remembered per result and cell."""
        if k.by is None:
            return self._part(k, kpi_data)
        return self._part(k, lambda item: kpi_data(item, groups), groups.get(k.by, ""))

    def _part(self, item: Any, data_of: Callable[[Any], dict[str, Any]], cell: str = "") -> str:
        key = (id(item), cell)
        found = self.texts.get(key)
        if found is not None and found[0] is item:
            return found[1]
        text = _dumps(data_of(item))
        if len(self.texts) >= self.LIMIT:
            self.texts.clear()
        self.texts[key] = (item, text)
        return text


def _dumps(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False)
