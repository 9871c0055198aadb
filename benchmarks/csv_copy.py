"""Read a CSV file and write it out again with Python's csv module: the floor under any CSV in, CSV out tool.

Example: python benchmarks/csv_copy.py agents.csv copy.csv
"""

from __future__ import annotations

import csv
import sys


def main() -> None:
    """Copy argv[1] to argv[2], row by row."""
    source, target = sys.argv[1:3]
    with open(source, encoding="utf-8", newline="") as rows, open(target, "w", encoding="utf-8", newline="") as out:
        csv.writer(out, lineterminator="\n").writerows(csv.reader(rows))


if __name__ == "__main__":
    main()
