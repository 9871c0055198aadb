"""Statutory packs: read and checked like policies (one bad file per failure mode, each message located),
put together with the policy that names them, and the dated values in force on a day."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from helpers import CN_IIT, DATA, TINY_POLICY, write_yaml

from cspay.errors import PolicyError
from cspay.policy.in_force import in_force
from cspay.policy.loader import load_pack, load_policy
from cspay.policy.packs import combine_packs

INVALID = DATA / "packs" / "invalid"

# Each invalid pack and the located messages it must produce (file:line:col, key, what is wrong).
EXPECTED = {
    "anchor": ["anchor.yaml:5:9: anchors and aliases (&, *) are not allowed"],
    "bad_method": ["bad_method.yaml:5:11: income_tax.method: expected one of 'cumulative' or 'monthly'"],
    "cap_below_floor": ["cap_below_floor.yaml:7:10: bases.wage.cap: the cap 3000 lies below the floor 7460"],
    "dated_by_words": ["dated_by_words.yaml:6:10: bases.wage.cap: expected a value, or values by the date"],
    "falling_rates": ["falling_rates.yaml:9:14: income_tax.brackets[1].rate: rates must not fall"],
    "mid_month_date": ["mid_month_date.yaml:6:12: bases.wage.floor: 2025-07-15: a value holds from the first day"],
    "no_source": ["no_source.yaml:1:7: pack: name the source of the values (source: and checked:), or mark them"],
    "quick_deduction_wrong": [
        "quick_deduction_wrong.yaml:9:51: income_tax.brackets[1].quick_deduction: 2510 does not follow from the rows "
        "above it: expected 2520"
    ],
    "rate_as_fraction": ["rate_as_fraction.yaml:7:35: contributions.pension.employee: expected a share written as"],
    "rate_over_all": ["rate_over_all.yaml:7:35: contributions.pension.employee: expected a rate of at most 100%"],
    "top_row_with_up_to": ["top_row_with_up_to.yaml:9:15: income_tax.brackets[1].up_to: the last row holds everything"],
    "unknown_key": ["unknown_key.yaml:7:25: contributions.pension.emplyee: unknown key 'emplyee'; did you mean"],
    "up_to_not_rising": ["up_to_not_rising.yaml:9:15: income_tax.brackets[1].up_to: up_to must rise row by row"],
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_an_invalid_pack_is_refused_with_located_messages(name: str) -> None:
    """Each failure mode gives its message at the file, line and column of the key at fault."""
    with pytest.raises(PolicyError) as caught:
        load_pack(INVALID / f"{name}.yaml")
    found = caught.value.lines()
    assert len(EXPECTED[name]) == len(found), found
    for expected, line in zip(EXPECTED[name], found, strict=True):
        assert line.startswith(str(INVALID / expected.split(":", 1)[0])) and expected.split(":", 1)[1] in line


def test_every_invalid_pack_file_has_expected_problems() -> None:
    """No file in the invalid folder goes untested, and no expectation names a missing file."""
    assert sorted(EXPECTED) == sorted(path.stem for path in INVALID.glob("*.yaml"))


def test_the_shipped_packs_load() -> None:
    """The national income-tax rules and the example city load with their sources or example mark."""
    city = load_pack(CN_IIT.parent / "cn-city-example-2026.yaml")
    national = load_pack(CN_IIT)
    assert (False, True, 5) == (national.example, city.example, len(city.contributions))


PACK = """\
pack: {name}
currency: {currency}
source: a test
bases:
  wage: {{floor: {{2025-07-01: 7000, 2026-07-01: 7460}}, cap: 37302}}
contributions:
  {contribution}: {{base: wage, employee: 8%}}
"""


def policy_with(tmp_path: Path, deductions: str, *, currency: str = "CNY", period: str = "month") -> Path:
    """A tiny policy with a deductions section (its packs written beside it by the test)."""
    text = TINY_POLICY + f"currency: {currency}\nperiod: {period}\n" + deductions
    return write_yaml(tmp_path, text)


def pack_file(tmp_path: Path, name: str = "city", currency: str = "CNY", contribution: str = "pension") -> str:
    (tmp_path / f"{name}.yaml").write_text(
        PACK.format(name=name, currency=currency, contribution=contribution), encoding="utf-8"
    )
    return f"{name}.yaml"


def refused(path: Path) -> list[str]:
    with pytest.raises(PolicyError) as caught:
        load_policy(path)
    return caught.value.lines()


def test_a_declared_base_needs_its_column(tmp_path: Path) -> None:
    """A pack's base of: column, used by a contribution, with no column named in deductions.bases."""
    policy = policy_with(tmp_path, f"deductions:\n  packs: [{pack_file(tmp_path)}]\n")
    assert [
        f"{policy}:15:3: deductions: base 'wage' is each agent's declared base: name its column, "
        "e.g. bases: {wage: <column>}"
    ] == refused(policy)


def test_a_column_for_a_base_no_pack_has_is_refused(tmp_path: Path) -> None:
    """deductions.bases names a base no pack defines: the known bases are listed."""
    deductions = f"deductions:\n  packs: [{pack_file(tmp_path)}]\n  bases: {{wage: base, salary: pay}}\n"
    policy = policy_with(tmp_path, deductions)
    assert [f"{policy}:16:31: deductions.bases.salary: unknown base 'salary'; the packs' declared bases are wage"] == (
        refused(policy)
    )


