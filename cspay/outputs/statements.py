"""HTML pay statements: one self-contained page per agent and an index, written into a folder.

Pages load nothing from anywhere (inline CSS and SVG, no fonts, scripts or images, and a
Content-Security-Policy that forbids fetching), so a statement opened years later, offline or in a
mail client, looks the same. Jinja2 escapes every value, so a name like "<script>" shows as text.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from cspay.engine.explain import Explanation, explain
from cspay.engine.types import ZERO, Payslip
from cspay.i18n import Words
from cspay.outputs.bars import kpi_bar
from cspay.outputs.view import Wording, payslip_view
from cspay.policy.model import Policy
from cspay.run.pay import PayRun

if TYPE_CHECKING:  # the ledger's types only: a run without a ledger never loads it
    from cspay.ledger.controls import Dispute

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


def statement_html(
    env: Any, policy: Policy, explanation: Explanation, words: Words, disputes: Sequence[Dispute] = ()
) -> str:
    """One agent's statement: what the payslip panel shows, with a bar per KPI, and the agent's disputes."""
    view = payslip_view(policy, explanation, words, disputes)
    bars = [kpi_bar(kpi) for kpi in explanation.kpis]
    html: str = env.get_template("statement.html.j2").render(view=view, bars=bars, words=words, lang=words.language)
    return html


def index_html(
    env: Any, policy: Policy, entries: list[dict[str, str]], totals: dict[str, Decimal], words: Words
) -> str:
    """The list of everyone's statements with grade and gross, and the total of each currency paid."""
    rows = [(words("index.total", count=len(entries)), words.moneys(totals))]
    if len(totals) > 1:  # a run paid in several currencies: one total per currency, never added up
        counts = {code: sum(entry["currency"] == code for entry in entries) for code in totals}
        rows = [
            (words("index.total_in", count=counts[code], currency=code), Wording(policy, words, code).money(amount))
            for code, amount in totals.items()
        ]
    html: str = env.get_template("index.html.j2").render(
        entries=entries,
        words=words,
        lang=words.language,
        policy_line=words("slip.policy", title=policy.title or policy.policy, version=policy.version),
        totals=rows,
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
        "currency": e.currency,
    }


@dataclass
class Totals:
    """How many statements were made and their total gross, filled in as the pages are made."""

    count: int = 0
    grosses: dict[str, Decimal] = field(default_factory=dict)  # per currency: never added up

    def add(self, currency: str, gross: Decimal) -> None:
        self.count += 1
        self.grosses[currency] = self.grosses.get(currency, ZERO) + gross


def pages(
    run: PayRun, payslips: Iterable[Payslip], names: list[str], words: Words, totals: Totals | None = None
) -> Iterator[tuple[str, str]]:
    """(file name, HTML) of every agent's statement in the run's order, then of the index."""
    policy, pricing = run.applied, run.pricing()
    env = environment()
    totals = totals if totals is not None else Totals()
    entries = []
    for slip, name in zip(payslips, names, strict=True):
        explanation = explain(slip, pricing)
        entries.append(index_entry(explanation, name, Wording(policy, words, explanation.currency)))
        totals.add(explanation.currency, explanation.gross)
        yield name, statement_html(env, policy, explanation, words, run.disputes.get(slip.agent_id, ()))
    yield INDEX, index_html(env, policy, entries, totals.grosses, words)
