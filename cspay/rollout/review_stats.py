"""The statistical tests of `cspay review`, each from scipy.stats with its effect size, and the Holm
correction that keeps many tests from flagging a group by chance.

Tests run on floats inside scipy; what a person reads (shares, medians of money) stays Decimal elsewhere.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

SIGNIFICANCE = 0.05  # a test's Holm-adjusted p-value must be below this to count
# Effect sizes below these are not findings however small p is: in a run of 500,000 agents a difference
# of no practical weight is still "significant". The usual "medium" marks (Cohen; Tomczak & Tomczak).
MIN_CRAMERS_V = 0.2
MIN_RANK_BISERIAL = 0.3
MIN_EPSILON_SQUARED = 0.06
MIN_SPEARMAN = 0.3


@dataclass(frozen=True)
class Test:
    """One test's statistic, p-value and effect size (named), before and after the Holm correction."""

    name: str
    statistic: float
    p: float
    effect: str
    size: float
    p_adjusted: float | None = None

    def adjusted(self, p: float) -> Test:
        return Test(self.name, self.statistic, self.p, self.effect, self.size, p)

    @property
    def p_final(self) -> float:
        return self.p if self.p_adjusted is None else self.p_adjusted

    def data(self) -> dict[str, object]:
        return {
            "test": self.name,
            "statistic": _finite(self.statistic),
            "p": _finite(self.p),
            "p_adjusted": None if self.p_adjusted is None else _finite(self.p_adjusted),
            "effect": self.effect,
            "effect_size": _finite(self.size),
        }


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def chi_square(table: Sequence[Sequence[int]]) -> Test:
    """Independence of the rows and columns of a contingency table (chi2_contingency), with Cramér's V.

    Columns (grades) nobody holds are dropped first: they carry no information and make the expected
    frequencies zero."""
    from scipy.stats import chi2_contingency
    from scipy.stats.contingency import association

    kept = [index for index in range(len(table[0])) if any(row[index] for row in table)]
    rows = [[row[index] for index in kept] for row in table if any(row[index] for index in kept)]
    if len(rows) < 2 or len(kept) < 2:
        return Test("chi2_contingency", 0.0, 1.0, "cramers_v", 0.0)
    result = chi2_contingency(rows, correction=False)
    return Test(
        "chi2_contingency", float(result.statistic), float(result.pvalue), "cramers_v", float(association(rows))
    )


def kruskal(samples: Sequence[Sequence[float]]) -> Test:
    """Whether several groups' values come from one distribution (Kruskal-Wallis H), with epsilon
    squared, H / (n - 1)."""
    from scipy.stats import kruskal as scipy_kruskal

    groups = [list(sample) for sample in samples if sample]
    values = {value for sample in groups for value in sample}
    n = sum(len(sample) for sample in groups)
    if len(groups) < 2 or len(values) < 2:
        return Test("kruskal", 0.0, 1.0, "epsilon_squared", 0.0)
    result = scipy_kruskal(*groups)
    statistic = float(result.statistic)
    return Test("kruskal", statistic, float(result.pvalue), "epsilon_squared", statistic / (n - 1))


def mann_whitney(group: Sequence[float], rest: Sequence[float]) -> Test:
    """Whether a group's values sit above or below the rest's (Mann-Whitney U, two-sided), with the rank-
    biserial correlation 2U / (n1 n2) - 1: positive when the group's values are the higher ones."""
    from scipy.stats import mannwhitneyu

    if not group or not rest or len({*group, *rest}) < 2:
        return Test("mannwhitneyu", 0.0, 1.0, "rank_biserial", 0.0)
    result = mannwhitneyu(group, rest, alternative="two-sided")
    statistic = float(result.statistic)
    return Test(
        "mannwhitneyu",
        statistic,
        float(result.pvalue),
        "rank_biserial",
        2 * statistic / (len(group) * len(rest)) - 1,
    )


def spearman(x: Sequence[float], y: Sequence[float]) -> Test:
    """Rank correlation across agents (spearmanr); the effect size is rho itself."""
    from scipy.stats import spearmanr

    if len(x) < 3 or len(set(x)) < 2 or len(set(y)) < 2:
        return Test("spearmanr", 0.0, 1.0, "rho", 0.0)
    result = spearmanr(x, y)
    rho = float(result.statistic)
    return Test("spearmanr", rho, float(result.pvalue), "rho", rho)


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm's step-down adjustment of p-values for the family-wise error rate: sorted ascending, the i-th
    (from 0) of m becomes max over the ones before of min(1, (m - i) p), so that the chance of flagging
    any group by chance stays below the significance level however many are tested."""
    order = sorted(range(len(p_values)), key=lambda i: p_values[i])
    adjusted = [1.0] * len(p_values)
    running = 0.0
    for rank, index in enumerate(order):
        running = max(running, min(1.0, (len(p_values) - rank) * p_values[index]))
        adjusted[index] = running
    return adjusted


def adjust(tests: list[Test]) -> list[Test]:
    """The tests with their Holm-adjusted p-values, as one family."""
    return [test.adjusted(p) for test, p in zip(tests, holm([test.p for test in tests]), strict=True)]


def significant(test: Test, minimum: float) -> bool:
    """Below the significance level after the correction, and of at least `minimum` effect size."""
    return test.p_final < SIGNIFICANCE and abs(test.size) >= minimum
