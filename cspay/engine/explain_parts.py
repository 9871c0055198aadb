"""The parts of an explained payslip that a period paid in parts and team results add: each part, each
bonus line and on whose result it was paid, and how each team's result it used was made."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction

from cspay.engine.types import BonusPiece, KpiResult, Part, Payslip
from cspay.policy.model import Policy


@dataclass(frozen=True)
class PartExplained:
    """A part of a period paid in parts: the role and team held, its days (None when not known), its share."""

    role: str
    role_label: str
    team: str
    first: date | None
    last: date | None
    share: Fraction


@dataclass(frozen=True)
class GroupExplained:
    """A team's (or site's, or a leader's teams') result: how it was made, who counted and how much."""

    kind: str
    name: str
    site: str | None
    rule: str
    size: Decimal
    min_size: Decimal
    small: bool
    members: tuple[tuple[str, Decimal], ...]
    score: Decimal | None
    kpis: tuple[KpiResult, ...]


@dataclass(frozen=True)
class PieceExplained:
    """One bonus line of a policy with team results: on whose result it was paid, and how much."""

    code: str
    part: int | None
    basis: str
    group: str | None
    fallback: str | None
    weight: Fraction
    target: Decimal
    score: Decimal | None
    grade: str | None
    multiplier: Decimal | None
    before_gates: Decimal
    capped: bool
    amount: Decimal


def part_explained(policy: Policy, part: Part) -> PartExplained:
    """A part of the payslip's period: its role (with the role's label), team, days and share."""
    label = policy.roles[part.role].label or part.role
    return PartExplained(part.role, label, part.team, part.first, part.last, part.share)


def piece_explained(piece: BonusPiece) -> PieceExplained:
    """A bonus line as its explanation shows it."""
    return PieceExplained(
        piece.code,
        piece.part,
        piece.basis,
        piece.group,
        piece.fallback,
        piece.weight,
        piece.target,
        piece.score,
        piece.grade,
        piece.multiplier,
        piece.before_gates,
        piece.capped,
        piece.amount,
    )


def groups_explained(policy: Policy, slip: Payslip) -> tuple[GroupExplained, ...]:
    """Each team, site or leader's teams whose result a bonus line was paid on (or that was too small)."""
    teams = policy.teams
    found: dict[tuple[str, str], GroupExplained] = {}
    for piece in slip.pieces:
        group = piece.result
        if group is None or teams is None or (group.kind, group.name) in found:
            continue
        members = tuple((member.agent_id, member.weight) for member in group.members)
        found[(group.kind, group.name)] = GroupExplained(
            group.kind,
            group.name,
            group.site,
            teams.score,
            group.size,
            teams.min_size,
            group.small,
            members,
            group.score,
            group.kpis,
        )
    return tuple(found.values())
