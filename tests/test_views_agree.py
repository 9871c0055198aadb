"""Every view shows the run's money: for each shipped policy and example (monthly, budget, targets by queue,
quarterly, Chinese, several currencies, from gross to net, raw export by month and by quarter, team results,
dated values and changes within a period), each agent's lines and gross are the same in compute's JSON, CSV
and XLSX, payslip --all, the statements and their index, compare, test cases built from the run, and the
ledger after --record; where the run deducts, its deductions and net; and a run with the ledger's own lines
(a one-off adjustment, a correction settling a dispute) is the same in JSON, CSV, XLSX, payslip --all and the
statements."""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import openpyxl
import pytest
import yaml
from typer.testing import CliRunner

from cspay.cli import app
from cspay.ledger.book import Ledger

ROOT = Path(__file__).resolve().parents[1]
Amounts = dict[str, list[Decimal]]  # agent id -> the amounts of the payslip lines, in order, then gross


@dataclass(frozen=True)
class Example:
    """A shipped policy with its shipped inputs and the options that name the period."""

    name: str
    policy: str
    inputs: tuple[str, ...]
    options: tuple[str, ...] = ()
    period: str = ""  # what --record needs; the options' --period when they give one
    refused: str = ""  # why `cspay test` refuses cases of this policy (a budget, team results), as it says

    def arguments(self) -> list[str]:
        return [str(ROOT / self.policy), *(str(ROOT / path) for path in self.inputs), *self.options]


PWC = "examples/pwc/pwc-call-center-2021q1.csv"
EXAMPLES = [
    Example("monthly", "policies/standard.yaml", ("examples/standard-2026-11.csv",), period="2026-11"),
    Example(
        "budget",
        "policies/standard-2027.yaml",
        ("examples/standard-2026-11.csv",),
        period="2026-11",
        refused="bonus budget",
    ),
    Example("targets by queue", "policies/standard-queues.yaml", ("examples/queues-2026-11.csv",), period="2026-11"),
    Example(
        "quarterly",
        "policies/standard-quarterly.yaml",
        ("examples/standard-2026-10.csv", "examples/standard-2026-11.csv", "examples/standard-2026-12.csv"),
        ("--period", "2026-Q4"),
        "2026-Q4",
    ),
    Example("chinese", "policies/zh-hotline.yaml", ("examples/zh-hotline-2026-11.csv",), period="2026-11"),
    Example(
        "raw export",
        "examples/pwc/policy.yaml",
        (PWC,),
        ("--period", "2021-01", "--roster", str(ROOT / "examples/pwc/roster.csv")),
        "2021-01",
    ),
    Example("currencies", "examples/global/policy.yaml", ("examples/global/global-2026-11.csv",), period="2026-11"),
    Example(
        "net",
        "policies/china-net.yaml",
        ("examples/china-net/metrics-2026-01.csv",),
        ("--period", "2026-01", "--roster", str(ROOT / "examples/china-net/roster.csv")),
        "2026-01",
    ),
    Example(
        "raw export quarter",
        "examples/pwc/policy-quarterly.yaml",
        (PWC,),
        ("--period", "2021-Q1", "--roster", str(ROOT / "examples/pwc/roster-2021q1.csv")),
        "2021-Q1",
    ),
]
TEAMS, DATED = ROOT / "examples/teams", ROOT / "examples/dated"
EXAMPLES += [
    Example(
        "team results",
        "examples/teams/policy.yaml",
        ("examples/teams/metrics-2026-11.csv",),
        ("--period", "2026-11", "--changes", str(TEAMS / "changes-2026-11.csv")),
        "2026-11",
        refused="team results",
    ),
    Example(
        "team metrics",
        "examples/teams/policy-team-metrics.yaml",
        ("examples/teams/metrics-2026-11.csv",),
        ("--team-metrics", str(TEAMS / "team-metrics-2026-11.csv")),
        "2026-11",
        refused="team results",
    ),
    Example(
        "dated month",
        "examples/dated/policy.yaml",
        ("examples/standard-2026-11.csv",),
        ("--period", "2026-11", "--changes", str(DATED / "changes-2026-11.csv")),
        "2026-11",
    ),
    Example(
        "dated quarter",
        "examples/dated/policy-quarterly.yaml",
        tuple(f"examples/dated/months/2026-{month}.csv" for month in (10, 11, 12)),
        ("--period", "2026-Q4", "--changes", str(DATED / "changes-2026-11.csv")),
        "2026-Q4",
        refused="change within 2026-Q4",
    ),
]
IDS = [example.name for example in EXAMPLES]


