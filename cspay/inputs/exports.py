"""Raw per-call exports: each agent's metrics for each month of a period, derived by the embedded engine.

The export gives one row per call or ticket. The policy's `metrics:` section is compiled to one SQL query
(cspay.inputs.sql_query) that DuckDB runs over the file (cspay.inputs.sql_engine); each figure's value is
then made from its exact parts by cspay.inputs.figures. A period of several months is derived month by
month, as monthly metrics files would be (cspay.inputs.raw combines the months by the policy's rules).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from cspay.inputs.collector import collector_paused
from cspay.inputs.export_cells import optional
from cspay.inputs.export_files import open_export_file
from cspay.inputs.figures import (
    FIXED_P,
    Figure,
    count_figure,
    fraction_figure,
    percentile_figure,
    ratio_figure,
    total_figure,
)
from cspay.inputs.sql_engine import EngineSettings, Parts, aggregate
from cspay.inputs.sql_query import Plan
from cspay.periods import Period, months_of, parse_period
from cspay.policy.metrics_spec import MetricsSpec


@dataclass(frozen=True)
class AgentMetrics:
    """One agent's rows in the month and figures, in the order the policy derives them."""

    agent_id: str
    rows: int
    figures: dict[str, Figure]


@dataclass(frozen=True)
class DerivedTable:
    """One month's per-agent derived metrics, agents ordered by id."""

    source: str
    period: Period
    metrics: list[str]
    agents: list[AgentMetrics]


@dataclass(frozen=True)
class Derived:
    """An export's derived metrics over a period: a table per month, and how many rows were left out.

    `rows_read` is None for figures derived elsewhere (a file of derived metrics), whose rows cspay never saw.
    """

    source: str
    period: Period
    metrics: list[str]
    months: list[DerivedTable]
    rows_read: int | None
    rows_outside: int


def derive(spec: MetricsSpec, path: str | Path, period: Period | str, *, encoding: str | None = None,
           delimiter: str | None = None, engine: EngineSettings | None = None) -> Derived:  # fmt: skip
    """Read an export (CSV or Parquet) and derive each agent's metrics for each month of the period."""
    period = period if isinstance(period, Period) else parse_period(period)
    file = open_export_file(path, encoding, delimiter)
    plan = Plan(spec, period)
    settings = (engine or EngineSettings()).check()
    with collector_paused():
        return _derived(plan, file.path, aggregate(plan, file, settings))


def _derived(plan: Plan, path: Path, parts: Parts) -> Derived:
    """The tables of each month of the plan's period, from the engine's parts."""
    spec, period = plan.spec, plan.period
    figures = _Figures(plan, parts.columns)
    by_month: dict[int, list[AgentMetrics]] = defaultdict(list)
    read = 0
    month_at, agent_at, rows_at = (parts.columns[key] for key in ("month_key", "agent_key", "cspay_rows"))
    for group in parts.groups:
        read += group[rows_at]
        month, agent = group[month_at], group[agent_at]
        if month is not None and agent is not None:
            by_month[month].append(AgentMetrics(agent, group[rows_at], figures(group)))
    tables = []
    for month in months_of(period):
        agents = sorted(by_month.get(month.first.year * 100 + month.first.month, []), key=lambda item: item.agent_id)
        tables.append(DerivedTable(str(path), month, list(spec.derived), agents))
    inside = sum(agent.rows for table in tables for agent in table.agents)
    return Derived(str(path), period, list(spec.derived), tables, read, read - inside)


Step = Callable[[tuple[Any, ...], dict[str, Figure]], Figure]


class _Figures:
    """Each metric's figure from a group's exact parts, by the rules of cspay.inputs.figures; the steps
    are compiled once, as an export's months and agents run to hundreds of thousands."""

    def __init__(self, plan: Plan, columns: dict[str, int]) -> None:
        kinds = plan.spec.column_kinds()
        readers = {column: _remembering(optional(kind)) for column, kind in kinds.items()}
        self.rows = columns["cspay_rows"]
        self.steps = [(name, _step(index, metric, columns, readers, self.rows))
                      for index, (name, metric) in enumerate(plan.spec.derived.items())]  # fmt: skip

    def __call__(self, group: tuple[Any, ...]) -> dict[str, Figure]:
        done: dict[str, Figure] = {}
        for name, step in self.steps:
            done[name] = step(group, done)  # a ratio reads the figures made before it
        return done


def _step(index: int, metric: Any, columns: dict[str, int], readers: dict[str, Callable[[str], Any]],
          rows: int) -> Step:  # fmt: skip
    """One metric's figure as a function of a group's parts (and the figures made before it)."""
    kind, spec = metric.aggregation()
    at = {part.removeprefix(f"m{index}_"): place for part, place in columns.items() if part.startswith(f"m{index}_")}
    if kind == "count":
        return lambda group, done: count_figure(group[at["hits"]], group[rows])
    if kind in ("share", "top_box"):
        per = spec.per
        return lambda group, done: fraction_figure(group[at["hits"]], group[at["total"]], per)
    if kind in ("sum", "mean"):
        return lambda group, done: total_figure(kind, _written(group[at["total"]], group[at["places"]]), group[at["n"]])
    if kind == "ratio":
        return lambda group, done: ratio_figure(done[spec.numerator].value, done[spec.denominator].value, spec.per)
    read, p = readers[spec.column], FIXED_P.get(kind, getattr(spec, "p", Decimal(0)))

    def percentile(group: tuple[Any, ...], done: dict[str, Figure]) -> Figure:
        low, high = (None if group[at[text]] is None else read(group[at[text]]) for text in ("low_text", "high_text"))
        return percentile_figure(group[at["n"]], p, low, high)

    return percentile


def _written(total: Decimal | None, places: int | None) -> Decimal | None:
    """An exact sum with the decimal places Python's Decimal gives it: the most any of its values had."""
    if total is None or places is None:
        return total
    return total.quantize(Decimal(1).scaleb(-places))


def _remembering(read: Callable[[str], Any]) -> Callable[[str], Any]:
    seen: dict[str, Any] = {}

    def remembered(text: str) -> Any:
        if text not in seen:
            seen[text] = read(text)
        return seen[text]

    return remembered
