"""Dated policy values: the versions a policy's timelines make, the value in force on each day, the
versions in force over a period, and the timeline validate-policy prints."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from helpers import STANDARD, write_yaml

from cspay.cli import app
from cspay.errors import PolicyError
from cspay.policy.loader import load_policy
from cspay.policy.model import LinearScore, Policy

RAISE = """    base_pay:
      - {from: 2026-01-01, value: 5200}
      - {from: 2026-07-16, value: 5400}
"""
PHONE = """    allowances:
      meal: 400
      transport: 200
      phone:
        - {from: 2026-03-01, to: 2026-05-31, value: 100}
"""
CURVE = """    score:
      - {from: 2026-01-01, value: {threshold: 420, target: 360, stretch: 300}}
      - {from: 2026-10-01, value: {threshold: 400, target: 340, stretch: 290}}
"""


def dated_text() -> str:
    """The standard test policy with L1's base pay raised mid-July, a phone allowance in spring, and a new
    handle-time curve from October."""
    text = STANDARD.read_text(encoding="utf-8")
    text = text.replace("    base_pay: 5200\n", RAISE, 1)
    text = text.replace("    allowances: {meal: 400, transport: 200}\n", PHONE, 1)
    return text.replace("    score: {threshold: 420, target: 360, stretch: 300}   # lower is better\n", CURVE, 1)


@pytest.fixture
def dated(tmp_path: Path) -> Policy:
    return load_policy(write_yaml(tmp_path, dated_text()))


def test_the_text_has_every_change():
    """The fixture's replacements all took place (the tests below read what they changed)."""
    text = dated_text()
    assert (RAISE in text, PHONE in text, CURVE in text) == (True, True, True)


def test_versions_cover_each_stretch_without_a_change(dated):
    """One version per stretch of days over which no dated value changes, the last one open-ended."""
    assert [
        (date(2026, 1, 1), date(2026, 2, 28)),
        (date(2026, 3, 1), date(2026, 5, 31)),
        (date(2026, 6, 1), date(2026, 7, 15)),
        (date(2026, 7, 16), date(2026, 9, 30)),
        (date(2026, 10, 1), None),
    ] == [(version.first, version.last) for version in dated.versions]


def test_the_day_of_a_change_takes_the_new_value(dated):
    """On 2026-07-16, the first day of the raise, the new base pay holds; the day before, the old one."""
    assert Decimal(5200) == dated.in_force(date(2026, 7, 15), date(2026, 7, 15))[0].policy.roles["L1"].base_pay
    assert Decimal(5400) == dated.in_force(date(2026, 7, 16), date(2026, 7, 16))[0].policy.roles["L1"].base_pay


def test_an_allowance_holds_only_between_its_dates(dated):
    """The phone allowance is paid from March to May, not before or after."""
    found = [
        "phone" in dated.in_force(day, day)[0].policy.roles["L1"].allowances
        for day in (date(2026, 2, 28), date(2026, 3, 1), date(2026, 5, 31), date(2026, 6, 1))
    ]
    assert [False, True, True, False] == found


def test_the_policy_loaded_is_the_last_version(dated):
    """What load_policy returns is the policy as it stands from the last change on."""
    curve = dated.kpis["aht"].score
    assert isinstance(curve, LinearScore)
    assert (Decimal(5400), Decimal(400)) == (dated.roles["L1"].base_pay, curve.threshold)


def test_a_period_across_a_change_has_a_version_for_each_part(dated):
    """July 2026 is paid by two versions, cut to the month's days."""
    assert [(date(2026, 7, 1), date(2026, 7, 15)), (date(2026, 7, 16), date(2026, 7, 31))] == [
        (version.first, version.last) for version in dated.in_force(date(2026, 7, 1), date(2026, 7, 31))
    ]


def test_a_period_before_the_first_date_is_refused(dated):
    """No value is in force before the policy's first date."""
    with pytest.raises(ValueError, match="start on 2026-01-01"):
        dated.in_force(date(2025, 12, 1), date(2025, 12, 31))


