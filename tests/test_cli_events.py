"""`cspay metrics` and `cspay compute` on raw per-call exports: outputs, notes, exit codes, error lines."""

from __future__ import annotations

import csv
import io
import json
import os
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cspay.cli import app

DATA = Path(__file__).parent / "data" / "events"
POLICY, CALLS, ROSTER = str(DATA / "policy.yaml"), str(DATA / "calls.csv"), str(DATA / "roster.csv")
JANUARY = ["--period", "2021-01"]
ROWS_NOTE = f"{CALLS}: 6 rows read, 5 in 2021-01, 1 outside it and left out.\n"


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


# ---- cspay metrics -------------------------------------------------------------------------------


def test_metrics_table_shows_values_with_numerator_and_denominator(runner: CliRunner) -> None:
    """Each figure reads `value (numerator/denominator)`; a column with fractions shows 2 places."""
    result = runner.invoke(app, ["metrics", POLICY, CALLS, *JANUARY])
    assert 0 == result.exit_code, result.output
    row = next(line for line in result.stdout.splitlines() if "A1" in line)
    cells = [cell.strip() for cell in row.strip("│ ").split("│")]
    assert ["A1", "3", "2 (2/3)", "0.50 (1/2)", "4 (8/2)", "120 (240/2)"] == cells


def test_metrics_csv_has_value_numerator_and_denominator_columns(runner: CliRunner) -> None:
    """CSV gives every metric's value, numerator and denominator as exact numbers."""
    result = runner.invoke(app, ["metrics", POLICY, CALLS, *JANUARY, "--format", "csv"])
    assert 0 == result.exit_code, result.output
    assert ["agent_id,rows,answered,answered.numerator,answered.denominator,fcr,fcr.numerator,fcr.denominator,"
            "csat_mean,csat_mean.numerator,csat_mean.denominator,aht_sec,aht_sec.numerator,aht_sec.denominator",
            "A1,3,2,2,3,0.5,1,2,4,8,2,120,240,2",
            "A2,2,2,2,2,1,2,2,3,6,2,180,360,2"] == result.stdout.splitlines()  # fmt: skip


def test_metrics_json_keeps_decimal_strings_and_the_period(runner: CliRunner) -> None:
    """JSON carries each figure's parts as decimal strings, the period's bounds and the rows left out."""
    result = runner.invoke(app, ["metrics", POLICY, CALLS, *JANUARY, "--format", "json"])
    data = json.loads(result.stdout)
    assert {"label": "2021-01", "first": "2021-01-01", "last": "2021-01-31"} == data["period"]
    assert (6, 1, None) == (data["rows_read"], data["rows_outside"], data["roster"])
    assert {"value": "0.5", "numerator": "1", "denominator": "2"} == data["agents"][0]["figures"]["fcr"]


def test_metrics_reports_rows_outside_the_period(runner: CliRunner) -> None:
    """The rows read, those in the period and those left out are counted on stderr."""
    assert ROWS_NOTE == runner.invoke(app, ["metrics", POLICY, CALLS, *JANUARY]).stderr


def test_metrics_reports_agents_on_one_side_of_the_roster(runner: CliRunner, tmp_path: Path) -> None:
    """An exported agent missing from the roster, and a roster agent without calls, are both named."""
    roster = write(tmp_path, "roster.csv", "agent_id,name,role,team,worked_days\nA1,Ann,L1,N,20\nC9,Cy,L1,N,20\n")
    result = runner.invoke(app, ["metrics", POLICY, CALLS, *JANUARY, "--roster", roster])
    assert 0 == result.exit_code, result.output
    assert (
        ROWS_NOTE
        + f"In the export but not in the roster {roster} for 2021-01: A2; "
        + "compute refuses to run until they are added.\n"
        + "In the roster but with no rows in 2021-01: C9; their metrics are empty.\n"
    ) == result.stderr


def test_metrics_json_lists_roster_differences(runner: CliRunner, tmp_path: Path) -> None:
    """JSON names the roster and the agents found on one side only."""
    roster = write(tmp_path, "roster.csv", "agent_id,name,role,team,worked_days\nA1,Ann,L1,N,20\nC9,Cy,L1,N,20\n")
    result = runner.invoke(app, ["metrics", POLICY, CALLS, *JANUARY, "--roster", roster, "--format", "json"])
    assert {"source": roster, "not_in_roster": ["A2"], "without_rows": ["C9"]} == json.loads(result.stdout)["roster"]


