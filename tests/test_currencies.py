"""Several currencies: each rounds to its own ISO 4217 minor unit (or a cash step the policy gives), codes
are checked where they are written, and nothing ever adds two currencies."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cspay.cli import app
from cspay.currencies import CurrencyProblem, minor_unit
from cspay.engine.rounding import Rounder
from cspay.engine.types import AddsCurrencies, Payslip, Summaries, Summary
from cspay.ledger.book import Ledger
from cspay.policy.loader import load_policy

DATA = Path(__file__).parent / "data" / "currencies"
POLICY, MONTH, RATES = DATA / "global.yaml", DATA / "global-2026-11.csv", DATA / "rates-2026-11.csv"


def invoke(*arguments: str) -> object:
    return CliRunner().invoke(app, list(arguments))


def slips() -> dict[str, dict]:
    result = CliRunner().invoke(app, ["compute", str(POLICY), str(MONTH), "--format", "json", "--quiet"])
    assert 0 == result.exit_code, result.output
    return {slip["agent_id"]: slip for slip in json.loads(result.stdout)["payslips"]}


@pytest.mark.parametrize(("code", "unit"), [("CNY", "0.01"), ("JPY", "1"), ("KWD", "0.001"), ("CHF", "0.01")])
def test_minor_units_come_from_iso_4217(code: str, unit: str) -> None:
    """The minor unit of a currency is the ISO 4217 one: yen have none, dinars three places."""
    assert Decimal(unit) == minor_unit(code)


@pytest.mark.parametrize("code", ["RMB", "cny", "XAU", ""])
def test_a_code_that_is_no_iso_4217_currency_is_refused(code: str) -> None:
    """Codes outside ISO 4217 (RMB, lower case) and codes without a minor unit (gold) are no pay currency."""
    with pytest.raises(CurrencyProblem):
        minor_unit(code)


def test_a_zero_decimal_currency_pays_whole_yen() -> None:
    """260000 yen × 17/21.75 days is 203218.39…, paid as 203218; every yen line is whole."""
    found = slips()["TK02"]
    assert "203218" == found["lines"][0]["amount"]
    assert all("." not in slip_line["amount"] for slip in slips().values() if slip["currency"] == "JPY"
               for slip_line in slip["lines"])  # fmt: skip


def test_a_three_decimal_currency_pays_to_the_fils() -> None:
    """25.125 dinars × 19.5/21.75 days is 22.5258…, paid as 22.526; the gross has three places too."""
    found = slips()["KW02"]
    assert ("22.526", "456.076") == (found["lines"][1]["amount"], found["gross"])


@pytest.mark.parametrize("mode", ["half_up", "half_even"])
def test_cash_rounding_at_every_quarter_step_boundary(mode: str) -> None:
    """At x.x25 and x.x75, half a 0.05 step, half_up goes up and half_even to the even multiple of 0.05."""
    rounder = Rounder(Decimal("0.05"), mode)
    for steps in range(400):
        amount = Decimal("0.05") * steps + Decimal("0.025")
        up = steps + 1 if mode == "half_up" or steps % 2 else steps
        assert (Decimal("0.05") * up).quantize(Decimal("0.01")) == rounder(amount), amount


def test_swiss_cash_rounding_on_a_payslip() -> None:
    """250 francs × 13/21.75 is 149.425: the 0.05 step pays 149.45 (half up); every franc line is whole 5 centimes."""
    found = slips()["ZH03"]
    assert "149.45" == found["lines"][1]["amount"]
    for slip in slips().values():
        if slip["currency"] == "CHF":
            assert all(Decimal(line["amount"]) % Decimal("0.05") == 0 for line in slip["lines"])


def test_rounder_paying_a_currency_takes_its_step() -> None:
    """The policy's rounding for a currency: its cash step where given, else its ISO 4217 minor unit."""
    policy = load_policy(POLICY)
    steps = {code: Rounder.paying(policy, code).step for code in policy.paid_currencies}
    assert {"CNY": Decimal("0.01"), "JPY": 1, "KWD": Decimal("0.001"), "CHF": Decimal("0.05")} == steps


def test_a_policy_in_yen_rounds_to_whole_yen_without_a_step(tmp_path: Path) -> None:
    """Without rounding.step, a policy's lines round to its currency's minor unit."""
    text = POLICY.read_text(encoding="utf-8").replace("currency: CNY", "currency: JPY", 1)
    text = text.replace("  JPY:\n    adjustments: {complaints: {per_unit: -2000, limit: -10000}}\n", "")
    text = text.replace("    currency: JPY            # ISO 4217: no minor unit, lines round to whole yen\n", "")
    path = tmp_path / "yen.yaml"
    path.write_text(text, encoding="utf-8")
    assert Decimal(1) == load_policy(path).rounding.step