def cspay(*arguments: str) -> str:
    """cspay's stdout; the test fails with its stderr unless it exits 0."""
    result = CliRunner().invoke(app, list(arguments))
    assert 0 == result.exit_code, result.output
    return result.stdout


def number(text: str) -> Decimal:
    """An amount as a view writes it (¥7,940.00, 7,940.00 元, -20.00, 1,234.50 CHF) as a Decimal."""
    return Decimal(re.sub(r"[^\d.\-]", "", text))


@pytest.fixture(scope="module", params=EXAMPLES, ids=IDS)
def example(request: pytest.FixtureRequest) -> Example:
    return request.param


@pytest.fixture(scope="module")
def run(example: Example) -> dict:
    """The run as compute writes it in JSON: the reference every other view is held to."""
    return json.loads(cspay("compute", *example.arguments(), "--format", "json", "--quiet"))


@pytest.fixture(scope="module")
def expected(run: dict) -> Amounts:
    return {
        slip["agent_id"]: [*(Decimal(line["amount"]) for line in slip["lines"]), Decimal(slip["gross"])]
        for slip in run["payslips"]
    }


def test_the_run_pays_every_agent_something_to_compare(expected: Amounts) -> None:
    """Each example pays several agents, each with lines (the comparisons below are not empty)."""
    assert len(expected) >= 8
    assert all(len(amounts) >= 2 for amounts in expected.values())


def by_code(slip: dict) -> dict[str, Decimal]:
    """The payslip's amount per line code, in payslip order: a payslip paid in parts has a line per part, and
    the CSV and the workbook give each code one column, their total."""
    found: dict[str, Decimal] = {}
    for line in slip["lines"]:
        found[line["code"]] = found.get(line["code"], Decimal(0)) + Decimal(line["amount"])
    return found


def test_csv_has_the_runs_lines(example: Example, run: dict) -> None:
    """The CSV's line columns, in the order of each payslip's lines (a code's lines added up), and gross; a
    line the payslip does not have is 0 in its column."""
    text = cspay("compute", *example.arguments(), "--format", "csv", "--quiet")
    rows = list(csv.DictReader(io.StringIO(text)))
    found = {
        row["agent_id"]: [*(Decimal(row[code]) for code in by_code(slip)), Decimal(row["gross"])]
        for row, slip in zip(rows, run["payslips"], strict=True)
    }
    assert {slip["agent_id"]: [*by_code(slip).values(), Decimal(slip["gross"])] for slip in run["payslips"]} == found
    columns = _line_columns(rows[0])
    others = {
        (row["agent_id"], code): Decimal(row[code])
        for row, slip in zip(rows, run["payslips"], strict=True)
        for code in columns
        if code not in {line["code"] for line in slip["lines"]}
    }
    assert {key: 0 for key in others} == others


def _line_columns(row: dict[str, str]) -> list[str]:
    """The CSV's payslip line columns: every column between the action and gross."""
    names = list(row)
    return names[names.index("action") + 1 : names.index("gross")]


def test_xlsx_has_the_runs_lines(example: Example, run: dict, tmp_path: Path) -> None:
    """The workbook's Payslips sheet: one row per agent, a money column per line code (its lines added up),
    and gross last."""
    book = tmp_path / "pay.xlsx"
    cspay("compute", *example.arguments(), "--format", "xlsx", "--output", str(book), "--quiet", "--lang", "en")
    sheet = openpyxl.load_workbook(book)["Payslips"]
    header, *rows = list(sheet.iter_rows(values_only=True))
    labels = _labels(run)
    found = {}
    for row, slip in zip(rows, run["payslips"], strict=True):
        cells = dict(zip(header, row, strict=True))
        found[row[0]] = [*(Decimal(str(cells[labels[code]])) for code in by_code(slip)), Decimal(str(cells["Gross"]))]
    wanted = {slip["agent_id"]: [*by_code(slip).values(), Decimal(slip["gross"])] for slip in run["payslips"]}
    assert {agent: [amount.normalize() for amount in amounts] for agent, amounts in wanted.items()} == {
        agent: [amount.normalize() for amount in amounts] for agent, amounts in found.items()
    }


def _labels(run: dict) -> dict[str, str]:
    """Each line code's column title in an English workbook."""
    from cspay.i18n import Words

    words = Words("en")
    return {
        line["code"]: words.line_label(line["code"], line["label"])
        for slip in run["payslips"]
        for line in slip["lines"]
    }