def test_metrics_output_is_written_and_never_replaced_without_force(runner: CliRunner, tmp_path: Path) -> None:
    """--output writes the file; a second run without --force refuses to replace it."""
    target = tmp_path / "january.csv"
    first = runner.invoke(app, ["metrics", POLICY, CALLS, *JANUARY, "-f", "csv", "-o", str(target)])
    assert (0, f"Wrote the metrics of 2 agents to {target}.") == (first.exit_code, first.stderr.splitlines()[-1])
    second = runner.invoke(app, ["metrics", POLICY, CALLS, *JANUARY, "-f", "csv", "-o", str(target)])
    assert (1, f"Error: {target}: the file exists; pass --force to replace it\n") == (second.exit_code, second.stderr)


def test_metrics_needs_a_period(runner: CliRunner) -> None:
    """--period is required: without it the command is a usage error."""
    result = runner.invoke(app, ["metrics", POLICY, CALLS])
    assert 2 == result.exit_code and "--period" in result.stderr


def test_metrics_refuses_a_period_it_cannot_read(runner: CliRunner) -> None:
    """A period that is not a month, quarter or year exits 2 saying what is expected."""
    result = runner.invoke(app, ["metrics", POLICY, CALLS, "--period", "January"])
    assert 2 == result.exit_code and "expected a month like 2021-01" in result.stderr


def test_metrics_on_a_policy_without_a_metrics_section(runner: CliRunner) -> None:
    """A policy that derives nothing is an error naming the policy file."""
    policy = str(Path(__file__).parent / "data" / "standard.yaml")
    result = runner.invoke(app, ["metrics", policy, CALLS, *JANUARY])
    assert (
        1,
        f"Error: {policy}: the policy has no metrics: section, so there is nothing to derive; add one that "
        f"names the export's columns and each metric\n",
    ) == (result.exit_code, result.stderr)


# ---- cspay compute from a raw export -------------------------------------------------------------


def test_compute_pays_from_the_raw_export(runner: CliRunner) -> None:
    """fcr 1/2 and aht 120 s score 0.9 (B); fcr 2/2 and aht 180 s score 1.3 (A), prorated 10 of 20 days."""
    result = runner.invoke(app, ["compute", POLICY, CALLS, *JANUARY, "--roster", ROSTER, "--format", "csv"])
    assert 0 == result.exit_code, result.output
    assert ["agent_id,name,role,team,score,grade,action,base_pay,bonus,gross",
            "A1,Ann,L1,North,0.9000,B,,5000.00,1000.00,6000.00",
            "A2,Bo,L2,South,1.3000,A,,3000.00,720.00,3720.00"] == result.stdout.splitlines()  # fmt: skip


def test_compute_from_export_with_metrics_file_gives_the_same_pay(runner: CliRunner) -> None:
    """A policy whose metrics: section lives in its own file pays the same as the inline one."""
    by_file = str(DATA / "policy-by-file.yaml")
    runs = [runner.invoke(app, ["compute", policy, CALLS, *JANUARY, "--roster", ROSTER, "-f", "csv"]).stdout
            for policy in (POLICY, by_file)]  # fmt: skip
    assert runs[0] == runs[1]


def test_compute_from_export_as_json_and_table(runner: CliRunner) -> None:
    """The JSON and table outputs work on a raw export too; the payslip row is the roster line."""
    run = runner.invoke(app, ["compute", POLICY, CALLS, *JANUARY, "--roster", ROSTER, "-f", "json"])
    slips = json.loads(run.stdout)["payslips"]
    assert [("A1", 2, "6000.00"), ("A2", 3, "3720.00")] == [(s["agent_id"], s["row"], s["gross"]) for s in slips]
    table = runner.invoke(app, ["compute", POLICY, CALLS, *JANUARY, "--roster", ROSTER])
    assert 0 == table.exit_code and "3,720.00" in table.stdout


