"""Splitting an agent's period into parts: by the role of each month, the changes within a month, and the
days on which the policy's role amounts change; each month counts alike, split by its days."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from cspay.engine.spans import Change, Spans, split
from cspay.engine.types import Part

NOVEMBER = Part("L1", "North", Fraction(1), date(2026, 11, 1), date(2026, 11, 30))


def month(role: str, year: int, number: int, team: str = "North") -> Part:
    """The role and team held over a whole month."""
    last = date(year + number // 12, number % 12 + 1, 1).toordinal() - 1
    return Part(role, team, Fraction(1), date(year, number, 1), date.fromordinal(last))


def shares(parts: tuple[Part, ...]) -> list[tuple[str, str, Fraction, date | None, date | None, int]]:
    return [(part.role, part.team, part.share, part.first, part.last, part.version) for part in parts]


def test_a_month_without_changes_is_one_part():
    """Nothing changed: no parts, the row's role and team are paid as they are."""
    assert () == split([NOVEMBER])


def test_a_promotion_on_the_16th_pays_15_days_at_each_role():
    """The day of the change belongs to the new role: 1-15 at L1, 16-30 at L2, half the month each."""
    parts = split([NOVEMBER], [Change(date(2026, 11, 16), None, "L2", "")])
    assert [
        ("L1", "North", Fraction(1, 2), date(2026, 11, 1), date(2026, 11, 15), 0),
        ("L2", "North", Fraction(1, 2), date(2026, 11, 16), date(2026, 11, 30), 0),
    ] == shares(parts)


def test_a_change_on_the_last_day_is_a_part_of_one_day():
    """A promotion on the 30th pays 29 of November's 30 days at L1 and one at L2."""
    parts = split([NOVEMBER], [Change(date(2026, 11, 30), None, "L2", "")])
    assert [Fraction(29, 30), Fraction(1, 30)] == [part.share for part in parts]


def test_a_change_from_the_first_day_is_the_whole_month_at_the_new_role():
    """A changes row covering the whole month pays it all at its role: one part, not the row's role."""
    parts = split([NOVEMBER], [Change(date(2026, 11, 1), None, "L2", "")])
    assert [("L2", "North", Fraction(1), date(2026, 11, 1), date(2026, 11, 30), 0)] == shares(parts)


def test_a_change_with_an_end_returns_to_the_rows_role():
    """A team change from the 10th to the 20th: North, then South, then North again, each by its days."""
    parts = split([NOVEMBER], [Change(date(2026, 11, 10), date(2026, 11, 20), "", "South")])
    assert [("North", Fraction(9, 30)), ("South", Fraction(11, 30)), ("North", Fraction(10, 30))] == [
        (part.team, part.share) for part in parts
    ]


def test_changes_outside_the_month_are_left_out():
    """A change that ended in October or starts in December does not split November."""
    changes = [Change(date(2026, 10, 1), date(2026, 10, 31), "L2", ""), Change(date(2026, 12, 1), None, "L2", "")]
    assert () == split([NOVEMBER], changes)


def test_a_quarter_counts_each_month_alike():
    """L1 in October and November, L2 in December: two thirds and one third, whatever the days per month."""
    parts = split([month("L1", 2026, 10), month("L1", 2026, 11), month("L2", 2026, 12)])
    assert [
        ("L1", "North", Fraction(2, 3), date(2026, 10, 1), date(2026, 11, 30), 0),
        ("L2", "North", Fraction(1, 3), date(2026, 12, 1), date(2026, 12, 31), 0),
    ] == shares(parts)


def test_february_counts_like_march():
    """28 days of February weigh as much as 31 of March: half the period each."""
    parts = split([month("L1", 2026, 2), month("L2", 2026, 3)])
    assert [Fraction(1, 2), Fraction(1, 2)] == [part.share for part in parts]


def test_months_without_dates_count_by_their_order():
    """Without a period column the months are known only in order: each is a third, no days shown."""
    months = [Part("L1", "N", Fraction(1)), Part("L1", "N", Fraction(1)), Part("L2", "N", Fraction(1))]
    assert [("L1", Fraction(2, 3), None), ("L2", Fraction(1, 3), None)] == [
        (part.role, part.share, part.first) for part in split(months)
    ]


def test_a_role_held_again_later_keeps_its_parts_apart():
    """L1, L2, then L1 again: three parts, so that each shows its own days."""
    parts = split([month("L1", 2026, 10), month("L2", 2026, 11), month("L1", 2026, 12)])
    assert [("L1", Fraction(1, 3)), ("L2", Fraction(1, 3)), ("L1", Fraction(1, 3))] == [
        (part.role, part.share) for part in parts
    ]


def test_a_missing_month_of_one_role_is_one_part():
    """An agent away in November, L1 in October and December, is paid as one part."""
    assert () == split([month("L1", 2026, 10), month("L1", 2026, 12)])


def test_a_change_of_role_amounts_splits_the_month():
    """Role amounts that change on the 16th: two parts of the same role, by the version in force."""
    spans = Spans(((date(2026, 11, 1), date(2026, 11, 15)), (date(2026, 11, 16), date(2026, 11, 30))))
    assert [(Fraction(1, 2), 0), (Fraction(1, 2), 1)] == [
        (part.share, part.version) for part in split([NOVEMBER], spans=spans)
    ]


def test_a_role_whose_amounts_did_not_change_is_not_split():
    """When only L2's amounts change, an L1 agent's month stays one part."""
    days = ((date(2026, 11, 1), date(2026, 11, 15)), (date(2026, 11, 16), date(2026, 11, 30)))
    spans = Spans(days, {"L1": (0, 0), "L2": (0, 1)})
    assert () == split([NOVEMBER], spans=spans)


def test_a_month_wholly_in_an_earlier_version_is_one_part_of_that_version():
    """A leaver paid for October only, before December's change: one part, by October's amounts."""
    spans = Spans(((date(2026, 10, 1), date(2026, 11, 30)), (date(2026, 12, 1), date(2026, 12, 31))))
    assert [("L1", Fraction(1), 0)] == [
        (part.role, part.share, part.version) for part in split([month("L1", 2026, 10)], spans=spans)
    ]


@given(st.lists(st.integers(min_value=2, max_value=30), min_size=1, max_size=6, unique=True))
def test_the_shares_add_up_to_one(days):
    """However many changes split a month, its parts' shares add up to exactly 1."""
    roles = ["L2", "L1"] * 3
    changes = [Change(date(2026, 11, day), None, role, "") for day, role in zip(sorted(days), roles, strict=False)]
    parts = split([NOVEMBER], _stacked(changes))
    assert len(parts) == len(days) + 1
    assert Fraction(1) == sum((part.share for part in parts), Fraction(0))


def _stacked(changes: list[Change]) -> list[Change]:
    """The changes as a changes file holds them: each to the day before the next."""
    ends = [None if after is None else date.fromordinal(after.first.toordinal() - 1) for after in [*changes[1:], None]]
    return [Change(change.first, end, change.role, "") for change, end in zip(changes, ends, strict=True)]