def test_a_policy_without_dates_is_one_version(standard):
    """An undated policy is in force as it is, whatever the days."""
    assert [standard] == [version.policy for version in standard.in_force(date(2026, 1, 1), date(2026, 3, 31))]


def test_each_version_is_checked_like_a_policy(tmp_path):
    """A curve that is fine in one version and broken in the next is refused, at the broken entry's value."""
    text = STANDARD.read_text(encoding="utf-8").replace(
        "    score: {threshold: 420, target: 360, stretch: 300}   # lower is better\n",
        "    score:\n      - {from: 2026-01-01, value: {threshold: 420, target: 360, stretch: 300}}\n"
        "      - {from: 2026-10-01, value: {threshold: 300, target: 360, stretch: 300}}\n",
        1,
    )
    path = write_yaml(tmp_path, text)
    with pytest.raises(PolicyError) as caught:
        load_policy(path)
    assert 1 == len(caught.value.lines())
    assert "kpis.aht.score[1].value" in caught.value.lines()[0]
    assert "strictly increasing or strictly decreasing" in caught.value.lines()[0]


def test_validate_policy_prints_the_timeline(runner, tmp_path):
    """validate-policy lists each day a value changes, old → new, after the summary line."""
    path = write_yaml(tmp_path, dated_text())
    result = runner.invoke(app, ["validate-policy", str(path)])
    assert 0 == result.exit_code, result.output
    assert [
        "  from 2026-03-01: roles.L1.allowances.phone 100 (new)",
        "  from 2026-06-01: roles.L1.allowances.phone 100 → ends",
        "  from 2026-07-16: roles.L1.base_pay 5200 → 5400",
        "  from 2026-10-01: kpis.aht.score {threshold 420, target 360, stretch 300} → "
        "{threshold 400, target 340, stretch 290}",
    ] == result.stdout.splitlines()[2:]


def test_validate_policy_json_carries_the_timeline(runner, tmp_path):
    """--format json gives each change day with the key, the old value and the new."""
    path = write_yaml(tmp_path, dated_text())
    result = runner.invoke(app, ["validate-policy", str(path), "--format", "json"])
    assert 0 == result.exit_code, result.output
    timeline = json.loads(result.stdout)[0]["timeline"]
    assert {"from": "2026-07-16", "changes": [{"key": "roles.L1.base_pay", "old": "5200", "new": "5400"}]} == (
        timeline[3]
    )


def test_an_undated_policy_prints_no_timeline(runner):
    """A policy without dates prints its one summary line, as before."""
    result = runner.invoke(app, ["validate-policy", str(STANDARD)])
    assert 0 == result.exit_code, result.output
    assert 1 == len(result.stdout.splitlines())


def test_a_dated_policy_is_linted_as_it_stands_in_each_stretch(tmp_path):
    """A target bonus raised too far from July to September is warned about (CSP101), once, though the policy
    before and after it is fine."""
    from cspay.rollout.lint import lint

    text = STANDARD.read_text(encoding="utf-8")
    old = "    target_bonus: 1800       # an amount, paid in full at multiplier 1.0\n"
    assert old in text
    path = write_yaml(
        tmp_path,
        text.replace(
            old,
            "    target_bonus:\n      - {from: 2026-01-01, value: 1800}\n      - {from: 2026-07-01, to: 2026-09-30, "
            "value: 4000}\n      - {from: 2026-10-01, value: 1800}\n",
        ),
    )
    policy = load_policy(path)
    assert ["CSP101"] == [finding.code for finding in lint(policy) if finding.code == "CSP101"]
    assert [] == [finding.code for finding in lint(policy.versions[0].policy) if finding.code == "CSP101"]


def test_calibrate_refuses_a_dated_policy(runner, tmp_path):
    """calibrate writes one value per key, so a policy whose values change on dates is refused (exit 2)."""
    path = write_yaml(tmp_path, dated_text())
    arguments = ["calibrate", str(path), str(STANDARD.parent / "month.csv"), "--period", "2026-11"]
    result = runner.invoke(app, [*arguments, "--out", str(tmp_path / "new.yaml")])
    assert 2 == result.exit_code, result.output
    assert "has values that change on dates, and calibrate writes one value per key" in result.output