@pytest.mark.parametrize(
    ("arguments", "error"),
    [
        ([*JANUARY], "--roster: the policy derives its metrics from a raw export; give the roster of the "
                     "agents' roles and worked days"),
        (["--roster", ROSTER], "--period: the policy derives its metrics from a raw export; give the period to "
                               "pay, like 2021-01"),
        (["--period", "2021-1x", "--roster", ROSTER], '--period: period "2021-1x": expected a month like 2021-01, '
                                                      "a quarter like 2021-Q1 or a year"),
    ],
    ids=["no roster", "no period", "unreadable period"],
)  # fmt: skip
def test_compute_from_export_needs_roster_and_period(runner: CliRunner, arguments: list[str], error: str) -> None:
    """Without --roster or --period, or with a period that cannot be read, compute is a usage error."""
    result = runner.invoke(app, ["compute", POLICY, CALLS, *arguments])
    assert (2, f"Error: Invalid value for {error}") == (result.exit_code, result.stderr.splitlines()[-1])


def test_compute_refuses_a_quarter_for_a_monthly_policy(runner: CliRunner) -> None:
    """A monthly policy paid from a quarter's calls would pay three months of work as one."""
    result = runner.invoke(app, ["compute", POLICY, CALLS, "--period", "2021-Q1", "--roster", ROSTER])
    assert 2 == result.exit_code
    assert "is a quarter, but the policy" in result.stderr and "has period: month" in result.stderr


def test_compute_roster_joins_only_a_months_metrics_file(runner: CliRunner) -> None:
    """--roster on a quarterly policy that reads agent-level metrics is a usage error: a roster adds its
    columns to one month's metrics file (test_net.py pays a month with one)."""
    policy = str(Path(__file__).parent / "data" / "quarterly.yaml")
    result = runner.invoke(app, ["compute", policy, CALLS, "--period", "2021-Q1", "--roster", ROSTER])
    assert 2 == result.exit_code and "a roster adds columns to one month's metrics file" in result.stderr


def test_compute_refuses_a_period_without_rows(runner: CliRunner) -> None:
    """A month the export has no calls for is a mistake in --period, reported once, not per agent."""
    result = runner.invoke(app, ["compute", POLICY, CALLS, "--period", "2021-03", "--roster", ROSTER])
    assert (1, f"Error: {CALLS}: none of its 6 rows is dated in 2021-03 (2021-03-01 to 2021-03-31); check --period\n"
            ) == (result.exit_code, result.stderr)  # fmt: skip


def test_compute_refuses_an_exported_agent_missing_from_the_roster(runner: CliRunner, tmp_path: Path) -> None:
    """An agent with calls but no roster line cannot be paid: exit 1 naming the agent."""
    roster = write(tmp_path, "roster.csv", "agent_id,name,role,team,worked_days\nA1,Ann,L1,North,20\n")
    result = runner.invoke(app, ["compute", POLICY, CALLS, *JANUARY, "--roster", roster])
    assert (
        1,
        f'Error: {roster}: no line for agent "A2" in 2021-01, who has 2 rows in {CALLS} that month; add one so their '
        f"pay can be computed\n",
    ) == (result.exit_code, result.stderr)


def test_compute_reports_a_bad_roster_cell_at_its_row(runner: CliRunner, tmp_path: Path) -> None:
    """Roster cells are read like a metrics file: an unknown role names the roster file and row."""
    roster = write(tmp_path, "roster.csv", "agent_id,name,role,team,worked_days\nA1,Ann,L1,North,20\n"
                                           "A2,Bo,L9,South,10\n")  # fmt: skip
    result = runner.invoke(app, ["compute", POLICY, CALLS, *JANUARY, "--roster", roster])
    assert 1 == result.exit_code
    assert [ROWS_NOTE.strip(), f'Error: {roster}: row 3, column "role": unknown role "L9", expected one of L1, L2'
            ] == result.stderr.splitlines()  # fmt: skip


def test_compute_names_a_policy_column_no_source_gives(runner: CliRunner, tmp_path: Path) -> None:
    """A column the policy reads that is neither derived nor in the roster is named before any pay."""
    roster = write(tmp_path, "roster.csv", "agent_id,name,role,team,days\nA1,Ann,L1,North,20\nA2,Bo,L2,South,10\n")
    result = runner.invoke(app, ["compute", POLICY, CALLS, *JANUARY, "--roster", roster])
    assert (1, f'Error: {POLICY}: proration reads column "worked_days", which is neither a derived metric '
               f"(answered, fcr, csat_mean, aht_sec) nor a column of {roster} (agent_id, name, role, team, days)\n"
            ) == (result.exit_code, result.stderr)  # fmt: skip


