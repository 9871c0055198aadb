"""The engine's tables: one KPI, gate or adjustment compiled from the policy, remembering what it computed
for each distinct value (a million agents share a few hundred values per column).

Every table gives exactly what computing afresh gives. Where a result prints its input's digits (a score
from 92.50 prints differently from one from 92.5), it is reused only for input written alike.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from itertools import repeat
from operator import itemgetter, mul, truediv
from typing import overload

from cspay.engine.curves import position_text, scorer_of
from cspay.engine.rules import adjustment_amount
from cspay.engine.types import GateHit, KpiResult, Line
from cspay.policy.model import GATE_TESTS, Adjustment, Gate, Kpi, Score

MEMO_LIMIT = 50_000  # values remembered per table; beyond, results are computed each time
# KPI values scored and remembered per KPI: a score with its results weighs about a kilobyte, and where
# values repeat a few hundred cover a month; where they rarely do, remembering more only holds memory.
SCORED_LIMIT = 4096
_POINTS = itemgetter(0)  # a scorer's score, from what it returns


def contributions(weighted: Sequence[Decimal], total_weight: Decimal) -> list[Decimal | None]:
    """Each KPI's contribution to the score: its weighted points over the total weight of the KPIs counted
    (none when those weigh nothing). One value or a column at a time, by the same rule."""
    if not total_weight:
        return [None] * len(weighted)
    return list(map(truediv, weighted, repeat(total_weight)))


class Scored:
    """One KPI value's place on one of its curves, shared by every agent who has that value on that curve."""

    __slots__ = ("curve_group", "points", "position", "results", "value", "weighted")

    def __init__(
        self,
        value: Decimal,
        points: Decimal,
        code: str,
        band_from: Decimal | None,
        weight: Decimal,
        curve_group: str | None = None,
        position: str | None = None,
    ) -> None:
        """`position` is position_text(code, band_from), when the caller has it already."""
        self.value, self.points = value, points
        self.position = position_text(code, band_from) if position is None else position
        self.weighted = weight * points
        self.curve_group = curve_group
        self.results: dict[int, KpiResult] = {}  # by the set of KPIs counted (a bit mask)


class Places(dict[tuple[str, Decimal | None], str]):
    """Where values sit on one curve, as a payslip says it, by position code and band: made when first met."""

    def __missing__(self, place: tuple[str, Decimal | None]) -> str:
        text = self[place] = position_text(*place)
        return text


class Curve:
    """One curve of a KPI compiled (its own score, or a group's): the scorer and the values it scored."""

    __slots__ = ("group", "limit", "memo", "no_value", "places", "scorer", "weight")

    def __init__(self, plan: KpiPlan, group: str | None, score: Score, limit: int) -> None:
        self.group, self.weight, self.scorer = group, plan.weight, scorer_of(score)
        self.memo: dict[Decimal, Scored] = {}
        self.limit = limit  # values remembered at most
        self.places = Places()  # (position code, band) -> its text: a few per curve
        self.no_value = KpiResult(
            plan.code,
            plan.label,
            None,
            None,
            plan.weight,
            None,
            "no value",
            "no value (the KPI allows a missing value)",
            None,
            plan.by,
            group,
        )

    def points(self, value: Decimal) -> Decimal:
        """The value's score on this curve alone, as Scored has it."""
        return self.scorer(value)[0]

    def weighted(self, values: Sequence[Decimal]) -> list[Decimal]:
        """Each value's weight × score on this curve, as Scored's weighted: a column at once."""
        return self.times_weight(map(_POINTS, map(self.scorer, values)))

    def times_weight(self, points: Iterable[Decimal]) -> list[Decimal]:
        """Each score × the KPI's weight, as Scored's weighted."""
        return list(map(mul, repeat(self.weight), points))

    def scored(self, value: Decimal | None) -> Scored | KpiResult:
        """The value's score on this curve (reused only for a value written alike), or the KPI without a value."""
        if value is None:
            return self.no_value
        entry = self.memo.get(value)
        if entry is not None and (entry.value is value or str(entry.value) == str(value)):
            return entry
        entry = Scored(value, *self.scorer(value), self.weight, self.group)
        if len(self.memo) < self.limit:
            self.memo.setdefault(value, entry)
        return entry

    def scored_column(self, values: list[Decimal]) -> ScoredColumn:
        """Values' scores on this curve, none remembered: for a column whose values rarely repeat (each row
        equal to what `scored` gives)."""
        return ScoredColumn(self, values)


class ScoredColumn(Sequence[Scored]):
    """A column of values scored on one curve, kept as columns (value, points, position, weight × points):
    where values rarely repeat, a writer reads the columns and no row needs a Scored of its own; one is made
    when a row is asked for, equal to what Curve.scored gives."""

    __slots__ = ("bands", "codes", "curve", "points", "positions", "values", "weighted")

    def __init__(self, curve: Curve, values: list[Decimal]) -> None:
        self.curve, self.values = curve, values
        points, codes, bands = zip(*map(curve.scorer, values), strict=True) if values else ((), (), ())
        self.points: Sequence[Decimal] = points
        self.codes: Sequence[str] = codes
        self.bands: Sequence[Decimal | None] = bands
        self.positions = list(map(curve.places.__getitem__, zip(codes, bands, strict=True)))
        self.weighted = curve.times_weight(self.points)

    def __len__(self) -> int:
        return len(self.values)

    @overload
    def __getitem__(self, index: int) -> Scored: ...

    @overload
    def __getitem__(self, index: slice) -> list[Scored]: ...

    def __getitem__(self, index: int | slice) -> Scored | list[Scored]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        curve = self.curve
        return Scored(
            self.values[index],
            self.points[index],
            self.codes[index],
            self.bands[index],
            curve.weight,
            curve.group,
            self.positions[index],
        )

    def __iter__(self) -> Iterator[Scored]:
        return map(self.__getitem__, range(len(self.values)))


