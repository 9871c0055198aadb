"""Helpers shared by the tests: the worked example, builders of CSV text, policies and exports (fixtures
live in conftest.py)."""

from __future__ import annotations

import csv
import io
import random
import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

from cspay.cells import id_key
from cspay.engine.compiled import Engine
from cspay.engine.types import AgentRow, Payslip
from cspay.inputs.seen import AskedIds
from cspay.ledger.schema import MIGRATIONS
from cspay.policy.checks import cross_checks
from cspay.policy.metrics_spec import MetricsSpec
from cspay.policy.model import Policy

DATA = Path(__file__).parent / "data"
POLICIES = Path(__file__).resolve().parents[1] / "policies"
STANDARD = DATA / "standard.yaml"

# The worked example of the policy contract, as the cells of a metrics CSV under the standard policy.
WORKED_CELLS: dict[str, str] = {
    "agent_id": "A001",
    "name": "Ada Lin",
    "role": "L1",
    "team": "North",
    "worked_days": "21.75",
    "csat": "92.5",
    "surveys": "64",
    "fcr": "0.81",
    "aht_sec": "335",
    "qa_score": "88",
    "attendance": "98.5",
    "valid_complaints": "1",
    "tickets": "940",
}
HEADER = list(WORKED_CELLS)

# The same agent as the engine sees it: KPI values by KPI code, other columns by column name.
WORKED_KPIS: dict[str, Decimal] = {
    "csat": Decimal("92.5"),
    "fcr": Decimal("0.81"),
    "aht": Decimal("335"),
    "qa": Decimal("88"),
}
WORKED_NUMBERS: dict[str, Decimal] = {
    "surveys": Decimal("64"),
    "attendance": Decimal("98.5"),
    "worked_days": Decimal("21.75"),
    "valid_complaints": Decimal("1"),
    "tickets": Decimal("940"),
}


def agent_row(
    *,
    agent_id: str = "A001",
    role: str = "L1",
    line: int = 2,
    groups: dict[str, str] | None = None,
    **values: str | Decimal | None,
) -> AgentRow:
    """The worked example's AgentRow with some values replaced (by KPI code or column name) and the text
    columns (`groups`: queue, shift …) it carries."""
    kpis: dict[str, Decimal | None] = dict(WORKED_KPIS)
    numbers = dict(WORKED_NUMBERS)
    for key, value in values.items():
        number = None if value is None else Decimal(value)
        if key in kpis:
            kpis[key] = number
        elif number is None:
            raise ValueError(f"{key} is not a KPI; only KPI values may be None")
        else:
            numbers[key] = number
    return AgentRow(line, agent_id, role, "Ada Lin", "North", kpis, numbers, groups=dict(groups or {}))


# Group targets on the worked example's satisfaction: the complaints queue's own curve (lower), the sales
# queue's bands, and the KPI's own curve for every other queue and for an empty cell.
QUEUE_CURVES: dict[str, Any] = {
    "complaints": {"threshold": Decimal(70), "target": Decimal(80), "stretch": Decimal(88)},
    "sales": {"bands": [{"from": Decimal(85), "score": Decimal(1)}, {"from": Decimal(95), "score": Decimal("1.3")}]},
}
QUEUE_HEADER = [*HEADER, "queue"]


def by_queue(data: dict[str, Any], kpi: str = "csat") -> dict[str, Any]:
    """Policy data with one KPI scored by queue on QUEUE_CURVES (the data is changed and returned)."""
    data["kpis"][kpi] |= {"by": "queue", "groups": QUEUE_CURVES}
    return data


def csv_text(rows: Iterable[Mapping[str, str]], *, header: list[str] | None = None, delimiter: str = ",") -> str:
    """CSV text with the header, then each row's cells (missing cells take the worked example's)."""
    header = header or HEADER
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(name, WORKED_CELLS.get(name, "")) for name in header])
    return buffer.getvalue()


# The smallest valid policy: one role, one KPI, two grades.
TINY_POLICY = """\
policy: tiny
title: Tiny
version: "1"
agents: {id: agent_id, role: role}
roles:
  L1: {base_pay: 5000, target_bonus: 1000}
kpis:
  csat: {column: csat, unit: percent, weight: 100, score: {threshold: 80, target: 90, stretch: 96}}
grades:
  - {grade: A, min_score: 1.0, multiplier: 1.2}
  - {grade: D, min_score: 0, multiplier: 0}
"""


