"""The words of a payslip paid in parts or on team results: which part a line pays, on whose result each
bonus line was paid, and how a team's result was made (who counted, how much, its KPIs and score)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from cspay.engine.explain import Explanation, LineExplained
from cspay.engine.explain_parts import GroupExplained, PartExplained, PieceExplained
from cspay.engine.moves import tidy
from cspay.engine.rounding import exponent
from cspay.engine.types import times
from cspay.outputs.wording import Wording, cut

FOUR_PLACES = Decimal("0.0001")
MEMBERS_SHOWN = 20  # a site's members are many: the first ones, then how many more


def part_text(part: PartExplained, wording: Wording, *, team: bool = False) -> str:
    """Which part of the period: `L1, 2026-11-01 to 2026-11-15 (1/2)`, or `L1 (2/3)` without its days; with
    `team` (the parts differ by team), the team after the role: `L1 North, …`."""
    words = wording.words
    role = f"{part.role} {part.team}" if team and part.team else part.role
    if part.first is None or part.last is None:
        return words("part.months", role=role, share=_share(part.share))
    return words("part.days", role=role, first=part.first, last=part.last, share=_share(part.share))


def _teams_differ(e: Explanation) -> bool:
    return len({part.team for part in e.parts}) > 1


def part_how(line: LineExplained, e: Explanation, wording: Wording, how: str) -> str:
    """A line's "how" on a payslip paid in parts: the part it pays, and the role's amount times its share."""
    if line.part is None:
        return how
    part = e.parts[line.part]
    if line.full_amount is not None:
        how = wording.words("how.part", amount=wording.money(line.full_amount), share=_share(part.share)) + (
            "" if not line.prorated or e.proration is None else f" × {e.proration.worked_days}/{e.proration.full}"
        )
    text = part_text(part, wording, team=_teams_differ(e))
    return f"{text}: {how}" if how else text


def piece_sentences(e: Explanation, wording: Wording) -> list[str]:
    """One sentence per bonus line: on whose result it was paid, its score and grade, and the sum."""
    words, sentences = wording.words, []
    groups = {group.name: group for group in e.groups}
    for piece in e.pieces:
        whose, result = _whose(piece, groups, wording), _result(piece, e, wording)
        if piece.part is not None:
            part = e.parts[piece.part]
            whose = f"{part_text(part, wording, team=_teams_differ(e))}: {whose}"
            if piece.score is not None:
                share = wording.money(times(part.share, piece.before_gates))
                result = words("piece.for_part", result=result, share=_share(part.share), amount=share)
        sentences.append(words("piece.sentence", whose=whose, result=result))
    return sentences


def _whose(piece: PieceExplained, groups: dict[str, GroupExplained], wording: Wording) -> str:
    words, weight = wording.words, _percent(piece.weight)
    group = groups.get(piece.group or "")
    if piece.code == "bonus.team":
        if piece.fallback == "no_team":
            return words("piece.no_team", weight=weight)
        if piece.fallback == "small" and group is not None:
            key = "piece.small_site" if piece.basis == "site" else "piece.small_own"
            return words(key, weight=weight, team=group.name, count=_size(group.size), min=_size(group.min_size),
                         site=group.site or "")  # fmt: skip
        return words("piece.team", weight=weight, team=piece.group)
    if piece.basis == "own":
        return words("piece.own", weight=weight) if piece.weight != 1 else words("piece.bonus")
    if piece.fallback == "no_team":
        return words("piece.led_none")
    if piece.fallback == "small" and group is not None:
        return words("piece.led_small", team=group.name, count=_size(group.size), min=_size(group.min_size),
                     site=group.site or "")  # fmt: skip
    return words(f"piece.led_{piece.basis}", name=piece.group)


def _result(piece: PieceExplained, e: Explanation, wording: Wording) -> str:
    words = wording.words
    if piece.score is None:
        return words("piece.no_score")
    if e.bonus.basis == "score":
        return words("piece.by_score", score=_cut(piece.score), target=wording.money(piece.target),
                     bonus=wording.money(piece.before_gates))  # fmt: skip
    return words("piece.by_grade", score=_cut(piece.score), grade=piece.grade, target=wording.money(piece.target),
                 multiplier=piece.multiplier, bonus=wording.money(piece.before_gates))  # fmt: skip


def group_sentences(e: Explanation, wording: Wording) -> list[str]:
    """How each team's (or site's) result a bonus line was paid on was made."""
    sentences = []
    for group in e.groups:
        sentences.append(_who(group, wording))
        sentences.append(_how_scored(group, wording))
    return sentences


def _who(group: GroupExplained, wording: Wording) -> str:
    words = wording.words
    shown = words("list.sep").join(f"{agent} {_size(weight)}" for agent, weight in group.members[:MEMBERS_SHOWN])
    if len(group.members) > MEMBERS_SHOWN:
        shown += words("group.more", count=len(group.members) - MEMBERS_SHOWN)
    minimum = words("group.minimum", min=_size(group.min_size)) if group.min_size and group.kind != "site" else ""
    return words(f"group.{group.kind}", name=group.name, site=group.site or "-", count=len(group.members),
                 size=_size(group.size), minimum=minimum, members=shown or "-")  # fmt: skip


def _how_scored(group: GroupExplained, wording: Wording) -> str:
    words = wording.words
    score = _cut(group.score) if group.score is not None else "-"
    if group.rule == "member_scores":
        return words("group.by_member_scores", score=score)
    kpis = words("list.sep").join(
        words("group.kpi", label=kpi.label, value=_value(wording, kpi.code, kpi.value), score=_cut(kpi.score))
        if kpi.left_out is None
        else words("group.kpi_left_out", label=kpi.label, value=_value(wording, kpi.code, kpi.value))
        for kpi in group.kpis
    )
    return words(f"group.by_{group.rule}", kpis=kpis, score=score)


def _value(wording: Wording, code: str, value: Decimal | None) -> str:
    return wording.value(wording.units.get(code, "points"), short_value(value))


def short_value(value: Decimal | None) -> Decimal | None:
    """A team's KPI value (a weighted mean, often of many digits) to four places at most, for reading."""
    if value is None or exponent(value) >= -4:
        return value
    return tidy(value.quantize(FOUR_PLACES, rounding=ROUND_HALF_UP))


def _cut(value: Decimal | None) -> str:
    return cut(value)


def _size(size: Decimal) -> str:
    return str(tidy(size.quantize(Decimal("0.01"))))


def _share(share: Fraction) -> str:
    return str(share)


def _percent(weight: Fraction) -> str:
    """A share of the target bonus as a percentage: 4/5 is 80%, 1/3 is 33.33%."""
    percent = Decimal(weight.numerator * 100) / weight.denominator
    return f"{tidy(percent.quantize(Decimal('0.01')))}%"
