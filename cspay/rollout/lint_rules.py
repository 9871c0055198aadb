"""The pitfall rules of `validate-policy`: each a function from a Context (the policy, the reader's
words) to its hits; `cspay.lint` locates, words and silences them."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import pairwise
from typing import Any

from cspay.cells import UNIT_RANGES, in_range
from cspay.engine import reach
from cspay.engine.rounding import round_to
from cspay.i18n import Words
from cspay.policy.model import BandScore, Kpi, Policy, Score
from cspay.policy.values import HUNDRED

QUALITY_UNITS = ("percent", "ratio", "points")

Path_ = tuple[str | int, ...]


@dataclass(frozen=True)
class Hit:
    """A rule's finding before it is located and worded."""

    code: str
    path: Path_
    key: str
    values: dict[str, Any] = field(default_factory=dict)
    document: Any = None  # the loader's Document of another file the path is in (a statutory pack)


class Context:
    """The policy being checked and how to write its numbers and money in the reader's language."""

    def __init__(self, policy: Policy, words: Words) -> None:
        self.policy = policy
        self.words = words
        self.top = reach.highest_score(policy)
        self.weights = sum((kpi.weight for kpi in policy.kpis.values()), Decimal(0)) or HUNDRED

    def money(self, amount: Decimal, currency: str | None = None) -> str:
        """An amount of `currency` (the policy's when None), rounded as a line paid in it would be."""
        code = currency or self.policy.currency
        if amount.adjusted() < 20:  # rounding an absurdly large amount would overflow the context
            amount = round_to(amount, self.policy.rounding_step(code), self.policy.rounding.mode)
        return self.words.money(amount, code)

    def per_role(self, share: Decimal) -> str:
        """A share of target bonus as money for each role, in its currency: `L1 ¥540.00, L1-JP 18,000 JPY`."""
        amounts = [
            f"{name} {self.money(share * role.target_bonus_amount(), self.policy.role_currency(name))}"
            for name, role in self.policy.roles.items()
        ]
        return self.words("lint.list_separator").join(amounts)

    def kpi(self, code: str, group: str | None) -> str:
        """A KPI as a warning names it: its code, and for a group's own curve the column and the group."""
        if group is None:
            return code
        return self.words("lint.kpi_group", kpi=code, column=self.policy.kpis[code].by, group=group)

    def range(self, unit: str) -> str:
        low, high = UNIT_RANGES[unit]
        if high is None:
            return self.words("lint.range.from", unit=unit, low=number(low))
        return self.words("lint.range.closed", unit=unit, low=number(low), high=number(high))


def _shown(value: Decimal, places: str) -> str:
    # Quantizing a number of more than ~24 digits would overflow the context; such numbers stay whole.
    rounded = value.quantize(Decimal(places)) if value.adjusted() < 20 else value
    text = f"{rounded.normalize():f}"
    return "0" if text == "-0" else text


def number(value: Decimal | None) -> str:
    """A number as people write it: no exponent, no trailing zeros, at most 4 places."""
    return "" if value is None else _shown(value, "0.0001")


def percent(share: Decimal) -> str:
    """A share (0.3) as a percentage with at most one place (30%)."""
    return _shown(share * HUNDRED, "0.1") + "%"


def bonus_share(context: Context) -> Iterator[Hit]:
    """CSP101: target bonus / (base pay + allowances + target bonus) outside the policy's range."""
    limits = context.policy.lint.bonus_share
    for name, role in context.policy.roles.items():
        bonus = role.target_bonus_amount()
        total = role.base_pay + sum(role.allowances.values(), Decimal(0)) + bonus
        if not total:
            continue
        share = bonus / total * HUNDRED
        key = "high" if share > limits.max else "low" if share < limits.min else None
        if key:
            yield Hit(
                "CSP101",
                ("roles", name, "target_bonus"),
                key,
                {
                    "role": name,
                    "bonus": context.money(bonus),
                    "total": context.money(total),
                    "share": percent(share / HUNDRED),
                    "min": percent(limits.min / HUNDRED),
                    "max": percent(limits.max / HUNDRED),
                },
            )