def policy_from(data: dict[str, Any]) -> Policy:
    """A valid Policy from plain data (as the loader would give), failing the test on any problem."""
    policy = Policy.model_validate(data)
    problems = cross_checks(policy)
    assert [] == problems
    return policy


def write_yaml(tmp_path: Path, text: str, name: str = "policy.yaml") -> Path:
    """Write a policy's YAML text into tmp_path and return its path."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


PWC_CSV = Path(__file__).resolve().parents[1] / "examples" / "pwc" / "pwc-call-center-2021q1.csv"


# ---- raw per-call exports (cspay.derive, cspay.events) ------------------------------------------

CALLS = """agent,date,answered,resolved,rating,talk,topic
A,2021-01-04,Y,Y,5,0:03:00,Billing
A,2021-01-05,Y,N,3,0:01:30,Tech
A,2021-01-06,N,N,,,Billing
B,2021-01-07,Y,Y,4,0:02:00,Tech
"""


def spec_of(derived: dict, **source: object) -> MetricsSpec:
    """A spec over the synthetic CALLS columns with the given derived metrics."""
    base = {"agent": "agent", "date": {"column": "date"}, "flags": ["answered", "resolved"]}
    base |= {"durations": ["talk"]}
    return MetricsSpec.model_validate({"source": base | source, "derived": derived})


def write_export(tmp_path: Path, text: str, name: str = "calls.csv", encoding: str = "utf-8") -> Path:
    """Write text in an encoding into tmp_path and return its path."""
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def iter_payslips(policy: Policy, rows: Iterable[AgentRow]) -> Iterator[Payslip]:
    """Each row's payslip from the engine alone, as the rows arrive: no budget, no period rules."""
    engine = Engine(policy)
    for row in rows:
        yield engine.payslip(row)


# ---- generated months for the review: shifts of agents, fair or not ---------------------------------

REVIEW_HEADER = [*HEADER, "shift"]


def shift_month(seed: int, *, few_surveys_at_night: bool = False, night_worse: bool = False) -> list[dict[str, str]]:
    """600 agents in three shifts of 200 whose KPI values come from one skill distribution (a fixed seed).

    `few_surveys_at_night`: night agents get 5-15 surveys, so min_volume (20) leaves their satisfaction --
    the KPI they all score best on -- out of their score: graded lower at equal performance.
    `night_worse`: night agents are less skilled, so every KPI of theirs is lower: they performed worse.
    """
    import random

    generator = random.Random(seed)
    rows = []
    for i in range(600):
        shift = ("day", "evening", "night")[i % 3]
        skill = generator.gauss(-1.0 if night_worse and shift == "night" else 0.0, 1.0)
        surveys = generator.randint(5, 15) if few_surveys_at_night and shift == "night" else generator.randint(25, 80)
        rows.append(
            {
                "agent_id": f"G{i:04d}",
                "name": f"Agent {i}",
                "team": ("North", "South")[i % 2],
                "shift": shift,
                "csat": f"{min(100.0, max(60.0, generator.gauss(94 + 1.5 * skill, 1.5))):.1f}",
                "surveys": str(surveys),
                "fcr": f"{min(1.0, max(0.4, generator.gauss(0.78 + 0.04 * skill, 0.03))):.3f}",
                "aht_sec": str(round(min(600.0, max(200.0, generator.gauss(355 - 20 * skill, 15))))),
                "qa_score": str(round(min(100.0, max(40.0, generator.gauss(84 + 5 * skill, 4))))),
                "attendance": "99",
                "valid_complaints": "0",
                "tickets": "900",
            }
        )
    return rows


# ---- cspay's own words: is any English left in Chinese output? -----------------------------------

NAMES = {"cspay"}  # the program's name is the same in every language


def english_words() -> set[str]:
    """Every word of the English catalog; abbreviations (KPI, SHA, UTC) and placeholders are not words."""
    import re

    from cspay.i18n import catalog

    words = set()
    for text in catalog("en").values():
        words |= {
            w.casefold()
            for w in re.findall(r"\b[A-Za-z]+\b", re.sub(r"\{[^}]*\}", " ", text))
            if w.lower() == w or w.capitalize() == w
        }
    return words - NAMES


def ascii_words(text: str) -> set[str]:
    import re

    return {word.casefold() for word in re.findall(r"\b[A-Za-z]+\b", text)}


