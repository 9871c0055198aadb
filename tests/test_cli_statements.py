"""The payslip and statements commands: what they print, the files they write, and their errors."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from helpers import close_ids

from cspay.cli import app

DATA = Path(__file__).parent / "data"
POLICY = str(DATA / "standard.yaml")
MONTH = str(DATA / "month.csv")
HOSTILE = str(DATA / "hostile.csv")
ZH_POLICY = str(DATA / "zh-hotline.yaml")
ZH_MONTH = str(DATA / "zh-month.csv")


def test_payslip_explains_every_number_of_a001(runner):
    """The panel shows each line, each KPI's value and score, the grade sum, and the moves with money."""
    result = runner.invoke(app, ["payslip", POLICY, MONTH, "A001"])
    assert 0 == result.exit_code, result.output
    for text in (
        "¥5,200.00",
        "¥2,160.00",
        "-¥100.00",
        "(tickets 940 − 900) × ¥2.00",
        "¥7,940.00",
        "between target 90% and stretch 96%",
        "1.2083",
        "0.4229",
        "Total score 1.1416",
        "target bonus ¥1,800.00 × multiplier 1.2 = ¥2,160.00",
        "Cap: 1.5 × target bonus = ¥2,700.00",
        "Next grade S needs a score of 1.2: 0.0584 more",
        "94.5%",
        "+¥540.00",
    ):
        assert text in result.stdout, text


def test_payslip_json_has_the_moves_as_data(runner):
    """--format json gives the explanation with decimal strings, moves included."""
    result = runner.invoke(app, ["payslip", POLICY, MONTH, "A001", "--format", "json"])
    assert 0 == result.exit_code, result.output
    slip = json.loads(result.stdout)["payslips"][0]
    assert ("A001", "7940.00") == (slip["agent_id"], slip["gross"])
    csat = slip["moves"]["kpis"][0]
    assert ("94.5", "540.00", "S") == (
        csat["next_grade"]["value"],
        csat["next_grade"]["outcome"]["gain"],
        csat["next_grade"]["grade"],
    )


def test_payslip_all_prints_one_panel_per_agent(runner):
    """--all prints a panel for every agent of the file, in file order."""
    result = runner.invoke(app, ["payslip", POLICY, MONTH, "--all"])
    assert 0 == result.exit_code, result.output
    assert ["A001", "007", "A003", "A004"] == re.findall(r"Payslip (\S+)", result.stdout)


def test_payslip_prints_agents_in_the_order_asked(runner):
    """Several ids give several panels, in the order given, each once."""
    result = runner.invoke(app, ["payslip", POLICY, MONTH, "A004", "A001", "A004"])
    assert ["A004", "A001"] == re.findall(r"Payslip (\S+)", result.stdout)


def test_unknown_agent_lists_close_ids(runner):
    """An id not in the file exits 1 naming the file and the ids that look like it."""
    result = runner.invoke(app, ["payslip", POLICY, MONTH, "A01"])
    assert 1 == result.exit_code
    assert f"Error: {MONTH}: no agent with id 'A01'; close ids: A001\n" == result.stderr


def test_close_ids_put_the_likest_first_and_ties_in_file_order():
    """Case does not count; equally close ids keep the order of the file."""
    known = ["A001", "A010", "A011", "A041", "B200"]
    assert ["A001", "A010", "A011", "A041"] == close_ids("a01", known)
    assert ["A001"] == close_ids("a001", known)[:1]


def test_unknown_agent_without_close_ids_says_how_many_there_are(runner):
    """An id like no other says how many ids the file has."""
    result = runner.invoke(app, ["payslip", POLICY, MONTH, "zzz"])
    assert f"Error: {MONTH}: no agent with id 'zzz'; expected one of the 4 ids in the file\n" == result.stderr


@pytest.mark.parametrize("arguments", [[], ["A001", "--all"]])
def test_payslip_needs_ids_or_all_not_both(runner, arguments):
    """Neither ids nor --all, or both, is a usage error."""
    assert 2 == runner.invoke(app, ["payslip", POLICY, MONTH, *arguments]).exit_code


def test_payslip_shows_markup_in_names_as_written(runner):
    """A name with rich markup ([bold]) is printed as it is, not styled away."""
    result = runner.invoke(app, ["payslip", POLICY, HOSTILE, "a/b"])
    assert "[bold]Li[/bold]" in result.stdout


def test_payslip_zh_has_no_english_word(runner):
    """On a Chinese policy (locale zh) every word of the panel is Chinese; money is written in 元."""
    result = runner.invoke(app, ["payslip", ZH_POLICY, ZH_MONTH, "--all"])
    assert 0 == result.exit_code, result.output
    assert [] == re.findall("[A-Za-z]+", result.stdout)
    assert "元" in result.stdout