@pytest.mark.parametrize(
    ("old", "new", "where"),
    [
        (
            "currency: CNY ",
            "currency: RMB ",
            "currency: expected an ISO 4217 currency code like CNY, JPY or CHF, got 'RMB'",
        ),
        ("currency: KWD ", "currency: KWX ", "roles.L1-KW.currency: expected an ISO 4217 currency code"),
        ("  CHF:\n", "  XAU:\n", "currencies.XAU: XAU (Gold) has no minor unit in ISO 4217"),
        ("step: 0.05 ", "step: 0.005 ", "currencies.CHF.step: 0.005 is not a whole number of CHF's minor unit 0.01"),
        (
            "  KWD:\n    adjustments: {complaints: {per_unit: -5.250, limit: -26.250}}\n",
            "",
            "adjustments: agents paid in KWD need each adjustment's money in KWD",
        ),
        (
            "adjustments: {complaints: {per_unit: -12.50, limit: -60}}",
            "adjustments: {complaints: {per_unit: -12.50}}",
            "currencies.CHF.adjustments.complaints: expected a limit like adjustments.complaints's (-500)",
        ),
        ("proration:", "budget: {bonus_pool: 100000}\nproration:", "budget: a bonus pool is money of one currency"),
    ],
)
def test_policy_currency_problems_are_located(tmp_path: Path, old: str, new: str, where: str) -> None:
    """Each currency problem of a policy is an error at its key's file:line:col, saying what is expected."""
    text = POLICY.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "policy.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    result = invoke("validate-policy", str(path))
    assert 1 == result.exit_code, result.output
    assert where in result.output


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("EURO", 'column "currency": got "EURO", expected an ISO 4217 currency code like CNY, JPY or CHF'),
        ("KWD", 'column "currency": got "KWD", expected a currency role L1 is paid in (CNY, CHF)'),
    ],
)
def test_a_currency_cell_that_cannot_pay_is_a_located_error(tmp_path: Path, cell: str, expected: str) -> None:
    """A currency cell that is no ISO 4217 code, or a currency the agent's role has no amounts in, names the
    file, row and column; nothing is written."""
    month = tmp_path / "month.csv"
    month.write_text(MONTH.read_text(encoding="utf-8").replace("Zurich,CHF", f"Zurich,{cell}", 1), encoding="utf-8")
    result = invoke("compute", str(POLICY), str(month), "--format", "csv")
    assert 1 == result.exit_code, result.output
    assert f"Error: {month}: row 11, {expected}" in result.output


def test_a_currency_cell_is_read_in_any_case() -> None:
    """chf in the currency column is CHF."""
    policy = load_policy(POLICY)
    from cspay.inputs.rows import RowParser

    header = MONTH.read_text(encoding="utf-8").splitlines()[0].split(",")
    row = RowParser(policy, header, "m.csv")._currency("L1", " chf ")
    assert ("CHF", None) == row


def test_totals_never_add_two_currencies() -> None:
    """A run's totals of one currency refuse a payslip of another; totals of several have no one gross."""
    slip = Payslip("A", "", "L1", "", 2, (), None, None, None, None, Decimal(0), Decimal(0), (), False, Decimal(1))
    totals = Summary(currency="CNY")
    with pytest.raises(AddsCurrencies):
        totals.add(_in(slip, "JPY"))
    several = Summaries(["CNY", "JPY"])
    several.add(_in(slip, "JPY"))
    with pytest.raises(AddsCurrencies):
        _ = several.gross


def _in(slip: Payslip, currency: str) -> Payslip:
    from dataclasses import replace

    return replace(slip, currency=currency)


def test_summary_of_each_currency_in_json() -> None:
    """compute's JSON has each currency's totals, from its own payslips, and no gross of the whole run."""
    result = invoke("compute", str(POLICY), str(MONTH), "--format", "json", "--quiet")
    data = json.loads(result.stdout)
    assert "gross" not in data["summary"]
    for code, totals in data["summary"]["currencies"].items():
        mine = [slip for slip in data["payslips"] if slip["currency"] == code]
        assert sum(Decimal(slip["gross"]) for slip in mine) == Decimal(totals["gross"])
        assert len(mine) == totals["headcount"]
    assert ["CNY", "JPY", "KWD", "CHF"] == list(data["summary"]["currencies"])