def heavy_kpi(context: Context) -> Iterator[Hit]:
    """CSP102: a single KPI's weight above `lint.max_kpi_weight`."""
    limit = context.policy.lint.max_kpi_weight
    for code, kpi in context.policy.kpis.items():
        share = kpi.weight / context.weights * HUNDRED
        if share > limit:
            yield Hit(
                "CSP102",
                ("kpis", code, "weight"),
                "heavy",
                {"kpi": code, "weight": number(share), "max": number(limit)},
            )


def direction(score: Score) -> int:
    """+1 when higher values score more, -1 when lower values do, 0 for a flat band list."""
    if not score.bands:
        return 1 if score.higher_is_better else -1
    steps = [after.score - before.score for before, after in pairwise(score.bands)]
    first = next((step for step in steps if step), Decimal(0))
    return (first > 0) - (first < 0)


def speed_without_quality(context: Context) -> Iterator[Hit]:
    """CSP103: a lower-is-better seconds KPI with weight, and no quality KPI gated or weighing as much."""
    policy = context.policy
    gated = {gate.kpi for gate in policy.gates if gate.kpi}
    quality = [
        (code, kpi) for code, kpi in policy.kpis.items() if kpi.unit in QUALITY_UNITS and direction(kpi.score) > 0
    ]
    for code, kpi in policy.kpis.items():
        if kpi.unit != "seconds" or kpi.weight <= 0 or direction(kpi.score) >= 0:
            continue
        if not any(name in gated or other.weight >= kpi.weight for name, other in quality):
            yield Hit("CSP103", ("kpis", code, "weight"), "speed", {"kpi": code, "weight": number(kpi.weight)})


def grade_cliffs(context: Context) -> Iterator[Hit]:
    """CSP104: a grade boundary where the bonus jumps by more than `lint.cliff` of target bonus."""
    policy = context.policy
    if policy.bonus.basis != "grade":
        return
    for upper, lower, change in reach.grade_steps(policy, context.top):
        if abs(change) * HUNDRED > policy.lint.cliff:
            grade = policy.grades[upper]
            yield Hit(
                "CSP104",
                ("grades", upper, "min_score"),
                "grade",
                {
                    "grade": grade.grade,
                    "lower": policy.grades[lower].grade,
                    "score": number(grade.min_score),
                    "share": percent(abs(change)),
                    "money": context.per_role(abs(change)),
                },
            )


def _ladder_step(context: Context) -> Decimal:
    """The largest bonus change at a grade boundary: any small score change can already cause it."""
    if context.policy.bonus.basis != "grade":
        return Decimal(0)
    return max((abs(change) for _, _, change in reach.grade_steps(context.policy, context.top)), default=Decimal(0))


def curves(kpi: Kpi, code: str) -> Iterator[tuple[str | None, Score, Path_]]:
    """Each curve of a KPI (its own score, then each group's) with the policy path that writes it: every
    rule about a curve runs on each one."""
    for group, score in kpi.curves():
        yield group, score, ("kpis", code, "score") if group is None else ("kpis", code, "groups", group)


def _score_steps(unit: str, score: Score) -> Iterator[tuple[tuple[str | int, ...], str, Decimal, Decimal]]:
    """(path, message key, value, score change) at each place a curve's score jumps."""
    low = UNIT_RANGES[unit][0]
    if isinstance(score, BandScore):
        before = Decimal(0)
        for i, band in enumerate(score.bands):
            below_reachable = i > 0 or low is None or band.from_ > low
            if below_reachable and in_range(unit, band.from_):
                yield ("bands", i, "from"), "band", band.from_, band.score - before
            before = band.score
        return
    if reach.can_fall_short(unit, score) and in_range(unit, score.threshold) and score.at_threshold:
        yield ("threshold",), "threshold", score.threshold, score.at_threshold


