"""Paying a period in parts, and bonus lines paid on a team's result.

A payslip is paid in parts when the agent's role or team, or the policy's role amounts, change within the
period: each part pays its share of the role's base pay, allowances and bonus, as lines of its own. Under
a policy with team results, a role's bonus is split into lines by whose result pays them: the agent's own
(`bonus`) and their team's (`bonus.team`), or, for a leader, the team(s) or site they lead (`bonus`).

The rules are Engine's and cspay.engine.rules': the score, gates, cap, proration, rounding, adjustments and
the floor are the same as on a payslip of one part; only what they apply to is split.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any, Protocol

from cspay.engine.computed import Computed
from cspay.engine.plans import MEMO_LIMIT, AdjustmentPlan, GatePlan, KpiPlan, Scored
from cspay.engine.rounding import Rounder
from cspay.engine.rules import basis_bonus, capped, grade_index, proration_factor
from cspay.engine.teams import Group, TeamBook, led_teams
from cspay.engine.types import (
    BASE_PAY_LABEL,
    BONUS_LABEL,
    TEAM_BONUS_LABEL,
    ZERO,
    AgentRow,
    BonusPiece,
    GateHit,
    KpiResult,
    Line,
    Part,
    Payslip,
    times,
)
from cspay.policy.model import Grade, Policy, ProratedLine, Role

TEAM_CODE = "bonus.team"
WHOLE = Fraction(1)  # the share of a payslip paid as one part


@dataclass(frozen=True)
class Result:
    """The result a bonus line is paid on: whose, its score and grade (by the role's grades), and why it is
    not the one the line is for, when it is not."""

    basis: str
    group: Group | None
    score: Decimal | None
    grade: Grade | None
    fallback: str | None = None


class Compiled(Protocol):
    """What paying in parts takes from the compiled engine (cspay.engine.compiled.Engine), whose rules it uses."""

    policy: Policy
    role_versions: list[Mapping[str, Role]]
    teams: TeamBook | None
    kpi_plans: list[KpiPlan]
    gate_plans: list[GatePlan]
    round: Rounder
    currency: str
    _worked_column: str | None
    _full: Decimal
    _applies: frozenset[ProratedLine]
    _by_score: bool
    _bonus_by_worked: bool
    _adjustment_rules: list[tuple[str, dict[Decimal, Line], AdjustmentPlan]]

    def score(self, scored: list[Scored | KpiResult], numbers: Mapping[str, Decimal]) -> tuple[int, Decimal, Any]: ...

    def holds(self, scored: list[Scored | KpiResult], numbers: Mapping[str, Decimal]) -> list[bool]: ...

    def top_up(self, gross: Decimal) -> Line | None: ...


class Parted:
    """An engine's way of paying a row in parts, and bonus lines on team results."""

    def __init__(self, engine: Compiled) -> None:
        self.engine = engine
        policy = engine.policy
        self.grades = {name: policy.grades_high_to_low(name) for name in policy.roles}
        self.ascending = {name: sorted(grade.min_score for grade in grades) for name, grades in self.grades.items()}
        allowances = dict.fromkeys(
            name for roles in engine.role_versions for r in roles.values() for name in r.allowances
        )
        self.order = ["base_pay", *(f"allowance.{name}" for name in allowances), "bonus", TEAM_CODE]
        applies = engine._applies
        self.prorates = {"base_pay": "base_pay" in applies, "allowance": "allowances" in applies}
        # Each role's own and team shares of its bonus, worked out once.
        self.shares = {
            name: (1 - Fraction(role.team_share) / 100, Fraction(role.team_share) / 100)
            for name, role in policy.roles.items()
            if role.team_share
        }
        # What many agents have alike, remembered: a part's fixed lines (by version, role, share, days worked,
        # the part's number) and a bonus line's sums (by everything but whose result it is).
        self._fixed: dict[tuple[Any, ...], list[Line]] = {}
        self._sums: dict[tuple[Any, ...], tuple[Decimal, Decimal, bool, Decimal]] = {}

    def payslip(self, row: AgentRow, scored: list[Scored | KpiResult]) -> Payslip:
        """The row's payslip: each part's lines, then the adjustments and the floor on the whole."""
        engine, numbers = self.engine, row.numbers
        mask, total_weight, own_score = engine.score(scored, numbers)
        holds = engine.holds(scored, numbers)
        worked = numbers[engine._worked_column] if engine._worked_column is not None else None
        proration = proration_factor(worked, engine._full)
        parts = row.parts or (Part(row.role, row.team, WHOLE),)
        lines, pieces, target, before, headline = self._parts_paid(row, parts, own_score, holds, worked, proration)
        gross = sum((line.amount for line in lines), ZERO)
        for column, memo, plan in engine._adjustment_rules:
            line = memo.get(numbers[column]) or plan.line(numbers[column], engine.round)
            lines.append(line)
            gross += line.amount
        floor = engine.top_up(gross)
        if floor is not None:
            lines.append(floor)
        last = parts[-1]
        grade = headline.grade if headline else None
        slip = Computed(
            row.agent_id,
            row.name,
            last.role,
            last.team,
            row.line,
            (),
            headline.score if headline else own_score,
            grade.grade if grade else None,
            grade.multiplier if grade else None,
            grade.action if grade else None,
            target,
            before,
            self._hits(before, holds),
            any(piece.capped for piece in pieces),
            proration,
            lines,
            None,
            numbers,
            row.groups,
            engine.currency,
            parts=row.parts,
            pieces=tuple(pieces),
        )
        slip._pending = (engine.kpi_plans, scored, mask, total_weight, numbers)
        return slip

    def lines_before_adjustments(
        self, row: AgentRow, own_score: Decimal | None, holds: list[bool]
    ) -> tuple[list[Line], Grade | None]:
        """A row's lines before the adjustments, on its score and the gates that hold (found already, as a
        batch finds them), and the grade its payslip would show: the lines `payslip` makes, no more."""
        engine = self.engine
        worked = row.numbers[engine._worked_column] if engine._worked_column is not None else None
        proration = proration_factor(worked, engine._full)
        parts = row.parts or (Part(row.role, row.team, WHOLE),)
        lines, _, _, _, headline = self._parts_paid(row, parts, own_score, holds, worked, proration)
        return lines, headline.grade if headline else None

    def _parts_paid(
        self,
        row: AgentRow,
        parts: tuple[Part, ...],
        own_score: Decimal | None,
        holds: list[bool],
        worked: Decimal | None,
        proration: Decimal,
    ) -> tuple[list[Line], list[BonusPiece], Decimal, Decimal, Result | None]:
        """Each part's base pay, allowance and bonus lines in payslip order, the bonus pieces, the period's
        target bonus and its bonus before gates, and the result whose grade the payslip shows."""
        by_code: dict[str, list[Line]] = {code: [] for code in self.order}
        pieces: list[BonusPiece] = []
        target, before, headline = ZERO, ZERO, None  # the period's target bonus, and its bonus before gates
        for index, part in enumerate(parts):
            role = self.engine.role_versions[part.version][part.role]
            number = index if len(parts) > 1 else None
            for line in self._fixed_lines(part, role, worked, proration, number):
                by_code[line.code].append(line)
            target += times(part.share, role.target_bonus_amount())
            results = self._results(row, part, role, own_score)
            headline = results[0][2] if results else headline  # the last part's first line says the grade
            for code, weight, result in results:
                piece = self._piece(code, number, part, role, weight, result, holds, worked, proration)
                pieces.append(piece)
                before += times(part.share, piece.before_gates)
                label = TEAM_BONUS_LABEL if code == TEAM_CODE else BONUS_LABEL
                by_code[code].append(Line(code, label, piece.amount, number))
        lines = [line for code in self.order for line in by_code[code]]
        return lines, pieces, target, before, headline

    def _fixed_lines(
        self, part: Part, role: Role, worked: Decimal | None, proration: Decimal, number: int | None
    ) -> list[Line]:
        """A part's base pay and allowance lines: the role's amounts × the part's share (× proration)."""
        key = (part.version, part.role, part.share, worked, number)
        found = self._fixed.get(key)
        if found is None:
            found = []
            for code, amount, prorated in _fixed_amounts(role, self.prorates):
                paid = times(part.share, amount)
                paid = paid * proration if prorated and worked is not None else paid
                found.append(Line(code, _fixed_label(code), self.engine.round(paid), number))
            if len(self._fixed) < MEMO_LIMIT:
                self._fixed[key] = found
        return found

    def _results(
        self, row: AgentRow, part: Part, role: Role, own_score: Decimal | None
    ) -> list[tuple[str, Fraction, Result]]:
        """Each bonus line of the part: its code, the share of the target it pays, and the result it is on."""
        if role.paid_on != "own":
            return [("bonus", WHOLE, self._led(row, part, role))]
        own = Result("own", None, own_score, self._grade(part.role, own_score))
        if not role.team_share:
            return [("bonus", WHOLE, own)]
        own_share, team = self.shares[part.role]
        lines = [("bonus", own_share, own)] if own_share else []
        return [*lines, (TEAM_CODE, team, self._team(part, own))]

    def _team(self, part: Part, own: Result) -> Result:
        """What an agent's team part is paid on: the team's result; their own, or their site's, when the team
        has fewer members than min_size (as the policy says), or when the agent has no team."""
        book, rule = self.engine.teams, self.engine.policy.teams
        assert book is not None and rule is not None, "the run sets the team results"
        if not part.team:
            return Result(own.basis, None, own.score, own.grade, "no_team")
        group = book.team(part.team)
        if not group.small:
            return self._on(part.role, "team", group)
        if rule.small_team == "site":
            return self._on(part.role, "site", book.site(group.site or ""), "small", group)
        return Result("own", group, own.score, own.grade, "small")

    def _led(self, row: AgentRow, part: Part, role: Role) -> Result:
        """What a leader is paid on: the team(s) they lead (their `leads` cell, else their team), or their site."""
        book, rule = self.engine.teams, self.engine.policy.teams
        assert book is not None and rule is not None, "the run sets the team results"
        site = row.groups.get(rule.site, "") if rule.site else ""
        if role.paid_on == "site":
            return self._on(part.role, "site", book.site(site))
        cell = row.groups.get(rule.leads, "") if rule.leads else ""
        teams = led_teams(cell, part.team)
        if not teams:
            return Result("team", None, None, None, "no_team")
        group = book.led(teams)
        if group.small and rule.small_team == "site":
            return self._on(part.role, "site", book.site(group.site or site), "small", group)
        return self._on(part.role, "team", group)

    def _on(
        self, role: str, basis: str, group: Group, fallback: str | None = None, small: Group | None = None
    ) -> Result:
        """A group's result as the role grades it; `small` is the team left for it, which the result names."""
        return Result(basis, small or group, group.score, self._grade(role, group.score), fallback)

    def _grade(self, role: str, score: Decimal | None) -> Grade | None:
        if score is None:
            return None
        return self.grades[role][grade_index(self.ascending[role], score)]

    def _piece(
        self,
        code: str,
        number: int | None,
        part: Part,
        role: Role,
        weight: Fraction,
        result: Result,
        holds: list[bool],
        worked: Decimal | None,
        proration: Decimal,
    ) -> BonusPiece:
        """One bonus line: target × weight by the result's grade or score, the gates that hold, the cap on
        the same share of the target, then the part's share and the proration, rounded."""
        engine, grade = self.engine, result.grade
        # By grade, a line's sums depend on the grade, not the score: remembered for agents alike.
        by = result.score if engine._by_score else None if grade is None else grade.grade
        key = (part.version, part.role, code, weight, by, result.score is None, tuple(holds), part.share, worked)
        sums = self._sums.get(key)
        if sums is None:
            sums = self._sums_of(part, role, weight, result, holds, worked, proration)
            if len(self._sums) < MEMO_LIMIT:
                self._sums[key] = sums
        target, before, was_capped, paid = sums
        group = result.group
        return BonusPiece(
            code,
            number,
            result.basis,
            None if group is None else group.name,
            weight,
            target,
            result.score,
            grade.grade if grade else None,
            grade.multiplier if grade else None,
            before,
            was_capped,
            paid,
            result.fallback,
            group,
        )

    def _sums_of(
        self,
        part: Part,
        role: Role,
        weight: Fraction,
        result: Result,
        holds: list[bool],
        worked: Decimal | None,
        proration: Decimal,
    ) -> tuple[Decimal, Decimal, bool, Decimal]:
        """(target × weight, the bonus before gates, whether the cap cut it, the line's amount)."""
        engine, grade = self.engine, result.grade
        target = times(weight, role.target_bonus_amount())
        before = ZERO
        if result.score is not None and grade is not None:
            before = basis_bonus(engine._by_score, target, result.score, grade.multiplier)
        gated = before
        for plan, held in zip(engine.gate_plans, holds, strict=True):
            if held:
                gated = plan.gate.then.apply(gated)
        cap = engine.policy.bonus.cap
        final, was_capped = capped(gated, None if cap is None else cap * target)
        paid = times(part.share, final)
        paid = paid * proration if engine._bonus_by_worked and worked is not None else paid
        return target, before, was_capped, engine.round(paid)

    def _hits(self, before: Decimal, holds: list[bool]) -> tuple[GateHit, ...]:
        """The gates that held, each with what it did to the whole bonus (every line alike)."""
        hits: tuple[GateHit, ...] = ()
        gated = before
        for plan, held in zip(self.engine.gate_plans, holds, strict=True):
            if held:
                hit = plan.hit(gated)
                hits += (hit,)
                gated = hit.bonus_after
        return hits


def _fixed_amounts(role: Role, prorates: dict[str, bool]) -> list[tuple[str, Decimal, bool]]:
    """A role's base pay and allowances, each with whether proration applies to it."""
    found = [("base_pay", role.base_pay, prorates["base_pay"])]
    return found + [(f"allowance.{name}", amount, prorates["allowance"]) for name, amount in role.allowances.items()]


def _fixed_label(code: str) -> str:
    return BASE_PAY_LABEL if code == "base_pay" else code.removeprefix("allowance.")