def ledger_at_schema(path: Path, version: int) -> sqlite3.Connection:
    """A new ledger file made by the first `version` migration steps only, as an older cspay left it."""
    db = sqlite3.connect(path, isolation_level=None)
    for step in MIGRATIONS[:version]:
        for statement in step:
            if isinstance(statement, str):
                db.execute(statement)
            else:
                statement(db)
    db.execute(f"PRAGMA user_version = {version}")
    return db


def schema_step(table: str) -> int:
    """The number of the migration step that creates `table` (the schema a ledger has once it ran)."""
    return 1 + next(
        number
        for number, step in enumerate(MIGRATIONS)
        if any(isinstance(item, str) and f"CREATE TABLE {table} " in item for item in step)
    )


def record_as_rows(db: sqlite3.Connection, period: tuple[str, str, str], payslips: Iterable[Payslip]) -> int:
    """Record payslips the way ledgers before the packed payslips did: a row per line and per KPI result.
    `period` is (label, first day, last day); returns the run's id."""
    label, first, last = period
    cursor = db.execute(
        "INSERT INTO runs (period, period_first, period_last, version, policy, policy_version, policy_sha256, "
        "currency, cspay_version, recorded_at, recorded_by, host, headcount, gross, bonus) VALUES "
        "(?, ?, ?, 1 + (SELECT count(*) FROM runs WHERE period = ?), 'p', '1', '', 'CNY', '0.1.0', 't', 'u', 'h', "
        "0, '0', '0')",
        (label, first, last, label),
    )
    run_id = cursor.lastrowid
    db.execute("UPDATE runs SET superseded_by = ? WHERE period = ? AND id != ? AND superseded_by IS NULL",
               (run_id, label, run_id))  # fmt: skip
    for slip in payslips:
        text = [None if value is None else str(value) for value in (slip.score,)]
        slip_id = db.execute(
            "INSERT INTO payslips (run_id, agent_id, name, role, team, score, grade, action, gross, currency) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (run_id, slip.agent_id, slip.name, slip.role, slip.team, *text, slip.grade, slip.action, str(slip.gross),
             slip.currency or None),
        ).lastrowid  # fmt: skip
        db.executemany(
            "INSERT INTO lines (payslip_id, position, code, label, amount) VALUES (?, ?, ?, ?, ?)",
            [(slip_id, i, line.code, line.label, str(line.amount)) for i, line in enumerate(slip.lines)],
        )
        db.executemany(
            "INSERT INTO kpis (payslip_id, code, label, value, score, weight, contribution, left_out, by_column, "
            "curve_group) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (slip_id, k.code, k.label, *(None if v is None else str(v) for v in (k.value, k.score, k.weight)),
                 None if k.contribution is None else str(k.contribution), k.left_out, k.by, k.curve_group)
                for k in slip.kpis
            ],
        )  # fmt: skip
    assert run_id is not None
    return run_id


def metrics_rows(count: int, *, repeating: bool) -> list[dict[str, str]]:
    """A month of agents for the standard policy: values from small sets when `repeating`, else values
    with 4, 6 and 2 decimals that rarely repeat (as real exports compute them from counts). Both have
    agents below the survey minimum, below the floor (few days worked) and a few names a CSV must quote."""
    rows = []
    for i in range(count):
        if repeating:
            csat, fcr, aht = ["92.5", "88", "95.5%", "79.9", "100"][i % 5], ["0.81", "77%", "0.6"][i % 3], "335"
        else:
            csat = f"{70 + (i * 7919 % 300000) / 10000:.4f}"
            fcr = f"{0.5 + (i * 104729 % 490000) / 1000000:.6f}"
            aht = f"{250 + (i * 613 % 20000) / 100:.2f}"
        rows.append(
            {
                "agent_id": f"A{i:06d}",
                "role": "L2" if i % 4 == 0 else "L1",
                "name": f'Agent "{i}", night' if i % 97 == 3 and i < 400 else f"Agent {i % 37}",
                "team": f"T{i % 7}",
                "csat": csat,
                "surveys": str(i % 40),
                "fcr": fcr,
                "aht_sec": aht,
                "qa_score": str(50 + i % 50),
                "attendance": str(90 + i % 11),
                "worked_days": ["21.75", "10", "23", "0", "15.5"][i % 5],
                "valid_complaints": str(i % 6),
                "tickets": str(700 + i % 500),
            }
        )
    return rows