def test_payslip_all_explains_the_runs_lines(example: Example, expected: Amounts, tmp_path: Path) -> None:
    """payslip --all --format json: every agent, the same lines and gross."""
    data = json.loads(cspay("payslip", *_one_input(example, tmp_path / "months"), "--all", "--format", "json"))
    found = {
        slip["agent_id"]: [*(Decimal(line["amount"]) for line in slip["lines"]), Decimal(slip["gross"])]
        for slip in data["payslips"]
    }
    assert expected == found


def _one_input(example: Example, folder: Path) -> list[str]:
    """payslip names one METRICS: a quarter's monthly files are given as a folder of them."""
    arguments = example.arguments()
    if len(example.inputs) > 1:
        folder.mkdir(exist_ok=True)
        for path in example.inputs:
            (folder / Path(path).name).write_bytes((ROOT / path).read_bytes())
        arguments = [arguments[0], str(folder), *example.options]
    return arguments


class _Tables(HTMLParser):
    """The cells of each table row of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def _rows(html: str) -> list[list[str]]:
    parser = _Tables()
    parser.feed(html)
    return parser.rows


def test_statements_and_their_index_show_the_runs_money(
    example: Example, run: dict, expected: Amounts, tmp_path: Path
) -> None:
    """Each statement's lines table has the run's amounts in order, then gross; the index each gross."""
    folder = tmp_path / "statements"
    cspay("statements", *example.arguments(), "--out", str(folder))
    header, *rows = _rows((folder / "index.html").read_text(encoding="utf-8"))
    gross = len(header) - (3 if "deductions" in run["payslips"][0] else 2)  # gross, [net,] the link
    index = {row[0]: number(row[gross]) for row in rows if len(row) == len(header) and row[0] in expected}
    assert {agent: amounts[-1] for agent, amounts in expected.items()} == index
    links = re.findall(r'href="([^"]+\.html)"', (folder / "index.html").read_text(encoding="utf-8"))
    found = {}
    for slip, link in zip(run["payslips"], links, strict=True):
        rows = _rows((folder / link).read_text(encoding="utf-8"))
        start = next(i for i, row in enumerate(rows) if len(row) == 3) + 1  # the lines table's header
        count = len(slip["lines"]) + 1
        found[slip["agent_id"]] = [number(row[2]) for row in rows[start : start + count]]
    assert expected == found


def test_compare_prices_each_side_as_compute_does(example: Example, expected: Amounts) -> None:
    """A policy compared with itself: both sides are the run's gross, agent by agent, once each."""
    old = example.arguments()[0]
    data = json.loads(cspay("compare", old, *example.arguments(), "--format", "json"))
    gross = {agent: amounts[-1] for agent, amounts in expected.items()}
    months = {row.get("month") for row in data["agents"]}
    for month in months:
        rows = [row for row in data["agents"] if row.get("month") == month]
        if len(months) == 1:
            assert gross == {row["agent_id"]: Decimal(row["old_gross"]) for row in rows}
            assert gross == {row["agent_id"]: Decimal(row["new_gross"]) for row in rows}
    summary = data["summary"]  # a run paid in several currencies has one total per currency, and no one total
    assert len(expected) == (summary["headcount"] if "totals" in summary else summary["total"]["headcount"])


def test_compare_of_two_policies_matches_two_computes() -> None:
    """standard against standard-2027 (with its budget): each side is what compute pays under that policy."""
    month = str(ROOT / "examples/standard-2026-11.csv")
    old, new = str(ROOT / "policies/standard.yaml"), str(ROOT / "policies/standard-2027.yaml")
    data = json.loads(cspay("compare", old, new, month, "--format", "json"))
    for side, policy in (("old_gross", old), ("new_gross", new)):
        computed = json.loads(cspay("compute", policy, month, "--format", "json", "--quiet"))
        assert {slip["agent_id"]: slip["gross"] for slip in computed["payslips"]} == {
            row["agent_id"]: row[side] for row in data["agents"]
        }


def test_cases_built_from_the_run_pass(example: Example, run: dict, tmp_path: Path) -> None:
    """A case per agent paid as one part, its row the values the run paid from and its expectation the run's
    lines, passes `cspay test`; under a budget or team results, which a case of one agent cannot show, the
    command refuses (exit 2)."""
    built = _cases(example, run)
    cases = tmp_path / "run.cases.yaml"
    cases.write_text(yaml.safe_dump(built, allow_unicode=True, sort_keys=False), encoding="utf-8")
    result = CliRunner().invoke(app, ["test", str(cases)])
    if example.refused:
        assert 2 == result.exit_code, result.output
        assert example.refused in result.output
        return
    assert 0 == result.exit_code, result.output
    assert f"{len(built['cases'])} passed, 0 failed" in result.stdout