def test_consolidated_view_converts_each_total_at_its_dated_rate() -> None:
    """--consolidate-to multiplies each currency's gross by its latest rate dated in the period, exactly."""
    result = invoke("compute", str(POLICY), str(MONTH), "-f", "json", "--period", "2026-11",
                    "--consolidate-to", "CNY", "--rates", str(RATES), "--quiet")  # fmt: skip
    assert 0 == result.exit_code, result.output
    view = json.loads(result.stdout)["summary"]["consolidated"]
    parts = {part["currency"]: part for part in view["by_currency"]}
    assert ("0.0462", "2026-11-30") == (parts["JPY"]["rate"], parts["JPY"]["rate_date"])  # not October's 0.0471
    assert Decimal("896080") * Decimal("0.0462") == Decimal(parts["JPY"]["converted_gross"])
    assert Decimal("237211.617825") == Decimal(view["gross"])


def test_a_missing_rate_names_the_file_the_pair_and_the_dates(tmp_path: Path) -> None:
    """A currency with no rate dated in the period is an error naming the rates file, the pair and the dates."""
    rates = tmp_path / "rates.csv"
    rates.write_text(RATES.read_text(encoding="utf-8").replace("2026-11-30,KWD", "2026-12-01,KWD"), encoding="utf-8")
    result = invoke("compute", str(POLICY), str(MONTH), "--period", "2026-11", "--consolidate-to", "CNY",
                    "--rates", str(rates))  # fmt: skip
    assert 1 == result.exit_code, result.output
    assert f"Error: {rates}: no rate from KWD to CNY dated in 2026-11 (2026-11-01 to 2026-11-30)" in result.output


def test_a_consolidated_view_needs_its_period() -> None:
    """Rates are chosen by the period's dates: --consolidate-to without --period is bad usage."""
    result = invoke("compute", str(POLICY), str(MONTH), "--consolidate-to", "CNY", "--rates", str(RATES))
    assert 2 == result.exit_code, result.output


def test_the_ledger_keeps_each_payslips_currency_and_totals_per_currency(tmp_path: Path) -> None:
    """--record stores each payslip's currency and the run's totals per currency; runs and history show them."""
    ledger = tmp_path / "pay.db"
    result = invoke("compute", str(POLICY), str(MONTH), "--period", "2026-11", "--record", "--ledger", str(ledger),
                    "--quiet")  # fmt: skip
    assert 0 == result.exit_code, result.output
    with Ledger(ledger) as book:
        run = book.runs()[0]
        currencies = book.currencies_of(run.id)
    assert (None, "JPY", "CHF") == (run.gross, currencies["TK01"], currencies["ZH01"])
    assert {"CNY": Decimal("21937.02"), "JPY": 896080, "KWD": Decimal("1547.070"), "CHF": Decimal("15488.55")} == (
        run.grosses()
    )
    history = json.loads(invoke("history", "KW02", "--ledger", str(ledger), "--format", "json").stdout)
    assert [("KWD", "456.076")] == [(item["currency"], item["gross"]) for item in history]


def test_a_correction_that_changes_the_currency_never_nets_two(tmp_path: Path) -> None:
    """An agent corrected from francs to yuan is owed back every franc line in francs and the yuan lines in yuan."""
    ledger = tmp_path / "pay.db"
    base = ["--period", "2026-11", "--ledger", str(ledger), "--quiet"]
    assert 0 == invoke("compute", str(POLICY), str(MONTH), "--record", *base).exit_code
    assert 0 == invoke("approve", "2026-11", "--ledger", str(ledger)).exit_code
    assert 0 == invoke("close", "2026-11", "--ledger", str(ledger)).exit_code
    moved = tmp_path / "corrected.csv"
    moved.write_text(MONTH.read_text(encoding="utf-8").replace("Zurich,CHF", "Zurich,", 1), encoding="utf-8")
    result = invoke("compute", str(POLICY), str(moved), "--record", "--correction", *base)
    assert 0 == result.exit_code, result.output
    with Ledger(ledger) as book:
        found = book.differences_of(book.runs()[-1].id)
    by_currency: dict[str, Decimal] = {}
    for item in found:
        by_currency[item.currency] = by_currency.get(item.currency, Decimal(0)) + item.amount
    assert {"CHF": Decimal("-5937.50"), "CNY": Decimal("7300.00")} == by_currency  # 5200 + 400 + 1800 − 100


