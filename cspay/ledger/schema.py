"""The ledger's tables, as a list of forward migrations: schema N is the first N steps."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from decimal import Decimal
from itertools import groupby
from operator import itemgetter

from cspay.engine.types import KpiResult, Line
from cspay.ledger.packing import RunParts

Step = str | Callable[[sqlite3.Connection], None]  # a statement, or a function of the open connection


def pack_payslips(db: sqlite3.Connection) -> None:
    """Give every payslip recorded as rows of `lines` and `kpis` the numbers of its parts (see packing).

    One pass over each table in the order it was written (a payslip's lines and KPI results follow it),
    the numbers gathered in a temporary table and set in one UPDATE: a ledger of many months is read once.
    """
    db.execute("CREATE TEMP TABLE packed (id INTEGER PRIMARY KEY, line_numbers TEXT, kpi_numbers TEXT)")
    lines = groupby(db.execute("SELECT payslip_id, code, label, amount FROM lines ORDER BY rowid"), itemgetter(0))
    kpis = groupby(
        db.execute(
            "SELECT payslip_id, code, label, value, score, weight, contribution, left_out, by_column, curve_group "
            "FROM kpis ORDER BY rowid"
        ),
        itemgetter(0),
    )
    next_lines, next_kpis = next(lines, None), next(kpis, None)
    runs: dict[int, RunParts] = {}
    packed = []
    for slip_id, run_id in db.execute("SELECT id, run_id FROM payslips ORDER BY id"):
        parts = runs.get(run_id) or runs.setdefault(run_id, RunParts(db, run_id))
        slip_lines: list[Line] = []
        if next_lines is not None and next_lines[0] == slip_id:
            slip_lines = [Line(code, label, Decimal(amount)) for _, code, label, amount in next_lines[1]]
            next_lines = next(lines, None)
        slip_kpis: list[KpiResult] = []
        if next_kpis is not None and next_kpis[0] == slip_id:
            slip_kpis = [_kpi(*row) for row in next_kpis[1]]
            next_kpis = next(kpis, None)
        packed.append((slip_id, parts.line_numbers(slip_lines), parts.kpi_numbers(slip_kpis)))
        if len(packed) >= 10_000:
            _pack(db, packed, runs)
            packed = []
    _pack(db, packed, runs)
    if next_lines is not None or next_kpis is not None:  # rows not in payslip order: never written so
        raise sqlite3.DatabaseError("lines or KPI results out of payslip order; the ledger was not converted")
    db.execute(
        "UPDATE payslips SET line_numbers = packed.line_numbers, kpi_numbers = packed.kpi_numbers "
        "FROM packed WHERE packed.id = payslips.id"
    )
    db.execute("DROP TABLE packed")


def _pack(db: sqlite3.Connection, packed: list[tuple[int, str, str]], runs: dict[int, RunParts]) -> None:
    db.executemany("INSERT INTO packed (id, line_numbers, kpi_numbers) VALUES (?, ?, ?)", packed)
    for parts in runs.values():
        parts.flush()


def _kpi(
    _: int, code: str, label: str, value: str | None, score: str | None, weight: str, contribution: str | None,
    left_out: str | None, by_column: str | None, curve_group: str | None,
) -> KpiResult:  # fmt: skip
    def number(text: str | None) -> Decimal | None:
        return None if text is None else Decimal(text)

    return KpiResult(
        code, label, number(value), number(score), Decimal(weight), number(contribution), "", left_out, None,
        by_column, curve_group,
    )  # fmt: skip


def pack_deductions(db: sqlite3.Connection) -> None:
    """Give every payslip whose deductions were recorded as rows of `deductions` the numbers of them and of
    its employer contributions, numbered as its run's lines are, after the run's numbers in use."""
    starts = {
        run_id: 1 + top
        for run_id, top in db.execute(
            "SELECT run_id, max(number) FROM (SELECT run_id, number FROM run_lines UNION ALL "
            "SELECT run_id, number FROM run_kpis) GROUP BY run_id"
        )
    }
    runs: dict[int, RunParts] = {}
    packed = []
    rows = db.execute(
        "SELECT p.run_id, d.payslip_id, d.side, d.code, d.label, d.amount FROM deductions d "
        "JOIN payslips p ON p.id = d.payslip_id ORDER BY d.payslip_id, d.side, d.position"
    )
    for (run_id, slip_id), found in groupby(rows, itemgetter(0, 1)):
        parts = runs.get(run_id) or runs.setdefault(run_id, RunParts(db, run_id, starts.get(run_id, 0)))
        sides: dict[str, list[Line]] = {"employee": [], "employer": []}
        for _, _, side, code, label, amount in found:
            sides[side].append(Line(code, label, Decimal(amount)))
        packed.append((parts.line_numbers(sides["employee"]), parts.line_numbers(sides["employer"]), slip_id))
    db.executemany("UPDATE payslips SET deduction_numbers = ?, employer_numbers = ? WHERE id = ?", packed)
    for parts in runs.values():
        parts.flush()


# Each step moves the schema one version forward; a ledger is migrated step by step when opened.
MIGRATIONS: tuple[tuple[Step, ...], ...] = (
    (
        """CREATE TABLE runs (
            id INTEGER PRIMARY KEY, period TEXT NOT NULL, period_first TEXT NOT NULL,
            period_last TEXT NOT NULL, version INTEGER NOT NULL, superseded_by INTEGER REFERENCES runs(id),
            policy TEXT NOT NULL, policy_version TEXT NOT NULL, policy_sha256 TEXT NOT NULL,
            currency TEXT NOT NULL, cspay_version TEXT NOT NULL, recorded_at TEXT NOT NULL,
            recorded_by TEXT NOT NULL, host TEXT NOT NULL, headcount INTEGER NOT NULL,
            gross TEXT NOT NULL, bonus TEXT NOT NULL, UNIQUE (period, version))""",
        """CREATE TABLE run_inputs (
            run_id INTEGER NOT NULL REFERENCES runs(id), path TEXT NOT NULL, sha256 TEXT NOT NULL)""",
        """CREATE TABLE payslips (
            id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL REFERENCES runs(id), agent_id TEXT NOT NULL,
            name TEXT NOT NULL, role TEXT NOT NULL, team TEXT NOT NULL, score TEXT, grade TEXT,
            action TEXT, gross TEXT NOT NULL, UNIQUE (run_id, agent_id))""",
        """CREATE TABLE lines (
            payslip_id INTEGER NOT NULL REFERENCES payslips(id), position INTEGER NOT NULL,
            code TEXT NOT NULL, label TEXT NOT NULL, amount TEXT NOT NULL, PRIMARY KEY (payslip_id, position))""",
        """CREATE TABLE kpis (
            payslip_id INTEGER NOT NULL REFERENCES payslips(id), code TEXT NOT NULL, label TEXT NOT NULL,
            value TEXT, score TEXT, weight TEXT NOT NULL, contribution TEXT, left_out TEXT,
            PRIMARY KEY (payslip_id, code))""",
    ),
    (
        """CREATE TABLE closes (
            id INTEGER PRIMARY KEY, period TEXT NOT NULL,
            action TEXT NOT NULL CHECK (action IN ('close', 'reopen')), reason TEXT,
            at TEXT NOT NULL, user TEXT NOT NULL, host TEXT NOT NULL)""",
    ),
    (
        "ALTER TABLE runs ADD COLUMN kind TEXT NOT NULL DEFAULT 'pay' CHECK (kind IN ('pay', 'correction'))",
        """CREATE TABLE corrections (
            id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL REFERENCES runs(id), period TEXT NOT NULL,
            period_first TEXT NOT NULL, agent_id TEXT NOT NULL, code TEXT NOT NULL, label TEXT NOT NULL,
            amount TEXT NOT NULL, settled_by INTEGER REFERENCES runs(id))""",
    ),
    (
        """CREATE TABLE triggered_actions (
            payslip_id INTEGER NOT NULL REFERENCES payslips(id), action TEXT NOT NULL,
            PRIMARY KEY (payslip_id, action))""",
    ),
    ("ALTER TABLE corrections ADD COLUMN voided_by INTEGER REFERENCES runs(id)",),
    (
        # Rosters take part in pay too: each input says what it was. Earlier runs read metrics files only.
        "ALTER TABLE run_inputs ADD COLUMN kind TEXT NOT NULL DEFAULT 'metrics' "
        "CHECK (kind IN ('metrics', 'export', 'roster'))",
    ),
    (
        # Several currencies: each payslip and correction keeps the currency it is in (NULL: the run's, as
        # recorded before), and a run has its totals per currency, since no total adds two currencies.
        "ALTER TABLE payslips ADD COLUMN currency TEXT",
        "ALTER TABLE corrections ADD COLUMN currency TEXT",
        """CREATE TABLE run_totals (
            run_id INTEGER NOT NULL REFERENCES runs(id), currency TEXT NOT NULL, headcount INTEGER NOT NULL,
            gross TEXT NOT NULL, bonus TEXT NOT NULL, PRIMARY KEY (run_id, currency))""",
    ),
    (
        # Controls: every step of a run, a one-off adjustment or a dispute is an audit row naming who took it
        # (the operating-system account, and the name given with --by) and when. Runs recorded before
        # approvals existed have their recording as their first step.
        """CREATE TABLE audit (
            id INTEGER PRIMARY KEY, item TEXT NOT NULL CHECK (item IN ('run', 'adjustment', 'dispute')),
            item_id INTEGER NOT NULL, action TEXT NOT NULL, at TEXT NOT NULL, user TEXT NOT NULL,
            host TEXT NOT NULL, name TEXT, note TEXT)""",
        "CREATE INDEX audit_item ON audit (item, item_id)",
        """INSERT INTO audit (item, item_id, action, at, user, host)
            SELECT 'run', id, 'recorded', recorded_at, recorded_by, host FROM runs ORDER BY id""",
        """CREATE TABLE run_rules (
            run_id INTEGER PRIMARY KEY REFERENCES runs(id), four_eyes INTEGER NOT NULL CHECK (four_eyes IN (0, 1)))""",
        """CREATE TABLE one_offs (
            id INTEGER PRIMARY KEY, period TEXT NOT NULL, agent_id TEXT NOT NULL, code TEXT NOT NULL,
            amount TEXT NOT NULL, reason TEXT NOT NULL, policy TEXT NOT NULL,
            four_eyes INTEGER NOT NULL CHECK (four_eyes IN (0, 1)),
            state TEXT NOT NULL CHECK (state IN ('pending', 'approved', 'rejected', 'voided')))""",
        "CREATE INDEX one_offs_period ON one_offs (period, state)",
        """CREATE TABLE run_one_offs (
            run_id INTEGER NOT NULL REFERENCES runs(id), one_off_id INTEGER NOT NULL REFERENCES one_offs(id),
            PRIMARY KEY (run_id, one_off_id))""",
        """CREATE TABLE disputes (
            id INTEGER PRIMARY KEY, period TEXT NOT NULL, agent_id TEXT NOT NULL,
            subject TEXT NOT NULL CHECK (subject IN ('kpi', 'line')), code TEXT NOT NULL, claim TEXT NOT NULL,
            state TEXT NOT NULL CHECK (state IN ('open', 'accepted', 'rejected', 'settled')),
            settled_by INTEGER REFERENCES runs(id))""",
        "CREATE INDEX disputes_period ON disputes (period, state)",
    ),
    (
        # From gross to net. A run says how it withheld income tax (NULL: it deducted nothing); each payslip
        # keeps its deductions and employer contributions (never lines: lines add up to gross) and the month's
        # figures the next month's cumulative withholding adds up; a run keeps the opening balances it was
        # given; and opening balances are a kind of input (as are derived metrics, which the check left out),
        # so run_inputs is rebuilt with the wider check (every column it has, every row copied in its order).
        "ALTER TABLE runs ADD COLUMN withholding TEXT",
        """CREATE TABLE deductions (
            payslip_id INTEGER NOT NULL REFERENCES payslips(id),
            side TEXT NOT NULL CHECK (side IN ('employee', 'employer')), position INTEGER NOT NULL,
            code TEXT NOT NULL, label TEXT NOT NULL, amount TEXT NOT NULL, PRIMARY KEY (payslip_id, side, position))""",
        """CREATE TABLE withholding (
            payslip_id INTEGER PRIMARY KEY REFERENCES payslips(id), year INTEGER NOT NULL, method TEXT,
            income TEXT NOT NULL, contributions TEXT NOT NULL, special TEXT NOT NULL, other TEXT NOT NULL,
            withheld TEXT NOT NULL, net TEXT NOT NULL, months INTEGER, taxable TEXT, due TEXT)""",
        """CREATE TABLE openings (
            run_id INTEGER NOT NULL REFERENCES runs(id), agent_id TEXT NOT NULL, through TEXT NOT NULL,
            months INTEGER NOT NULL, income TEXT NOT NULL, contributions TEXT NOT NULL, special TEXT NOT NULL,
            other TEXT NOT NULL, withheld TEXT NOT NULL, PRIMARY KEY (run_id, agent_id))""",
        """CREATE TABLE run_inputs_widened (
            run_id INTEGER NOT NULL REFERENCES runs(id), path TEXT NOT NULL, sha256 TEXT NOT NULL,
            kind TEXT NOT NULL DEFAULT 'metrics'
            CHECK (kind IN ('metrics', 'export', 'derived', 'roster', 'opening')))""",
        "INSERT INTO run_inputs_widened (run_id, path, sha256, kind) "
        "SELECT run_id, path, sha256, kind FROM run_inputs ORDER BY rowid",
        "DROP TABLE run_inputs",
        "ALTER TABLE run_inputs_widened RENAME TO run_inputs",
    ),
    (
        # Group targets: a KPI by group keeps the column that picked its curve and the group whose curve
        # scored it (NULL: the KPI's own score). NULL by_column: one curve for every agent, as recorded before.
        "ALTER TABLE kpis ADD COLUMN by_column TEXT",
        "ALTER TABLE kpis ADD COLUMN curve_group TEXT",
    ),
    (
        # One row per payslip: each distinct line and KPI result of a run is stored once, and a payslip
        # names its own by number (cspay.ledger.packing), instead of ten rows per agent. Indexes serve
        # what history (an agent), the runs of a period and the corrections look up.
        "ALTER TABLE payslips ADD COLUMN line_numbers TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE payslips ADD COLUMN kpi_numbers TEXT NOT NULL DEFAULT ''",
        """CREATE TABLE run_lines (
            run_id INTEGER NOT NULL REFERENCES runs(id), number INTEGER NOT NULL, code TEXT NOT NULL,
            label TEXT NOT NULL, amount TEXT NOT NULL, PRIMARY KEY (run_id, number)) WITHOUT ROWID""",
        """CREATE TABLE run_kpis (
            run_id INTEGER NOT NULL REFERENCES runs(id), number INTEGER NOT NULL, code TEXT NOT NULL,
            label TEXT NOT NULL, value TEXT, score TEXT, weight TEXT NOT NULL, contribution TEXT, left_out TEXT,
            by_column TEXT, curve_group TEXT, PRIMARY KEY (run_id, number)) WITHOUT ROWID""",
        pack_payslips,
        "DROP TABLE lines",
        "DROP TABLE kpis",
        "CREATE INDEX payslips_agent ON payslips (agent_id)",
        "CREATE INDEX corrections_agent ON corrections (agent_id)",
        "CREATE INDEX corrections_run ON corrections (run_id)",
        "CREATE INDEX corrections_period ON corrections (period_first)",
    ),
    (
        # A payslip's deductions and employer contributions are numbered as its lines are (run_lines), and
        # the payslip names its own, instead of a row each: about ten rows per agent a month under a policy
        # with social insurance, the housing fund and income tax.
        "ALTER TABLE payslips ADD COLUMN deduction_numbers TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE payslips ADD COLUMN employer_numbers TEXT NOT NULL DEFAULT ''",
        pack_deductions,
        "DROP TABLE deductions",
    ),
    (
        # A payslip is found by agent through its run: (run_id, agent_id) is unique, and `history` looks the
        # agent up in each run, a search per month. The index by agent alone cost every recorded payslip a
        # second index entry: about a sixth of the time SQLite takes to record a month, and 19 MB of each
        # 1M-agent month.
        "DROP INDEX payslips_agent",
    ),
)