def _cases(example: Example, run: dict) -> dict:
    """The run's payslips as cases: identity, each KPI's value and each plain and text column the payslip was
    paid from (as the library's run holds them), and the lines compute wrote."""
    from cspay import load_policy, open_inputs, pay

    policy = load_policy(ROOT / example.policy)
    options = dict(zip(example.options[::2], example.options[1::2], strict=True))
    source = open_inputs(
        policy,
        [ROOT / path for path in example.inputs],
        options.get("--period"),
        rosters=[options["--roster"]] if "--roster" in options else (),
        changes=options.get("--changes"),
        team_metrics=options.get("--team-metrics"),
    )
    agents, cases = policy.agents, []
    for slip, paid in zip(run["payslips"], pay(source).payslips, strict=True):
        if len({part["role"] for part in slip.get("parts", [])}) > 1:
            continue  # a case cannot change role within its period (a changes file does; held to the run above)
        row = {agents.id: slip["agent_id"], agents.role: slip["role"]}
        row |= {agents.name: slip["name"]} if agents.name else {}
        row |= {agents.team: slip["team"]} if agents.team else {}
        row |= {agents.period: run["period"]} if agents.period else {}
        row |= {agents.currency: slip["currency"]} if agents.currency else {}
        row |= {policy.kpis[kpi.code].column: "" if kpi.value is None else str(kpi.value) for kpi in paid.kpis}
        row |= {column: str(value) for column, value in paid.numbers.items()}
        row |= paid.groups  # the text columns it was paid from: the queue that picks a KPI's curve
        expect = {code: str(amount) for code, amount in by_code(slip).items()} | {"gross": slip["gross"]}
        cases.append({"name": slip["agent_id"], "row": row, "expect": expect})
    return {
        "policy": str(ROOT / example.policy),
        **({"period": example.period} if example.period else {}),
        "cases": cases,
    }


def test_the_ledger_holds_the_runs_lines(example: Example, expected: Amounts, tmp_path: Path) -> None:
    """After --record, the ledger's current version of the period has every agent's lines and gross."""
    ledger = tmp_path / "pay.db"
    arguments = example.arguments()
    if "--period" not in arguments:
        arguments += ["--period", example.period]
    cspay("compute", *arguments, "--record", "--ledger", str(ledger), "--format", "csv", "--quiet")
    with Ledger(ledger) as book:
        current = book.current(example.period)
        assert current is not None
        found = {
            agent: [*(line.amount for line in lines), sum((line.amount for line in lines), Decimal(0))]
            for agent, lines in book.lines_of(current.id).items()
        }
        gross = {
            row["agent_id"]: Decimal(row["gross"])
            for row in book.rows("SELECT agent_id, gross FROM payslips WHERE run_id = ?", current.id)
        }
    assert expected == found
    assert {agent: amounts[-1] for agent, amounts in expected.items()} == gross


# ---- from gross to net: the deductions, net and employer lines of the example that has them -----------

NET = next(example for example in EXAMPLES if example.name == "net")
Deducted = dict[str, list[Decimal]]  # agent id -> each deduction in order, net, then each employer line


@pytest.fixture(scope="module")
def net_run() -> dict:
    return json.loads(cspay("compute", *NET.arguments(), "--format", "json", "--quiet"))


@pytest.fixture(scope="module")
def deducted(net_run: dict) -> Deducted:
    return {
        slip["agent_id"]: [
            *(Decimal(line["amount"]) for line in slip["deductions"]),
            Decimal(slip["net"]),
            *(Decimal(line["amount"]) for line in slip["employer"]),
        ]
        for slip in net_run["payslips"]
    }


def test_the_net_example_deducts_something_from_everyone(deducted: Deducted) -> None:
    """Every agent has contributions, a tax line, net and employer lines to compare."""
    assert len(deducted) >= 7 and all(len(amounts) >= 7 for amounts in deducted.values())