def stored_payslips(path: Path) -> dict[str, tuple[Any, ...]]:
    """Every payslip of a ledger's runs as stored, by run and agent: its columns, its lines and its KPI
    results read back from their numbers."""
    db = sqlite3.connect(path)
    lines = {(run, str(n)): rest for run, n, *rest in db.execute("SELECT * FROM run_lines")}
    kpis = {(run, str(n)): rest for run, n, *rest in db.execute("SELECT * FROM run_kpis")}
    found = {}
    for row in db.execute(
        "SELECT run_id, agent_id, name, role, team, score, grade, action, gross, currency, line_numbers, "
        "kpi_numbers FROM payslips ORDER BY id"
    ):
        run, agent_id, *columns, line_numbers, kpi_numbers = row
        found[f"{run} {agent_id}"] = (
            *columns,
            [tuple(lines[run, n]) for n in line_numbers.split()],
            [tuple(kpis[run, n]) for n in kpi_numbers.split()],
        )
    db.close()
    return found


# ---- from gross to net (cspay.engine.statutory) ---------------------------------------------------

ROOT = Path(__file__).resolve().parents[1]
CN_IIT = ROOT / "policies" / "statutory" / "cn-iit-2026.yaml"  # the shipped national rules


def gross_payslip(gross: str | Decimal, agent_id: str = "A001", **numbers: str | Decimal) -> Payslip:
    """A payslip whose one line is `gross`, paid from the plain columns given (base, special …)."""
    from cspay.engine.types import Line

    return Payslip(
        agent_id, "", "L1", "", 2, (), None, None, None, None, Decimal(0), Decimal(0), (), False, Decimal(1),
        [Line("base_pay", "Base pay", Decimal(gross))], numbers={key: Decimal(value) for key, value in numbers.items()},
    )  # fmt: skip


def metric_rows(count: int, *, repeating: bool, seed: int = 12) -> list[dict[str, str]]:
    """Rows of the standard policy's columns: values from small sets, as exports with rounded figures have
    them, or with 4-6 decimals that rarely repeat, as exports computing CSAT and FCR from counts do."""
    draw = random.Random(seed)

    def value(low: float, high: float, places: int, choices: tuple[str, ...]) -> str:
        return draw.choice(choices) if repeating else f"{draw.uniform(low, high):.{places}f}"

    return [
        {
            "agent_id": f"A{n:06d}",
            "role": "L2" if n % 4 == 0 else "L1",
            "name": f"Agent {n}",
            "csat": value(70, 100, 4, ("92.5", "88", "95.5%", "79.9", "100")),
            "surveys": str(draw.randrange(0, 120)),
            "fcr": value(0.5, 0.99, 6, ("0.81", "77%", "0.6", "0.9")),
            "aht_sec": value(200, 500, 2, ("335", "0:06:10", "420", "290.5")),
            "qa_score": value(50, 100, 4, ("88", "92.5", "75")),
            "attendance": value(85, 100, 4, ("98.5", "94", "100")),
            "worked_days": draw.choice(("21.75", "21.75", "21.75", "10", "23")),
            "valid_complaints": str(draw.randrange(0, 4)),
            "tickets": str(draw.randrange(500, 1200)),
        }
        for n in range(1, count + 1)
    ]


# ---- metrics whose values rarely repeat, as exports computing them from counts write them ------------------


def distinct_rows(count: int, seed: int = 12) -> list[dict[str, str]]:
    """Agents of the contract policy whose CSAT, FCR and handle time carry 4, 6 and 2 decimals (some as a
    percentage), so that hardly a value repeats; the other columns repeat as real exports do."""
    rng = random.Random(seed)
    rows = []
    for i in range(count):
        csat = min(max(rng.gauss(89, 6), 70), 100)
        fcr = min(max(rng.gauss(0.78, 0.07), 0.55), 0.95)
        rows.append(
            {
                "agent_id": f"D{i:06d}",
                "role": "L2" if i % 4 == 0 else "L1",
                "name": f"Agent {i % 41}",
                "csat": f"{csat:.4f}%" if i % 7 == 0 else f"{csat:.4f}",
                "surveys": str(i % 60),
                "fcr": f"{fcr * 100:.4f}%" if i % 9 == 0 else f"{fcr:.6f}",
                "aht_sec": f"{min(max(rng.gauss(355, 45), 240), 480):.2f}",
                "qa_score": str(55 + i % 45),
                "attendance": str(90 + i % 11),
                "worked_days": ["21.75", "10", "23", "15.5"][i % 4],
                "valid_complaints": str(i % 6),
                "tickets": str(700 + i % 500),
            }
        )
    return rows


