"""Disputes counted by what they are about: a KPI or line that many agents dispute is a vague criterion."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from cspay.ledger.controls import Dispute

MIN_AGENTS = 3  # below this, a share of the headcount says little about the criterion


@dataclass(frozen=True)
class SubjectCount:
    """How the disputes of one KPI or line came out, how many agents raised them and their share of the
    agents paid; `often` when the share reaches the threshold (and at least MIN_AGENTS agents disputed)."""

    subject: str
    code: str
    open: int
    accepted: int
    rejected: int
    agents: int
    share: Decimal | None
    often: bool


def by_subject(disputes: list[Dispute], headcount: int | None, threshold: Decimal) -> list[SubjectCount]:
    """Each disputed KPI or line, the most disputed first (then by kind and code); the share is of
    `headcount` (None when the disputes span periods or nothing is recorded)."""
    groups: dict[tuple[str, str], list[Dispute]] = {}
    for dispute in disputes:
        groups.setdefault((dispute.subject, dispute.code), []).append(dispute)
    counts = []
    for (subject, code), items in groups.items():
        outcomes = [item.outcome for item in items]
        agents = len({item.agent_id for item in items})
        share = Decimal(agents) / headcount if headcount else None
        often = share is not None and agents >= MIN_AGENTS and share >= threshold
        counts.append(
            SubjectCount(
                subject,
                code,
                outcomes.count("open"),
                outcomes.count("accepted"),
                outcomes.count("rejected"),
                agents,
                share,
                often,
            )
        )
    return sorted(counts, key=lambda count: (-count.agents, count.subject, count.code))
