"""What `compute --format xlsx` costs beside the cost of XlsxWriter writing the same cells on its own.

    python benchmarks/xlsx_floor.py benchmarks/.data/agents-100000.csv
    python benchmarks/xlsx_floor.py METRICS --policy policies/standard.yaml

Three child processes, timed by their CPU seconds: `compute --format csv`, `compute --format xlsx`, and a
script that writes every cell of that workbook's Payslips and KPIs sheets again with XlsxWriter's public
calls alone (write_string / write_number in constant-memory mode, one format per number format, then the
zip): the floor under any workbook of these cells written with XlsxWriter. The floor reads the cells back
with openpyxl a block of rows at a time and counts only the time spent writing them.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Runs in the child: rewrite the listings of argv[1] into argv[2]; print the CPU seconds spent writing.
FLOOR = """
import json, sys, time
import openpyxl
from xlsxwriter import Workbook

source = openpyxl.load_workbook(sys.argv[1], read_only=True)
target = Workbook(sys.argv[2], {"constant_memory": True, "strings_to_formulas": False,
                                "strings_to_numbers": False, "strings_to_urls": False})
formats, spent, cells = {}, 0.0, 0

def written(sheet, block):
    strings, numbers = sheet.write_string, sheet.write_number
    for row, values in block:
        for column, (value, style) in enumerate(values):
            if value is None:
                continue
            if isinstance(value, str):
                strings(row, column, value, style)
            else:
                numbers(row, column, value, style)

def style(code):
    if code not in formats:
        formats[code] = None if code == "General" else target.add_format({"num_format": code})
    return formats[code]

for name in source.sheetnames[:2]:  # Payslips and KPIs
    sheet, block = target.add_worksheet(name), []
    for row, cells_read in enumerate(source[name].iter_rows()):
        block.append((row, [(cell.value, style(cell.number_format)) for cell in cells_read]))
        cells += sum(value is not None for value, _ in block[-1][1])
        if len(block) == 10_000:
            start = time.process_time(); written(sheet, block); spent += time.process_time() - start
            block = []
    start = time.process_time(); written(sheet, block); spent += time.process_time() - start
start = time.process_time(); target.close(); spent += time.process_time() - start
print(json.dumps({"seconds": spent, "cells": cells}))
"""


def child_seconds(command: list[str]) -> float:
    """The CPU seconds (user and system) of one child process running `command`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(command, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("metrics", type=Path)
    parser.add_argument("--policy", type=Path, default=ROOT / "policies" / "standard.yaml")
    options = parser.parse_args()
    cspay = [sys.executable, "-m", "cspay", "compute", str(options.policy), str(options.metrics), "--quiet"]
    with tempfile.TemporaryDirectory(prefix="cspay-bench-") as folder:
        book, copy = Path(folder) / "pay.xlsx", Path(folder) / "floor.xlsx"
        csv_seconds = child_seconds([*cspay, "--format", "csv", "--output", str(Path(folder) / "pay.csv")])
        xlsx_seconds = child_seconds([*cspay, "--format", "xlsx", "--output", str(book)])
        floor = subprocess.run(
            [sys.executable, "-c", FLOOR, str(book), str(copy)], check=True, capture_output=True, text=True
        )
        measured = json.loads(floor.stdout.strip().splitlines()[-1])
    cells, floor_seconds = measured["cells"], measured["seconds"]
    print(f"{options.metrics.name}: {cells:,} cells in the Payslips and KPIs sheets")
    print(f"{'path':<40} {'cpu s':>7} {'us/cell':>8} {'cpu/csv':>8}")
    for label, seconds in (
        ("compute --format csv", csv_seconds),
        ("compute --format xlsx", xlsx_seconds),
        ("XlsxWriter alone, the same cells", floor_seconds),
    ):
        print(f"{label:<40} {seconds:>7.2f} {1e6 * seconds / cells:>8.2f} {seconds / csv_seconds:>8.2f}")
    beyond = xlsx_seconds - floor_seconds
    print(f"cspay beyond XlsxWriter: {beyond:.2f} s ({xlsx_seconds / floor_seconds:.2f} x the floor)")


if __name__ == "__main__":
    main()