# ---- the PwC export and the shipped example (the README's commands) ------------------------------

ROOT = Path(__file__).resolve().parents[1]
PWC_POLICY, PWC_ROSTER = ROOT / "examples" / "pwc" / "policy.yaml", ROOT / "examples" / "pwc" / "roster.csv"


def recount(path: Path, month: str) -> dict[str, list[Decimal]]:
    """Per agent: answered, resolved, rated, top-2-box count, rating, talk and answer seconds, summed plainly."""
    sums: dict[str, list[Decimal]] = defaultdict(lambda: [Decimal(0)] * 7)
    with path.open(encoding="utf-8-sig", newline="") as file:
        for row in csv.DictReader(file):
            if not row["Date"].startswith(month):
                continue
            counts, rating = sums[row["Agent"]], row["Satisfaction rating"]
            if rating:
                counts[2] += 1
                counts[3] += int(rating) >= 4
                counts[4] += int(rating)
            if row["Answered (Y/N)"] == "Y":
                hours, minutes, seconds = (int(part) for part in row["AvgTalkDuration"].split(":"))
                counts[0] += 1
                counts[1] += row["Resolved"] == "Y"
                counts[5] += hours * 3600 + minutes * 60 + seconds
                counts[6] += int(row["Speed of answer in seconds"])
    return sums


def test_pwc_metrics_csv_matches_a_plain_recount(runner: CliRunner, pwc_csv: Path) -> None:
    """January's answered, resolved, fcr, csat mean and top-2-box, talk and answer times equal a csv-module recount."""
    result = runner.invoke(app, ["metrics", str(PWC_POLICY), str(pwc_csv), *JANUARY, "--format", "csv"])
    assert 0 == result.exit_code, result.output
    derived = {row["agent_id"]: row for row in csv.DictReader(io.StringIO(result.stdout))}
    expected, got = {}, {}
    for agent, (answered, resolved, rated, top2, rating, talk, speed) in recount(pwc_csv, "2021-01").items():
        expected[agent] = [
            answered,
            resolved,
            resolved / answered,
            rating / rated,
            100 * top2 / rated,
            talk / answered,
            speed / answered,
        ]
        got[agent] = [Decimal(derived[agent][name]) for name in
                      ("answered", "resolved", "fcr", "csat_mean", "csat_top2", "aht_sec", "asa_sec")]  # fmt: skip
    assert expected == got


@pytest.mark.parametrize("month", ["2021-01", "2021-02", "2021-03"])
def test_pwc_example_roster_matches_the_export_every_month(runner: CliRunner, pwc_csv: Path, month: str) -> None:
    """The shipped roster lists exactly the export's agents: the only note is the count of rows."""
    result = runner.invoke(app, ["metrics", str(PWC_POLICY), str(pwc_csv), "--period", month,
                                 "--roster", str(PWC_ROSTER), "--format", "csv"])  # fmt: skip
    assert (0, 9) == (result.exit_code, len(result.stdout.splitlines()))
    assert [f"{pwc_csv}: 5,000 rows read,"] == [line[: len(str(pwc_csv)) + 18] for line in result.stderr.splitlines()]


@pytest.fixture(scope="module")
def pwc_january(pwc_csv: Path) -> dict:
    result = CliRunner().invoke(app, ["compute", str(PWC_POLICY), str(pwc_csv), *JANUARY, "--roster", str(PWC_ROSTER),
                                      "--format", "json"])  # fmt: skip
    assert 0 == result.exit_code, result.output
    return json.loads(result.stdout)


def test_pwc_compute_pays_all_eight_agents_plausibly(pwc_january: dict) -> None:
    """Every roster agent gets a payslip between 4,000 and 7,500 CHF, the bonus within its cap."""
    slips = pwc_january["payslips"]
    assert 8 == len(slips)
    assert all(Decimal(4000) <= Decimal(slip["gross"]) <= Decimal(7500) for slip in slips)
    bonuses = [(Decimal(line["amount"]), Decimal(slip["target_bonus"]))
               for slip in slips for line in slip["lines"] if line["code"] == "bonus"]  # fmt: skip
    assert 8 == len(bonuses) and all(bonus <= Decimal("1.5") * target for bonus, target in bonuses)