class KpiPlan:
    """One KPI compiled: its curves (its own score, and with `by` each group's), weight, min_volume rule,
    and the values already scored."""

    __slots__ = (
        "bit",
        "by",
        "code",
        "curve_of_text",
        "curves",
        "kpi",
        "label",
        "own",
        "volume_column",
        "volume_min",
        "weight",
    )

    def __init__(self, code: str, kpi: Kpi, bit: int) -> None:
        self.code, self.label, self.weight, self.bit = code, kpi.label or code, kpi.weight, bit
        self.kpi, self.by = kpi, kpi.by
        volume = kpi.min_volume
        self.volume_column = volume.column if volume else None
        self.volume_min = volume.at_least if volume else None
        # The KPI's curves share one table's room: a policy by group remembers no more than one without.
        limit = SCORED_LIMIT // len(kpi.curves())
        self.curves = {group: Curve(self, group, score, limit) for group, score in kpi.curves()}
        self.own = self.curves[None]
        self.curve_of_text: dict[str, Curve] = {}  # a `by` cell's text -> the curve it picks

    def curve(self, groups: Mapping[str, str]) -> Curve:
        """The curve of an agent row's group (its `by` column's text; a row without it is an empty cell)."""
        return self.own if self.by is None else self.curve_of(groups.get(self.by, ""))

    def curve_of(self, text: str) -> Curve:
        """The curve a `by` cell's text (stripped) picks, by the policy's rule (Kpi.curve_group)."""
        curve = self.curve_of_text.get(text)
        if curve is None:
            curve = self.curves[self.kpi.curve_group(text)]
            if len(self.curve_of_text) < MEMO_LIMIT:
                self.curve_of_text[text] = curve
        return curve

    def scored(self, value: Decimal | None) -> Scored | KpiResult:
        """The value's score on the KPI's own curve, or the KPI without a value."""
        return self.own.scored(value)

    def left_out_reason(self, volume: Decimal) -> str:
        """Why a value is left out: its volume is below the KPI's min_volume."""
        return f"{self.volume_column} {volume} is below the minimum {self.volume_min}"

    def result(
        self, item: Scored | KpiResult, mask: int, total_weight: Decimal, numbers: dict[str, Decimal]
    ) -> KpiResult:
        """The KPI as the payslip shows it: counted with its contribution, or left out and why."""
        if item.__class__ is not Scored:
            return item  # type: ignore[return-value]
        entry: Scored = item
        by, group = self.by, entry.curve_group
        if not mask & self.bit:
            volume = numbers[self.volume_column]  # type: ignore[index]
            reason = self.left_out_reason(volume)
            return KpiResult(
                self.code,
                self.label,
                entry.value,
                entry.points,
                self.weight,
                None,
                entry.position,
                reason,
                volume,
                by,
                group,
            )
        result = entry.results.get(mask)
        if result is None:
            (contribution,) = contributions((entry.weighted,), total_weight)
            result = KpiResult(
                self.code,
                self.label,
                entry.value,
                entry.points,
                self.weight,
                contribution,
                entry.position,
                None,
                None,
                by,
                group,
            )
            entry.results[mask] = result
        return result


class GatePlan:
    """One gate compiled: what it reads, its test, and the hits already described."""

    __slots__ = ("column", "gate", "hits", "index", "kpi_index", "limit", "remember", "test")

    def __init__(self, index: int, gate: Gate, kpi_index: int | None) -> None:
        self.index, self.gate, self.column, self.kpi_index = index, gate, gate.column, kpi_index
        self.limit = gate.condition.limit
        self.test = GATE_TESTS[gate.condition.name]
        self.hits: dict[Decimal, GateHit] = {}
        self.remember = MEMO_LIMIT  # hits remembered at most

    def hit(self, before: Decimal) -> GateHit:
        """What the gate does to a bonus of `before` (the very same Decimal, so it prints alike)."""
        hit = self.hits.get(before)
        if hit is None or hit.bonus_before is not before:
            gate = self.gate
            hit = GateHit(
                self.index,
                gate.describe(),
                gate.then.describe(),
                gate.reason or gate.describe(),
                before,
                gate.then.apply(before),
            )
            if len(self.hits) < self.remember:
                self.hits.setdefault(before, hit)
        return hit


class AdjustmentPlan:
    """One adjustment compiled, with its rounded line for each value already seen."""

    __slots__ = ("adjustment", "code", "column", "label", "lines")

    def __init__(self, name: str, adjustment: Adjustment) -> None:
        self.adjustment, self.column = adjustment, adjustment.column
        self.code, self.label = f"adjustment.{name}", adjustment.label or name
        # By value alone: a rounded amount prints the same whatever the input's trailing zeros.
        self.lines: dict[Decimal, Line] = {}

    def line(self, value: Decimal, round_: Callable[[Decimal], Decimal]) -> Line:
        line = Line(self.code, self.label, round_(adjustment_amount(self.adjustment, value).amount))
        if len(self.lines) < MEMO_LIMIT:
            self.lines[value] = line
        return line
