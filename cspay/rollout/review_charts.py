"""The review's charts, drawn by matplotlib as SVG text to embed in the HTML report: grades by group,
bonus against target by group, each KPI's values with its threshold, target and stretch, and trends.

Text stays text in the SVG (the browser sets it in its own fonts, Chinese included), and the files carry
no date or random ids, so the same review draws the same bytes.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from cspay.engine.curves import curve_points
from cspay.i18n import Words
from cspay.policy.model import Kpi

WIDTH = 6.6  # inches: 475 pt, well inside an A4 page's 180 mm of text
COLOURS = ["#1b7837", "#5aae61", "#a6dba0", "#f4a582", "#d6604d", "#b2182b", "#762a83", "#999999"]


def _figure(height: float) -> tuple[Any, Any]:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    pyplot.rcParams.update(
        {"svg.fonttype": "none", "svg.hashsalt": "cspay", "font.size": 9, "font.family": "sans-serif"}
    )
    return pyplot.subplots(figsize=(WIDTH, height))


def _svg(figure: Any) -> str:
    from matplotlib import pyplot

    buffer = io.StringIO()
    with warnings.catch_warnings():
        # Laid out with matplotlib's own font, which lacks Chinese glyphs; the browser sets the text itself.
        warnings.filterwarnings("ignore", message="Glyph .* missing from font")
        figure.tight_layout()
        figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    pyplot.close(figure)
    text = buffer.getvalue()
    return text[text.index("<svg") :]  # the XML prologue and doctype do not belong inside HTML


def grades_chart(groups: Sequence[tuple[str, dict[str, int]]], grades: list[str], words: Words) -> str:
    """Stacked bars, one per group: the share of its agents in each grade, best grade on the left."""
    figure, axes = _figure(1.1 + 0.3 * len(groups))
    names = [name or "-" for name, _ in groups]
    left = [0.0] * len(groups)
    for i, grade in enumerate(grades):
        shares = [counts.get(grade, 0) / max(sum(counts.values()), 1) * 100 for _, counts in groups]
        axes.barh(names, shares, left=left, color=COLOURS[i % len(COLOURS)], label=grade)
        left = [a + b for a, b in zip(left, shares, strict=True)]
    axes.set_xlim(0, 100)
    axes.set_xlabel(words("review.chart.share_of_agents"))
    axes.invert_yaxis()
    axes.legend(ncol=len(grades), loc="lower center", bbox_to_anchor=(0.5, 1.0), frameon=False)
    return _svg(figure)


def shares_chart(groups: Sequence[tuple[str, list[Decimal]]], words: Words) -> str:
    """A box per group of its agents' bonus as a share of target (100% = target)."""
    figure, axes = _figure(0.9 + 0.3 * len(groups))
    data = [[float(share) * 100 for share in shares] or [0.0] for _, shares in groups]
    axes.boxplot(data, orientation="horizontal", tick_labels=[name or "-" for name, _ in groups])
    axes.axvline(100, color="#888888", linewidth=0.8, linestyle="--")
    axes.set_xlabel(words("review.chart.bonus_of_target"))
    axes.invert_yaxis()
    return _svg(figure)


def kpi_chart(kpi: Kpi, label: str, values: list[Decimal], words: Words) -> str:
    """A histogram of a KPI's values with its curve's points marked (threshold, target, stretch, bands)."""
    figure, axes = _figure(2.0)
    axes.hist([float(value) for value in values], bins=20, color="#5aae61")
    for point in curve_points(kpi.score):
        axes.axvline(float(point.at), color="#b2182b", linewidth=1)
        axes.annotate(
            words(f"review.point.{point.name}"),
            (float(point.at), 1),
            xycoords=("data", "axes fraction"),
            rotation=90,
            va="top",
            ha="right",
            fontsize=7,
        )
    axes.set_title(label, loc="left")
    axes.set_ylabel(words("review.chart.agents"))
    return _svg(figure)


def trend_chart(periods: list[str], series: Sequence[tuple[str, list[float | None]]], ylabel: str) -> str:
    """One line per group over the periods."""
    figure, axes = _figure(2.4)
    for i, (name, values) in enumerate(series):
        axes.plot(
            periods,
            [float("nan") if value is None else value for value in values],
            marker="o",
            color=COLOURS[i % len(COLOURS)],
            label=name or "-",
        )
    axes.set_ylabel(ylabel)
    axes.legend(loc="best", frameon=False, fontsize=7)
    return _svg(figure)