def test_csv_has_the_runs_deductions_and_net(net_run: dict, deducted: Deducted) -> None:
    """The CSV's columns after gross: each deduction, net, each employer contribution."""
    rows = list(csv.DictReader(io.StringIO(cspay("compute", *NET.arguments(), "--format", "csv", "--quiet"))))
    found = {}
    for row, slip in zip(rows, net_run["payslips"], strict=True):
        codes = [line["code"] for line in slip["deductions"]] + ["net"] + [line["code"] for line in slip["employer"]]
        found[row["agent_id"]] = [Decimal(row[code]) for code in codes]
    assert deducted == found


def test_xlsx_has_the_runs_deductions_and_net(net_run: dict, deducted: Deducted, tmp_path: Path) -> None:
    """The workbook's Payslips sheet: the columns after Gross, in the run's order, and its Summary's net."""
    book = tmp_path / "pay.xlsx"
    cspay("compute", *NET.arguments(), "--format", "xlsx", "--output", str(book), "--quiet", "--lang", "en")
    workbook = openpyxl.load_workbook(book)
    header, *rows = list(workbook["Payslips"].iter_rows(values_only=True))
    start = header.index("Gross") + 1
    found = {row[0]: [Decimal(str(cell)).normalize() for cell in row[start:]] for row in rows}
    assert {agent: [amount.normalize() for amount in amounts] for agent, amounts in deducted.items()} == found
    summary = {row[0]: row[3] for row in workbook["Summary"].iter_rows(values_only=True)}
    assert Decimal(net_run["summary"]["net"]) == Decimal(str(summary["Net"]))


def test_payslip_and_statements_show_the_runs_deductions_and_net(deducted: Deducted, tmp_path: Path) -> None:
    """payslip --all --format json explains the run's own deductions; each statement's deductions table ends
    with net, and the employer's table lists the run's employer lines."""
    data = json.loads(cspay("payslip", *NET.arguments(), "--all", "--format", "json"))
    explained = {
        slip["agent_id"]: [
            *(Decimal(line["amount"]) for line in slip["deductions"]["lines"]),
            Decimal(slip["deductions"]["net"]),
            *(Decimal(line["amount"]) for line in slip["deductions"]["employer"]),
        ]
        for slip in data["payslips"]
    }
    assert deducted == explained
    folder = tmp_path / "statements"
    cspay("statements", *NET.arguments(), "--out", str(folder))
    links = re.findall(r'href="([^"]+\.html)"', (folder / "index.html").read_text(encoding="utf-8"))
    shown = {}
    for agent, link in zip(deducted, links, strict=True):
        tables = [row for row in _rows((folder / link).read_text(encoding="utf-8")) if len(row) == 3]
        starts = [i for i, row in enumerate(tables) if row[0] == tables[0][0]]  # each lines table's header
        deductions, employer = tables[starts[1] + 1 : starts[2]], tables[starts[2] + 1 :]
        shown[agent] = [number(row[2]) for row in deductions] + [number(row[2]) for row in employer[:-1]]
    assert deducted == shown


def test_the_ledger_holds_the_runs_deductions_and_net(deducted: Deducted, tmp_path: Path) -> None:
    """After --record, the ledger has each agent's deductions, net and employer lines as the run had them."""
    ledger = tmp_path / "pay.db"
    cspay("compute", *NET.arguments(), "--record", "--ledger", str(ledger), "--format", "csv", "--quiet")
    with Ledger(ledger) as book:
        current = book.current(NET.period)
        assert current is not None
        lines = book.deductions_of(current.id)
        nets = {
            row["agent_id"]: Decimal(row["net"])
            for row in book.rows(
                "SELECT p.agent_id, w.net FROM withholding w JOIN payslips p ON p.id = w.payslip_id WHERE p.run_id = ?",
                current.id,
            )
        }
    found = {
        agent: [*(line.amount for line in taken), nets[agent], *(line.amount for line in paid)]
        for agent, (taken, paid) in lines.items()
    }
    assert deducted == found


# ---- a run with the ledger's own lines: a one-off adjustment and a correction settling a dispute ----------

REVIEW = str(ROOT / "policies/standard-review.yaml")
NOVEMBER = str(ROOT / "examples/standard-2026-11.csv")


