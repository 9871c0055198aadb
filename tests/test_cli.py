"""The command line: output formats, exit codes and the exact error lines users see."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path

import pytest

from cspay.cli import app

DATA = Path(__file__).parent / "data"
POLICY = str(DATA / "standard.yaml")
MONTH = str(DATA / "month.csv")


def test_compute_prints_table_and_summary(runner):
    """The default table shows each agent's gross and the run's summary."""
    result = runner.invoke(app, ["compute", POLICY, MONTH])
    assert 0 == result.exit_code, result.output
    assert "7,940.00" in result.output
    assert "Headcount" in result.output and "Total gross (CNY)" in result.output


def test_compute_csv_to_stdout(runner):
    """CSV has the documented header and one row per agent."""
    result = runner.invoke(app, ["compute", POLICY, MONTH, "--format", "csv"])
    assert 0 == result.exit_code, result.output
    lines = result.stdout.splitlines()
    assert (
        "agent_id,name,role,team,score,grade,action,base_pay,allowance.meal,allowance.transport,"
        "bonus,adjustment.complaints,adjustment.volume,floor,gross"
    ) == lines[0]
    assert 5 == len(lines)


def test_compute_json_amounts_are_strings(runner):
    """JSON carries amounts as decimal strings and the policy's identity."""
    result = runner.invoke(app, ["compute", POLICY, MONTH, "--format", "json"])
    data = json.loads(result.stdout)
    assert "cs-standard" == data["policy"]
    assert "7940.00" == data["payslips"][0]["gross"]
    assert 4 == data["summary"]["headcount"]


def test_bad_policy_exits_1_with_located_error(runner, tmp_path):
    """A policy with a wrong value prints one Error line with file:line:col and exits 1."""
    policy = tmp_path / "p.yaml"
    policy.write_text(
        (DATA / "standard.yaml").read_text(encoding="utf-8").replace("base_pay: 5200", "base_pay: lots"),
        encoding="utf-8",
    )
    result = runner.invoke(app, ["compute", str(policy), MONTH])
    assert 1 == result.exit_code
    assert f"Error: {policy}:18:15: roles.L1.base_pay: expected a number, got 'lots'\n" == result.stderr


def test_bad_cell_exits_1_naming_row_and_column(runner, tmp_path):
    """A bad metrics cell is reported with its row (line in the file) and column."""
    metrics = tmp_path / "m.csv"
    metrics.write_text(Path(MONTH).read_text(encoding="utf-8").replace("0.7,400", "1.7,400"), encoding="utf-8")
    result = runner.invoke(app, ["compute", POLICY, str(metrics)])
    assert 1 == result.exit_code
    assert (
        f'Error: {metrics}: row 4, column "fcr": got "1.7", expected a ratio between 0 and 1, like 0.81 or 81%\n'
    ) == result.stderr


def test_unknown_option_is_usage_error(runner):
    """An unknown option exits 2, as usage errors do."""
    assert 2 == runner.invoke(app, ["compute", POLICY, MONTH, "--colour"]).exit_code


def test_unknown_format_is_usage_error(runner):
    """An unknown --format value exits 2."""
    assert 2 == runner.invoke(app, ["compute", POLICY, MONTH, "--format", "xml"]).exit_code


def test_output_with_table_format_is_usage_error(runner, tmp_path):
    """--output without a file format exits 2 and writes nothing."""
    target = tmp_path / "out.txt"
    assert 2 == runner.invoke(app, ["compute", POLICY, MONTH, "--output", str(target)]).exit_code
    assert not target.exists()


def test_existing_output_is_not_replaced_without_force(runner, tmp_path):
    """An existing file is left as it was and the run exits 1."""
    target = tmp_path / "pay.csv"
    target.write_text("last month\n", encoding="utf-8")
    result = runner.invoke(app, ["compute", POLICY, MONTH, "-f", "csv", "-o", str(target)])
    assert 1 == result.exit_code
    assert f"Error: {target}: the file exists; pass --force to replace it\n" == result.stderr
    assert "last month\n" == target.read_text(encoding="utf-8")


def test_force_replaces_output(runner, tmp_path):
    """--force replaces the file with the new run and leaves no temporary file behind."""
    target = tmp_path / "pay.csv"
    target.write_text("last month\n", encoding="utf-8")
    result = runner.invoke(app, ["compute", POLICY, MONTH, "-f", "csv", "-o", str(target), "--force"])
    assert 0 == result.exit_code, result.output
    assert target.read_text(encoding="utf-8").startswith("agent_id,")
    assert ["pay.csv"] == [p.name for p in tmp_path.iterdir() if p.suffix != ".lock"]  # the lock file stays


