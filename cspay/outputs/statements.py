"""HTML pay statements: one self-contained page per agent and an index, written into a folder.

Pages load nothing from anywhere (inline CSS and SVG, no fonts, scripts or images, and a
Content-Security-Policy that forbids fetching), so a statement opened years later, offline or in a
mail client, looks the same. Jinja2 escapes every value, so a name like "<script>" shows as text.
"""

from __future__ import annotations

import os
import re
import tempfile
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cspay.engine.explain import Explanation, explain
from cspay.engine.types import ZERO, Payslip
from cspay.errors import OutputError
from cspay.i18n import Words
from cspay.outputs.bars import kpi_bar
from cspay.outputs.view import Wording, payslip_view
from cspay.policy.model import Policy
from cspay.run.pay import PayRun

if TYPE_CHECKING:  # the ledger's types only: a run without a ledger never loads it
    from cspay.ledger.controls import Dispute

INDEX = "index.html"
MAX_STEM = 80
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
    """An agent id as a file name without folders, dots or device names (`../x` becomes `x`)."""
    text = _UNSAFE.sub("_", unicodedata.normalize("NFKC", agent_id)).strip("_-")[:MAX_STEM] or "agent"
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


def index_html(env: Any, policy: Policy, entries: list[dict[str, str]], total: Any, words: Words) -> str:
    """The list of everyone's statements with grade and gross, and the total."""
    wording = Wording(policy, words)
    html: str = env.get_template("index.html.j2").render(
        entries=entries,
        words=words,
        lang=words.language,
        policy_line=words("slip.policy", title=policy.title or policy.policy, version=policy.version),
        total_label=words("index.total", count=len(entries)),
        total=wording.money(total),
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
    }


def check_folder(folder: Path, names: list[str], force: bool) -> None:
    """Fail before any work if the folder cannot take these files, or would lose files without --force."""
    if folder.exists() and not folder.is_dir():
        raise OutputError(f"{folder}: is a file; expected a folder for the statements")
    if not folder.exists():
        parent = folder.parent
        if not parent.is_dir():
            raise OutputError(f"{folder}: the folder {parent} does not exist")
        return
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(f"{folder}: the folder is not writable")
    existing = [name for name in names if (folder / name).exists()]
    if existing and not force:
        shown = ", ".join(existing[:5]) + (f" and {len(existing) - 5} more" if len(existing) > 5 else "")
        raise OutputError(f"{folder}: {len(existing)} of the files exist ({shown}); pass --force to replace them")


def write_folder(folder: Path, files: Iterable[tuple[str, str]], force: bool) -> int:
    """Write every file next to its place first, then move them all in: on failure none appears."""
    created = not folder.exists()
    folder.mkdir(exist_ok=True)
    staged: list[tuple[str, Path]] = []
    try:
        for name, text in files:
            staged.append((name, _stage(folder, text)))
        for name, _ in staged:
            if (folder / name).exists() and not force:
                raise OutputError(f"{folder / name}: the file appeared while cspay ran; pass --force to replace it")
        for name, temporary in staged:
            os.replace(temporary, folder / name)
    except BaseException:
        for _, temporary in staged:
            temporary.unlink(missing_ok=True)
        if created and not any(folder.iterdir()):
            folder.rmdir()
        raise
    return len(staged)


def _stage(folder: Path, text: str) -> Path:
    handle = tempfile.NamedTemporaryFile(
        "w", dir=folder, prefix=".cspay-", suffix=".part", delete=False, encoding="utf-8", newline="\n"
    )
    try:
        with handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise
    return Path(handle.name)


@dataclass
class Totals:
    """How many statements were made and their total gross, filled in as the pages are made."""

    count: int = 0
    gross: Decimal = ZERO


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
        yield name, statement_html(env, policy, explanation, words, run.disputes.get(slip.agent_id, ()))
    yield INDEX, index_html(env, policy, entries, totals.gross, words)
