"""The policy's `metrics:` section compiled to one SQL query over a raw export, for one period.

The query reads each cell (cspay.inputs.sql_cells), keeps the rows dated in the period, and groups them
by month and agent. For each metric it computes exact parts: counts, sums as fixed-point decimals with
the places they were written with, and for a percentile the two order statistics around its rank. Run
here (`Target.here`), those parts go back to Python, which makes each value by cspay.inputs.figures;
printed for a warehouse (`Target.warehouse`), the query ends by computing the columns `cspay metrics
--format csv` writes, and counts the rows with a cell it could not read in an `unreadable` column.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlglot
from sqlglot import exp

from cspay.inputs.export_cells import EXACT_PLACES
from cspay.inputs.figures import FIXED_P
from cspay.inputs.sql_cells import (
    BAD,
    OK,
    UNRESOLVED,
    Column,
    Reader,
    decimal,
    ident,
    reader_for,
    string,
)
from cspay.periods import Period, months_of
from cspay.policy.metrics_spec import AllOf, AnyOf, Condition, Leaf, MetricsSpec, coerce

FAST_SCALE = 3  # the places most exports write: numbers are then 64-bit DECIMAL(18, 3), fast to sum
HERE_SCALE = EXACT_PLACES  # the places kept exactly here when a cell or a condition needs more
WAREHOUSE_SCALE = 9  # the most every common warehouse keeps in an exact DECIMAL(38, s)
CHECKS = {"equals": "=", "not_equals": "<>", "at_least": ">=", "at_most": "<=", "above": ">", "below": "<"}
PYTHON_CHECKS: dict[str, Callable[[Any, Any], bool]] = {
    "equals": lambda value, wanted: value == wanted, "not_equals": lambda value, wanted: value != wanted,
    "in": lambda value, options: value in options,
}  # fmt: skip


@dataclass(frozen=True)
class Target:
    """Where the query runs: here, with the file order and lookups of unresolved texts, or in a warehouse."""

    scale: int
    here: bool
    lookups: frozenset[int] = frozenset()  # columns with a lookup table, named lookup_<index>
    ordered: bool = False  # the source has a cspay_line column in file order, to break ties as Python sorts

    @staticmethod
    def warehouse() -> Target:
        return Target(WAREHOUSE_SCALE, here=False)


def lookup_table(index: int) -> str:
    return f"cspay_lookup_{index}"


class Plan:
    """A metrics section and a period, as the columns the query reads and the query itself."""

    def __init__(self, spec: MetricsSpec, period: Period) -> None:
        self.spec, self.period = spec, period
        source = spec.source
        kinds = spec.column_kinds()
        self.columns = [Column(0, source.agent, "agent"), Column(1, source.date.column, "date")]
        self.columns += [Column(index + 2, name, kind) for index, (name, kind) in enumerate(kinds.items())]
        self.by_name = {column.name: column for column in self.columns[2:]}
        self.metrics = list(spec.derived)

    def readers(self, scale: int) -> list[Reader]:
        return [reader_for(column, scale, self.spec.source.date.format) for column in self.columns]

    def query(self, source: str, names: dict[int, str], target: Target) -> str:
        """The whole query, as DuckDB SQL, over `source` whose column `names[i]` holds column i."""
        rows = _Rows(self, source, names, target)
        groups = _Groups(self, target)
        ctes = [*rows.ctes(), *groups.order_statistics(), ("grouped", groups.grouped())]
        final = groups.parts() if target.here else groups.figures()
        return "WITH " + ",\n".join(f"{name} AS (\n{body}\n)" for name, body in ctes) + "\n" + final

    def unresolved_query(self, source: str, names: dict[int, str], target: Target) -> str:
        """The distinct unresolved texts of each column in the rows whose cells count: every date, and the
        other cells of rows dated in the period or not yet dated."""
        rows = _Rows(self, source, names, target)
        relevant = f"(inside OR x1 = {UNRESOLVED})"
        lists = [
            f"LIST(DISTINCT r{column.index}) FILTER (WHERE f{column.index} = {UNRESOLVED}"
            f"{'' if column.index == 1 else ' AND ' + relevant}) AS u{column.index}"
            for column in self.columns
        ]
        ctes = ",\n".join(f"{name} AS (\n{body}\n)" for name, body in rows.ctes())
        return f"WITH {ctes}\nSELECT {', '.join(lists)} FROM records"


class _Rows:
    """The CTEs that read every row's cells and say which rows fall in the period, for which month and agent."""

    def __init__(self, plan: Plan, source: str, names: dict[int, str], target: Target) -> None:
        self.plan, self.source, self.names, self.target = plan, source, names, target
        self.readers = plan.readers(target.scale)

    def ctes(self) -> list[tuple[str, str]]:
        line = ["cspay_line"] if self.target.ordered else []
        texts = [
            f"COALESCE(CAST({ident(self.names[c.index])} AS VARCHAR), '') AS r{c.index}" for c in self.plan.columns
        ]
        forms, joins = ["texts.*"], []
        for reader in self.readers:
            j = reader.column.index
            forms.append(f"{reader.form()} AS f{j}")
            if j in self.target.lookups:
                joins.append(f"LEFT JOIN {lookup_table(j)} AS k{j} ON k{j}.text = texts.r{j}")
                forms += [f"k{j}.x AS kx{j}", *(f"k{j}.{suffix} AS k{suffix}{j}" for suffix, _ in reader.outputs)]
        trimmed = ["forms.*", *(f"{reader.text()} AS s{reader.column.index}" for reader in self.readers)]
        cells = [*line, *(f"r{c.index}, f{c.index}" for c in self.plan.columns)]
        cells += [f"kx{j}" for j in sorted(self.target.lookups)]
        for reader in self.readers:
            j = reader.column.index
            for suffix, sql in reader.plain_outputs().items():
                if j in self.target.lookups:
                    sql = f"CASE WHEN f{j} = {UNRESOLVED} THEN k{suffix}{j} ELSE {sql} END"
                cells.append(f"{sql} AS {suffix}{j}")
        states = ["cells.*", *(f"{reader.state(reader.column.index in self.target.lookups)} AS x{reader.column.index}"
                               for reader in self.readers)]  # fmt: skip
        period = self.plan.period
        first, last = (day.year * 10000 + day.month * 100 + day.day for day in (period.first, period.last))
        others = " OR ".join(f"x{column.index} = {{state}}" for column in self.plan.columns if column.index != 1)
        problems = {  # rows whose date is bad or unresolved, or dated in the period with such another cell
            name: f"CASE WHEN x1 = {state} OR (inside AND ({others.format(state=state)})) THEN 1 ELSE 0 END"
            for name, state in (("bad", BAD), ("unresolved", UNRESOLVED))
        }
        inside = f"x1 = {OK} AND y1 * 10000 + m1 * 100 + d1 BETWEEN {first} AND {last}"
        dated = ["states.*", f"{inside} AS inside"]
        records = ["dated.*", "CASE WHEN inside THEN y1 * 100 + m1 END AS month_key",
                   f"CASE WHEN inside AND x0 = {OK} THEN v0 END AS agent_key",
                   *(f"{sql} AS cspay_{name}" for name, sql in problems.items())]  # fmt: skip
        return [
            ("texts", f"SELECT {', '.join([*line, *texts])} FROM {self.source}"),
            ("forms", f"SELECT {', '.join(forms)} FROM texts {' '.join(joins)}".rstrip()),
            ("trimmed", f"SELECT {', '.join(trimmed)} FROM forms"),
            ("cells", f"SELECT {', '.join(cells)} FROM trimmed"),
            ("states", f"SELECT {', '.join(states)} FROM cells"),
            ("dated", f"SELECT {', '.join(dated)} FROM states"),
            ("records", f"SELECT {', '.join(records)} FROM dated"),
        ]