def test_bad_data_leaves_existing_output_intact(runner, tmp_path):
    """When a row is bad, nothing is written, even with --force."""
    target = tmp_path / "pay.csv"
    target.write_text("last month\n", encoding="utf-8")
    metrics = tmp_path / "m.csv"
    metrics.write_text(Path(MONTH).read_text(encoding="utf-8") + "A009,X,L9,N,1,1,1,1,1,1,1,1,1\n", encoding="utf-8")
    result = runner.invoke(app, ["compute", POLICY, str(metrics), "-f", "csv", "-o", str(target), "--force"])
    assert 1 == result.exit_code
    assert "last month\n" == target.read_text(encoding="utf-8")
    assert {"pay.csv", "m.csv"} == {p.name for p in tmp_path.iterdir() if p.suffix != ".lock"}


def test_missing_output_folder_fails_before_reading(runner, tmp_path):
    """An output in a folder that does not exist is refused up front."""
    target = tmp_path / "nowhere" / "pay.csv"
    result = runner.invoke(app, ["compute", POLICY, MONTH, "-f", "csv", "-o", str(target)])
    assert 1 == result.exit_code
    assert f"the folder {target.parent} does not exist" in result.stderr


def test_validate_policy_ok_line(runner):
    """A valid policy gets one summary line and exit 0."""
    result = runner.invoke(app, ["validate-policy", POLICY])
    assert 0 == result.exit_code
    assert f"{POLICY}: ok: cs-standard 2026.11, 2 roles, 4 KPIs, 5 grades, 2 gates, 2 adjustments\n" == result.stdout


def test_validate_policy_json_lists_located_errors(runner, tmp_path):
    """--format json gives each error's file, line, column and message."""
    policy = tmp_path / "p.yaml"
    policy.write_text(
        (DATA / "standard.yaml").read_text(encoding="utf-8").replace("weight: 35", "wieght: 35"), encoding="utf-8"
    )
    result = runner.invoke(app, ["validate-policy", str(policy), "--format", "json"])
    assert 1 == result.exit_code
    report = json.loads(result.stdout)[0]
    assert report["valid"] is False
    messages = [(e["line"], e["message"]) for e in report["errors"]]
    line = 1 + policy.read_text(encoding="utf-8").splitlines().index("    wieght: 35")
    assert (line, "kpis.csat.wieght: unknown key 'wieght'; did you mean 'weight'?") in messages


def test_internal_error_shows_no_data(runner, monkeypatch):
    """An unexpected exception prints a one-line internal error without values or traceback."""
    import cspay.engine.compiled

    def explode(self, role, bonus, holds, worked):
        secret = (role, bonus)  # noqa: F841 - a local that must never be printed
        raise ZeroDivisionError("boom")

    # Every way of paying a row (the general way, row by row, column by column) calls pay_lines.
    monkeypatch.setattr(cspay.engine.compiled.Engine, "pay_lines", explode)
    monkeypatch.delenv("CSPAY_DEBUG", raising=False)
    result = runner.invoke(app, ["compute", POLICY, MONTH])
    assert 1 == result.exit_code
    assert result.stderr.startswith("Error: internal error (ZeroDivisionError at ")
    assert "A001" not in result.output and "Traceback" not in result.output


def test_help_lists_commands(runner):
    """Every command appears in --help with its one-line description."""
    result = runner.invoke(app, ["--help"])
    assert 0 == result.exit_code
    assert "compute" in result.output and "validate-policy" in result.output


def test_names_with_rich_markup_are_shown_as_written(runner, tmp_path):
    """A name like "[bold]Li[/bold]" or ":smile:" is printed as text, not obeyed as markup or emoji."""
    metrics = tmp_path / "m.csv"
    text = Path(MONTH).read_text(encoding="utf-8").replace("Wang Fang", "[bold]Li[/bold] :smile:")
    metrics.write_text(text, encoding="utf-8")
    result = runner.invoke(app, ["compute", POLICY, str(metrics)])
    assert 0 == result.exit_code, result.output
    assert "[bold]Li[/bold] :smile:" in result.stdout


def test_bom_starts_the_csv_with_a_byte_order_mark(runner, tmp_path):
    """--bom writes UTF-8 with a BOM, which Excel on Chinese Windows needs to read 李娜 correctly."""
    target = tmp_path / "pay.csv"
    result = runner.invoke(app, ["compute", POLICY, MONTH, "-f", "csv", "-o", str(target), "--bom"])
    assert 0 == result.exit_code, result.output
    data = target.read_bytes()
    assert data.startswith(b"\xef\xbb\xbfagent_id,") and "李娜".encode() in data