def close_ids(wanted: str, known: Iterable[str], limit: int = 5) -> list[str]:
    """The ids of `known` one slip away from `wanted` (case, width and spacing aside), the likest first,
    ties in the order given."""
    asked, wanted_key = AskedIds([wanted], limit), id_key(wanted)
    for order, agent_id in enumerate(known):
        key = id_key(agent_id)
        if key == wanted_key:  # the same id written another way: the likest of all
            asked.keep(wanted_key, agent_id, order)
        else:
            asked.offer_all([agent_id], [key])
    return asked.close_to(wanted)


# ---- a quarter's months (tests/data/quarterly.yaml's columns) -------------------------------------------

QUARTER_HEADER = [
    "agent_id",
    "name",
    "role",
    "team",
    "month",
    "worked_days",
    "csat",
    "surveys",
    "fcr",
    "aht_sec",
    "qa_score",
    "attendance",
    "valid_complaints",
    "tickets",
]
QUARTER_MONTHS = ("2026-10", "2026-11", "2026-12")


def period_policy_file(tmp_path: Path, aggregate: str, combine_rule: str) -> Path:
    """tests/data/quarterly.yaml with fcr combined by `aggregate`, attendance by `combine_rule`, and KPI
    cells that may be empty."""
    text = (DATA / "quarterly.yaml").read_text(encoding="utf-8")
    text = text.replace(
        "fcr: {column: fcr, unit: ratio, weight: 25,",
        f"fcr: {{column: fcr, unit: ratio, weight: 25, aggregate: {aggregate}, missing: exclude,",
    )
    text = text.replace("aggregate: weighted_mean", "aggregate: weighted_mean\n    missing: exclude")
    text = text.replace("{column: attendance, below: 95,", f"{{column: attendance, combine: {combine_rule}, below: 95,")
    path = tmp_path / f"policy-{aggregate}-{combine_rule}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def quarter_cell(draw: random.Random, repeating: tuple[str, ...], low: float, high: float, repeat: float = 0.5) -> str:
    """A value that repeats, written more than one way (92.5 and 92.50), with chance `repeat`; else one of 4
    to 6 decimals."""
    if draw.random() < repeat:
        return draw.choice(repeating)
    return f"{draw.uniform(low, high):.{draw.randint(4, 6)}f}"


def month_rows(
    draw: random.Random, month: str, agents: int, *, steady: bool = False, repeat: float = 0.5
) -> list[dict[str, str]]:
    """A month's agents: some missing, in a shuffled order, roles, teams and values changing (with `steady`,
    each agent keeps one role and team); values repeat with chance `repeat` (quarter_cell)."""
    rows = []
    for number in draw.sample(range(1, agents + 1), k=draw.randint(agents * 2 // 3, agents)):
        csat = "" if draw.random() < 0.1 else quarter_cell(draw, ("92.5", "92.50", "88", "88.0"), 70, 100, repeat)
        rows.append(
            {
                "agent_id": f"Q{number:04d}",
                "name": f"Agent {number}",
                "role": ("L2" if number % 3 == 0 else "L1") if steady else draw.choice(("L1", "L1", "L2")),
                "team": ("North" if number % 2 else "South") if steady else draw.choice(("North", "South")),
                "month": month,
                "worked_days": draw.choice(("21.75", "10", "21.750")),
                "csat": csat,
                "surveys": "0" if number % 7 == 0 else str(draw.randint(0, 80)),
                "fcr": "" if draw.random() < 0.1 else quarter_cell(draw, ("0.8", "0.80", "0.75"), 0.5, 1, repeat),
                "aht_sec": quarter_cell(draw, ("360", "360.0", "300"), 250, 500, repeat),
                "qa_score": quarter_cell(draw, ("85", "85.00", "70"), 50, 100, repeat),
                "attendance": quarter_cell(draw, ("96", "96.0", "99.5"), 85, 100, repeat),
                "valid_complaints": str(draw.randint(0, 3)),
                "tickets": str(draw.randint(500, 1200)),
            }
        )
    return rows


def write_months(
    tmp_path: Path, seed: int, agents: int = 400, *, steady: bool = False, repeat: float = 0.5
) -> list[Path]:
    """Three months of `month_rows` (tests/data/quarterly.yaml's columns), one file each."""
    draw = random.Random(seed)
    paths = []
    for month in QUARTER_MONTHS:
        path = tmp_path / f"{seed}-{month}.csv"
        rows = month_rows(draw, month, agents, steady=steady, repeat=repeat)
        path.write_text(csv_text(rows, header=QUARTER_HEADER), encoding="utf-8")
        paths.append(path)
    return paths