def score_cliffs(context: Context) -> Iterator[Hit]:
    """CSP104: a band step or a curve's threshold that moves the bonus by more than `lint.cliff`.

    Under `basis: grade` a step is reported only when it moves pay more than a grade boundary alone
    does, since that boundary is reported on the grade.
    """
    policy = context.policy
    ladder = _ladder_step(context)
    for code, kpi in policy.kpis.items():
        for group, score, where in curves(kpi, code):
            yield from _score_cliffs(context, code, group, score, where, ladder)


def _score_cliffs(
    context: Context, code: str, group: str | None, score: Score, where: Path_, ladder: Decimal
) -> Iterator[Hit]:
    policy, kpi = context.policy, context.policy.kpis[code]
    for path, key, value, change in _score_steps(kpi.unit, score):
        step = abs(change) * kpi.weight / context.weights
        jump = reach.largest_jump(policy, step, context.top)
        if jump * HUNDRED > policy.lint.cliff and jump > ladder:
            yield Hit(
                "CSP104",
                (*where, *path),
                key,
                {
                    "kpi": context.kpi(code, group),
                    "value": number(value),
                    "at_threshold": number(change),
                    "share": percent(jump),
                    "money": context.per_role(jump),
                },
            )


def gate_cliffs(context: Context) -> Iterator[Hit]:
    """CSP104: a gate that takes away more than `lint.cliff` of target bonus as its metric crosses it."""
    policy = context.policy
    for i, gate in enumerate(policy.gates):
        if gate.kpi is not None and reach.gate_fires(gate, policy.kpis[gate.kpi].unit):
            continue  # a gate that never or always fires is reported as dead, not as a cliff
        drop = reach.gate_drop(policy, gate)
        if drop * HUNDRED > policy.lint.cliff:
            yield Hit(
                "CSP104",
                ("gates", i),
                "gate",
                {
                    "gate": gate.describe(),
                    "value": number(gate.condition.limit),
                    "share": percent(drop),
                    "money": context.per_role(drop),
                },
            )


def unreachable_grades(context: Context) -> Iterator[Hit]:
    """CSP105: a grade whose min_score is above the highest score an agent can reach."""
    for i, grade in enumerate(context.policy.grades):
        if grade.min_score > context.top:
            yield Hit(
                "CSP105",
                ("grades", i, "min_score"),
                "grade",
                {"grade": grade.grade, "min_score": number(grade.min_score), "top": number(context.top)},
            )


def out_of_range(context: Context) -> Iterator[Hit]:
    """CSP105: a band, threshold, target or stretch beyond the values the KPI's unit allows, on any curve."""
    for code, kpi in context.policy.kpis.items():
        for group, score, where in curves(kpi, code):
            values = {"kpi": context.kpi(code, group), "unit": kpi.unit, "range": context.range(kpi.unit)}
            if isinstance(score, BandScore):
                high = UNIT_RANGES[kpi.unit][1]
                for i, band in enumerate(score.bands):
                    if high is not None and band.from_ > high:
                        yield Hit(
                            "CSP105", (*where, "bands", i, "from"), "band", {**values, "value": number(band.from_)}
                        )
                continue
            for point in ("threshold", "target", "stretch"):
                value = getattr(score, point)
                if not in_range(kpi.unit, value):
                    yield Hit("CSP105", (*where, point), "curve", {**values, "point": point, "value": number(value)})


def dead_gates(context: Context) -> Iterator[Hit]:
    """CSP105: a gate on a KPI that can never fire, or fires for everyone, given the KPI's unit."""
    for i, gate in enumerate(context.policy.gates):
        if gate.kpi is None:
            continue
        unit = context.policy.kpis[gate.kpi].unit
        fires = reach.gate_fires(gate, unit)
        if fires:
            yield Hit(
                "CSP105",
                ("gates", i, gate.condition.name),
                f"gate_{fires}",
                {"gate": gate.describe(), "unit": unit, "range": context.range(unit)},
            )


