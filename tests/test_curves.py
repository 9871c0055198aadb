"""A KPI's curve: where a value sits, its exact score, and the value that reaches a wanted score."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest

from cspay.engine.compiled import Engine
from cspay.engine.curves import exact_score, position, value_for_score
from cspay.inputs.metrics import read_metrics
from cspay.policy.loader import load_policy
from cspay.policy.model import BandScore, LinearScore

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def policy():
    return load_policy(DATA / "standard.yaml")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("79.9", "short_of_threshold"),
        ("80", "threshold_to_target"),
        ("90", "target_to_stretch"),
        ("96", "at_stretch"),
        ("99", "at_stretch"),
    ],
)
def test_position_on_a_rising_curve_at_its_boundaries(value, expected):
    """A value exactly on a point belongs to the stretch that starts there."""
    score = LinearScore(threshold=Decimal(80), target=Decimal(90), stretch=Decimal(96))
    assert (expected, None) == position(score, Decimal(value))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("421", "short_of_threshold"),
        ("420", "threshold_to_target"),
        ("360", "target_to_stretch"),
        ("300", "at_stretch"),
    ],
)
def test_position_on_a_falling_curve_at_its_boundaries(value, expected):
    """Lower-is-better curves mirror the rule: exactly 360 s is at target."""
    score = LinearScore(threshold=Decimal(420), target=Decimal(360), stretch=Decimal(300))
    assert (expected, None) == position(score, Decimal(value))


def test_position_in_bands_takes_the_band_starting_at_the_value():
    """A value on a band's `from` is in that band; below the first band it is in none."""
    score = BandScore(bands=[{"from": 70, "score": "0.6"}, {"from": 80, "score": 1}])
    assert ("band", Decimal(80)) == position(score, Decimal(80))
    assert ("below_first_band", None) == position(score, Decimal("69.9"))


def test_exact_score_is_the_engines_score(policy):
    """The exact score agrees with the engine's Decimal score to all of Decimal's 28 digits."""
    for row in read_metrics(DATA / "month.csv", policy):
        for result in Engine(policy).payslip(row).kpis:
            exact = exact_score(policy.kpis[result.code].score, Fraction(result.value))
            assert abs(exact - Fraction(result.score)) < Fraction(1, 10**25), (row.agent_id, result.code)


def test_solving_inside_a_stretch_is_exact(policy):
    """From 92.5, a csat score of 1.25 is reached at exactly 93, halfway from target 90 to stretch 96."""
    assert Fraction(93) == value_for_score(policy.kpis["csat"].score, Fraction("92.5"), Fraction("1.25"))


def test_solving_a_lower_is_better_curve_goes_down(policy):
    """Handle time reaches a score of 1.25 at 330 s, below today's 335 s."""
    assert Fraction(330) == value_for_score(policy.kpis["aht"].score, Fraction(335), Fraction("1.25"))


def test_solving_bands_gives_the_first_band_that_is_enough(policy):
    """A quality score of 1.0 is first reached at the band from 80."""
    assert Fraction(80) == value_for_score(policy.kpis["qa"].score, Fraction(58), Fraction(1))


def test_solving_across_the_threshold_jump_lands_on_the_threshold(policy):
    """Short of threshold, a wanted score up to at_threshold is reached at the threshold itself."""
    assert Fraction(80) == value_for_score(policy.kpis["csat"].score, Fraction(70), Fraction(1, 2))


def test_solving_beyond_the_curve_gives_nothing(policy):
    """No value reaches a score above at_stretch."""
    assert value_for_score(policy.kpis["csat"].score, Fraction(70), Fraction(2)) is None
