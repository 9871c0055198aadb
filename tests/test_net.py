"""From gross to net through the commands: the year to date from the ledger and opening balances, the
refusals when neither says what earlier months withheld, rosters joined to a month, the one-time bonus."""

from __future__ import annotations

import json
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import openpyxl
import pytest
from helpers import DATA, ROOT, ascii_words, english_words, write_yaml
from typer.testing import CliRunner

from cspay.cli import app
from cspay.errors import PolicyError
from cspay.ledger.book import Ledger
from cspay.policy.loader import load_policy

NET = DATA / "net"
POLICY = str(NET / "authority.yaml")
MONTH = str(NET / "month.csv")


def compute(runner: CliRunner, *arguments: str, policy: str = POLICY, month: str = MONTH) -> dict:
    """compute's JSON of the month; the test fails with stderr unless it exits 0."""
    result = runner.invoke(app, ["compute", policy, month, "--format", "json", "--quiet", *arguments])
    assert 0 == result.exit_code, result.output
    return json.loads(result.stdout)


def tax(run: dict) -> Decimal:
    """The income tax line of the run's one payslip."""
    return next(Decimal(line["amount"]) for line in run["payslips"][0]["deductions"] if line["code"] == "tax.income")


def record(runner: CliRunner, ledger: Path, *months: str, **options: str) -> list[dict]:
    """Record each month into the ledger; each run's JSON."""
    extra = [item for key, value in options.items() for item in (f"--{key}", value)]
    return [compute(runner, "--period", month, "--record", "--ledger", str(ledger), *extra) for month in months]


def test_three_recorded_months_withhold_the_tax_authoritys_example(runner: CliRunner, tmp_path: Path) -> None:
    """30,000 a month, 4,500 contributions, 2,000 special deductions: 555, 625 and 1,850 withheld, and net is
    gross less the contributions and the tax."""
    runs = record(runner, tmp_path / "pay.db", "2026-01", "2026-02", "2026-03")
    assert [
        (Decimal("555.00"), Decimal("24945.00")),
        (Decimal("625.00"), Decimal("24875.00")),
        (Decimal("1850.00"), Decimal("23650.00")),
    ] == [(tax(run), Decimal(run["payslips"][0]["net"])) for run in runs]


def test_january_needs_no_year_to_date(runner: CliRunner) -> None:
    """The first month of the tax year is paid without a ledger or opening balances."""
    assert Decimal("555.00") == tax(compute(runner, "--period", "2026-01"))


def test_a_later_month_without_ledger_or_opening_balances_is_refused(runner: CliRunner) -> None:
    """March without what January and February withheld cannot be withheld: exit 2, saying what to give."""
    result = runner.invoke(app, ["compute", POLICY, MONTH, "--period", "2026-03"])
    assert 2 == result.exit_code
    assert "paying 2026-03 needs what 2026-01 to 2026-02 paid and withheld; no ledger records it" in result.stderr
    assert "--opening FILE with each agent's year to date through 2026-02" in result.stderr


def test_a_month_the_ledger_skipped_is_refused(runner: CliRunner, tmp_path: Path) -> None:
    """January and March recorded, February not: April names February as the month it lacks."""
    ledger = tmp_path / "pay.db"
    record(runner, ledger, "2026-01")
    result = runner.invoke(app, ["compute", POLICY, MONTH, "--period", "2026-03", "--ledger", str(ledger)])
    assert 2 == result.exit_code
    assert "paying 2026-03 needs what 2026-02 paid and withheld" in result.stderr


def test_months_recorded_without_deductions_need_opening_balances(runner: CliRunner, tmp_path: Path) -> None:
    """A ledger whose January and February were paid before the policy deducted anything cannot tell what
    they withheld; opening balances through February can."""
    ledger = tmp_path / "pay.db"
    for month in ("2026-01", "2026-02"):
        compute(runner, "--period", month, "--record", "--ledger", str(ledger), policy=str(NET / "bare.yaml"))
    refused = runner.invoke(app, ["compute", POLICY, MONTH, "--period", "2026-03", "--ledger", str(ledger)])
    assert 2 == refused.exit_code
    assert "(2026-01, 2026-02 recorded without withholding income tax cumulatively)" in refused.stderr
    opened = compute(runner, "--period", "2026-03", "--ledger", str(ledger), "--opening", str(NET / "opening-feb.csv"))
    assert Decimal("1850.00") == tax(opened)