class _Groups:
    """The aggregates of each metric per month and agent, and the query's final select."""

    def __init__(self, plan: Plan, target: Target) -> None:
        self.plan, self.target = plan, target
        self.kinds = plan.spec.column_kinds()

    def value(self, column: str) -> str:
        return f"v{self.plan.by_name[column].index}"

    def grouped(self) -> str:
        """Each month and agent's rows, problem rows and every distinct aggregate the metrics need, once."""
        unique: dict[str, str] = {}
        self.named: dict[str, str] = {}  # each metric part, by the alias of its aggregate
        for index, metric in enumerate(self.plan.spec.derived.values()):
            for part, sql in self.aggregates(index, *metric.aggregation()):
                self.named[part] = unique.setdefault(sql, f"a{len(unique)}")
        parts = ["month_key", "agent_key", "COUNT(*) AS cspay_rows"]
        parts += [f"SUM(cspay_{name}) AS cspay_{name}" for name in ("bad", "unresolved")]
        parts += [f"{sql} AS {alias}" for sql, alias in unique.items()]
        return f"SELECT {', '.join(parts)} FROM records GROUP BY month_key, agent_key"

    def aggregates(self, index: int, kind: str, spec: Any) -> list[tuple[str, str]]:
        """The metric's parts, each with its aggregate over a month and agent's rows."""
        m, scale = f"m{index}", self.target.scale
        if kind == "ratio":
            return []
        if kind == "count":
            return [(f"{m}_hits", _counted("*", self.condition(spec.where)))]
        if kind == "share":
            among, of = self.condition(spec.among), self.condition(spec.of)
            return [(f"{m}_total", _counted("*", among)), (f"{m}_hits", _counted("*", _both(among, of)))]
        value, where = self.value(spec.column), self.condition(spec.where)
        if kind == "top_box":
            at_least = decimal(spec.at_least, scale, "top_box.at_least")
            topped = _both(where, f"({value} >= {at_least})")
            return [(f"{m}_total", _counted(value, where)), (f"{m}_hits", _counted(value, topped))]
        counted = (f"{m}_n", _counted(value, where))
        if kind in ("sum", "mean"):
            places = f"e{self.plan.by_name[spec.column].index}"
            return [(f"{m}_total", _filtered(f"SUM({value})", where)), counted,
                    (f"{m}_places", _filtered(f"MAX({places})", where))]  # fmt: skip
        return [counted]

    def order_statistics(self) -> list[tuple[str, str]]:
        """For each median, min, max or percentile: the values of its rank and the next, per month and agent."""
        ctes = []
        for index, metric in enumerate(self.plan.spec.derived.values()):
            kind, spec = metric.aggregation()
            if kind not in ("median", "min", "max", "percentile"):
                continue
            column = self.plan.by_name[spec.column]
            value, text = f"v{column.index}", f"r{column.index}"
            p = decimal(FIXED_P.get(kind, getattr(spec, "p", Decimal(0))), self.target.scale, f"{kind}'s p")
            order = f"{value}, cspay_line" if self.target.ordered else value
            ranked = (
                f"SELECT month_key, agent_key, {value} AS v, {text} AS t, "
                f"ROW_NUMBER() OVER (PARTITION BY month_key, agent_key ORDER BY {order}) - 1 AS pos, "
                f"COUNT(*) OVER (PARTITION BY month_key, agent_key) AS n FROM records "
                f"WHERE agent_key IS NOT NULL AND {value} IS NOT NULL AND {self.condition(spec.where)}"
            )
            rank = f"(n - 1) * {p}"
            low = f"pos * 100 <= {rank} AND {rank} < (pos + 1) * 100"
            high = f"(pos - 1) * 100 <= {rank} AND {rank} < pos * 100"
            picks = {"low": (low, "v"), "high": (high, "v"), "low_text": (low, "t"), "high_text": (high, "t"),
                     "rest": (low, f"{rank} - pos * 100")}  # fmt: skip
            chosen = ", ".join(
                f"MAX(CASE WHEN {when} THEN {what} END) AS {name}" for name, (when, what) in picks.items()
            )
            picked = f"SELECT month_key, agent_key, {chosen} FROM ranked_{index} GROUP BY month_key, agent_key"
            ctes += [(f"ranked_{index}", ranked), (f"picked_{index}", picked)]
        return ctes

    def joins(self) -> tuple[list[str], list[str]]:
        """The picked order statistics joined to the groups, and their columns."""
        joins, columns = [], []
        for name, _ in self.order_statistics()[1::2]:
            index = name.removeprefix("picked_")
            joins.append(
                f"LEFT JOIN {name} ON {name}.month_key = grouped.month_key AND {name}.agent_key = grouped.agent_key"
            )
            columns += [
                f"{name}.{part} AS m{index}_{part}" for part in ("low", "high", "low_text", "high_text", "rest")
            ]
        return joins, columns

    def parts(self) -> str:
        """The final select here: each group's keys, rows, problem rows and every metric part."""
        joins, columns = self.joins()
        named = [f"grouped.{alias} AS {part}" for part, alias in self.named.items()]
        keys = [f"grouped.{key}" for key in ("month_key", "agent_key", "cspay_rows", "cspay_bad", "cspay_unresolved")]
        return f"SELECT {', '.join(keys + named + columns)} FROM grouped {' '.join(joins)}".rstrip()

    def figures(self) -> str:
        """The final select for a warehouse: [month,] agent_id, rows, each metric's value, numerator and
        denominator, and the count of rows with a cell the query could not read."""
        several = self.plan.period.months > 1
        months = " ".join(f"WHEN {first.year * 100 + first.month} THEN {string(f'{first.year}-{first.month:02d}')}"
                          for first in _months(self.plan.period))  # fmt: skip
        select = [f"CASE month_key WHEN {months.removeprefix('WHEN ')} END AS {ident('month')}"] if several else []
        select += [f"agent_key AS {ident('agent_id')}", f"cspay_rows AS {ident('rows')}"]
        done: dict[str, tuple[str, str, str]] = {}
        for index, (name, metric) in enumerate(self.plan.spec.derived.items()):
            done[name] = self.figure(index, *metric.aggregation(), done)
            select += [
                f"{sql} AS {ident(name + suffix)}"
                for sql, suffix in zip(done[name], ("", ".numerator", ".denominator"), strict=True)
            ]
        select.append(f"cspay_bad + cspay_unresolved AS {ident('unreadable')}")
        inner = self.parts()
        order = ", ".join(ident(name) for name in (["month"] if several else []) + ["agent_id"])
        return (f"SELECT {', '.join(select)} FROM ({inner}) AS figures "
                f"WHERE agent_key IS NOT NULL OR cspay_bad + cspay_unresolved > 0 ORDER BY {order}")  # fmt: skip

    def figure(self, index: int, kind: str, spec: Any, done: dict[str, tuple[str, str, str]]) -> tuple[str, str, str]:
        """The SQL of one metric's value, numerator and denominator in the warehouse's result."""
        m, scale = f"m{index}", self.target.scale
        if kind == "count":
            return f"{m}_hits", f"{m}_hits", "cspay_rows"
        if kind in ("share", "top_box"):
            per = decimal(spec.per, scale, f"{kind}.per")
            value = f"CASE WHEN {m}_total > 0 THEN CAST({m}_hits * {per} AS DOUBLE) / {m}_total END"
            return value, f"{m}_hits", f"{m}_total"
        if kind == "sum":
            return f"{m}_total", f"{m}_total", f"{m}_n"
        if kind == "mean":
            return f"CASE WHEN {m}_n > 0 THEN CAST({m}_total AS DOUBLE) / {m}_n END", f"{m}_total", f"{m}_n"
        if kind == "ratio":
            numerator, denominator = done[spec.numerator][0], done[spec.denominator][0]
            per = decimal(spec.per, scale, "ratio.per")
            value = (f"CASE WHEN {numerator} IS NOT NULL AND {denominator} <> 0 "
                     f"THEN CAST({numerator} AS DOUBLE) * CAST({per} AS DOUBLE) / {denominator} END")  # fmt: skip
            return value, numerator, denominator
        hundredth = decimal(Decimal("0.01"), scale, "a hundredth")
        value = (f"CASE WHEN {m}_low IS NULL THEN NULL WHEN {m}_high IS NULL OR {m}_rest = 0 THEN {m}_low "
                 f"ELSE {m}_low + {m}_rest * {hundredth} * ({m}_high - {m}_low) END")  # fmt: skip
        return value, "CAST(NULL AS DECIMAL(38, 0))", f"{m}_n"

    def condition(self, condition: Condition | None) -> str:
        """A condition as SQL; every test but `empty` is false on an empty cell, as in Python."""
        if condition is None:
            return "TRUE"
        if isinstance(condition, AllOf | AnyOf):
            joiner = " AND " if isinstance(condition, AllOf) else " OR "
            members = condition.all if isinstance(condition, AllOf) else condition.any
            return "(" + joiner.join(self.condition(part) for part in members) + ")"
        return self.leaf(condition)

    def leaf(self, leaf: Leaf) -> str:
        value, kind = self.value(leaf.column), self.kinds[leaf.column]
        test, expected = leaf.test()
        if test == "empty":
            return f"({value} IS NULL)" if expected else f"({value} IS NOT NULL)"
        wanted = coerce(expected, kind, leaf.column)
        if kind == "flag":  # which of yes and no pass the test, as Python compares them
            passing = [flag for flag in (True, False) if PYTHON_CHECKS[test](flag, wanted)]
            if not passing:
                return "FALSE"
            return f"({value} IS NOT NULL)" if len(passing) == 2 else f"({value} = {str(passing[0]).upper()})"

        def literal(item: Any) -> str:
            return (
                string(item) if kind == "text" else decimal(item, self.target.scale, f'a condition on "{leaf.column}":')
            )

        if test == "in":
            return f"({value} IN ({', '.join(literal(item) for item in sorted(wanted))}))"
        return f"({value} {CHECKS[test]} {literal(wanted)})"


