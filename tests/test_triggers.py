"""Action rules over an agent's grades in recorded periods."""

from __future__ import annotations

from pathlib import Path

import pytest

from cspay.engine.triggers import periods_needed, triggered
from cspay.errors import PolicyError
from cspay.policy.loader import load_policy

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def policy():
    return load_policy(DATA / "actions.yaml")


def test_grade_a_three_periods_running_flags_promotion_review(policy):
    """A, A, A (current first) triggers promotion_review."""
    assert ["promotion_review"] == triggered(policy, ["A", "A", "A"])


def test_a_better_grade_counts_as_at_least(policy):
    """S is at least A, ranked by min_score."""
    assert ["promotion_review"] == triggered(policy, ["S", "A", "S"])


def test_a_gap_breaks_a_consecutive_run(policy):
    """A period with no grade (not recorded or absent) breaks the run."""
    assert [] == triggered(policy, ["A", None, "A"])


def test_two_periods_are_not_three(policy):
    """Without a third recorded period the rule does not fire."""
    assert [] == triggered(policy, ["A", "A"])


def test_in_last_counts_periods_not_runs(policy):
    """D in two of the last three periods triggers training_plan, even with a gap between."""
    assert ["training_plan"] == triggered(policy, ["D", "B", "D"])


def test_in_last_ignores_periods_beyond_its_window(policy):
    """A D four periods back is outside in_last: {periods: 3}."""
    assert [] == triggered(policy, ["D", "B", "C", "D"])


def test_periods_needed_is_the_longest_rule(policy):
    """The history read back is as long as the longest rule."""
    assert 3 == periods_needed(policy)


@pytest.mark.parametrize(
    ("rule", "fragment"),
    [
        (
            "{grade_at_least: Z, consecutive: 3}",
            "actions.promotion_review.grade_at_least: unknown grade 'Z'; the grades are S, A, B, C, D",
        ),
        ("{grade_at_least: A}", "a rule has exactly one of consecutive: N or in_last"),
        ("{grade_at_least: A, grade_at_most: B, consecutive: 2}", "exactly one of grade_at_least or grade_at_most"),
        ("{grade_at_least: A, in_last: {periods: 2, count: 3}}", "count 3 cannot exceed periods 2"),
        ("{grade_at_least: A, consecutive: 0}", "greater than 0"),
    ],
)
def test_bad_rules_are_policy_errors(tmp_path, rule, fragment):
    """Each malformed rule is reported at its place in the file."""
    path = tmp_path / "p.yaml"
    text = (DATA / "actions.yaml").read_text(encoding="utf-8")
    path.write_text(text.replace("{grade_at_least: A, consecutive: 3}", rule), encoding="utf-8")
    with pytest.raises(PolicyError) as caught:
        load_policy(path)
    assert any(fragment in line and line.startswith(f"{path}:") for line in caught.value.lines()), caught.value.lines()
