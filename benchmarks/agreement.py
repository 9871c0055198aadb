"""How cspay's payslips and the pandas reference's agree, agent by agent: grades and actions equal, each
amount within a cent.

Example: from agreement import compare, report; report(compare(Path("cspay.csv"), Path("pandas.csv")))
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

TEXT_COLUMNS = ["grade", "action"]
AMOUNT_COLUMNS = [
    "base_pay",
    "allowance.meal",
    "allowance.transport",
    "bonus",
    "adjustment.complaints",
    "adjustment.volume",
    "floor",
    "gross",
]
SHOWN_MISMATCHES = 10


class ComparisonError(Exception):
    """An output cannot be compared; the message says which and why."""


@dataclass
class Comparison:
    """How the two payslip files agree, agent by agent."""

    agents: int
    within_a_cent: int
    disagreeing: int
    examples: list[str]
    only_in: dict[str, list[str]]


def read_payslips(path: Path) -> pd.DataFrame:
    """A payslips CSV with ids and text as text and each amount as whole cents."""
    import numpy as np
    import pandas as pd

    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [name for name in ["agent_id", *TEXT_COLUMNS, *AMOUNT_COLUMNS] if name not in table.columns]
    if missing:
        raise ComparisonError(f"{path}: no column {', '.join(missing)}; it has {', '.join(table.columns)}")
    for name in AMOUNT_COLUMNS:
        try:
            table[name] = np.rint(pd.to_numeric(table[name]) * 100).astype(np.int64)
        except ValueError as error:
            raise ComparisonError(f"{path}: column {name!r}: {error}") from None
    return table[["agent_id", *TEXT_COLUMNS, *AMOUNT_COLUMNS]]


def shown(row: pd.Series, name: str, side: str) -> str:
    """One side's value of a column: text quoted, cents back as an amount."""
    value = row[f"{name}.{side}"]
    return repr(value) if name in TEXT_COLUMNS else f"{value / 100:.2f}"


def describe(row: pd.Series, columns: list[str]) -> str:
    """One mismatching agent: each column that differs, with both values."""
    parts = [f"{name}: cspay {shown(row, name, 'cspay')}, pandas {shown(row, name, 'pandas')}" for name in columns]
    grades = f"grade cspay {row['grade.cspay']!r}, pandas {row['grade.pandas']!r}"
    return f"{row['agent_id']} ({grades}): " + "; ".join(parts)


def differences(both: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    """Per agent and column, whether the two sides disagree; and whether an amount is off by one cent."""
    cents = {name: (both[f"{name}.cspay"] - both[f"{name}.pandas"]).abs() for name in AMOUNT_COLUMNS}
    import pandas as pd

    wrong = pd.DataFrame({name: both[f"{name}.cspay"] != both[f"{name}.pandas"] for name in TEXT_COLUMNS})
    for name, difference in cents.items():
        wrong[name] = difference > 1
    one_cent = pd.DataFrame({name: difference == 1 for name, difference in cents.items()}).any(axis=1)
    return wrong, one_cent


def compare(cspay_out: Path, pandas_out: Path) -> Comparison:
    """Match agents by id; amounts agree when they differ by at most one cent, text when equal."""
    both = read_payslips(cspay_out).merge(
        read_payslips(pandas_out),
        on="agent_id",
        how="outer",
        suffixes=(".cspay", ".pandas"),
        indicator=True,
    )
    sides = both.pop("_merge")
    only_in = {
        side: both.loc[sides == kind, "agent_id"].tolist()
        for side, kind in (("cspay", "left_only"), ("pandas", "right_only"))
    }
    both = both[sides == "both"]
    wrong, one_cent = differences(both)
    bad = wrong.any(axis=1)
    examples = [
        describe(both.loc[index], list(wrong.columns[wrong.loc[index]])) for index in bad[bad].index[:SHOWN_MISMATCHES]
    ]
    return Comparison(len(both), int((one_cent & ~bad).sum()), int(bad.sum()), examples, only_in)


def report(comparison: Comparison) -> bool:
    """Print how the outputs agree; True when every row and column does."""
    identical = comparison.agents - comparison.disagreeing - comparison.within_a_cent
    print(
        f"\ncompared {comparison.agents:,} agents on {', '.join(TEXT_COLUMNS + AMOUNT_COLUMNS)}: "
        f"{identical:,} identical, {comparison.within_a_cent:,} within a cent, "
        f"{comparison.disagreeing:,} disagree"
    )
    for side, agent_ids in comparison.only_in.items():
        if agent_ids:
            first = ", ".join(agent_ids[:SHOWN_MISMATCHES])
            print(f"{len(agent_ids):,} agents only in the {side} output: {first}")
    for example in comparison.examples:
        print(f"  {example}")
    return comparison.disagreeing == 0 and not any(comparison.only_in.values())


def main() -> int:
    """Compare cspay's payslips (argv[1]) with pandas' (argv[2]); 0 when every agent agrees."""
    import sys

    try:
        return 0 if report(compare(Path(sys.argv[1]), Path(sys.argv[2]))) else 1
    except ComparisonError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
