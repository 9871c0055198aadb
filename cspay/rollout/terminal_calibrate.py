"""`cspay calibrate` at a terminal: each proposed number beside the old one, with its percentile and the
number of agent values it comes from."""

from __future__ import annotations

from rich.table import Table

from cspay.i18n import Words
from cspay.rollout.calibrate import Calibration, dotted


def calibration_table(result: Calibration, words: Words) -> Table:
    table = Table(title=words("calibrate.title"), title_justify="left")
    for i, key in enumerate(("key", "old", "new", "percentile", "sample")):
        table.add_column(words(f"calibrate.col.{key}"), justify="left" if i == 0 else "right")
    for proposal in result.proposals:
        table.add_row(
            dotted(proposal.path),
            str(proposal.old),
            str(proposal.new),
            "-" if proposal.percentile is None else words("calibrate.nth", n=proposal.percentile),
            str(proposal.sample),
        )
    return table