def test_pwc_compute_pays_dan_as_worked_by_hand(pwc_january: dict) -> None:
    """Dan (L2), January: fcr 177/190, top-2-box 95/190 = 50%, talk 45,107/190 s, answer 12,721/190 s.

    fcr 0.93158 scores 1 + 0.5 × 0.03158/0.05 = 1.31579; csat 50 is on target, 1.0; talk 237.41 s scores
    0.5 + 0.5 × 22.59/30 = 0.87658; answer 66.95 s scores 1 + 0.5 × 1.05/12 = 1.04364. Score
    (35 × 1.31579 + 35 × 1.0 + 15 × 0.87658 + 15 × 1.04364) / 100 = 1.0985, grade A: bonus 12% of 5,300
    × 1.2 = 763.20; with base 5,300 and meal 180, gross 6,243.20 CHF.
    """
    dan = next(slip for slip in pwc_january["payslips"] if slip["agent_id"] == "Dan")
    lines = {line["code"]: line["amount"] for line in dan["lines"]}
    assert ("1.0985", "A", "6243.20") == (dan["score"][:6], dan["grade"], dan["gross"])
    assert {"base_pay": "5300.00", "allowance.meal": "180.00", "bonus": "763.20"} == lines


def test_metrics_speaks_chinese_with_lang_zh(runner: CliRunner) -> None:
    """--lang zh gives cspay's own words from the Chinese catalog."""
    result = runner.invoke(app, ["metrics", POLICY, CALLS, *JANUARY, "--lang", "zh"])
    assert (0, f"{CALLS}：读取 6 行，2021-01 内 5 行，期外 1 行未计入。\n") == (result.exit_code, result.stderr)


# ---- the query for a warehouse, and figures derived there ---------------------------------------------


def derived_in_duckdb(tmp_path: Path, policy: str, export: str, period: str) -> Path:
    """`cspay metrics --sql` for DuckDB, run by DuckDB on the export loaded as a table, saved as CSV."""
    import duckdb

    sql = CliRunner().invoke(app, ["metrics", policy, "--sql", "--period", period, "--table", "calls"]).stdout
    result = tmp_path / "derived.csv"
    with duckdb.connect() as con:
        con.execute(f"CREATE TABLE calls AS SELECT * FROM read_csv('{export}', all_varchar = true)")
        con.execute(f"COPY ({sql.rstrip().rstrip(';')}) TO '{result}' (HEADER)")
    return result


@pytest.mark.parametrize("dialect", ["duckdb", "spark", "trino", "bigquery", "postgres"])
def test_metrics_sql_prints_the_query_for_each_dialect(runner: CliRunner, dialect: str) -> None:
    """--sql prints a heading saying what the query is for, then the query translated for the dialect."""
    result = runner.invoke(app, ["metrics", POLICY, "--sql", "--dialect", dialect, *JANUARY])
    assert 0 == result.exit_code, result.output
    assert result.stdout.startswith("-- The metrics of events-test 1") and result.stdout.rstrip().endswith(";")


@pytest.mark.parametrize(
    ("arguments", "error"),
    [
        ([CALLS, "--sql"], "Invalid value for EVENTS: --sql prints the query and reads no export; leave EVENTS out"),
        (["--sql", "-f", "csv"], "Invalid value for --format: --sql prints SQL; --format applies to the derived "
                                 "metrics"),
        ([], "Invalid value for EVENTS: give the raw export, or --sql to print the query instead"),
        (["--sql", "--dialect", "oracle"], "'oracle' is not one of 'duckdb', 'spark', 'trino', 'bigquery', 'postgres'"),
    ],
    ids=["export with --sql", "format with --sql", "no export", "unknown dialect"],
)  # fmt: skip
def test_metrics_sql_usage_errors(runner: CliRunner, arguments: list[str], error: str) -> None:
    """--sql reads no export and writes SQL: an export, a format or an unknown dialect is a usage error."""
    result = runner.invoke(app, ["metrics", POLICY, *arguments, *JANUARY])
    assert 2 == result.exit_code and error in result.stderr