def _reversal(scores: list[Decimal]) -> int | None:
    """The index of the first score that goes against the direction the scores before it set."""
    trend = Decimal(0)
    for i in range(1, len(scores)):
        change = scores[i] - scores[i - 1]
        if change and trend and (change > 0) != (trend > 0):
            return i
        trend = trend or change
    return None


def non_monotone(context: Context) -> Iterator[Hit]:
    """CSP106: bands that rise then fall (or fall then rise), or a curve whose scores go backwards, on any
    of a KPI's curves."""
    for code, kpi in context.policy.kpis.items():
        own = direction(kpi.score)
        for group, score, where in curves(kpi, code):
            yield from _backwards(context.kpi(code, group), score, where)
            if group is not None and own * direction(score) < 0:  # a group's curve against the KPI's way
                way = context.words("lint.way.higher" if own > 0 else "lint.way.lower")
                yield Hit("CSP106", where, "group", {"kpi": context.kpi(code, group), "way": way})


def _backwards(name: str, score: Score, where: Path_) -> Iterator[Hit]:
    if isinstance(score, BandScore):
        i = _reversal([band.score for band in score.bands])
        if i is not None:
            band, before = score.bands[i], score.bands[i - 1]
            values = {"kpi": name, "value": number(band.from_), "score": number(band.score)}
            key = "band_down" if band.score < before.score else "band_up"
            yield Hit("CSP106", (*where, "bands", i, "score"), key, {**values, "previous": number(before.score)})
        return
    points = [("at_threshold", score.at_threshold), ("at_target", score.at_target), ("at_stretch", score.at_stretch)]
    for (low_name, low), (high_name, high) in pairwise(points):
        if low > high:
            yield Hit(
                "CSP106",
                (*where, high_name),
                "curve",
                {
                    "kpi": name,
                    "lower_name": low_name,
                    "lower": number(low),
                    "higher_name": high_name,
                    "higher": number(high),
                },
            )


def falling_grades(context: Context) -> Iterator[Hit]:
    """CSP106: under `basis: grade`, a grade that pays a smaller multiplier than a grade below it."""
    policy = context.policy
    if policy.bonus.basis != "grade":
        return
    order = sorted(range(len(policy.grades)), key=lambda i: policy.grades[i].min_score)
    for lower, upper in pairwise(order):
        high, low = policy.grades[upper], policy.grades[lower]
        if high.multiplier < low.multiplier:
            yield Hit(
                "CSP106",
                ("grades", upper, "multiplier"),
                "grade",
                {
                    "grade": high.grade,
                    "min_score": number(high.min_score),
                    "multiplier": number(high.multiplier),
                    "lower": low.grade,
                    "lower_multiplier": number(low.multiplier),
                },
            )


def floor_dominates(context: Context) -> Iterator[Hit]:
    """CSP107: a role whose base pay for a full month is below the floor."""
    floor = context.policy.floor
    if floor is None:
        return
    policy = context.policy
    for name, role in policy.roles.items():
        currency = policy.role_currency(name)  # the floor in the role's own currency: never two compared
        terms = policy.currencies.get(currency)
        minimum = floor.gross if currency == policy.currency else terms.floor if terms is not None else None
        if minimum is not None and role.base_pay < minimum:
            yield Hit(
                "CSP107",
                ("roles", name, "base_pay"),
                "floor",
                {
                    "role": name,
                    "base": context.money(role.base_pay, currency),
                    "floor": context.money(minimum, currency),
                },
            )


RULE_CHECKS = (
    bonus_share,
    heavy_kpi,
    speed_without_quality,
    grade_cliffs,
    score_cliffs,
    gate_cliffs,
    unreachable_grades,
    out_of_range,
    dead_gates,
    non_monotone,
    falling_grades,
    floor_dominates,
)
