"""How each KPI and plain column of a period folds over an agent's months (cspay.inputs.fold): by the
KPI's `aggregate` or the column's rule, on one agent's state (a list of every rule's slots) or on every
agent's figures at once (a list per slot, an agent's at their number), with the same Decimal additions in
the same order either way.

A mean keeps a running sum and a count, a weighted mean also the sums of value × weight and of the
weights, min and max the first of equal values, as Python's min and max do.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from itertools import repeat
from operator import add, mul
from typing import Any

from cspay.engine.types import AgentRow
from cspay.policy.model import Kpi

ZERO = Decimal(0)
State = list[Any]  # an agent's running figures: each rule knows the types of its slots


class Place:
    """Where a batch's agents are among every agent's running figures (Fold's columns): their numbers, in
    the batch's order, and the slice they make when they follow one another (as a month's file lists the
    agents of the month before, mostly), which a column is read and written through at once."""

    __slots__ = ("cut", "numbers")

    def __init__(self, numbers: list[int]) -> None:
        self.numbers = numbers
        first = numbers[0] if numbers else 0
        following = numbers == list(range(first, first + len(numbers)))
        self.cut = slice(first, first + len(numbers)) if following else None

    def take(self, column: list[Any]) -> list[Any]:
        """The batch's agents' figures in one column."""
        if self.cut is not None:
            return column[self.cut]
        return list(map(column.__getitem__, self.numbers))

    def put(self, column: list[Any], values: Iterable[Any]) -> None:
        """Set the batch's agents' figures in one column (one value per agent)."""
        if self.cut is not None:
            column[self.cut] = values  # the values are read whole before the column changes
        else:
            list(map(column.__setitem__, self.numbers, values))


Columns = list[list[Any]]  # every agent's running figures: a list per slot, an agent's at its number


class Rule:
    """How one KPI or column folds over an agent's months, in its slots of the agent's state (a list of
    every rule's slots, one agent's) or of the fold's columns (one list per slot, every agent's)."""

    start: tuple[Any, ...] = (None,)  # the slots' values before the first month

    def __init__(self, at: int) -> None:
        self.at = at

    def add(self, state: State, value: Decimal, row: AgentRow) -> None:
        raise NotImplementedError

    def value(self, state: State) -> Decimal | None:
        """The period's value; None when no month had one."""
        value: Decimal | None = state[self.at]
        return value

    def add_column(
        self, columns: Columns, place: Place, values: list[Decimal], numbers: Mapping[str, list[Decimal]]
    ) -> None:
        """A batch of rows' values (none None), each added to its agent's figures as `add` adds it."""
        raise NotImplementedError

    def values(self, columns: Columns, cut: slice) -> list[Decimal | None]:
        """The period's value of each agent in a slice of them, as `value` gives it."""
        return columns[self.at][cut]


class Sum(Rule):
    """The months added up in order (from zero, as `sum` does); counted, for the mean."""

    start: tuple[Any, ...] = (ZERO, 0)

    def add(self, state: State, value: Decimal, row: AgentRow) -> None:
        at = self.at
        state[at] = state[at] + value
        state[at + 1] += 1

    def value(self, state: State) -> Decimal | None:
        return _counted(state[self.at], state[self.at + 1])

    def add_column(
        self, columns: Columns, place: Place, values: list[Decimal], numbers: Mapping[str, list[Decimal]]
    ) -> None:
        totals, counts = columns[self.at], columns[self.at + 1]
        place.put(totals, map(add, place.take(totals), values))
        place.put(counts, map(add, place.take(counts), repeat(1)))

    def values(self, columns: Columns, cut: slice) -> list[Decimal | None]:
        return list(map(_counted, columns[self.at][cut], columns[self.at + 1][cut]))


class Mean(Sum):
    """The sum over the count of months with a value."""

    def value(self, state: State) -> Decimal | None:
        return _mean(state[self.at], state[self.at + 1])

    def values(self, columns: Columns, cut: slice) -> list[Decimal | None]:
        return list(map(_mean, columns[self.at][cut], columns[self.at + 1][cut]))