def test_a_pack_in_another_currency_is_refused(tmp_path: Path) -> None:
    """China's rules apply to pay in CNY: a policy paying in CHF cannot use them."""
    deductions = f"deductions:\n  packs: [{pack_file(tmp_path)}]\n  bases: {{wage: base}}\n"
    policy = policy_with(tmp_path, deductions, currency="CHF")
    assert [
        f"{policy}:15:11: deductions.packs[0]: the pack city holds amounts in CNY, the policy pays in CHF; "
        "a statutory pack applies to pay in its own currency"
    ] == refused(policy)


@pytest.mark.parametrize(
    ("period", "extra", "message"),
    [
        ("quarter", "", "deductions: a quarter's bonus is wage income of the month it is paid in"),
        ("year", "", "deductions: an annual policy's run withholds only the one-time bonus's tax"),
        ("month", "  one_time_bonus: true\n", "deductions.one_time_bonus: the one-time bonus is an annual bonus"),
        ("year", "  one_time_bonus: true\n", "deductions.one_time_bonus: none of the packs has a one_time_bonus table"),
    ],
)
def test_what_each_kind_of_period_withholds(tmp_path: Path, period: str, extra: str, message: str) -> None:
    """A month withholds wages' tax, a year only the one-time bonus's; a quarter withholds nothing itself."""
    deductions = f"deductions:\n  packs: [{pack_file(tmp_path)}]\n  bases: {{wage: base}}\n{extra}"
    problems = refused(policy_with(tmp_path, deductions, period=period))
    assert 1 == len(problems) and message in problems[0], problems


def test_a_missing_pack_file_is_located_in_the_policy(tmp_path: Path) -> None:
    """The path is relative to the policy's folder; a missing file is named at the policy's line."""
    policy = policy_with(tmp_path, "deductions:\n  packs: [nowhere.yaml]\n")
    assert [
        f"{policy}:15:11: deductions.packs[0]: no file {tmp_path / 'nowhere.yaml'} (the path is relative to the "
        "policy's folder)"
    ] == refused(policy)


def test_a_contribution_defined_by_two_packs_is_refused_in_the_second(tmp_path: Path) -> None:
    """Each rule belongs to one pack: the second definition is the error, naming the first pack's file."""
    first, second = pack_file(tmp_path, "one"), pack_file(tmp_path, "two")
    policy = policy_with(tmp_path, f"deductions:\n  packs: [{first}, {second}]\n  bases: {{wage: base}}\n")
    problems = refused(policy)
    assert [f"{tmp_path / 'two.yaml'}:5:3: bases.wage: also defined in {tmp_path / 'one.yaml'}"] == [
        line.split("; each")[0] for line in problems[:1]
    ]
    assert 2 == len(problems)  # the base and the contribution


def test_the_value_in_force_is_the_one_from_the_first_day_of_the_month_paid(tmp_path: Path) -> None:
    """A floor of 7,000 from 2025-07-01 and 7,460 from 2026-07-01: June 2026 pays on 7,000, July on 7,460."""
    deductions = f"deductions:\n  packs: [{pack_file(tmp_path)}]\n  bases: {{wage: base}}\n"
    policy = load_policy(policy_with(tmp_path, deductions))
    assert policy.deductions is not None
    statutory = combine_packs(policy.deductions.loaded)
    floors = [
        in_force(policy.deductions, statutory, day).bases["wage"].floor for day in (date(2026, 6, 1), date(2026, 7, 1))
    ]
    assert [Decimal(7000), Decimal(7460)] == floors


def test_a_day_before_every_dated_value_is_refused_at_the_value(tmp_path: Path) -> None:
    """No floor holds before 2025-07-01: a run of 2025-06 is refused, pointing at the floor in the pack."""
    deductions = f"deductions:\n  packs: [{pack_file(tmp_path)}]\n  bases: {{wage: base}}\n"
    policy = load_policy(policy_with(tmp_path, deductions))
    assert policy.deductions is not None
    with pytest.raises(PolicyError) as caught:
        in_force(policy.deductions, combine_packs(policy.deductions.loaded), date(2025, 6, 1))
    assert [
        f"{tmp_path / 'city.yaml'}:5:10: bases.wage.floor: no value holds on 2025-06-01; the first holds from "
        "2025-07-01"
    ] == caught.value.lines()


def test_a_pack_past_its_holds_until_is_refused(tmp_path: Path) -> None:
    """The example city's bases are known to July 2026: a run of 2026-07 asks for the new values."""
    deductions = "deductions:\n  packs: [city.yaml]\n  bases: {social_insurance: base, housing_fund: base}\n"
    (tmp_path / "city.yaml").write_bytes((CN_IIT.parent / "cn-city-example-2026.yaml").read_bytes())
    policy = load_policy(policy_with(tmp_path, deductions))
    assert policy.deductions is not None
    with pytest.raises(PolicyError) as caught:
        in_force(policy.deductions, combine_packs(policy.deductions.loaded), date(2026, 7, 1))
    assert "holds_until: the pack's values are known to hold until 2026-06-30; a run from 2026-07-01" in str(
        caught.value
    )


def test_a_policys_fingerprint_covers_its_packs(tmp_path: Path) -> None:
    """Changing a rate in a pack changes the policy's SHA-256, which every output and the ledger carry."""
    deductions = f"deductions:\n  packs: [{pack_file(tmp_path)}]\n  bases: {{wage: base}}\n"
    path = policy_with(tmp_path, deductions)
    before = load_policy(path).sha256
    pack = tmp_path / "city.yaml"
    pack.write_text(pack.read_text(encoding="utf-8").replace("8%", "9%"), encoding="utf-8")
    assert before != load_policy(path).sha256
