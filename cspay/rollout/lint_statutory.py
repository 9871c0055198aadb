"""The pitfall rules about a policy's statutory packs: values left as examples (CSP108), and grade
multipliers that land an annual bonus taxed on its own in one of the table's dead zones (CSP109)."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from itertools import pairwise

from cspay.engine.period import period_policy
from cspay.engine.statutory import tax_by_table
from cspay.policy.in_force import Row, one_time_rows
from cspay.policy.packs import combine_packs
from cspay.rollout.lint_rules import Context, Hit

ONE = Decimal(1)


def example_values(context: Context) -> Iterator[Hit]:
    """CSP108: a pack whose values are examples to confirm before anyone is paid by them."""
    deductions = context.policy.deductions
    for pack in deductions.loaded if deductions is not None else []:
        if pack.example:
            yield Hit("CSP108", ("example",), "example", {"pack": pack.pack, "file": pack.path}, pack.document)


def dead_zones(rows: tuple[Row, ...], months: int) -> list[tuple[Decimal, Decimal]]:
    """Each range (edge, end) of bonuses taxed on their own that net less than a bonus of `edge`: above a
    row's edge the higher rate falls on the whole bonus, so net drops and only climbs back at `end`."""
    zones = []
    for (up_to, rate, quick), (_, higher, higher_quick) in pairwise(rows):
        if up_to is None or higher >= ONE:
            continue
        edge = up_to * months
        end = (edge * (ONE - rate) + quick - higher_quick) / (ONE - higher)
        if end > edge:
            zones.append((edge, end))
    return zones


def bonus_dead_zone(context: Context) -> Iterator[Hit]:
    """CSP109: an annual bonus by grade (target bonus × multiplier, within the cap) inside a dead zone."""
    policy = context.policy
    deductions = policy.deductions
    if deductions is None or not deductions.one_time_bonus:
        return
    found = one_time_rows(combine_packs(deductions.loaded))
    if found is None:
        return
    rows, months = found
    zones = dead_zones(rows, months)
    applied = period_policy(policy)
    cap = policy.bonus.cap
    for role_name, role in applied.roles.items():
        target = role.target_bonus_amount()
        for index, grade in enumerate(policy.grades):
            bonus = target * grade.multiplier
            if cap is not None:
                bonus = min(bonus, target * cap)
            zone = next(((edge, end) for edge, end in zones if edge < bonus < end), None)
            if zone is None:
                continue
            edge, end = zone
            yield Hit(
                "CSP109",
                ("grades", index, "multiplier"),
                "dead_zone",
                {
                    "role": role_name,
                    "grade": grade.grade,
                    "bonus": context.money(bonus),
                    "edge": context.money(edge),
                    "net": context.money(bonus - tax_by_table(rows, bonus, bonus / months)[0]),
                    "edge_net": context.money(edge - tax_by_table(rows, edge, edge / months)[0]),
                    "end": context.money(end),
                },
            )


STATUTORY_CHECKS = (example_values, bonus_dead_zone)