@pytest.mark.parametrize("name", ["opening-feb.csv", "opening-zh.csv"])
def test_opening_balances_start_where_the_old_payroll_stopped(runner: CliRunner, name: str) -> None:
    """January and February paid elsewhere (60,000 income, 9,000 contributions, 4,000 special deductions,
    1,180 withheld): March withholds 1,850, as if cspay had paid the whole year; English or Chinese headers."""
    assert Decimal("1850.00") == tax(compute(runner, "--period", "2026-03", "--opening", str(NET / name)))


def test_the_ledger_keeps_the_opening_balances_for_later_months(runner: CliRunner, tmp_path: Path) -> None:
    """March recorded with the opening balances; April, without them, still counts January and February:
    (120,000 − 20,000 − 18,000 − 8,000) × 10% − 2,520 − 3,030 withheld = 1,850."""
    ledger = tmp_path / "pay.db"
    record(runner, ledger, "2026-03", opening=str(NET / "opening-feb.csv"))
    (april,) = record(runner, ledger, "2026-04")
    assert (Decimal("1850.00"), 4) == (tax(april), april["payslips"][0]["withholding"]["tax"]["months"])


def test_a_month_counted_by_both_the_ledger_and_the_opening_balances_is_an_error(
    runner: CliRunner, tmp_path: Path
) -> None:
    """January recorded, and opening balances through February for the same agent: January twice (exit 1)."""
    ledger = tmp_path / "pay.db"
    record(runner, ledger, "2026-01")
    opening = str(NET / "opening-feb.csv")
    result = runner.invoke(
        app, ["compute", POLICY, MONTH, "--period", "2026-03", "--ledger", str(ledger), "--opening", opening]
    )
    assert 1 == result.exit_code
    assert (
        f"Error: {opening}: row 2: agent 'A001': the opening balances run through 2026-02, and the ledger records "
        f"their withholding for 2026-01; count each month once"
    ) == result.stderr.strip()


def test_the_latest_pay_version_of_a_month_is_its_year_to_date(runner: CliRunner, tmp_path: Path) -> None:
    """January recorded again without special deductions: February counts that second version, its income,
    deductions and the 615 it withheld, not the first version's."""
    ledger = tmp_path / "pay.db"
    record(runner, ledger, "2026-01")
    again = compute(
        runner, "--period", "2026-01", "--record", "--ledger", str(ledger), month=str(NET / "month-no-special.csv")
    )
    (february,) = record(runner, ledger, "2026-02")
    # January: (30,000 − 5,000 − 4,500) × 3% = 615. February: (60,000 − 10,000 − 9,000 − 2,000) × 10% − 2,520
    # = 1,380, less 615 withheld = 765.
    assert (Decimal("615.00"), Decimal("765.00")) == (tax(again), tax(february))


