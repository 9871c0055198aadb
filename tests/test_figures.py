"""cspay.inputs.figures: each figure's value made from exact parts by one rule, held to the reference."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st
from reference_derive import percentile as reference_percentile

from cspay.inputs.figures import percentile, percentile_figure

VALUES = st.lists(st.decimals(min_value=-1000, max_value=1000, places=3, allow_nan=False), min_size=1, max_size=40)
PS = st.decimals(min_value=0, max_value=100, places=2, allow_nan=False)


@given(values=VALUES, p=PS)
def test_percentile_of_all_values_is_the_references(values: list[Decimal], p: Decimal) -> None:
    """The percentile calibration and review take is the reference's, digit for digit."""
    assert str(reference_percentile(values, p)) == str(percentile(values, p))


@given(values=VALUES, p=PS)
def test_percentile_figure_from_two_order_statistics_is_the_percentile(values: list[Decimal], p: Decimal) -> None:
    """A figure made from the two order statistics around the rank equals the percentile of every value."""
    ordered = sorted(values)
    low = int((len(ordered) - 1) * p / 100)
    high = ordered[low + 1] if low + 1 < len(ordered) else None
    assert str(percentile(values, p)) == str(percentile_figure(len(ordered), p, ordered[low], high).value)
