"""Hypothesis strategies for whole policies and their agents, beyond the shipped ones.

The policies are "fair" in one sense: every curve, band, grade multiplier and gate follows its KPI's
direction (a better value never scores or pays less), so improving a KPI must never lower pay. Everything
else varies: roles, allowances, units, weights, min_volume, missing values, cap, basis, adjustments with
`over` and limits of either sign, proration of any lines, a floor, any rounding step and mode.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from helpers import policy_from
from hypothesis import strategies as st

from cspay.inputs.metrics import AgentRow
from cspay.policy.model import Policy

D = Decimal
# Each unit's range and the decimal places its values are drawn with.
UNITS: dict[str, tuple[Decimal, Decimal, int]] = {
    "percent": (D(0), D(100), 1),
    "ratio": (D(0), D(1), 3),
    "seconds": (D(0), D(900), 0),
    "points": (D(-50), D(150), 1),
    "count": (D(0), D(500), 0),
}
STEPS = ["0.01", "0.05", "0.1", "1", "5", "10"]
GROUPS = ["g0", "g1", "G1", "other", ""]  # queues as a policy names them (the first two) and cells hold them


@dataclass
class Drawn:
    """A generated policy, and for each KPI its code, unit and whether higher is better."""

    data: dict[str, Any]
    policy: Policy
    kpis: list[tuple[str, str, bool]]

    @property
    def columns(self) -> list[str]:
        """The metrics file's header for this policy."""
        data = self.data
        names = ["agent_id", "name", "role", "team", "queue"] + [kpi["column"] for kpi in data["kpis"].values()]
        names += [kpi["min_volume"]["column"] for kpi in data["kpis"].values() if "min_volume" in kpi]
        names += [gate["column"] for gate in data["gates"] if "column" in gate]
        names += [a["column"] for a in data["adjustments"].values()]
        if "proration" in data:
            names.append(data["proration"]["column"])
        return list(dict.fromkeys(names))


def decimals(low: Decimal, high: Decimal, places: int) -> st.SearchStrategy[Decimal]:
    return st.decimals(min_value=low, max_value=high, places=places, allow_nan=False, allow_infinity=False)


def ascending(draw: st.DrawFn, low: Decimal, high: Decimal, places: int, count: int) -> list[Decimal]:
    """`count` distinct values, sorted."""
    return sorted(draw(st.lists(decimals(low, high, places), min_size=count, max_size=count, unique=True)))


@st.composite
def scores(draw: st.DrawFn, unit: str, higher: bool | None = None) -> tuple[dict[str, Any], bool]:
    """A linear curve (either direction, or the one asked) or bands, both never scoring a better value lower."""
    low, high, places = UNITS[unit]
    points = sorted(draw(st.lists(decimals(D(0), D(3), 2), min_size=3, max_size=3)))
    if higher is not False and draw(st.booleans()):
        starts = ascending(draw, low, high, places, draw(st.integers(1, 4)))
        levels = sorted(draw(st.lists(decimals(D(0), D(3), 2), min_size=len(starts), max_size=len(starts))))
        return {"bands": [{"from": s, "score": p} for s, p in zip(starts, levels, strict=True)]}, True
    threshold, target, stretch = ascending(draw, low, high, places, 3)
    higher = draw(st.booleans()) if higher is None else higher
    if not higher:
        threshold, stretch = stretch, threshold
    return {
        "threshold": threshold,
        "target": target,
        "stretch": stretch,
        "at_threshold": points[0],
        "at_target": points[1],
        "at_stretch": points[2],
    }, higher


def weights(draw: st.DrawFn, count: int) -> list[int]:
    """`count` whole weights adding up to 100 (some may be 0)."""
    cuts = sorted(draw(st.lists(st.integers(0, 100), min_size=count - 1, max_size=count - 1)))
    return [b - a for a, b in zip([0, *cuts], [*cuts, 100], strict=True)]