def _counted(total: Decimal, count: int) -> Decimal | None:
    return total if count else None


def _mean(total: Decimal, count: int) -> Decimal | None:
    return total / count if count else None


class Last(Rule):
    def add(self, state: State, value: Decimal, row: AgentRow) -> None:
        state[self.at] = value

    def add_column(
        self, columns: Columns, place: Place, values: list[Decimal], numbers: Mapping[str, list[Decimal]]
    ) -> None:
        place.put(columns[self.at], values)


def _least(held: Decimal | None, value: Decimal) -> Decimal:
    return value if held is None or value < held else held


def _most(held: Decimal | None, value: Decimal) -> Decimal:
    return value if held is None or value > held else held


class Kept(Rule):
    """One of the months' values, chosen by `keep(held, value)` as each month comes."""

    keep: Callable[[Decimal | None, Decimal], Decimal]

    def add(self, state: State, value: Decimal, row: AgentRow) -> None:
        state[self.at] = self.keep(state[self.at], value)

    def add_column(
        self, columns: Columns, place: Place, values: list[Decimal], numbers: Mapping[str, list[Decimal]]
    ) -> None:
        column = columns[self.at]
        place.put(column, map(self.keep, place.take(column), values))


class Least(Kept):
    """The smallest value; of equal ones (92.5 and 92.50) the first, as `min` keeps."""

    keep = staticmethod(_least)


class Most(Kept):
    """The largest value; of equal ones the first, as `max` keeps."""

    keep = staticmethod(_most)


class WeightedMean(Mean):
    """Each month's value weighed by its volume in the weight column; the plain mean when no month had any
    volume (nothing to weigh by: min_volume decides)."""

    start = (ZERO, 0, ZERO, ZERO)  # the mean's sum and count, the sum of value × weight, the sum of weights

    def __init__(self, at: int, weight_column: str) -> None:
        super().__init__(at)
        self.weight_column = weight_column

    def add(self, state: State, value: Decimal, row: AgentRow) -> None:
        at = self.at
        weight = row.numbers[self.weight_column]
        state[at] = state[at] + value
        state[at + 1] += 1
        state[at + 2] = state[at + 2] + value * weight
        state[at + 3] = state[at + 3] + weight

    def add_column(
        self, columns: Columns, place: Place, values: list[Decimal], numbers: Mapping[str, list[Decimal]]
    ) -> None:
        at, weights = self.at, numbers[self.weight_column]
        super().add_column(columns, place, values, numbers)
        weighted, weighed = columns[at + 2], columns[at + 3]
        place.put(weighted, map(add, place.take(weighted), map(mul, values, weights)))
        place.put(weighed, map(add, place.take(weighed), weights))

    def value(self, state: State) -> Decimal | None:
        at = self.at
        return _weighted_mean(state[at], state[at + 1], state[at + 2], state[at + 3])

    def values(self, columns: Columns, cut: slice) -> list[Decimal | None]:
        at = self.at
        return list(map(_weighted_mean, *(column[cut] for column in columns[at : at + 4])))


def _weighted_mean(total: Decimal, count: int, weighted: Decimal, weights: Decimal) -> Decimal | None:
    if not count:
        return None
    if weights == 0:
        return total / count
    mean: Decimal = weighted / weights
    return mean


RULES: dict[str, type[Rule]] = {"mean": Mean, "sum": Sum, "last": Last, "min": Least, "max": Most}


def kpi_rule(kpi: Kpi, at: int = 0) -> Rule:
    """How a KPI's months fold, by its `aggregate`."""
    if kpi.aggregate == "weighted_mean":
        assert kpi.weight_column is not None  # the policy model requires one
        return WeightedMean(at, kpi.weight_column)
    return RULES[kpi.aggregate](at)


def fold_values(rule: Rule, values: Iterable[tuple[Decimal | None, AgentRow]]) -> Decimal | None:
    """One value over months, by `rule`: the months without a value are passed over."""
    state: State = list(rule.start)
    for value, row in values:
        if value is not None:
            rule.add(state, value, row)
    return rule.value(state)