def test_compare_keeps_each_currency_apart_and_refuses_a_move() -> None:
    """compare totals per currency; two policies paying an agent in two currencies cannot be compared."""
    result = invoke("compare", str(POLICY), str(POLICY), str(MONTH), "--format", "json")
    data = json.loads(result.stdout)
    assert ["CNY", "JPY", "KWD", "CHF"] == [total["currency"] for total in data["summary"]["totals"]]


def test_compare_refuses_an_agent_paid_in_two_currencies(tmp_path: Path) -> None:
    """When the new policy pays an agent in another currency, compare says so rather than subtract them."""
    other = tmp_path / "new.yaml"
    text = POLICY.read_text(encoding="utf-8").replace(
        "    currency: KWD            #", "    currency: CHF            #"
    )
    text = text.replace("  KWD:\n    adjustments: {complaints: {per_unit: -5.250, limit: -26.250}}\n", "")
    other.write_text(text, encoding="utf-8")
    result = invoke("compare", str(POLICY), str(other), str(MONTH))
    assert 1 == result.exit_code, result.output
    assert "agent 'KW01' is paid in KWD by the old policy and in CHF by the new" in result.output


def test_a_quarter_pays_three_months_of_a_roles_amounts_in_every_currency() -> None:
    """A quarterly policy's role amounts are three months' worth in each currency it writes them in."""
    from cspay.engine.currency import in_currency
    from cspay.engine.period import period_policy

    quarterly = period_policy(load_policy(POLICY).model_copy(update={"period": "quarter"}))
    francs, yen = in_currency(quarterly, "CHF").roles["L1"], in_currency(quarterly, "JPY").roles["L1-JP"]
    assert (Decimal(14400), Decimal(2700), Decimal(750)) == (
        francs.base_pay,
        francs.target_bonus,
        francs.allowances["meal"],
    )
    assert (Decimal(780000), Decimal(180000)) == (yen.base_pay, yen.target_bonus)


def test_chinese_table_names_each_currency_in_chinese_words() -> None:
    """With --lang zh the currency column and each currency's totals are headed in Chinese."""
    printed = CliRunner().invoke(app, ["compute", str(POLICY), str(MONTH), "--lang", "zh"], env={"COLUMNS": "300"})
    assert 0 == printed.exit_code, printed.output
    assert "币种" in printed.stdout
    assert "应发总额（JPY）" in printed.stdout
    assert "应发总额（KWD）" in printed.stdout


def test_an_explanation_of_a_row_is_in_its_agents_currency() -> None:
    """explain_row pays a Zurich row in francs, as the run does, and says so."""
    from cspay.engine.explain import explain_row
    from cspay.inputs.metrics import read_metrics

    policy = load_policy(POLICY)
    row = next(row for row in read_metrics(MONTH, policy) if row.agent_id == "ZH03")
    explanation = explain_row(policy, row)
    assert ("CHF", Decimal("3518.85")) == (explanation.currency, explanation.gross)


def test_a_rosters_currency_column_pays_an_agent_of_a_raw_export_in_it(tmp_path: Path) -> None:
    """With a raw export, the agent's currency comes from the roster, like role and team."""
    import shutil

    pwc = Path(__file__).resolve().parents[1] / "examples" / "pwc"
    for name in ("policy.yaml", "metrics.yaml", "roster.csv"):
        shutil.copy(pwc / name, tmp_path / name)
    policy = tmp_path / "policy.yaml"
    text = policy.read_text(encoding="utf-8").replace("  team: team\n", "  team: team\n  currency: currency\n", 1)
    text += "\ncurrencies:\n  EUR: {roles: {L1: {base_pay: 4700, target_bonus: 520, allowances: {meal: 190}}}}\n"
    policy.write_text(text, encoding="utf-8")
    roster = tmp_path / "roster.csv"
    lines = roster.read_text(encoding="utf-8").splitlines()
    cells = [lines[0] + ",currency"] + [line + (",EUR" if line.startswith("Becky,") else ",") for line in lines[1:]]
    roster.write_text("\n".join(cells) + "\n", encoding="utf-8")
    result = invoke("compute", str(policy), str(pwc / "pwc-call-center-2021q1.csv"), "--period", "2021-01",
                    "--roster", str(roster), "--format", "json", "--quiet")  # fmt: skip
    assert 0 == result.exit_code, result.output
    slips = {slip["agent_id"]: slip for slip in json.loads(result.stdout)["payslips"]}
    assert ("EUR", "4700.00") == (slips["Becky"]["currency"], slips["Becky"]["lines"][0]["amount"])
    assert "CHF" == slips["Dan"]["currency"]


