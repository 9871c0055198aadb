"""The payslip panel: one agent's payslip explained, as a rich panel for a terminal."""

from __future__ import annotations

from typing import Any

from rich.console import Group, RenderableType
from rich.padding import Padding
from rich.panel import Panel
from rich.table import Table
from rich.text import Text


def _text(value: str, style: str = "") -> Text:
    # Text, never a markup string: a name like "[bold]x" or a label with brackets shows as written.
    return Text(value, style=style)


def payslip_panel(view: dict[str, Any], words: Any) -> Panel:
    """Identity, lines, KPIs, the way from score to bonus, and what moves the bonus."""
    parts: list[RenderableType] = [
        _identity(view["identity"]),
        _lines(view, words),
        *(_deductions(view["deductions"], words) if "deductions" in view else []),
        _kpis(view, words),
        _sentences(words("slip.bonus"), view["bonus"]),
        _moves(view["moves"]),
    ]
    if view["disputes"]:
        parts.append(_sentences(words("slip.disputes"), view["disputes"]))
    spaced: list[RenderableType] = []
    for part in parts:
        spaced += [part, _text("")]
    spaced.pop()
    return Panel(
        Group(*spaced),
        title=_text(view["title"], "bold"),
        subtitle=_text(view["policy"]),
        title_align="left",
        subtitle_align="right",
        expand=False,
    )


def _identity(rows: list[tuple[str, str]]) -> Table:
    table = Table.grid(padding=(0, 2))
    for _ in range(4):
        table.add_column()
    pairs = [(_text(label, "dim"), _text(value, "bold")) for label, value in rows]
    for left, right in zip(pairs[::2], [*pairs[1::2], (_text(""), _text(""))], strict=False):
        table.add_row(*left, *right)
    return table


def _lines(view: dict[str, Any], words: Any) -> Table:
    table = Table(title=_text(words("slip.lines"), "bold"), title_justify="left", expand=False)
    table.add_column(_text(words("slip.col.line")))
    table.add_column(_text(words("slip.col.how")), style="dim")
    table.add_column(_text(words("slip.col.amount")), justify="right", no_wrap=True)
    for line in view["lines"]:
        table.add_row(_text(line["label"]), _text(line["how"]), _text(line["amount"]))
    gross = view["gross"]
    table.add_section()
    table.add_row(_text(gross["label"], "bold"), _text(""), _text(gross["amount"], "bold"))
    return table


def _deductions(view: dict[str, Any], words: Any) -> list[RenderableType]:
    """The deductions from gross to net, then what the employer pays besides."""
    tables: list[RenderableType] = []
    for part, total in ((view, view["net"]), (view["employer"], view["employer"]["total"])):
        table = Table(title=_text(part["title"], "bold"), title_justify="left", expand=False)
        table.add_column(_text(words("slip.col.line")))
        table.add_column(_text(words("slip.col.how")), style="dim")
        table.add_column(_text(words("slip.col.amount")), justify="right", no_wrap=True)
        for line in part["lines"]:
            table.add_row(_text(line["label"]), _text(line["how"]), _text(line["amount"]))
        table.add_section()
        table.add_row(_text(total["label"], "bold"), _text(""), _text(total["amount"], "bold"))
        tables.append(table)
    return tables


def _kpis(view: dict[str, Any], words: Any) -> Table:
    table = Table(title=_text(words("slip.kpis"), "bold"), title_justify="left")
    for index, header in enumerate(view["kpi_headers"]):
        table.add_column(_text(header), justify="right" if index in (1, 3, 4, 5) else "left")
    for kpi in view["kpis"]:
        where = "\n".join(text for text in (kpi["where"], kpi["curve"], kpi["note"]) if text)
        style = "" if kpi["counted"] else "dim"
        table.add_row(
            *(_text(kpi[key], style) for key in ("label", "value")),
            _text(where, style),
            *(_text(kpi[key], style) for key in ("score", "weight", "contribution")),
        )
    return table


def _indented(value: str, style: str = "") -> Padding:
    # Padding, not leading spaces, so that a sentence wrapped on a narrow terminal stays indented.
    return Padding(_text(value, style), (0, 0, 0, 2))


def _sentences(title: str, sentences: list[str]) -> Group:
    return Group(_text(title, "bold"), *(_indented(sentence) for sentence in sentences))


def _moves(moves: dict[str, Any]) -> Group:
    table = Table()
    for index, header in enumerate(moves["headers"]):
        table.add_column(
            _text(header), justify="right" if index in (1, 3, 4, 6) else "left", no_wrap=index in (3, 4, 6)
        )
    for row in moves["rows"]:
        style = "green" if row["gain"] else ""
        table.add_row(
            *(_text(row[key]) for key in ("kpi", "now", "goal", "value", "change", "result")), _text(row["adds"], style)
        )
    gates = [_indented(sentence, "yellow") for sentence in moves["gates"]]
    shown = [table] if moves["rows"] else []
    return Group(
        _text(moves["title"], "bold"), _indented(moves["headline"]), *shown, *gates, _text(moves["note"], "dim italic")
    )