DIALECTS = ("duckdb", "spark", "trino", "bigquery", "postgres")


def warehouse_sql(spec: MetricsSpec, period: Period, table: str = "export", dialect: str = "duckdb") -> str:
    """The query for a warehouse's SQL dialect, over the table holding the raw export (named as that
    warehouse names it, `schema.table` included): its result holds the columns `cspay metrics --format
    csv` writes, and `unreadable`, the count of rows with a cell the query could not read."""
    plan = Plan(spec, period)
    source = exp.to_table(table, dialect=dialect).sql("duckdb", identify=True)
    sql = plan.query(source, {column.index: column.name for column in plan.columns}, Target.warehouse())
    return sqlglot.transpile(sql, read="duckdb", write=dialect, pretty=True)[0]


def _filtered(aggregate: str, condition: str) -> str:
    return aggregate if condition == "TRUE" else f"{aggregate} FILTER (WHERE {condition})"


def _counted(what: str, condition: str) -> str:
    return _filtered(f"COUNT({what})", condition)


def _both(first: str, second: str) -> str:
    """Two conditions together, written as an all: of them would be, so equal aggregates are one."""
    if first == "TRUE":
        return second
    return second if second == "TRUE" else f"({first} AND {second})"


def _months(period: Period) -> list[Any]:
    return [month.first for month in months_of(period)]


__all__ = ["DIALECTS", "HERE_SCALE", "WAREHOUSE_SCALE", "Plan", "Target", "lookup_table", "warehouse_sql"]