def test_metrics_sql_is_written_to_output(runner: CliRunner, tmp_path: Path) -> None:
    """--sql --output writes the query to a file, as every output is written."""
    target = tmp_path / "metrics.sql"
    result = runner.invoke(app, ["metrics", POLICY, "--sql", *JANUARY, "-o", str(target)])
    assert (0, "SELECT") == (result.exit_code, target.read_text(encoding="utf-8").split("\n")[3].strip())


def test_compute_from_warehouse_figures_pays_as_from_the_export(runner: CliRunner, tmp_path: Path) -> None:
    """The --sql query's result, read with --derived, pays every agent what the raw export pays them."""
    derived = derived_in_duckdb(tmp_path, POLICY, CALLS, "2021-01")
    from_export = runner.invoke(app, ["compute", POLICY, CALLS, *JANUARY, "--roster", ROSTER, "-f", "csv"])
    from_derived = runner.invoke(app, ["compute", POLICY, "--derived", str(derived), *JANUARY, "--roster", ROSTER,
                                       "-f", "csv"])  # fmt: skip
    assert (0, from_export.stdout) == (from_derived.exit_code, from_derived.stdout)
    assert f"{derived}: figures of 2 agents in 2021-01, derived elsewhere from 5 rows.\n" == from_derived.stderr


def test_pwc_quarter_from_warehouse_figures_pays_as_from_the_export(runner: CliRunner, pwc_csv: Path,
                                                                    tmp_path: Path) -> None:  # fmt: skip
    """The PwC quarter paid from the warehouse query's result is the quarter paid from the export."""
    policy, roster = (
        str(ROOT / "examples" / "pwc" / "policy-quarterly.yaml"),
        str(ROOT / "examples" / "pwc" / "roster-2021q1.csv"),
    )
    derived = derived_in_duckdb(tmp_path, policy, str(pwc_csv), "2021-Q1")
    quarter = ["--period", "2021-Q1", "--roster", roster, "-f", "csv"]
    from_export = runner.invoke(app, ["compute", policy, str(pwc_csv), *quarter])
    from_derived = runner.invoke(app, ["compute", policy, "--derived", str(derived), *quarter])
    assert (0, 0, from_export.stdout) == (from_export.exit_code, from_derived.exit_code, from_derived.stdout)


def test_metrics_csv_is_accepted_as_derived_figures(runner: CliRunner, tmp_path: Path) -> None:
    """A `cspay metrics --format csv` file is a file of derived metrics too: payslip and statements read it."""
    derived = tmp_path / "january.csv"
    runner.invoke(app, ["metrics", POLICY, CALLS, *JANUARY, "-f", "csv", "-o", str(derived)])
    inputs = ["--derived", str(derived), *JANUARY, "--roster", ROSTER]
    slip = runner.invoke(app, ["payslip", POLICY, "A2", *inputs, "-f", "json"])
    pages = runner.invoke(app, ["statements", POLICY, *inputs, "--out", str(tmp_path / "pages")])
    assert (0, "3720.00", 0) == (slip.exit_code, json.loads(slip.stdout)["payslips"][0]["gross"], pages.exit_code)


def test_compare_reads_derived_figures(runner: CliRunner, tmp_path: Path) -> None:
    """compare runs both policies on a file of derived metrics as on the export."""
    derived = derived_in_duckdb(tmp_path, POLICY, CALLS, "2021-01")
    options = [*JANUARY, "--roster", ROSTER, "-f", "csv"]
    from_export = runner.invoke(app, ["compare", POLICY, POLICY, CALLS, *options])
    from_derived = runner.invoke(app, ["compare", POLICY, POLICY, "--derived", str(derived), *options])
    assert (0, from_export.stdout) == (from_derived.exit_code, from_derived.stdout)


