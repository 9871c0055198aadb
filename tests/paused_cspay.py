"""cspay's command line, held mid-record for tests: `python tests/paused_cspay.py MARKER ARGS…` runs
`cspay ARGS…`, and once the first batch of payslips is written (inside the record's transaction) it
creates MARKER and waits until the test removes it, so the test can kill or race the run at that point."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from cspay.cli import main
from cspay.ledger.packing import PayslipWriter

WAIT_AT_MOST = 60  # seconds: a test that never releases the run does not hang the suite


def hold_after_first_batch(marker: Path) -> None:
    """Make the first batch a run writes pause until `marker` is removed."""
    write_rows = PayslipWriter.write_rows
    held = []

    def paused(self: PayslipWriter, rows: list) -> None:
        write_rows(self, rows)
        if rows and not held:
            held.append(marker)
            marker.touch()
            deadline = time.monotonic() + WAIT_AT_MOST
            while marker.exists() and time.monotonic() < deadline:
                time.sleep(0.02)

    PayslipWriter.write_rows = paused  # type: ignore[method-assign]


if __name__ == "__main__":
    hold_after_first_batch(Path(sys.argv[1]))
    sys.argv = ["cspay", *sys.argv[2:]]
    main()
