"""Pay every agent under `policies/standard.yaml` with pandas and numpy: the baseline cspay must beat.

This is a reference for that one policy, not a general engine: the policy's numbers (pay, weights,
curves, bands, grades, gates, cap, adjustments, proration, floor) are written into this script, and
it changes only when `policies/standard.yaml` does. It is the straightforward vectorised script an
analyst would write: floats throughout, no validation of the input (the benchmark data is valid).
Floats hold 0.78 as 0.78000000000000002665…, so it nudges by a tiny epsilon where a value that is
exactly on a grade boundary or on a half cent could land a hair below it; with that, it matches an
exact Decimal computation to the cent on the benchmark data. It runs under pandas 2 and 3 alike: a column
of text is told from a numeric one by its dtype's kind, not by `object` (pandas 3 reads text as `str`).

Example: python benchmarks/pandas_reference.py agents.csv payslips.csv
"""

from __future__ import annotations

import argparse
from typing import NamedTuple

import numpy as np
import pandas as pd
from pandas.api.types import is_numeric_dtype

BASE_PAY = {"L1": 5200.0, "L2": 6500.0}
TARGET_BONUS = {"L1": 1800.0, "L2": 0.30 * 6500.0}
ALLOWANCES = {"meal": 400.0, "transport": 200.0}
WEIGHTS = {"csat": 35.0, "fcr": 25.0, "aht": 15.0, "qa": 25.0}
CURVES = {"csat": (80.0, 90.0, 96.0), "fcr": (0.65, 0.78, 0.88), "aht": (420.0, 360.0, 300.0)}
QA_BANDS = ((0.0, 0.0), (70.0, 0.6), (80.0, 1.0), (90.0, 1.2))
MIN_SURVEYS = 20.0


class Grade(NamedTuple):
    """One row of the policy's grade table."""

    grade: str
    min_score: float
    multiplier: float
    action: str


GRADES = (
    Grade("S", 1.2, 1.5, ""),
    Grade("A", 1.0, 1.2, ""),
    Grade("B", 0.8, 1.0, ""),
    Grade("C", 0.6, 0.6, "coaching"),
    Grade("D", 0.0, 0.0, "training"),
)
QA_FORFEIT_BELOW = 60.0
ATTENDANCE_HALVES_BELOW = 95.0
CAP = 1.5
FULL_MONTH = 21.75
FLOOR = 2690.0
# On the benchmark data about 100 agents in a million score exactly 1.0 or 0.8, which floats compute
# as 0.99999…; scores not on a boundary are at least ~1e-6 away from it, so the nudge is safe.
SCORE_EPSILON = 1e-9
# The same for an amount that is exactly a half cent but stored a hair below it (in cents).
CENT_EPSILON = 1e-6

TEXT_COLUMNS = {"agent_id": str, "name": str, "role": str, "team": str}
LINE_COLUMNS = [
    "base_pay",
    "allowance.meal",
    "allowance.transport",
    "bonus",
    "adjustment.complaints",
    "adjustment.volume",
    "floor",
]


def plain(column: pd.Series) -> np.ndarray:
    """Plain numbers; a trailing % is dropped ("98.5%" is 98.5)."""
    if is_numeric_dtype(column):
        return column.to_numpy(dtype=float)
    return column.str.rstrip("%").astype(float).to_numpy()


def ratio(column: pd.Series) -> np.ndarray:
    """Ratios 0-1; "81%" is 0.81."""
    if is_numeric_dtype(column):
        return column.to_numpy(dtype=float)
    per_cent = column.str.endswith("%").to_numpy()
    values = column.str.rstrip("%").astype(float).to_numpy()
    return np.where(per_cent, values / 100, values)


def seconds(column: pd.Series) -> np.ndarray:
    """Seconds, or a duration h:mm:ss or m:ss ("0:05:35" is 335)."""
    if is_numeric_dtype(column):
        return column.to_numpy(dtype=float)
    clock = column.str.contains(":", regex=False)
    values = np.empty(len(column))
    values[~clock.to_numpy()] = column[~clock].astype(float)
    durations = column[clock].where(column[clock].str.count(":") == 2, "0:" + column[clock])  # m:ss → 0:m:ss
    parts = durations.str.split(":", expand=True).astype(float).to_numpy()
    values[clock.to_numpy()] = parts @ np.array([3600.0, 60.0, 1.0])
    return values


def linear(values: np.ndarray, threshold: float, target: float, stretch: float) -> np.ndarray:
    """0 below threshold, 0.5 to 1.0 up to target, 1.0 to 1.5 up to stretch, 1.5 from there on."""
    if threshold > stretch:  # lower is better: the mirror image
        values, threshold, target, stretch = -values, -threshold, -target, -stretch
    rising = 0.5 + 0.5 * (values - threshold) / (target - threshold)
    stretching = 1.0 + 0.5 * (values - target) / (stretch - target)
    return np.select([values < threshold, values < target, values < stretch], [0.0, rising, stretching], 1.5)