@pytest.mark.parametrize(
    ("arguments", "error"),
    [
        ([CALLS, "--derived", CALLS], "Invalid value for --derived: gives the derived metrics in place of the raw "
                                      "export: leave METRICS out"),
        ([], "Invalid value for METRICS...: give the metrics file(s), or --derived FILE"),
        (["--derived", CALLS, "--memory-limit", "lots"], "Invalid value for --memory-limit: expected an amount like "
                                                         '512MB or 2GB, got "lots"'),
    ],
    ids=["both", "neither", "memory limit"],
)  # fmt: skip
def test_compute_derived_usage_errors(runner: CliRunner, arguments: list[str], error: str) -> None:
    """--derived replaces the export; giving both, or neither, or a memory limit that is no amount, is exit 2."""
    result = runner.invoke(app, ["compute", POLICY, *arguments, *JANUARY, "--roster", ROSTER])
    assert (2, f"Error: {error}") == (result.exit_code, result.stderr.splitlines()[-1])


def test_compute_derived_needs_a_metrics_policy(runner: CliRunner) -> None:
    """A policy without a metrics: section has no metric list to check derived figures against."""
    policy = str(Path(__file__).parent / "data" / "standard.yaml")
    result = runner.invoke(app, ["compute", policy, "--derived", CALLS, *JANUARY])
    assert 2 == result.exit_code and "needs a policy with a metrics: section" in result.stderr


def test_metrics_reads_a_parquet_export(runner: CliRunner, tmp_path: Path) -> None:
    """A Parquet export gives the CSV export's audit file."""
    import duckdb

    parquet = tmp_path / "calls.parquet"
    duckdb.execute(f"COPY (SELECT * FROM read_csv('{CALLS}', all_varchar = true)) TO '{parquet}' (FORMAT parquet)")
    runs = [
        runner.invoke(app, ["metrics", POLICY, path, *JANUARY, "-f", "csv"]).stdout for path in (CALLS, str(parquet))
    ]
    assert runs[0] == runs[1]


def test_memory_limit_and_threads_are_taken_from_the_environment(runner: CliRunner) -> None:
    """CSPAY_MEMORY_LIMIT and CSPAY_THREADS set the engine for a cron job as the options would."""
    result = runner.invoke(app, ["metrics", POLICY, CALLS, *JANUARY], env={"CSPAY_MEMORY_LIMIT": "tiny"})
    assert 2 == result.exit_code and 'expected an amount like 512MB or 2GB, got "tiny"' in result.stderr


def _not_regular(tmp_path: Path, kind: str) -> str:
    """A path that is not a regular file: a device, a named pipe, or a link to a device."""
    if kind == "device":
        return "/dev/zero"
    if kind == "pipe":
        path = tmp_path / "calls.csv"
        os.mkfifo(path)
        return str(path)
    link = tmp_path / "calls-link.csv"
    link.symlink_to("/dev/urandom")
    return str(link)


@pytest.mark.parametrize("kind", ["device", "pipe", "link-to-device"])
@pytest.mark.parametrize("where", ["metrics", "compute", "derived"])
def test_an_export_that_is_not_a_regular_file_is_refused(
    runner: CliRunner, tmp_path: Path, kind: str, where: str
) -> None:
    """A device or a pipe as the export (or derived file) is refused at once with exit 2, never read without end."""
    path = _not_regular(tmp_path, kind)
    command = {
        "metrics": ["metrics", POLICY, path, *JANUARY],
        "compute": ["compute", POLICY, path, *JANUARY, "--roster", ROSTER],
        "derived": ["compute", POLICY, "--derived", path, *JANUARY, "--roster", ROSTER],
    }[where]
    result = runner.invoke(app, command)
    assert 2 == result.exit_code, result.output
    assert f"{path}: is not a regular file" in " ".join(result.output.split())


def test_a_run_from_warehouse_figures_is_recorded_with_its_file(runner: CliRunner, tmp_path: Path) -> None:
    """compute --record from --derived records the run, and the ledger names the file as derived metrics."""
    import sqlite3

    derived = derived_in_duckdb(tmp_path, POLICY, CALLS, "2021-01")
    ledger = tmp_path / "pay.db"
    result = runner.invoke(app, ["compute", POLICY, "--derived", str(derived), *JANUARY, "--roster", ROSTER,
                                 "--record", "--ledger", str(ledger), "--quiet"])  # fmt: skip
    assert 0 == result.exit_code, result.output
    with sqlite3.connect(ledger) as db:
        kinds = db.execute("SELECT kind, path FROM run_inputs ORDER BY rowid").fetchall()
    assert [("derived", str(derived)), ("roster", ROSTER)] == kinds
