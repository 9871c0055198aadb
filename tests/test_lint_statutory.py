"""The pitfall warnings about statutory packs: example values (CSP108) and annual bonuses by grade that
land in a dead zone of the one-time bonus's tax (CSP109)."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import CN_IIT, DATA, write_yaml

from cspay.i18n import Words
from cspay.policy.loader import load_policy
from cspay.rollout.lint import lint, warnings_of

ANNUAL = (DATA / "net" / "annual.yaml").read_text(encoding="utf-8")


def annual_policy(tmp_path: Path, multiplier: str) -> Path:
    """The annual-bonus test policy (36,000 of target over the year) with grade A's multiplier replaced."""
    text = ANNUAL.replace("../../../policies/statutory/cn-iit-2026.yaml", str(CN_IIT))
    return write_yaml(
        tmp_path, text.replace("min_score: 1.0, multiplier: 1.0", f"min_score: 1.0, multiplier: {multiplier}")
    )


@pytest.mark.parametrize(("multiplier", "warned"), [("1.0", False), ("1.0001", True), ("1.07", True), ("1.08", False)])
def test_a_grades_bonus_in_a_dead_zone_is_warned_about(tmp_path: Path, multiplier: str, warned: bool) -> None:
    """36,000 is the edge (no warning); above it up to 38,566.67 nets less than 36,000 (CSP109); 38,880 clears it."""
    findings = [
        finding for finding in lint(load_policy(annual_policy(tmp_path, multiplier))) if finding.code == "CSP109"
    ]
    assert warned == bool(findings)


def test_the_dead_zone_warning_says_what_the_bonus_nets(tmp_path: Path) -> None:
    """37,800 (1.05 × 36,000) pays 37,800 × 10% − 210 = 3,570 and nets 34,230.00, against 34,920.00 at the
    edge (36,000 − 1,080): the warning sits at grade A's multiplier."""
    path = annual_policy(tmp_path, "1.05")
    (finding,) = [finding for finding in lint(load_policy(path), Words("en")) if finding.code == "CSP109"]
    assert (str(path), 11) == (finding.file, finding.line)
    assert finding.message.startswith(
        "role W, grade A: an annual bonus of ¥37,800.00 falls in a dead zone of the one-time bonus's tax: it nets "
        "¥34,230.00, less than a bonus of ¥36,000.00 nets (¥34,920.00); every bonus above ¥36,000.00 up to "
        "¥38,566.67 nets less."
    )


def test_example_values_are_warned_about_in_the_pack_file(tmp_path: Path) -> None:
    """A policy naming the example city pack gets CSP108, located at the pack's example: true."""
    city = CN_IIT.parent / "cn-city-example-2026.yaml"
    text = (DATA / "net" / "authority.yaml").read_text(encoding="utf-8")
    text = text.replace("../../../policies/statutory/cn-iit-2026.yaml, social.yaml", f"{CN_IIT}, {city}")
    text = text.replace("bases: {wage: base}", "bases: {social_insurance: base, housing_fund: base}")
    findings = warnings_of(lint(load_policy(write_yaml(tmp_path, text))))
    assert [("CSP108", str(city), 10)] == [(f.code, f.file, f.line) for f in findings if f.code == "CSP108"]


def test_a_silenced_example_warning_is_kept_with_its_reason() -> None:
    """The shipped China policy silences CSP108 with its reason; nothing else is left to warn about."""
    findings = lint(load_policy(Path(__file__).resolve().parents[1] / "policies" / "china-net.yaml"))
    assert (["CSP108"], []) == ([f.code for f in findings if f.reason], warnings_of(findings))