def test_payslip_lang_zh_keeps_the_policy_labels(runner):
    """--lang zh switches cspay's words and keeps the English policy's own labels."""
    result = runner.invoke(app, ["payslip", POLICY, MONTH, "A001", "--lang", "zh"])
    assert "如何提高奖金" in result.stdout and "Customer satisfaction" in result.stdout
    assert "7,940.00 元" in result.stdout


def test_statements_writes_one_file_per_agent_and_an_index(runner, tmp_path):
    """The folder gets a page per agent and index.html, and a summary line on stderr."""
    out = tmp_path / "out"
    result = runner.invoke(app, ["statements", POLICY, MONTH, "--out", str(out)])
    assert 0 == result.exit_code, result.output
    assert ["007.html", "A001.html", "A003.html", "A004.html", "index.html"] == sorted(p.name for p in out.iterdir())
    assert f"Wrote 4 statements and index.html to {out} (total gross ¥23,945.00).\n" == result.stderr


def test_statements_refuse_to_replace_without_force(runner, tmp_path):
    """A second run into the same folder exits 1 and changes nothing; --force replaces the pages."""
    out = tmp_path / "out"
    runner.invoke(app, ["statements", POLICY, MONTH, "--out", str(out)])
    (out / "A001.html").write_text("kept", encoding="utf-8")
    result = runner.invoke(app, ["statements", POLICY, MONTH, "--out", str(out)])
    assert 1 == result.exit_code
    assert f"Error: {out}: 1 of the files exist (index.html); pass --force to replace them\n" == result.stderr
    assert "kept" == (out / "A001.html").read_text(encoding="utf-8")
    assert 0 == runner.invoke(app, ["statements", POLICY, MONTH, "--out", str(out), "--force"]).exit_code
    assert "kept" != (out / "A001.html").read_text(encoding="utf-8")


def test_pages_that_would_be_replaced_are_all_named_and_nothing_is_written(runner, tmp_path):
    """Without an index.html, earlier pages are found as the pages are made: all named, the folder unchanged."""
    out = tmp_path / "out"
    out.mkdir()
    for name in ("A003.html", "A001.html"):
        (out / name).write_text("kept", encoding="utf-8")
    result = runner.invoke(app, ["statements", POLICY, MONTH, "--out", str(out)])
    assert 1 == result.exit_code
    assert f"Error: {out}: 2 of the files exist (A001.html, A003.html); pass --force to replace them\n" == result.stderr
    assert ["A001.html", "A003.html"] == sorted(path.name for path in out.iterdir())


def test_statements_into_a_file_is_an_error(runner, tmp_path):
    """--out naming a file exits 1."""
    target = tmp_path / "file.html"
    target.write_text("", encoding="utf-8")
    result = runner.invoke(app, ["statements", POLICY, MONTH, "--out", str(target)])
    assert 1 == result.exit_code
    assert f"Error: {target}: is a file; expected a folder for the files\n" == result.stderr


def test_statements_need_an_out_folder(runner):
    """--out is required."""
    assert 2 == runner.invoke(app, ["statements", POLICY, MONTH]).exit_code


def test_payslip_panel_says_whose_targets_scored_a_kpi_by_group(runner):
    """The panel's KPI table says an agent of a queue without targets of its own was scored on the general
    targets."""
    result = runner.invoke(app, ["payslip", str(DATA / "queues.yaml"), str(DATA / "queue-month.csv"), "A003"])
    assert 0 == result.exit_code, result.output
    assert "on the general targets: queue retail has none of its own" in result.stdout


def test_compute_json_names_the_curve_of_each_kpi_by_group(runner):
    """compute's JSON gives a KPI by group its column, the agent's cell and the group whose curve applied
    (null for the general curve); the other KPIs keep their keys as before."""
    arguments = ["compute", str(DATA / "queues.yaml"), str(DATA / "queue-month.csv"), "--format", "json"]
    data = json.loads(runner.invoke(app, arguments).stdout)
    csat = [
        {key: kpi[key] for key in ("by", "group", "curve_group")} for kpi in (p["kpis"][0] for p in data["payslips"])
    ]
    assert [
        {"by": "queue", "group": "complaints", "curve_group": "complaints"},
        {"by": "queue", "group": "Sales", "curve_group": "sales"},
        {"by": "queue", "group": "retail", "curve_group": None},
        {"by": "queue", "group": "", "curve_group": None},
    ] == csat
    assert {"by", "group", "curve_group"}.isdisjoint(data["payslips"][0]["kpis"][1])