@st.composite
def kpis(draw: st.DrawFn) -> tuple[dict[str, Any], list[tuple[str, str, bool]]]:
    count = draw(st.integers(1, 4))
    result, described = {}, []
    for i, weight in enumerate(weights(draw, count)):
        unit = draw(st.sampled_from(sorted(UNITS)))
        score, higher = draw(scores(unit))
        kpi: dict[str, Any] = {
            "column": f"k{i}",
            "unit": unit,
            "weight": weight,
            "score": score,
            "missing": draw(st.sampled_from(["error", "exclude"])),
        }
        if draw(st.booleans()):
            kpi["min_volume"] = {"column": f"v{i}", "at_least": draw(st.integers(0, 30))}
        if draw(st.booleans()):  # group targets: the queue's own curve, running the KPI's way
            names = draw(st.lists(st.sampled_from(GROUPS[:2]), min_size=1, unique=True))
            kpi |= {"by": "queue", "groups": {name: draw(scores(unit, higher))[0] for name in names}}
        result[f"kpi{i}"] = kpi
        described.append((f"kpi{i}", unit, higher))
    return result, described


@st.composite
def gates(draw: st.DrawFn, described: list[tuple[str, str, bool]]) -> list[dict[str, Any]]:
    """Gates that only ever cut the bonus for a worse value."""
    result = []
    for _ in range(draw(st.integers(0, 2))):
        then = "forfeit" if draw(st.booleans()) else {"multiply": draw(decimals(D(0), D(1), 2))}
        if draw(st.booleans()):
            code, unit, higher = draw(st.sampled_from(described))
            low, high, places = UNITS[unit]
            condition = draw(st.sampled_from(["below", "at_most"] if higher else ["above", "at_least"]))
            result.append({"kpi": code, condition: draw(decimals(low, high, places)), "then": then})
        else:
            condition = draw(st.sampled_from(["below", "at_most"]))
            result.append({"column": "g0", condition: draw(decimals(D(0), D(100), 1)), "then": then})
    return result


@st.composite
def adjustments(draw: st.DrawFn) -> dict[str, Any]:
    result = {}
    for i in range(draw(st.integers(0, 2))):
        adjustment: dict[str, Any] = {"column": f"a{i}", "per_unit": draw(decimals(D(-200), D(200), 3))}
        if draw(st.booleans()):
            adjustment["over"] = draw(decimals(D(0), D(10), 1))
        if draw(st.booleans()):
            limit = draw(decimals(D("0.01"), D(1000), 2))
            adjustment["limit"] = -limit if draw(st.booleans()) else limit
        result[f"adj{i}"] = adjustment
    return result


@st.composite
def roles(draw: st.DrawFn) -> dict[str, Any]:
    result = {}
    for i in range(draw(st.integers(1, 3))):
        base = draw(decimals(D(0), D(20000), 2))
        target: Any = draw(decimals(D(0), D(5000), 2))
        if draw(st.booleans()):
            target = f"{draw(st.integers(0, 60))}%"
        names = draw(st.lists(st.sampled_from(["meal", "transport", "phone"]), unique=True, max_size=3))
        result[f"R{i}"] = {
            "base_pay": base,
            "target_bonus": target,
            "allowances": {name: draw(decimals(D(0), D(1000), 2)) for name in names},
        }
    return result


