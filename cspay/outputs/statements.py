"""HTML pay statements: one self-contained page per agent and an index, written into a folder.

Pages load nothing from anywhere (inline CSS and SVG, no fonts, scripts or images, and a
Content-Security-Policy that forbids fetching), so a statement opened years later, offline or in a
mail client, looks the same. Jinja2 escapes every value, so a name like "<script>" shows as text.
"""

from __future__ import annotations

import json
import re
import tempfile
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from cspay.engine.explain import Explanation, explain
from cspay.engine.moves import MovesMemo
from cspay.engine.types import ZERO, Payslip
from cspay.i18n import Words
from cspay.outputs.bars import kpi_bar
from cspay.outputs.view import payslip_view
from cspay.outputs.wording import Wording
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


class FileNames:
    """One distinct file name per agent, given in turn; ids equal after sanitising (or in another case,
    which Windows and macOS file systems do not tell apart) get -2, -3 …"""

    def __init__(self) -> None:
        self._taken = {INDEX.casefold()}

    def name(self, agent_id: str) -> str:
        stem = safe_stem(agent_id)
        name, number = f"{stem}.html", 1
        while name.casefold() in self._taken:
            number += 1
            name = f"{stem}-{number}.html"
        self._taken.add(name.casefold())
        return name


def file_names(agent_ids: Iterable[str]) -> list[str]:
    """One distinct file name per agent, in order (as FileNames gives them)."""
    names = FileNames()
    return [names.name(agent_id) for agent_id in agent_ids]


def statement_html(
    env: Any, policy: Policy, explanation: Explanation, words: Words, disputes: Sequence[Dispute] = ()
) -> str:
    """One agent's statement: what the payslip panel shows, with a bar per KPI, and the agent's disputes."""
    view = payslip_view(policy, explanation, words, disputes)
    bars = [kpi_bar(kpi) for kpi in explanation.kpis]
    html: str = env.get_template("statement.html.j2").render(view=view, bars=bars, words=words, lang=words.language)
    return html


def index_html(
    env: Any,
    policy: Policy,
    entries: Iterable[dict[str, str]],
    totals: Totals,
    words: Words,
    net: bool = False,
) -> Iterator[str]:
    """The list of everyone's statements with grade and gross (and net, with deductions: `net`), and the
    total of each currency paid, in pieces as the entries are read (a run of any size is never one string)."""
    grosses = totals.grosses
    nets = {code: totals.nets.get(code, ZERO) for code in grosses}
    rows = [(words("index.total", count=totals.count), words.moneys(grosses), words.moneys(nets) if net else "")]
    if len(grosses) > 1:  # a run paid in several currencies: one total per currency, never added up
        rows = []
        for code, amount in grosses.items():
            wording = Wording(policy, words, code)
            net_text = wording.money(nets[code]) if net else ""
            rows.append(
                (words("index.total_in", count=totals.counts[code], currency=code), wording.money(amount), net_text)
            )
    pieces: Iterator[str] = env.get_template("index.html.j2").generate(
        entries=entries,
        words=words,
        lang=words.language,
        policy_line=words("slip.policy", title=policy.title or policy.policy, version=policy.version),
        totals=rows,
        net=net,
    )
    return pieces


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
        **({} if e.deductions is None else {"net": wording.money(e.deductions.net)}),
    }


@dataclass
class Totals:
    """How many statements were made and their total gross, filled in as the pages are made."""

    count: int = 0
    grosses: dict[str, Decimal] = field(default_factory=dict)  # per currency: never added up
    nets: dict[str, Decimal] = field(default_factory=dict)  # per currency, with deductions
    counts: dict[str, int] = field(default_factory=dict)  # statements per currency

    def add(self, currency: str, gross: Decimal, net: Decimal | None = None) -> None:
        self.count += 1
        self.grosses[currency] = self.grosses.get(currency, ZERO) + gross
        if net is not None:
            self.nets[currency] = self.nets.get(currency, ZERO) + net
        self.counts[currency] = self.counts.get(currency, 0) + 1


class _Entries:
    """The index's entries, kept on disk as the pages are made (a temporary file, owner-only, gone when
    closed), so that memory stays flat however many agents the run pays."""

    def __init__(self) -> None:
        self._file = tempfile.TemporaryFile("w+", encoding="utf-8", newline="\n")

    def add(self, entry: dict[str, str]) -> None:
        self._file.write(json.dumps([entry.get(key) for key in ENTRY_KEYS], ensure_ascii=False) + "\n")

    def __iter__(self) -> Iterator[dict[str, str]]:
        """Each entry in the order added, once; the file is closed after the last."""
        self._file.seek(0)
        with self._file:
            for line in self._file:
                values = json.loads(line)
                yield {key: value for key, value in zip(ENTRY_KEYS, values, strict=True) if value is not None}


ENTRY_KEYS = ("agent_id", "name", "role", "team", "grade", "gross", "file", "currency", "net")


def pages(
    run: PayRun, payslips: Iterable[Payslip], words: Words, totals: Totals | None = None
) -> Iterator[tuple[str, str | Iterable[str]]]:
    """(file name, HTML) of every agent's statement in the run's order, as the payslips stream, then of the
    index (in pieces). What moves each bonus is worked out once per distinct row (cspay.engine.moves)."""
    policy, pricing = run.applied, run.pricing()
    env = environment()
    totals = totals if totals is not None else Totals()
    names, entries, moves = FileNames(), _Entries(), MovesMemo()
    for slip in payslips:
        explanation = explain(slip, pricing, moves)
        name = names.name(slip.agent_id)
        entries.add(index_entry(explanation, name, Wording(policy, words, explanation.currency)))
        net = None if explanation.deductions is None else explanation.deductions.net
        totals.add(explanation.currency, explanation.gross, net)
        yield name, statement_html(env, policy, explanation, words, run.disputes.get(slip.agent_id, ()))
    yield INDEX, index_html(env, policy, entries, totals, words, net=run.withholder is not None)