@pytest.fixture(scope="module")
def december(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """December's arguments with a ledger holding an approved one-off adjustment of December and the approved
    correction of November (settling A002's dispute): lines no policy makes."""
    ledger = str(tmp_path_factory.mktemp("ledger") / "pay.db")
    on = ["--ledger", ledger]
    cspay("compute", REVIEW, NOVEMBER, "--period", "2026-11", "--record", *on, "--by", "Qin Hai", "--quiet")
    for step in (["approve", "2026-11"], ["close", "2026-11"]):
        cspay(*step, *on, "--by", "Kong Wen")
    cspay("dispute", "open", "2026-11", "A002", "--line", "bonus", "--claim", "Attendance", *on)
    cspay("dispute", "resolve", "1", "--accept", "--note", "Mis-keyed", *on, "--by", "Kong Wen")
    corrected = str(ROOT / "examples/standard-2026-11-corrected.csv")
    cspay("compute", REVIEW, corrected, "--period", "2026-11", "--record", "--correction", "--dispute", "1", *on,
          "--by", "Qin Hai", "--quiet")  # fmt: skip
    cspay("approve", "2026-11", *on, "--by", "Kong Wen")
    cspay("adjust", "add", "2026-12", "A017", "800", "--code", "retention_bonus", "--reason", "Peak", "--policy",
          REVIEW, *on, "--by", "Qin Hai")  # fmt: skip
    cspay("adjust", "approve", "1", *on, "--by", "Kong Wen")
    return [REVIEW, NOVEMBER, "--period", "2026-12", *on]


@pytest.fixture(scope="module")
def december_run(december: list[str]) -> dict:
    return json.loads(cspay("compute", *december, "--format", "json", "--quiet"))


@pytest.fixture(scope="module")
def december_amounts(december_run: dict) -> Amounts:
    found = {
        slip["agent_id"]: [*(Decimal(line["amount"]) for line in slip["lines"]), Decimal(slip["gross"])]
        for slip in december_run["payslips"]
    }
    codes = {line["code"] for slip in december_run["payslips"] for line in slip["lines"]}
    assert {"one_off.retention_bonus", "adjustment.correction"} <= codes  # the lines this part is about
    return found


def test_csv_has_the_ledgers_lines(december: list[str], december_run: dict, december_amounts: Amounts) -> None:
    """With the ledger's lines, the CSV's columns hold each payslip's lines and gross."""
    rows = list(csv.DictReader(io.StringIO(cspay("compute", *december, "--format", "csv", "--quiet"))))
    found = {
        row["agent_id"]: [*(Decimal(row[line["code"]]) for line in slip["lines"]), Decimal(row["gross"])]
        for row, slip in zip(rows, december_run["payslips"], strict=True)
    }
    assert december_amounts == found


def test_xlsx_has_the_ledgers_lines(
    december: list[str], december_run: dict, december_amounts: Amounts, tmp_path: Path
) -> None:
    """With the ledger's lines, the workbook's Payslips sheet holds each one in its column, and gross."""
    book = tmp_path / "pay.xlsx"
    cspay("compute", *december, "--format", "xlsx", "--output", str(book), "--quiet", "--lang", "en")
    header, *rows = list(openpyxl.load_workbook(book)["Payslips"].iter_rows(values_only=True))
    titles = {"one_off.retention_bonus": "Retention bonus", "adjustment.correction": "Correction of an earlier period"}
    labels = _labels(december_run) | titles
    found = {}
    for row, slip in zip(rows, december_run["payslips"], strict=True):
        cells = dict(zip(header, row, strict=True))
        amounts = [Decimal(str(cells[labels[line["code"]]])) for line in slip["lines"]]
        found[row[0]] = [amount.normalize() for amount in [*amounts, Decimal(str(cells["Gross"]))]]
    assert {agent: [a.normalize() for a in amounts] for agent, amounts in december_amounts.items()} == found


def test_payslip_and_statements_show_the_ledgers_lines(
    december: list[str], december_run: dict, december_amounts: Amounts, tmp_path: Path
) -> None:
    """payslip --all and each statement explain the same lines and gross as the run, the ledger's included."""
    data = json.loads(cspay("payslip", *december[:2], "--all", "--format", "json", *december[2:]))
    explained = {
        slip["agent_id"]: [*(Decimal(line["amount"]) for line in slip["lines"]), Decimal(slip["gross"])]
        for slip in data["payslips"]
    }
    assert december_amounts == explained
    folder = tmp_path / "statements"
    cspay("statements", *december, "--out", str(folder))
    links = re.findall(r'href="([^"]+\.html)"', (folder / "index.html").read_text(encoding="utf-8"))
    found = {}
    for slip, link in zip(december_run["payslips"], links, strict=True):
        rows = _rows((folder / link).read_text(encoding="utf-8"))
        start = next(i for i, row in enumerate(rows) if len(row) == 3) + 1
        found[slip["agent_id"]] = [number(row[2]) for row in rows[start : start + len(slip["lines"]) + 1]]
    assert december_amounts == found