@st.composite
def grades(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Grades with their own min_scores (one of them 0) and multipliers rising with them."""
    floors = [D(0), *ascending(draw, D("0.01"), D(2), 2, draw(st.integers(0, 4)))]
    multipliers = sorted(draw(st.lists(decimals(D(0), D(2), 2), min_size=len(floors), max_size=len(floors))))
    actions = draw(
        st.lists(st.sampled_from([None, "coaching", "training"]), min_size=len(floors), max_size=len(floors))
    )
    return [
        {"grade": f"G{i}", "min_score": m, "multiplier": k, **({"action": a} if a else {})}
        for i, (m, k, a) in enumerate(zip(floors, multipliers, actions, strict=True))
    ]


@st.composite
def policies(draw: st.DrawFn) -> Drawn:
    """A valid policy, as the loader would hand it to the models, and what its KPIs are."""
    kpi_data, described = draw(kpis())
    data: dict[str, Any] = {
        "policy": "generated",
        "version": "1",
        "agents": {"id": "agent_id", "role": "role", "name": "name", "team": "team"},
        "rounding": {"step": D(draw(st.sampled_from(STEPS))), "mode": draw(st.sampled_from(["half_up", "half_even"]))},
        "roles": draw(roles()),
        "kpis": kpi_data,
        "grades": draw(grades()),
        "bonus": {"basis": draw(st.sampled_from(["grade", "score"]))},
        "gates": draw(gates(described)),
        "adjustments": draw(adjustments()),
    }
    if draw(st.booleans()):
        data["bonus"]["cap"] = draw(decimals(D("0.1"), D(3), 2))
    if draw(st.booleans()):
        lines = draw(st.lists(st.sampled_from(["base_pay", "allowances", "bonus"]), unique=True))
        data["proration"] = {"column": "days", "full": draw(decimals(D(1), D(31), 2)), "applies_to": lines}
    if draw(st.booleans()):
        data["floor"] = {"gross": draw(decimals(D(0), D(12000), 2))}
    return Drawn(data, policy_from(data), described)


def kpi_values(drawn: Drawn) -> st.SearchStrategy[dict[str, Decimal | None]]:
    """A value (or, where the KPI allows it, none) for each KPI, in its unit's range."""
    return st.fixed_dictionaries(
        {
            code: (st.none() | decimals(*UNITS[unit]))
            if drawn.data["kpis"][code]["missing"] == "exclude"
            else decimals(*UNITS[unit])
            for code, unit, _ in drawn.kpis
        }
    )


def number_values(drawn: Drawn) -> st.SearchStrategy[dict[str, Decimal]]:
    """A value for each plain column: volumes, the gate column, adjustments, worked days."""
    columns = drawn.columns[5 + len(drawn.kpis) :]
    ranges = {"v": (D(0), D(40), 0), "g": (D(0), D(100), 1), "a": (D(0), D(20), 1), "d": (D(0), D(35), 2)}
    return st.fixed_dictionaries({name: decimals(*ranges[name[0]]) for name in columns})


@st.composite
def agents(draw: st.DrawFn, drawn: Drawn) -> AgentRow:
    """One agent's row as the reader would give it."""
    role = draw(st.sampled_from(sorted(drawn.data["roles"])))
    groups = {"queue": draw(st.sampled_from(GROUPS))}
    return AgentRow(2, "A1", role, "Ada", "North", draw(kpi_values(drawn)), draw(number_values(drawn)), groups=groups)


def cell_text(value: Decimal | None, unit: str | None, draw: st.DrawFn) -> str:
    """A value as a spreadsheet might write it: plainly, or with % or as a duration, or "N/A" for none."""
    if value is None:
        return draw(st.sampled_from(["", "N/A", "-"]))
    text = str(value)
    if unit == "percent" and draw(st.booleans()):
        return f"{text}%"
    if unit == "ratio" and draw(st.booleans()):
        return f"{value * 100}%"
    if unit == "seconds" and value == value.to_integral_value() and draw(st.booleans()):
        seconds = int(value)
        return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
    return text


@st.composite
def metrics_files(draw: st.DrawFn, drawn: Drawn, max_agents: int = 40) -> str:
    """A metrics CSV for the policy: agents whose values repeat (as real ones do) and vary."""
    units = {drawn.data["kpis"][code]["column"]: unit for code, unit, _ in drawn.kpis}
    lines = [",".join(drawn.columns)]
    pool = draw(st.lists(st.tuples(kpi_values(drawn), number_values(drawn)), min_size=1, max_size=6))
    for n in range(draw(st.integers(1, max_agents))):
        values, numbers = draw(st.sampled_from(pool))
        by_column = {drawn.data["kpis"][code]["column"]: value for code, value in values.items()} | numbers
        role = draw(st.sampled_from(sorted(drawn.data["roles"])))
        cells = [f"A{n:03d}", f"Agent {n % 5}", role, "North", draw(st.sampled_from(GROUPS))]
        cells += [cell_text(by_column[name], units.get(name), draw) for name in drawn.columns[5:]]
        lines.append(",".join(cells))
    return "\n".join(lines) + "\n"
