"""Hypothesis strategies for valid-looking policies whose numbers may be extreme, for property tests."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from hypothesis import assume
from hypothesis import strategies as st

from cspay.errors import PolicyError
from cspay.policy.loader import load_policy
from cspay.policy.model import Policy

SCORES = st.decimals(min_value=0, max_value=3, places=2)
VALUES = st.decimals(min_value=-5, max_value=500, places=2)
UNITS = st.sampled_from(["percent", "ratio", "seconds", "points", "count"])
TARGETS = st.sampled_from(["0", "30%", "900"])


@st.composite
def kpi_text(draw, code: str, weight: int) -> str:
    """One KPI in flow style: a curve running either way, or bands, in any unit."""
    unit = draw(UNITS)
    extra = draw(st.sampled_from(["", ", missing: exclude", ", min_volume: {column: n, at_least: 5}"]))
    if draw(st.booleans()):
        low, mid, high = sorted(draw(st.lists(VALUES, min_size=3, max_size=3, unique=True)))
        if draw(st.booleans()):
            low, high = high, low
        at = draw(st.lists(SCORES, min_size=3, max_size=3))
        score = (
            f"{{threshold: {low}, target: {mid}, stretch: {high}, at_threshold: {at[0]}, "
            f"at_target: {at[1]}, at_stretch: {at[2]}}}"
        )
    else:
        starts = sorted(draw(st.lists(VALUES, min_size=1, max_size=4, unique=True)))
        score = "{bands: [" + ", ".join(f"{{from: {s}, score: {draw(SCORES)}}}" for s in starts) + "]}"
    return f"  {code}: {{column: {code}, unit: {unit}, weight: {weight}, score: {score}{extra}}}\n"


@st.composite
def policy_texts(draw) -> str:
    """A policy whose every number may be extreme, but which loads."""
    first = draw(st.integers(min_value=0, max_value=100))
    mins = sorted({Decimal(0), *draw(st.lists(st.decimals(min_value=0, max_value=3, places=2), max_size=3))})
    grades = "".join(f"  - {{grade: G{i}, min_score: {m}, multiplier: {draw(SCORES)}}}\n" for i, m in enumerate(mins))
    condition = draw(st.sampled_from(["below", "above", "at_least", "at_most"]))
    effect = draw(st.sampled_from(["forfeit", "{multiply: 0.5}", "{multiply: 1.5}"]))
    subject = draw(st.sampled_from(["kpi: a", "kpi: b", "column: c"]))
    cap = draw(st.sampled_from(["", ", cap: 0.5", ", cap: 1.5"]))
    return (
        f"policy: p\nversion: '1'\nagents: {{id: i, role: r}}\n"
        f"roles:\n  R: {{base_pay: {draw(VALUES.map(abs))}, target_bonus: {draw(TARGETS)}}}\n"
        f"kpis:\n{draw(kpi_text('a', first))}{draw(kpi_text('b', 100 - first))}"
        f"grades:\n{grades}bonus: {{basis: {draw(st.sampled_from(['grade', 'score']))}{cap}}}\n"
        f"gates:\n  - {{{subject}, {condition}: {draw(VALUES)}, then: {effect}}}\n"
        f"floor: {{gross: {draw(VALUES.map(abs))}}}\n"
    )


def loaded(tmp_path: Path, text: str) -> Policy:
    """The policy a generated text describes; the example is discarded when the text is not valid."""
    path = tmp_path / "policy.yaml"
    path.write_text(text, encoding="utf-8")
    try:
        return load_policy(path)
    except PolicyError:
        assume(False)
        raise  # not reached: assume(False) stops the example