def banded(values: np.ndarray) -> np.ndarray:
    """The score of the last QA band whose `from` is at most the value; 0 below the first."""
    highest_first = QA_BANDS[::-1]
    reached = [values >= start for start, _ in highest_first]
    return np.select(reached, [score for _, score in highest_first], 0.0)


def weighted_score(metrics: pd.DataFrame) -> np.ndarray:
    """Σ weight × score over the KPIs taken into account; csat is left out below 20 surveys."""
    scores = {
        "csat": linear(plain(metrics["csat"]), *CURVES["csat"]),
        "fcr": linear(ratio(metrics["fcr"]), *CURVES["fcr"]),
        "aht": linear(seconds(metrics["aht_sec"]), *CURVES["aht"]),
        "qa": banded(plain(metrics["qa_score"])),
    }
    csat_weight = np.where(plain(metrics["surveys"]) >= MIN_SURVEYS, WEIGHTS["csat"], 0.0)
    total = csat_weight * scores["csat"] + sum(WEIGHTS[kpi] * scores[kpi] for kpi in ("fcr", "aht", "qa"))
    return total / (csat_weight + WEIGHTS["fcr"] + WEIGHTS["aht"] + WEIGHTS["qa"])


def grade_of(score: np.ndarray, field: str) -> np.ndarray:
    """One field (grade, multiplier or action) of the first grade whose min_score the score reaches."""
    reached = [score + SCORE_EPSILON >= grade.min_score for grade in GRADES]
    values = [getattr(grade, field) for grade in GRADES]
    return np.select(reached, values, values[-1])


def bonus(metrics: pd.DataFrame, multiplier: np.ndarray) -> np.ndarray:
    """target_bonus × grade multiplier, through the gates in order, then the cap; not yet prorated."""
    target = metrics["role"].map(TARGET_BONUS).to_numpy()
    amount = target * multiplier
    amount = np.where(plain(metrics["qa_score"]) < QA_FORFEIT_BELOW, 0.0, amount)
    amount = np.where(plain(metrics["attendance"]) < ATTENDANCE_HALVES_BELOW, amount * 0.5, amount)
    return np.minimum(amount, CAP * target)


def round_half_up(amounts: np.ndarray) -> np.ndarray:
    """Round to 0.01, halves away from zero; + 0.0 turns -0.0 into 0.0 so it prints as 0.00."""
    cents = np.floor(np.abs(amounts) * 100 + 0.5 + CENT_EPSILON)
    return np.copysign(cents, amounts) / 100 + 0.0


def pay_lines(metrics: pd.DataFrame, multiplier: np.ndarray) -> dict[str, np.ndarray]:
    """Every payslip line before the floor, each rounded to the cent."""
    factor = np.minimum(plain(metrics["worked_days"]) / FULL_MONTH, 1.0)
    over = np.maximum(plain(metrics["tickets"]) - 900.0, 0.0)
    lines = {
        "base_pay": metrics["role"].map(BASE_PAY).to_numpy() * factor,
        **{f"allowance.{name}": amount * factor for name, amount in ALLOWANCES.items()},
        "bonus": bonus(metrics, multiplier) * factor,
        "adjustment.complaints": np.maximum(plain(metrics["valid_complaints"]) * -100.0, -500.0),
        "adjustment.volume": np.minimum(over * 2.0, 600.0),
    }
    return {code: round_half_up(amount) for code, amount in lines.items()}


def payslips(metrics: pd.DataFrame) -> pd.DataFrame:
    """One row per agent: who, grade, action, every line and gross."""
    score = weighted_score(metrics)
    lines = pay_lines(metrics, grade_of(score, "multiplier"))
    gross = round_half_up(sum(lines.values()))
    top_up = round_half_up(np.maximum(FLOOR - gross, 0.0))
    result = metrics[list(TEXT_COLUMNS)].copy()
    result["grade"] = grade_of(score, "grade")
    result["action"] = grade_of(score, "action")
    for code, amount in {**lines, "floor": top_up, "gross": gross + top_up}.items():
        result[code] = amount
    return result


def main() -> None:
    """Read the metrics CSV, compute, write the payslips CSV (amounts as floats: 5200.0, 91.95)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("metrics", help="metrics CSV (columns of benchmarks/generate.py)")
    parser.add_argument("output", help="payslips CSV to write")
    args = parser.parse_args()
    metrics = pd.read_csv(args.metrics, dtype=TEXT_COLUMNS, keep_default_na=False)
    payslips(metrics).to_csv(args.output, index=False)


if __name__ == "__main__":
    main()
