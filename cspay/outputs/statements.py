"""HTML pay statements: one self-contained page per agent and an index, written into a folder.

Pages load nothing from anywhere (inline CSS and SVG, no fonts, scripts or images, and a
Content-Security-Policy that forbids fetching), so a statement opened years later, offline or in a
mail client, looks the same. Jinja2 escapes every value, so a name like "<script>" shows as text.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from cspay.engine.explain import Explanation, explain
from cspay.engine.types import ZERO, Payslip
from cspay.i18n import Words
from cspay.outputs.bars import kpi_bar
from cspay.outputs.view import payslip_view
from cspay.outputs.wording import Wording
from cspay.policy.model import Policy
from cspay.run.pay import PayRun

INDEX = "index.html"
MAX_STEM_BYTES = 200  # a stem's UTF-8 bytes: with "-99.html" the name stays within the 255 file systems allow
# Names Windows keeps for devices, whatever the extension: CON.html cannot be created there.
RESERVED = frozenset(
    {"con", "prn", "aux", "nul", "index", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}
)
_UNSAFE = re.compile(r"[^\w-]+")


def environment() -> Any:
    """Jinja2 with autoescaping on for every template, and undefined names as errors."""
    from jinja2 import Environment, PackageLoader, StrictUndefined

    return Environment(
        loader=PackageLoader("cspay", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )


def safe_stem(agent_id: str) -> str:
    """An agent id as a file name without folders, dots or device names (`../x` becomes `x`), cut to
    MAX_STEM_BYTES of UTF-8 at a character's end (a Chinese character takes 3 bytes)."""
    text = _UNSAFE.sub("_", unicodedata.normalize("NFKC", agent_id)).strip("_-")
    text = text.encode("utf-8")[:MAX_STEM_BYTES].decode("utf-8", "ignore").strip("_-") or "agent"
    return f"agent-{text}" if text.casefold() in RESERVED else text


def file_names(agent_ids: Iterable[str]) -> list[str]:
    """One distinct file name per agent, in order; ids equal after sanitising (or in another case,
    which Windows and macOS file systems do not tell apart) get -2, -3 …"""
    taken = {INDEX.casefold()}
    names = []
    for agent_id in agent_ids:
        stem = safe_stem(agent_id)
        name, number = f"{stem}.html", 1
        while name.casefold() in taken:
            number += 1
            name = f"{stem}-{number}.html"
        taken.add(name.casefold())
        names.append(name)
    return names


def statement_html(env: Any, policy: Policy, explanation: Explanation, words: Words) -> str:
    """One agent's statement: what the payslip panel shows, with a bar per KPI."""
    view = payslip_view(policy, explanation, words)
    bars = [kpi_bar(kpi) for kpi in explanation.kpis]
    html: str = env.get_template("statement.html.j2").render(view=view, bars=bars, words=words, lang=words.language)
    return html


def index_html(
    env: Any, policy: Policy, entries: list[dict[str, str]], total: Any, words: Words, net: Decimal | None = None
) -> str:
    """The list of everyone's statements with grade and gross (and net, with deductions), and the totals."""
    wording = Wording(policy, words)
    html: str = env.get_template("index.html.j2").render(
        entries=entries,
        words=words,
        lang=words.language,
        policy_line=words("slip.policy", title=policy.title or policy.policy, version=policy.version),
        total_label=words("index.total", count=len(entries)),
        total=wording.money(total),
        net=None if net is None else wording.money(net),
    )
    return html


def index_entry(explanation: Explanation, file: str, wording: Wording) -> dict[str, str]:
    e = explanation
    return {
        "agent_id": e.agent_id,
        "name": e.name,
        "role": e.role_label,
        "team": e.team,
        "grade": e.bonus.grade or "—",
        "gross": wording.money(e.gross),
        "file": file,
        **({} if e.deductions is None else {"net": wording.money(e.deductions.net)}),
    }


@dataclass
class Totals:
    """How many statements were made and their total gross, filled in as the pages are made."""

    count: int = 0
    gross: Decimal = ZERO
    net: Decimal | None = None  # with deductions


def pages(
    run: PayRun, payslips: Iterable[Payslip], names: list[str], words: Words, totals: Totals | None = None
) -> Iterator[tuple[str, str]]:
    """(file name, HTML) of every agent's statement in the run's order, then of the index."""
    policy, pricing = run.applied, run.pricing()
    env, wording = environment(), Wording(policy, words)
    totals = totals if totals is not None else Totals()
    entries = []
    for slip, name in zip(payslips, names, strict=True):
        explanation = explain(slip, pricing)
        entries.append(index_entry(explanation, name, wording))
        totals.count += 1
        totals.gross += explanation.gross
        if explanation.deductions is not None:
            totals.net = (totals.net or ZERO) + explanation.deductions.net
        yield name, statement_html(env, policy, explanation, words)
    net = (totals.net or ZERO) if run.withholder is not None else None
    yield INDEX, index_html(env, policy, entries, totals.gross, words, net)