def test_opening_balance_problems_are_all_reported_with_row_and_column(runner: CliRunner, tmp_path: Path) -> None:
    """A bad amount, more months than January to the month named, and a second month in one file."""
    opening = tmp_path / "opening.csv"
    opening.write_text(
        "agent_id,through,months,income,contributions,special_deductions,tax_withheld\n"
        "A001,2026-02,3,60000,9000,4000,1180\nA002,2026-01,1,abc,0,0,0\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["compute", POLICY, MONTH, "--period", "2026-03", "--opening", str(opening)])
    assert 1 == result.exit_code
    assert [
        f'Error: {opening}: row 2, column "months": got 3, expected at most 2, the months from January to 2026-02',
        f'Error: {opening}: row 3, column "income": got "abc", expected an amount of at least 0',
        f'Error: {opening}: row 3, column "through": 2026-01, but row 2 has 2026-02; expected one month for the '
        f"whole file",
    ] == result.stderr.splitlines()


def test_opening_balances_of_the_month_paid_are_refused(runner: CliRunner, tmp_path: Path) -> None:
    """Balances through March cannot open March: they must end before the month paid, in its year."""
    opening = tmp_path / "opening.csv"
    opening.write_text((NET / "opening-feb.csv").read_text(encoding="utf-8").replace("2026-02", "2026-03"), "utf-8")
    result = runner.invoke(app, ["compute", POLICY, MONTH, "--period", "2026-03", "--opening", str(opening)])
    assert (1, f"Error: {opening}: runs through 2026-03; expected a month of 2026 before 2026-03, the month paid") == (
        result.exit_code,
        result.stderr.strip(),
    )


def test_opening_balances_for_a_policy_that_withholds_nothing_cumulatively_are_refused(runner: CliRunner) -> None:
    """--opening under a policy without deductions is a usage error (exit 2)."""
    result = runner.invoke(
        app,
        ["compute", str(NET / "bare.yaml"), MONTH, "--period", "2026-03", "--opening", str(NET / "opening-feb.csv")],
    )
    assert 2 == result.exit_code and "withholds none that way" in result.stderr


def test_deductions_need_the_period(runner: CliRunner) -> None:
    """The rules in force and the year to date depend on the month: no --period is a usage error."""
    result = runner.invoke(app, ["compute", POLICY, MONTH])
    assert 2 == result.exit_code and "give --period, e.g. --period 2026-11" in result.stderr


def test_a_roster_adds_the_bases_and_special_deductions_to_the_months_rows(runner: CliRunner) -> None:
    """The metrics file holds only KPIs; the roster's base and special deductions join by agent id."""
    run = compute(runner, "--period", "2026-01", "--roster", str(NET / "roster.csv"), month=str(NET / "month-kpis.csv"))
    assert Decimal("555.00") == tax(run)


def test_an_agent_missing_from_the_roster_is_an_error_naming_both_files(runner: CliRunner, tmp_path: Path) -> None:
    """An agent of the month without a roster line is never paid without its base: exit 1, both files named."""
    roster = tmp_path / "roster.csv"
    roster.write_text("agent_id,base,special\nA002,30000,0\n", encoding="utf-8")
    kpis = str(NET / "month-kpis.csv")
    result = runner.invoke(app, ["compute", POLICY, kpis, "--period", "2026-01", "--roster", str(roster)])
    assert (1, f'Error: {roster}: no line for agent "A001", who is on row 2 of {kpis}; add one so their pay can '
               f"be computed") == (result.exit_code, result.stderr.strip())  # fmt: skip


def test_the_ledger_keeps_each_payslips_deductions_and_history_shows_net(runner: CliRunner, tmp_path: Path) -> None:
    """The recorded deductions and employer lines are the run's; history lists net beside gross."""
    ledger = tmp_path / "pay.db"
    (run,) = record(runner, ledger, "2026-01")
    with Ledger(ledger) as book:
        current = book.current("2026-01")
        assert current is not None
        taken, paid = book.deductions_of(current.id)["A001"]
    slip = run["payslips"][0]
    assert ([line["amount"] for line in slip["deductions"]], [line["amount"] for line in slip["employer"]]) == (
        [str(line.amount) for line in taken],
        [str(line.amount) for line in paid],
    )
    history = json.loads(runner.invoke(app, ["history", "A001", "--ledger", str(ledger), "--format", "json"]).stdout)
    assert [("30000.00", "24945.00")] == [(item["gross"], item["net"]) for item in history]


def test_the_payslip_explains_the_tax_with_the_years_figures(runner: CliRunner, tmp_path: Path) -> None:
    """March's tax line shows the year to date: three months, their basic deduction, contributions and
    special deductions, the rate and quick deduction, and what was withheld before."""
    ledger = tmp_path / "pay.db"
    record(runner, ledger, "2026-01", "2026-02", "2026-03")
    result = runner.invoke(
        app, ["payslip", POLICY, MONTH, "A001", "--period", "2026-03", "--ledger", str(ledger), "--lang", "en"]
    )
    assert 0 == result.exit_code, result.output
    text = " ".join(result.stdout.split())
    assert (
        "year to date, 3 months: income ¥90,000.00 − basic deduction ¥15,000.00 − contributions ¥13,500.00 − "
        "special deductions ¥6,000.00 = taxable ¥55,500.00; × 10% − ¥2,520.00 = ¥3,030.00, less ¥1,180.00 "
        "withheld before" in text
    )


def test_an_annual_bonus_is_taxed_on_its_own(runner: CliRunner) -> None:
    """36,000 ÷ 12 = 3,000 takes 3%: 1,080 withheld from the annual bonus, no contributions."""
    run = compute(runner, "--period", "2026", policy=str(NET / "annual.yaml"), month=str(NET / "year-month.csv"))
    slip = run["payslips"][0]
    assert ("36000.00", [("tax.bonus", "1080.00")], "34920.00") == (
        slip["gross"],
        [(line["code"], line["amount"]) for line in slip["deductions"]],
        slip["net"],
    )


def test_the_one_time_bonus_after_its_last_year_is_refused(runner: CliRunner, tmp_path: Path) -> None:
    """The option ends on 2027-12-31: a bonus for 2028 is refused, at the pack's until."""
    month = tmp_path / "2028-12.csv"
    month.write_text((NET / "year-month.csv").read_text(encoding="utf-8").replace("2026", "2028"), "utf-8")
    result = runner.invoke(app, ["compute", str(NET / "annual.yaml"), str(month), "--period", "2028"])
    assert 1 == result.exit_code
    assert "one_time_bonus.until: the one-time bonus may be taxed on its own for periods ending by 2027-12-31" in (
        result.stderr
    )


def test_chinese_views_from_gross_to_net_have_no_english_word(runner: CliRunner, tmp_path: Path) -> None:
    """The table, the payslip and the workbook of the Chinese policy word deductions, net and the employer's
    contributions without a word of the English catalog."""
    policy = str(ROOT / "policies" / "china-net.yaml")
    arguments = [str(NET / "zh-month.csv"), "--roster", str(NET / "zh-roster.csv"), "--period", "2026-01"]
    table = runner.invoke(app, ["compute", policy, *arguments])
    slip = runner.invoke(app, ["payslip", policy, arguments[0], "A01", *arguments[1:]])
    book = tmp_path / "pay.xlsx"
    runner.invoke(app, ["compute", policy, *arguments, "--format", "xlsx", "--output", str(book)])
    cells = [
        cell for sheet in openpyxl.load_workbook(book) for row in sheet.iter_rows(values_only=True) for cell in row
    ]
    files = {"zh-month.csv", "zh-roster.csv", "china-net.yaml", "cs-cn-net"}  # the About sheet: files, policy id
    texts = [table.stdout, slip.stdout, *(cell for cell in cells if isinstance(cell, str) and cell not in files)]
    assert all(word in table.stdout for word in ("五险一金", "个税", "实发合计"))
    assert all(word in slip.stdout for word in ("养老保险", "住房公积金", "个人所得税", "单位另行缴纳"))
    grades = {"s", "a", "b", "c", "d"}  # the policy's own words
    assert set() == ascii_words("\n".join(texts)) & english_words() - grades


def test_the_log_line_of_a_run_with_deductions_has_net_and_employer_cost(runner: CliRunner) -> None:
    """--log-format json: net and what the run costs the employer (gross and the employer's 20%)."""
    result = runner.invoke(
        app, ["compute", POLICY, MONTH, "--period", "2026-01", "--format", "csv", "--log-format", "json"]
    )
    assert 0 == result.exit_code, result.output
    record = json.loads(result.stderr.strip().splitlines()[-1])
    assert ("24945.00", "36000.00") == (record["net"], record["employer_cost"])


# ---- with several currencies and the controls ------------------------------------------------------------

PACKS = f"packs: [{ROOT / 'policies/statutory/cn-iit-2026.yaml'}, {NET / 'social.yaml'}]"
PAID_IN_USD = """currencies:
  USD:
    roles:
      W: {base_pay: 4000, target_bonus: 0}
"""


def authority_with(tmp_path: Path, more: str, *, currency_column: bool = False) -> Path:
    """The authority's example policy, written into tmp_path with its packs found from there, and `more`."""
    text = (NET / "authority.yaml").read_text(encoding="utf-8")
    text = text.replace("packs: [../../../policies/statutory/cn-iit-2026.yaml, social.yaml]", PACKS)
    if currency_column:
        text = text.replace(
            "agents: {id: agent_id, role: role}", "agents: {id: agent_id, role: role, currency: currency}"
        )
    return write_yaml(tmp_path, text + more)


def test_an_agent_paid_in_another_currency_than_the_deductions_is_refused(runner: CliRunner, tmp_path: Path) -> None:
    """Under a policy with deductions in CNY, an agent the currency column pays in USD stops the run with
    exit 1, naming the agent, the row and both currencies: no deduction is made in the wrong currency."""
    policy = authority_with(tmp_path, PAID_IN_USD, currency_column=True)
    month = tmp_path / "month.csv"
    month.write_text("agent_id,role,csat,base,special,currency\nA001,W,90,30000,2000,\nA002,W,90,3000,0,USD\n")
    result = runner.invoke(app, ["compute", str(policy), str(month), "--period", "2026-01", "--format", "json"])
    assert 1 == result.exit_code, result.output
    assert "row 3: agent 'A002' is paid in USD, and the policy's deductions are in CNY" in result.output


def test_a_role_paid_in_another_currency_than_the_packs_is_refused_at_load(tmp_path: Path) -> None:
    """A role whose amounts (and agents) are in USD under deductions in CNY is a policy error at its key."""
    policy = authority_with(tmp_path, "")
    text = policy.read_text(encoding="utf-8").replace(
        "  W: {base_pay: 30000, target_bonus: 0}\n",
        "  W: {base_pay: 30000, target_bonus: 0}\n  U: {currency: USD, base_pay: 4000, target_bonus: 0}\n",
    )
    policy.write_text(text, encoding="utf-8")
    with pytest.raises(PolicyError, match=r"roles\.U\.currency: role U is paid in USD, and the deductions apply"):
        load_policy(policy)


def test_a_policy_of_several_currencies_totals_net_per_currency(runner: CliRunner, tmp_path: Path) -> None:
    """A run of a policy that may pay USD, whose agents are all paid in CNY: net and the employer's cost
    are in the CNY totals, and there is no net added over currencies."""
    policy = authority_with(tmp_path, PAID_IN_USD, currency_column=True)
    month = tmp_path / "month.csv"
    month.write_text("agent_id,role,csat,base,special,currency\nA001,W,90,30000,2000,CNY\n")
    summary = compute(runner, "--period", "2026-01", policy=str(policy), month=str(month))["summary"]
    totals = summary["currencies"]["CNY"]
    assert ("24945.00", "36000.00", False) == (totals["net"], totals["employer_cost"], "net" in summary)


def test_an_approved_one_off_is_paid_before_the_deductions(runner: CliRunner, tmp_path: Path) -> None:
    """A one-off adjustment is a line of gross, so the month's contributions base stays the declared one and
    the tax is worked out on gross with it: 31,000 − 5,000 − 4,500 − 2,000 = 19,500 × 3% = 585."""
    policy = str(authority_with(tmp_path, "one_off_adjustments: {codes: {retention_bonus: Retention bonus}}\n"))
    ledger = str(tmp_path / "pay.db")
    compute(runner, "--period", "2026-01", "--record", "--ledger", ledger, "--by", "Qin Hai", policy=policy)
    for step in (
        ["adjust", "add", "2026-01", "A001", "1000", "--reason", "Stayed", "--policy", policy, "--by", "Qin Hai"],
        ["adjust", "approve", "1", "--by", "Kong Wen"],
    ):
        result = runner.invoke(app, [*step, "--ledger", ledger])
        assert 0 == result.exit_code, result.output
    run = compute(runner, "--period", "2026-01", "--record", "--ledger", ledger, "--by", "Qin Hai", policy=policy)
    slip = run["payslips"][0]
    assert (Decimal("31000.00"), Decimal("585.00"), Decimal("25915.00")) == (
        Decimal(slip["gross"]),
        tax(run),
        Decimal(slip["net"]),
    )


def test_export_pay_writes_each_agents_net_from_the_approved_run(runner: CliRunner, tmp_path: Path) -> None:
    """A profile's `net` field pays what the recorded run left after its deductions; a run without
    deductions has no net, and its export is refused naming the profile's column."""
    profile = write_yaml(
        tmp_path,
        'profile: bank\nlayout: rows\nencoding: utf-8\ndelimiter: ","\nline_ending: lf\nheader: true\n'
        "decimals: 2\ncolumns:\n  - {header: id, field: agent_id}\n  - {header: pay, field: net}\n",
        "bank.yaml",
    )
    found = []
    for policy, name in ((POLICY, "net"), (str(NET / "bare.yaml"), "bare")):
        ledger = str(tmp_path / f"{name}.db")
        compute(runner, "--period", "2026-01", "--record", "--ledger", ledger, policy=policy)
        approved = runner.invoke(app, ["approve", "2026-01", "--ledger", ledger])
        assert 0 == approved.exit_code, approved.output
        out = tmp_path / f"{name}.csv"
        result = runner.invoke(
            app, ["export-pay", "2026-01", "--profile", str(profile), "-o", str(out), "--ledger", ledger]
        )
        found.append((result.exit_code, out.read_text() if out.exists() else result.output))
    assert (0, "id,pay\nA001,24945.00\n") == found[0]
    assert 1 == found[1][0] and "the run deducted nothing, so it has no net pay" in found[1][1]


PROMOTED = """\
policy: promoted-with-deductions
version: "1"
agents: {id: agent_id, role: role}
roles:
  W1: {base_pay: 20000, target_bonus: 0}
  W2: {base_pay: 30000, target_bonus: 0}
kpis:
  csat: {column: csat, unit: percent, weight: 100, score: {threshold: 80, target: 90, stretch: 96}}
grades:
  - {grade: A, min_score: 1.0, multiplier: 1.0}
  - {grade: D, min_score: 0, multiplier: 0}
deductions:
  packs: [PACKS]
  bases: {wage: base}
  special_deductions: special
"""


def test_a_promotion_within_the_month_is_taxed_once_on_the_whole_gross(runner: CliRunner, tmp_path: Path) -> None:
    """W1 to the 15th and W2 from the 16th of January: base pay 20,000 × 15/31 and 30,000 × 16/31 make gross
    25,161.29; one contribution of 4,500 and one tax line on all of it, 3% of 25,161.29 − 5,000 − 4,500 −
    2,000 = 409.84, never a deduction per part."""
    packs = f"{ROOT / 'policies' / 'statutory' / 'cn-iit-2026.yaml'}, {NET / 'social.yaml'}"
    policy = write_yaml(tmp_path, PROMOTED.replace("PACKS", packs))
    month = tmp_path / "month.csv"
    month.write_text("agent_id,role,csat,base,special\nA001,W1,90,30000,2000\n", encoding="utf-8")
    changes = tmp_path / "changes.csv"
    changes.write_text("agent_id,from,to,role,team\nA001,2026-01-16,,W2,\n", encoding="utf-8")
    run = compute(runner, "--period", "2026-01", "--changes", str(changes), policy=str(policy), month=str(month))
    slip = run["payslips"][0]
    assert [("9677.42", 0), ("15483.87", 1)] == [
        (line["amount"], line["part"]) for line in slip["lines"] if line["code"] == "base_pay"
    ]
    assert "25161.29" == slip["gross"]
    assert [("contribution.social", "4500.00"), ("tax.income", "409.84")] == [
        (line["code"], line["amount"]) for line in slip["deductions"]
    ]
    assert "20251.45" == slip["net"]
    assert "25161.29" == slip["withholding"]["tax"]["income"]


GROSS_PACK = """\
pack: test-gross-social
currency: CNY
source: a test pack whose one contribution is a tenth of the month's gross
bases:
  pay: {of: gross}
contributions:
  social: {base: pay, employee: 10%}
"""


def test_team_pay_is_deducted_from_after_the_team_part_is_paid(runner: CliRunner, tmp_path: Path) -> None:
    """Under team results, each agent's contribution and tax are worked out on the whole gross, the team
    part of the bonus included: 10% of gross, then 3% of gross − 5,000 − the contribution."""
    (tmp_path / "gross.yaml").write_text(GROSS_PACK, encoding="utf-8")
    text = (DATA / "teams" / "policy.yaml").read_text(encoding="utf-8")
    text += f"deductions:\n  packs: [{ROOT / 'policies' / 'statutory' / 'cn-iit-2026.yaml'}, gross.yaml]\n"
    policy = write_yaml(tmp_path, text)
    run = compute(runner, "--period", "2026-01", policy=str(policy), month=str(DATA / "teams" / "month.csv"))
    cent = Decimal("0.01")
    team_parts = 0
    for slip in run["payslips"]:
        gross = Decimal(slip["gross"])
        team_parts += any(line["code"] == "bonus.team" and Decimal(line["amount"]) for line in slip["lines"])
        social = (gross / 10).quantize(cent, rounding=ROUND_HALF_UP)
        income_tax = (max(gross - 5000 - social, Decimal(0)) * Decimal("0.03")).quantize(cent, rounding=ROUND_HALF_UP)
        assert [("contribution.social", social), ("tax.income", income_tax)] == [
            (line["code"], Decimal(line["amount"])) for line in slip["deductions"]
        ], slip["agent_id"]
        assert gross - social - income_tax == Decimal(slip["net"])
    assert team_parts >= 3


def test_opening_balances_find_an_agent_whose_id_is_spelt_otherwise(runner: CliRunner, tmp_path: Path) -> None:
    """The opening balances name "a001" where the metrics write "A001": one agent, as everywhere in cspay, so
    March still withholds 1,850."""
    opening = tmp_path / "opening.csv"
    opening.write_text((NET / "opening-feb.csv").read_text(encoding="utf-8").replace("A001", "a001"), "utf-8")
    assert Decimal("1850.00") == tax(compute(runner, "--period", "2026-03", "--opening", str(opening)))


def test_the_ledgers_months_count_for_an_agent_whose_id_is_spelt_otherwise(runner: CliRunner, tmp_path: Path) -> None:
    """January and February recorded for "A001", March paid from a file that writes "ａ００１": the year to
    date is the same agent's, so March withholds what the authority's example says, 1,850."""
    ledger = tmp_path / "pay.db"
    record(runner, ledger, "2026-01", "2026-02")
    march = tmp_path / "march.csv"
    march.write_text(Path(MONTH).read_text(encoding="utf-8").replace("A001", "ａ００１"), "utf-8")
    (paid,) = [compute(runner, "--period", "2026-03", "--ledger", str(ledger), month=str(march))]
    assert Decimal("1850.00") == tax(paid)


def test_opening_balances_name_an_agent_once_however_the_id_is_spelt(runner: CliRunner, tmp_path: Path) -> None:
    """ "A001" and "a001" on two rows are one agent twice: an error naming both rows."""
    opening = tmp_path / "opening.csv"
    lines = (NET / "opening-feb.csv").read_text(encoding="utf-8").splitlines()
    opening.write_text("\n".join([*lines, lines[1].replace("A001", "a001")]) + "\n", "utf-8")
    result = runner.invoke(app, ["compute", POLICY, MONTH, "--period", "2026-03", "--opening", str(opening)])
    assert 1 == result.exit_code
    assert f'{opening}: row 3: agent "a001" is already on row 2' in result.stderr


def test_deductions_recorded_as_rows_read_the_same_once_numbered(runner: CliRunner, tmp_path: Path) -> None:
    """A ledger that kept deductions as rows of their own (the schema before the step that numbers them) is
    migrated to numbered ones: every run's deductions and employer lines read back the same, and the next month still
    withholds as the authority's example says."""
    import sqlite3

    from helpers import ledger_at_schema

    from cspay.ledger.schema import MIGRATIONS

    newer, older = tmp_path / "newer.db", tmp_path / "older.db"
    record(runner, newer, "2026-01", "2026-02")
    with Ledger(newer) as book:
        expected = {run.id: book.deductions_of(run.id) for run in book.runs()}
    numbering = next(number for number, step in enumerate(MIGRATIONS) if "DROP TABLE deductions" in step)
    ledger_at_schema(older, numbering).close()
    with sqlite3.connect(older) as db:  # the same runs, their deductions as rows
        db.execute("ATTACH DATABASE ? AS newer", (str(newer),))
        tables = "SELECT name FROM {}.sqlite_master WHERE type = 'table'"
        kept = {name for (name,) in db.execute(tables.format("newer"))}
        for (table,) in db.execute(tables.format("main")).fetchall():
            if table not in kept:  # deductions, filled below
                continue
            columns = [row[1] for row in db.execute(f"PRAGMA main.table_info({table})")]
            listed = ", ".join(columns)
            db.execute(f"INSERT INTO main.{table} ({listed}) SELECT {listed} FROM newer.{table}")
        slips = dict(db.execute("SELECT agent_id || ' ' || run_id, id FROM main.payslips").fetchall())
        db.executemany(
            "INSERT INTO deductions (payslip_id, side, position, code, label, amount) VALUES (?, ?, ?, ?, ?, ?)",
            [
                (slips[f"{agent} {run_id}"], side, i, line.code, line.label, str(line.amount))
                for run_id, agents in expected.items()
                for agent, sides in agents.items()
                for side, lines in zip(("employee", "employer"), sides, strict=True)
                for i, line in enumerate(lines)
            ],
        )
    with Ledger(older) as book:  # opened for writing: migrated
        assert expected == {run.id: book.deductions_of(run.id) for run in book.runs()}
    assert Decimal("1850.00") == tax(compute(runner, "--period", "2026-03", "--ledger", str(older)))