def test_the_workbook_has_the_consolidated_view(tmp_path: Path) -> None:
    """--format xlsx with --consolidate-to adds a sheet with each currency's gross, rate, date and conversion."""
    import openpyxl

    book = tmp_path / "pay.xlsx"
    result = invoke("compute", str(POLICY), str(MONTH), "--period", "2026-11", "--consolidate-to", "CNY",
                    "--rates", str(RATES), "--format", "xlsx", "--output", str(book), "--lang", "en")  # fmt: skip
    assert 0 == result.exit_code, result.output
    rows = list(openpyxl.load_workbook(book)["Consolidated"].iter_rows(values_only=True))
    assert ("JPY", 896080, 0.0462, "2026-11-30") == rows[3][:4]
    assert Decimal("237211.617825") == Decimal(str(rows[-1][-1]))


def _with_teams(tmp_path: Path, base_pay: str = "5200") -> Path:
    """The test policy with 20% of every agent's bonus paid on their team's (site's) result."""
    text = POLICY.read_text(encoding="utf-8")
    text = text.replace("    base_pay: 5200\n", f"    base_pay: {base_pay}\n", 1)
    for allowance in ("{meal: 400}", "{meal: 15000}", "{meal: 25.125}"):
        text = text.replace(f"    allowances: {allowance}\n", f"    allowances: {allowance}\n    team_share: 20%\n", 1)
    policy = tmp_path / "teams.yaml"
    policy.write_text(text + "\nteams: {score: member_kpis}\n", encoding="utf-8")
    return policy


def test_team_parts_are_paid_in_each_agents_currency_on_one_team_result(tmp_path: Path) -> None:
    """Every agent's team part is in their own currency, to its minor unit or cash step, on the score of the
    team the run's head shows: team results are not money, so no currency changes them."""
    result = invoke("compute", str(_with_teams(tmp_path)), str(MONTH), "--format", "json", "--quiet")
    assert 0 == result.exit_code, result.output
    run = json.loads(result.stdout)
    scores = {team["team"]: team["score"] for team in run["teams"]}
    steps = {"CNY": Decimal("0.01"), "JPY": Decimal(1), "KWD": Decimal("0.001"), "CHF": Decimal("0.05")}
    for slip in run["payslips"]:
        team_line = next(line for line in slip["lines"] if line["code"] == "bonus.team")
        assert 0 == Decimal(team_line["amount"]) % steps[slip["currency"]], slip["agent_id"]
        piece = next(piece for piece in slip["bonus_parts"] if piece["code"] == "bonus.team")
        assert (slip["team"], scores[slip["team"]]) == (piece["group"], piece["score"]), slip["agent_id"]
    assert {"CNY", "JPY", "KWD", "CHF"} == {slip["currency"] for slip in run["payslips"]}


def test_role_amounts_changing_within_the_period_are_refused_in_several_currencies(tmp_path: Path) -> None:
    """A policy paying several currencies whose role amounts change within the period is refused (exit 2):
    its dated amounts are in the policy's currency, and no other currency's are known for each stretch."""
    dated = "\n      - {from: 2026-01-01, value: 5200}\n      - {from: 2026-11-16, value: 5400}"
    policy = _with_teams(tmp_path, base_pay=dated)
    result = invoke("compute", str(policy), str(MONTH), "--period", "2026-11", "--quiet")
    assert 2 == result.exit_code, result.output
    assert "pays CNY, JPY, KWD, CHF, and its role amounts change within the period" in " ".join(result.output.split())


def test_a_part_in_a_role_without_amounts_in_the_agents_currency_is_refused(tmp_path: Path) -> None:
    """An agent paid in francs moved for part of the month to a role with no franc amounts is an error naming
    the row, the role and the currencies it has: a payslip is paid in one currency."""
    changes = tmp_path / "changes.csv"
    changes.write_text("agent_id,from,to,role,site\nZH01,2026-11-16,,L1-JP,\n", encoding="utf-8")
    result = invoke("compute", str(POLICY), str(MONTH), "--period", "2026-11", "--changes", str(changes), "--quiet")
    assert 1 == result.exit_code, result.output
    assert "agent 'ZH01': role L1-JP (held for part of the period) has no amounts in CHF; expected one of JPY" in (
        " ".join(result.output.split())
    )
