"""What a run pays from, resolved once for every command: the policy as applied to the period, the agent
rows, the files they came from, and notes for the analyst."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from cspay.engine.types import AgentRow
from cspay.errors import UsageProblem
from cspay.i18n import Note
from cspay.inputs.files import InputFile
from cspay.inputs.metrics import MetricsReader
from cspay.inputs.opening import OpeningBalances
from cspay.periods import EXAMPLES, Period
from cspay.policy.model import Policy, Role


@dataclass
class Source:
    """The rows a run pays and where they came from.

    `policy` is the policy as written; `applied` is the policy as the engine applies it to the period
    (a quarter's role amounts are three months' worth). `rows` may stream: read them once.
    """

    policy: Policy
    applied: Policy
    rows: Iterable[AgentRow]
    period: Period | None
    files: list[InputFile]
    notes: list[Note] = field(default_factory=list)
    opening: OpeningBalances | None = None  # the year to date before cspay, for cumulative withholding
    # The roles as applied to each stretch of the period its dated values make (a row's parts name one);
    # empty when `applied`'s roles hold throughout.
    role_versions: list[dict[str, Role]] = field(default_factory=list)
    team_rows: dict[str, AgentRow] | None = None  # team metrics by team, when the policy's teams use them
    team_source: str = ""  # the file they came from
    changes_file: str = ""  # the changes file, when one was given
    # The agents it names who are not among the rows paid, filled once the rows are read.
    unmatched_changes: list[str] = field(default_factory=list)

    @property
    def reader(self) -> MetricsReader | None:
        """The one monthly metrics file being read as it streams, when that is what the rows are."""
        return self.rows if isinstance(self.rows, MetricsReader) else None

    @property
    def plain_reader(self) -> MetricsReader | None:
        """The reader when its rows are the file's rows as written, not joined to a roster's columns: the
        rows a view may pay in batches, or read by id alone."""
        reader = self.reader
        return reader if reader is not None and reader.extra is None else None


def check_period(policy: Policy, period: Period | None) -> Period | None:
    """The period named by --period, which must be the kind of period the policy pays for."""
    if period is None:
        return None
    if period.kind != policy.period:
        raise UsageProblem(
            f"{period.label} is a {period.kind}, but the policy {policy.path} has period: "
            f"{policy.period}; expected a {policy.period} like {EXAMPLES[policy.period]}",
            "--period",
        )
    return period
