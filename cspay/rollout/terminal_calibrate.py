"""`cspay calibrate` at a terminal: each proposed number beside the old one, with its percentile and the
number of agent values it comes from."""

from __future__ import annotations

from rich.table import Table

from cspay.i18n import Words
from cspay.rollout.calibrate import Calibration
from cspay.rollout.calibrate_points import dotted


def calibration_table(result: Calibration, words: Words) -> Table:
    table = Table(title=words("calibrate.title"), title_justify="left")
    for i, key in enumerate(("key", "old", "new", "percentile", "sample")):
        table.add_column(words(f"calibrate.col.{key}"), justify="left" if i == 0 else "right")
    for proposal in result.proposals:
        table.add_row(
            dotted(proposal.path),
            "-" if proposal.old is None else str(proposal.old),
            str(proposal.new),
            "-" if proposal.percentile is None else words("calibrate.nth", n=proposal.percentile),
            str(proposal.sample),
        )
    return table


def group_lines(result: Calibration, words: Words) -> list[str]:
    """With --by: the groups each KPI gains a curve for, and its groups no agent of the history is in."""
    lines = [
        words("calibrate.added", kpi=code, column=result.by, groups=", ".join(names))
        for code, names in result.added.items()
    ]
    lines += [words("calibrate.unseen", kpi=code, column=result.by, group=name) for code, name in result.unseen]
    return lines
