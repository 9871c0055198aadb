"""Paying a whole metrics file straight into a JSON document, for large runs: the batch run's JSON writer.

`cspay compute --format json` runs here when the run allows the batch way (PayRun.fast_reader). The rows
are paid by cspay.outputs.batch_run; this writes each payslip's JSON object exactly as export.PayslipTexts
writes the Payslip the general path makes (json.dumps of export.payslip_data), from what was paid, with no
Payslip made for a plain row. What many rows share has its text made once: a grade's, a pay's (the bonus
before gates, proration, cap, base pay, allowance and bonus lines, gate hits), each adjustment line's, each
KPI result's per scored value. Where values rarely repeat, a KPI's results are made a column at a time from
the columns it was scored in (cspay.engine.plans.ScoredColumn), with no Scored per row. Numbers are written
as export writes them, format(value, "f") (str's text where it is the same: decimal_texts).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from itertools import compress, repeat
from operator import attrgetter, ne
from typing import IO, TYPE_CHECKING, Any, Generic, TypeVar

from cspay.engine.columnar import Batch, Paid, Pay
from cspay.engine.compiled import Engine, Settled
from cspay.engine.plans import KpiPlan, Scored, ScoredColumn, contributions
from cspay.engine.types import GateHit, KpiResult, Line, Payslip, Summary
from cspay.inputs.metrics import MetricsReader
from cspay.outputs.batch_run import Identity, pay_in_batches
from cspay.outputs.drop_behind import DropBehind
from cspay.outputs.export import BATCH_CHARACTERS, PayslipTexts, gate_data, kpi_data, line_data

if TYPE_CHECKING:
    from cspay.ledger.packing import PayslipWriter

# Texts remembered per table; beyond, each is made anew. A KPI's first values are those the column reader keeps
# (cspay.inputs.columns.TEXTS_LIMIT), so the scored values held here are mostly held there already.
TEXTS_LIMIT = 4096
SEPARATOR = ",\n  "  # between two payslips, as export.write_json writes them
_ESCAPED = re.compile(r'["\\\x00-\x1f]')  # what json.dumps escapes in a string (ensure_ascii=False)
_BY_KEYS = ("by", "group", "curve_group")
_VALUE, _POINTS, _WEIGHTED, _POSITION = (attrgetter(name) for name in ("value", "points", "weighted", "position"))
T = TypeVar("T")
V = TypeVar("V")


def pay_to_json(
    reader: MetricsReader,
    handle: IO[str],
    summary: Summary,
    progress: Callable[[], None] | None = None,
    recorder: PayslipWriter | None = None,
) -> None:
    """Every agent's payslip as the JSON objects of a run's "payslips" list (export.json_head writes what
    comes before, export.json_end what comes after), totals added to `summary`, each written to the ledger by
    `recorder` when the run is recorded; MetricsError at the end for bad rows."""
    groups = dict(reader.parser.group_cells)
    pay_in_batches(reader, lambda engine: JsonBatches(engine, handle, groups), summary, progress, recorder)


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def decimal_texts(column: Sequence[Decimal]) -> list[str]:
    """Each Decimal as format(value, "f") writes it: str's text, the same wherever it has no exponent and
    quicker to make, unless some value needs one (then format's, for the whole column)."""
    texts = list(map(str, column))
    return texts if "E" not in "".join(texts) else list(map(format, column, repeat("f")))


def _escaped(text: str) -> str:
    """A string's JSON text without its quotes."""
    return text if _ESCAPED.search(text) is None else _dumps(text)[1:-1]


def _escaped_column(column: list[str]) -> list[str]:
    """A column of strings as JSON text without quotes: checked once, escaped cell by cell only if needed."""
    return column if _ESCAPED.search("".join(column)) is None else list(map(_escaped, column))


def _result_head(result: KpiResult) -> str:
    """A KPI result's JSON object up to its last key before those of a KPI by group, without the brace."""
    data = kpi_data(result)
    for key in _BY_KEYS:
        data.pop(key, None)
    return _dumps(data)[:-1]


class Texts(Generic[T, V]):
    """Texts of objects the engine shares (lines, gate hits, scored values, pays), remembered by identity while
    there is room: each object is held while its text is, so an id found is that object's."""

    def __init__(self, make: Callable[[T], V]) -> None:
        self.make = make
        self.texts: dict[int, V] = {}
        self.held: list[T] = []

    def of(self, item: T) -> V:
        return self.texts.get(id(item)) or self._add(item)

    def column(self, items: list[T], make_column: Callable[[list[T]], list[V]] | None = None) -> list[V]:
        """Each item's text; those not remembered made one by one, or by `make_column` all at once."""
        texts = self.texts
        found = list(map(texts.get, map(id, items)))
        if None not in found:
            return found  # type: ignore[return-value]
        if make_column is None:
            for i, text in enumerate(found):
                if text is None:
                    found[i] = self.of(items[i])
            return found  # type: ignore[return-value]
        if len(self.held) >= TEXTS_LIMIT and found.count(None) == len(found):  # full, and nothing found
            return make_column(items)
        missing = [i for i, text in enumerate(found) if text is None]
        made = make_column([items[i] for i in missing])
        for i, text in zip(missing, made, strict=True):
            found[i] = text
            if len(self.held) < TEXTS_LIMIT and id(items[i]) not in texts:
                texts[id(items[i])] = text
                self.held.append(items[i])
        return found  # type: ignore[return-value]

    def _add(self, item: T) -> V:
        text = self.make(item)
        if len(self.held) < TEXTS_LIMIT:  # once full, a text is made each time: memory stays bounded
            self.texts[id(item)] = text
            self.held.append(item)
        return text


class KpiTexts:
    """One KPI's results as JSON text: up to `left_out` remembered per scored value counted with every KPI,
    or made from the value's digits (counted with fewer KPIs: their total weight), then, for a KPI by group,
    the row's group."""

    def __init__(self, plan: KpiPlan, full: int, total: Decimal) -> None:
        self.plan, self.full, self.total = plan, full, total  # every KPI counted, and their total weight
        head = f'{{"code": {_dumps(plan.code)}, "label": {_dumps(plan.label)}, "value": "'
        weight = f'", "weight": {_dumps(format(plan.weight, "f"))}, "contribution": '
        self.parts = (head, '", "score": "', f'{weight}"')
        self.without_contribution = f'{weight}null, "position": '
        self.positions: dict[str, str] = {}
        self.counted: Texts[Scored | KpiResult, str] = Texts(self._counted)
        self.by = None if plan.by is None else f', "by": {_dumps(plan.by)}, "group": "'
        self.curve_groups: dict[str | None, str] = {}

    def _counted_column(self, entries: list[Scored | KpiResult]) -> list[str]:
        """What _counted gives for each entry, made a column at a time (values that rarely repeat)."""
        if not all(entry.__class__ is Scored for entry in entries):
            return list(map(self._counted, entries))
        scored: list[Scored] = entries  # type: ignore[assignment]  # checked above
        values, points, weighted, places = (
            list(map(field, scored)) for field in (_VALUE, _POINTS, _WEIGHTED, _POSITION)
        )
        return self._counted_texts(values, points, weighted, places)

    def _counted_texts(
        self,
        values: Sequence[Decimal],
        points: Sequence[Decimal],
        weighted: Sequence[Decimal],
        places: list[str],
        end: str = "",
    ) -> list[str]:
        """Each row's result counted with every KPI, from its value, points, weighted points and position,
        followed by `end`."""
        positions = self.positions
        for position in set(places).difference(positions):
            positions[position] = _dumps(position)
        head, score, contribution = self.parts
        parts = zip(
            repeat(head),
            decimal_texts(values),
            repeat(score),
            decimal_texts(points),
            repeat(contribution),
            decimal_texts(contributions(weighted, self.total)),  # type: ignore[arg-type]  # total: every KPI's, 100
            repeat('", "position": '),
            map(positions.__getitem__, places),
            repeat(', "left_out": null' + end),
        )
        return list(map("".join, parts))

    def _counted(self, entry: Scored | KpiResult, total: Decimal | None = None) -> str:
        """A value's result counted among KPIs whose weights add up to `total` (every KPI's by default), as
        kpi_data has it."""
        if not isinstance(entry, Scored):  # the KPI without a value
            return _result_head(entry)
        scored = entry
        position = self.positions.get(scored.position)
        if position is None:
            position = self.positions[scored.position] = _dumps(scored.position)
        head, score, contribution = self.parts
        (share,) = contributions((scored.weighted,), self.total if total is None else total)  # never 0: see `one`
        return (
            f'{head}{scored.value:f}{score}{scored.points:f}{contribution}{share:f}", '
            f'"position": {position}, "left_out": null'
        )

    def column(self, entries: Sequence[Scored | KpiResult], groups: dict[str, list[str]]) -> list[str]:
        """The KPI's text in each row of a batch, every KPI counted; a ScoredColumn's straight from its columns."""
        if isinstance(entries, ScoredColumn):
            end = "}" if self.by is None else ""  # a KPI by group's texts go on with its group
            heads = self._counted_texts(entries.values, entries.points, entries.weighted, entries.positions, end)
            if end:
                return heads
        else:
            heads = self.counted.column(list(entries), self._counted_column)
        if self.by is None:
            return list(map(str.__add__, heads, repeat("}")))
        cells = _escaped_column(groups[self.plan.by])  # type: ignore[index]  # set: a KPI by group
        ends: Iterable[str]
        if isinstance(entries, ScoredColumn):  # one curve for the column
            ends = repeat(self._curve_group(entries.curve.group))
        else:
            ends = [self._curve_group(entry.curve_group) for entry in entries]
        return ["".join(parts) for parts in zip(heads, repeat(self.by), cells, ends, strict=False)]

    def one(
        self,
        entry: Scored | KpiResult,
        mask: int,
        total: Decimal,
        numbers: dict[str, Decimal],
        cells: list[str],
        at: int | None,
    ) -> str:
        """The KPI's text in one row that counted the KPIs in `mask` (weights adding up to `total`); `at` is
        the `by` cell's index in `cells`, for a KPI by group."""
        if entry.__class__ is Scored and mask & self.plan.bit and total:
            head = self.counted.of(entry) if mask == self.full else self._counted(entry, total)
        elif entry.__class__ is Scored and not mask & self.plan.bit:  # below its min_volume
            head = self._left_out(entry, numbers[self.plan.volume_column])  # type: ignore[index]  # set: it has one
        else:  # without a value, or counted among KPIs weighing nothing (no contribution)
            head = _result_head(self.plan.result(entry, mask, total, numbers))
        if self.by is None or at is None:
            return head + "}"
        return f"{head}{self.by}{_escaped(cells[at].strip())}{self._curve_group(entry.curve_group)}"

    def _left_out(self, scored: Scored, volume: Decimal) -> str:
        """A value's result left out for a volume below the KPI's minimum, as kpi_data has KpiPlan.result's."""
        reason = self.plan.left_out_reason(volume)
        return (
            f"{self.parts[0]}{scored.value:f}{self.parts[1]}{scored.points:f}{self.without_contribution}"
            f'{_dumps(scored.position)}, "left_out": {_dumps(reason)}'
        )

    def _curve_group(self, group: str | None) -> str:
        """What follows the group cell: the curve's group, and the closing brace."""
        text = self.curve_groups.get(group)
        if text is None:
            text = self.curve_groups[group] = f'", "curve_group": {_dumps(group)}}}'
        return text


class JsonBatches:
    """The JSON text of the payslips a batch run pays, and the texts its rows share."""

    suits_columns = True
    keeps_scored = True  # a payslip shows each KPI result

    def __init__(self, engine: Engine, handle: IO[str], group_at: dict[str, int]) -> None:
        self.engine, self.handle, self.group_at = engine, handle, group_at
        self.count = 0  # payslips written
        self.drop = DropBehind(handle)  # a million payslips are 1.6 GB: sent to disk as they are written
        self.held: list[str] = []
        self.pending = 0
        self.grades = [
            f'"grade": {_dumps(g.grade)}, "multiplier": "{g.multiplier:f}", "action": {_dumps(g.action)}, "gross": "'
            for g in engine.grades
        ]
        self.no_grade = '"grade": null, "multiplier": null, "action": null, "gross": "'
        self.full = 2 ** len(engine.kpi_plans) - 1
        total = engine._total_weights.get(self.full) or engine._total_weight(self.full)
        self.kpis = [KpiTexts(plan, self.full, total) for plan in engine.kpi_plans]
        self.kpi_at = [None if plan.by is None else group_at[plan.by] for plan in engine.kpi_plans]
        self.lines: Texts[Line, str] = Texts(lambda line: _dumps(line_data(line)))
        self.hits: Texts[GateHit, str] = Texts(lambda hit: _dumps(gate_data(hit)))
        self.pays: Texts[Pay, tuple[str, str]] = Texts(self._pay)
        self.general = PayslipTexts(several=False)  # a run paid this way pays one currency (fast_reader)

    def columns(self, batch: Batch, first: int) -> bool:
        """The batch's payslips."""
        size, engine = batch.size, self.engine
        pays = list(map(self._pay, batch.pays)) if engine._by_score else self.pays.column(batch.pays)
        parts: list[Any] = [
            repeat('{"agent_id": "'),
            _escaped_column(batch.ids),
            repeat('", "name": "'),
            _escaped_column(batch.names),
            repeat('", "role": "'),
            _escaped_column(batch.roles),
            repeat('", "team": "'),
            _escaped_column(batch.teams),
            repeat('", "row": '),
            map(str, range(first, first + size)),
            repeat(', "score": "'),
            decimal_texts(batch.scores),
            repeat('", '),
            map(self.grades.__getitem__, batch.indexes),
            map(str, batch.gross),
            repeat('", '),
            (head for head, _ in pays),
        ]
        for found in batch.adjustments:
            parts += [repeat(", "), self.lines.column(found)]
        if batch.floors:
            floors = [""] * size
            for i, line in batch.floors.items():
                floors[i] = ", " + self.lines.of(line)
            parts.append(floors)
        parts.append(repeat('], "kpis": ['))
        parts += self._kpi_columns(batch)
        parts += [repeat('], "gates": ['), (gates for _, gates in pays), repeat("]}")]
        self._write(SEPARATOR.join(map("".join, zip(*parts, strict=False))), size)
        return True

    def _kpi_columns(self, batch: Batch) -> list[Any]:
        """Each KPI's text per row, separated; a row that left a KPI out has its results worked out anew."""
        assert batch.scored is not None  # kept: keeps_scored
        columns = [kpi.column(entries, batch.groups) for kpi, entries in zip(self.kpis, batch.scored, strict=True)]
        if batch.masks is not None:
            totals, masks = self.engine._total_weights, batch.masks
            at = {name: k for k, name in enumerate(batch.groups)}
            wheres = [None if plan.by is None else at[plan.by] for plan in self.engine.kpi_plans]
            kpis = list(zip(self.kpis, batch.scored, wheres, columns, strict=True))
            for i in compress(range(batch.size), map(ne, masks, repeat(self.full))):
                mask = masks[i]
                numbers = {name: values[i] for name, values in batch.numbers.items()}
                cells = [values[i] for values in batch.groups.values()]
                for kpi, entries, where, column in kpis:
                    column[i] = kpi.one(entries[i], mask, totals[mask], numbers, cells, where)
        separated: list[Any] = []
        for column in columns:
            separated += [repeat(", "), column] if separated else [column]
        return separated

    def _pay(self, pay: Pay) -> tuple[str, str]:
        return self._pay_text(pay.role, pay.before, (pay.hits, pay.capped, pay.proration, pay.fixed, pay.bonus_line))

    def _pay_text(self, role: str, before: Decimal, paid: Paid) -> tuple[str, str]:
        """What follows gross up to the adjustment lines, and the gate hits, for one pay."""
        hits, capped, proration, fixed, bonus_line = paid
        bonus = _dumps(line_data(bonus_line)) if self.engine._by_score else self.lines.of(bonus_line)
        lines = ", ".join([*map(self.lines.of, fixed[0]), bonus])
        head = (
            f'"proration": "{proration:f}", "target_bonus": "{self.engine.targets[role]:f}", '
            f'"bonus_before_gates": "{before:f}", "capped": {"true" if capped else "false"}, "lines": [{lines}'
        )
        return head, ", ".join(map(self.hits.of, hits))

    def settled(
        self,
        line: int,
        cells: list[str],
        identity: Identity,
        scored: Sequence[Scored | KpiResult],
        numbers: dict[str, Decimal],
        paid: Settled,
    ) -> None:
        """One plain row's payslip."""
        agent_id, role, name, team = identity
        head, gates = self._pay_text(
            role, paid.bonus, (paid.hits, paid.capped, paid.proration, paid.fixed, paid.bonus_line)
        )
        after = (*paid.adjustments, *([paid.floor] if paid.floor else []))  # the bonus: in the pay's text
        lines = "".join([", " + self.lines.of(item) for item in after])
        kpis = ", ".join(
            [
                kpi.one(entry, paid.mask, paid.total_weight, numbers, cells, at)
                for kpi, entry, at in zip(self.kpis, scored, self.kpi_at, strict=True)
            ]
        )
        score_text = "null" if paid.score is None else f'"{paid.score:f}"'
        grade = self.no_grade if paid.grade_at is None else self.grades[paid.grade_at]
        self._write(
            f'{{"agent_id": "{_escaped(agent_id)}", "name": "{_escaped(name)}", "role": "{_escaped(role)}", '
            f'"team": "{_escaped(team)}", "row": {line}, "score": {score_text}, {grade}{paid.gross}", {head}{lines}], '
            f'"kpis": [{kpis}], "gates": [{gates}]}}',
            1,
        )

    def payslip(self, slip: Payslip) -> None:
        """A payslip paid the general way."""
        self._write(self.general.text(slip), 1)

    def _write(self, text: str, count: int) -> None:
        self.held += (SEPARATOR if self.count else "\n  ", text)  # a batch's text is not copied again
        self.count += count
        self.pending += len(text)
        if self.pending >= BATCH_CHARACTERS:
            self.close()

    def close(self) -> None:
        held = self.held
        if len(held) > 2:  # rows written one by one: gathered into one write
            self.handle.write("".join(held))
        else:
            self.handle.writelines(held)
        held.clear()
        self.drop.wrote(self.pending)
        self.pending = 0
