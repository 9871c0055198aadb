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
    parts = aggregate(plan, file, (engine or EngineSettings()).check())
    figures = _Figures(plan)
    by_month: dict[int, list[AgentMetrics]] = defaultdict(list)
    read = 0
    for group in parts.groups:
        rows = parts.get(group, "cspay_rows")
        read += rows
        month, agent = parts.get(group, "month_key"), parts.get(group, "agent_key")
        if month is not None and agent is not None:
            by_month[month].append(AgentMetrics(agent, rows, figures(parts, group)))
    tables = []
    for month in months_of(period):
        agents = sorted(by_month.get(month.first.year * 100 + month.first.month, []), key=lambda item: item.agent_id)
        tables.append(DerivedTable(str(file.path), month, list(spec.derived), agents))
    inside = sum(agent.rows for table in tables for agent in table.agents)
    return Derived(str(file.path), period, list(spec.derived), tables, read, read - inside)


class _Figures:
    """Each metric's figure from a group's exact parts, by the rules of cspay.inputs.figures."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        kinds = plan.spec.column_kinds()
        self.readers: dict[str, Callable[[str], Any]] = {column: _remembering(optional(kind))
                                                         for column, kind in kinds.items()}  # fmt: skip

    def __call__(self, parts: Parts, group: tuple[Any, ...]) -> dict[str, Figure]:
        done: dict[str, Figure] = {}
        rows = parts.get(group, "cspay_rows")
        for index, (name, metric) in enumerate(self.plan.spec.derived.items()):
            kind, spec = metric.aggregation()

            def part(suffix: str, index: int = index) -> Any:
                return parts.get(group, f"m{index}_{suffix}")

            if kind == "count":
                done[name] = count_figure(part("hits"), rows)
            elif kind in ("share", "top_box"):
                done[name] = fraction_figure(part("hits"), part("total"), spec.per)
            elif kind in ("sum", "mean"):
                done[name] = total_figure(kind, _written(part("total"), part("places")), part("n"))
            elif kind == "ratio":
                done[name] = ratio_figure(done[spec.numerator].value, done[spec.denominator].value, spec.per)
            else:
                read = self.readers[spec.column]
                low, high = (None if part(text) is None else read(part(text)) for text in ("low_text", "high_text"))
                p = FIXED_P.get(kind, getattr(spec, "p", Decimal(0)))
                done[name] = percentile_figure(part("n"), p, low, high)
        return done


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