def test_bom_without_csv_is_usage_error(runner):
    """--bom means nothing for a table, so it is refused."""
    assert 2 == runner.invoke(app, ["compute", POLICY, MONTH, "--bom"]).exit_code


def test_version_prints_the_one_version(runner):
    """`cspay --version` prints the version the package declares (cspay.__version__, read by the build too)."""
    from importlib.metadata import version

    from cspay import __version__

    result = runner.invoke(app, ["--version"])
    assert 0 == result.exit_code, result.output
    assert f"cspay {__version__}\n" == result.stdout
    assert version("cspay") == __version__


@pytest.mark.parametrize("encoding", ["rot13", "base64", "hex", "zip", "idna", "uu", "klingon"])
@pytest.mark.parametrize("command", ["compute", "statements", "compare", "review"])
def test_encoding_that_is_not_a_text_encoding_is_bad_usage(runner, tmp_path, encoding, command):
    """--encoding takes text encodings only, on every command that reads metrics: exit 2, nothing written."""
    arguments = {
        "compute": ["compute", POLICY, MONTH],
        "statements": ["statements", POLICY, MONTH, "--out", str(tmp_path / "pages")],
        "compare": ["compare", POLICY, POLICY, MONTH],
        "review": ["review", POLICY, MONTH],
    }[command]
    result = runner.invoke(app, [*arguments, "--encoding", encoding])
    assert (2, []) == (result.exit_code, list(tmp_path.iterdir()))
    assert "--encoding" in result.stderr and "encoding" in result.stderr


@pytest.mark.parametrize("encoding", ["utf-32", "utf-16", "utf-16-be"])
def test_a_text_encoding_the_file_is_not_in_is_a_data_error(runner, encoding):
    """A real encoding that does not fit the file is exit 1 with a sentence, not an internal error."""
    result = runner.invoke(app, ["compute", POLICY, MONTH, "--encoding", encoding])
    assert 1 == result.exit_code
    assert "internal error" not in result.stderr and result.stderr.startswith(f"Error: {MONTH}")


def test_a_period_before_1900_is_bad_usage(runner):
    """--period 0001-01 is refused before any ledger is touched."""
    result = runner.invoke(app, ["compute", POLICY, MONTH, "--period", "0001-01"])
    assert 2 == result.exit_code and "expected a year from 1900 to 9998" in result.stderr


def test_json_amounts_are_never_in_exponent_form(runner, tmp_path):
    """Every number in the JSON is written with its digits: no 0E-6, 1E+3 or the like."""
    policy = tmp_path / "p.yaml"
    text = Path(POLICY).read_text(encoding="utf-8").replace("rounding: {step: 0.01", "rounding: {step: 0.000001")
    policy.write_text(text, encoding="utf-8")
    result = runner.invoke(app, ["compute", str(policy), MONTH, "--format", "json"])
    assert 0 == result.exit_code, result.stderr
    strings = re.findall(r'"(-?[0-9][^"]*)"', result.stdout)
    assert strings and not [text for text in strings if "E" in text]


def test_a_run_past_the_drawn_rows_is_a_plain_table_with_every_amount(runner, tmp_path, monkeypatch):
    """Past DRAWN_ROWS payslips the table is written plainly, one line per agent in file order, each with the
    gross `--format csv` pays, aligned as the first rows need, then a sentence and the summary."""
    import csv as csv_module

    from helpers import csv_text, distinct_rows

    from cspay.cli import compute

    monkeypatch.setattr(compute, "DRAWN_ROWS", 5)
    month = tmp_path / "m.csv"
    month.write_text(csv_text(distinct_rows(40)), encoding="utf-8")
    table = runner.invoke(app, ["compute", POLICY, str(month)])
    paid = runner.invoke(app, ["compute", POLICY, str(month), "--format", "csv"])
    assert 0 == table.exit_code, table.output
    rows = list(csv_module.DictReader(paid.stdout.splitlines()))
    lines = [line for line in table.stdout.splitlines() if line.startswith("D0")]
    assert [row["agent_id"] for row in rows] == [line.split()[0] for line in lines]
    assert [f"{Decimal(row['gross']):,}" for row in rows] == [line.split()[-1] for line in lines]
    assert 1 == len({len(line) for line in lines[:6]})  # the columns are as wide as the first rows need
    assert "past 5 agents" in table.stdout and "Headcount" in table.stdout


def test_a_run_within_the_drawn_rows_is_drawn(runner):
    """Up to DRAWN_ROWS payslips the table is drawn with its rules, and no sentence about a plain table."""
    result = runner.invoke(app, ["compute", POLICY, MONTH])
    assert 0 == result.exit_code, result.output
    assert "│ A001" in result.stdout and "written plainly" not in result.stdout
