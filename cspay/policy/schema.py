"""The JSON Schema of the policy format, generated from the pydantic models, for editors and checks.

pydantic only sees the Python types behind cspay's lenient readers (a Decimal behind "a number, or
its text", a model behind `forfeit | {multiply: k}`), so the schema of each reader is stated here, keyed
by its validator function: a new field that reuses a reader gets the right schema with no change here.
"""

from __future__ import annotations

import copy
import json
import re
from decimal import Decimal
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema

from cspay.policy import metrics_spec, model, values

DIALECT = "https://json-schema.org/draft/2020-12/schema"
_DIGITS = r"(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?"
NUMBER = {"anyOf": [{"type": "number"}, {"type": "string", "pattern": rf"^\s*[-+]?{_DIGITS}\s*$"}]}
NON_NEGATIVE = {"anyOf": [{"type": "number", "minimum": 0}, {"type": "string", "pattern": rf"^\s*\+?{_DIGITS}\s*$"}]}
POSITIVE = {"anyOf": [{"type": "number", "exclusiveMinimum": 0}, NON_NEGATIVE["anyOf"][1]]}
SHARE = {"type": "string", "pattern": r"^\s*\+?(\d+(\.\d*)?|\.\d+)\s*%\s*$", "examples": ["30%"]}
TEXT = {"anyOf": [{"type": "string"}, {"type": "number"}]}

BEFORE: dict[Any, dict[str, Any]] = {
    values._number: NUMBER,
    values._text: TEXT,
    values._amount_or_share: {
        "anyOf": [NON_NEGATIVE["anyOf"][0], SHARE],
        "description": "An amount, or a share of base pay written as N%.",
    },
    model._gate_effect: {
        "anyOf": [
            {"const": "forfeit", "description": "The bonus becomes 0."},
            {
                "type": "object",
                "properties": {"multiply": NON_NEGATIVE},
                "required": ["multiply"],
                "additionalProperties": False,
                "description": "The bonus is multiplied by k.",
            },
        ]
    },
    values._share_written: {**SHARE, "examples": ["25%"]},
    values._share: {**SHARE, "examples": ["12%"]},
    values._reason: {"anyOf": [{"type": "string", "pattern": r"\S"}, {"type": "number"}]},
}
AFTER: dict[Any, dict[str, Any]] = {values._at_least_zero: NON_NEGATIVE, values._above_zero: POSITIVE}

# What each key means, shown by editors on hover; the README has the full story.
DESCRIPTIONS = {
    "Policy": {
        "policy": "The policy's id, e.g. cs-standard.",
        "version": 'The policy\'s version, as text: quote it ("2026.11").',
        "currency": "The currency of every amount, e.g. CNY.",
        "locale": "The language of cspay's own words for this policy: en or zh.",
        "rounding": "How payslip lines are rounded: {step: 0.01, mode: half_up}.",
        "agents": "Which metrics columns hold the agent's id and role (and name, team).",
        "roles": "Base pay, target bonus and allowances of each role, by the role's name in the metrics.",
        "kpis": "The KPIs that make up the score; their weights add up to 100.",
        "grades": "Grades from a score: the first whose min_score the score reaches; one has min_score 0.",
        "bonus": "How the bonus follows the grade or score, and its cap.",
        "gates": "Conditions that forfeit or multiply the bonus, applied in order before the cap.",
        "adjustments": "Own payslip lines from a column: complaints, volume …; not prorated.",
        "proration": "Prorates lines by worked days: factor = min(column / full, 1).",
        "floor": "Gross is never below this; the difference is its own line.",
        "lint": "Thresholds of the pitfall warnings of `cspay validate-policy`, and rules silenced with a reason.",
        "approval": "Who may approve a recorded run or a one-off adjustment: {four_eyes: true}.",
        "one_off_adjustments": "Manual one-off amounts (`cspay adjust add`): the codes allowed and a limit.",
    },
    "Approval": {
        "four_eyes": "true: a run or a one-off adjustment is approved by someone other than who recorded it.",
    },
    "OneOffAdjustments": {
        "codes": "The codes allowed, each with its payslip label: {retention_bonus: Retention bonus}.",
        "max_amount": "The largest amount, either way (a payment or a deduction), one adjustment may carry.",
    },
    "Role": {
        "base_pay": "Base pay for a full month.",
        "target_bonus": "The bonus paid in full at multiplier 1.0: an amount, or N% of base_pay.",
        "allowances": "Each allowance becomes its own payslip line allowance.<name>.",
    },
    "Kpi": {
        "column": "The metrics column holding the KPI's value.",
        "unit": "percent 0-100, ratio 0-1, seconds (or h:mm:ss), points, count.",
        "weight": "The KPI's weight in the score; all weights add up to 100.",
        "score": "A linear curve {threshold, target, stretch} or a list of bands.",
        "min_volume": "Below this volume the KPI is left out and the other weights rescaled.",
        "missing": "error: an empty cell is an error; exclude: the KPI is left out for that agent.",
        "by": "A column whose text puts each agent in a group (queue, shift …): a group in `groups` scores on "
        "its own curve, any other value or an empty cell on `score`.",
        "groups": "With `by`: a curve per group, by the group's name (case, width and spacing aside), e.g. "
        "{complaints: {threshold: 70, target: 80, stretch: 88}}.",
    },
    "LinearScore": {
        "threshold": "Below it (above it, when lower is better) the score is 0; at it, at_threshold.",
        "target": "The value scoring at_target (1.0 unless given).",
        "stretch": "At and beyond it the score is at_stretch (1.5 unless given).",
    },
    "BandScore": {
        "bands": "Bands sorted by from: the score of the last band whose from the value reaches.",
    },
    "Grade": {
        "min_score": "The lowest score that earns this grade.",
        "multiplier": "Bonus = target_bonus x multiplier (with bonus.basis: grade).",
        "action": "Follow-up shown on the payslip and counted in the summary, e.g. coaching.",
    },
    "Bonus": {
        "basis": "grade: target_bonus x the grade's multiplier; score: target_bonus x score.",
        "cap": "The bonus is never above cap x target_bonus.",
    },
    "Gate": {
        "kpi": "The KPI whose value (in its unit) the gate tests.",
        "column": "A metrics column (a plain number) the gate tests.",
        "then": "forfeit, or {multiply: k}.",
    },
    "Lint": {
        "bonus_share": "CSP101: the accepted range of target bonus / target total pay, e.g. {min: 10%, max: 40%}.",
        "max_kpi_weight": "CSP102: the largest weight one KPI may carry (of 100).",
        "cliff": "CSP104: the largest bonus change, as a share of target bonus, one small step may cause.",
        "ignore": "Rules this policy silences, each with the reason why it does not apply: {CSP103: ...}.",
    },
}


class _PolicySchema(GenerateJsonSchema):
    def function_before_schema(self, schema: Any) -> Any:
        known = BEFORE.get(schema["function"]["function"])
        return copy.deepcopy(known) if known else super().function_before_schema(schema)

    def function_after_schema(self, schema: Any) -> Any:
        known = AFTER.get(schema["function"]["function"])
        return copy.deepcopy(known) if known else super().function_after_schema(schema)

    def default_schema(self, schema: Any) -> Any:
        result = super().default_schema(schema)
        if isinstance(schema["default"], BaseModel):
            result.pop("default", None)  # a section's defaults show on its own keys
            return result
        inner = schema["schema"]
        if inner.get("type") == "function-before" and inner["function"]["function"] is values._share_written:
            result["default"] = f"{schema['default']}%"
        return result

    def encode_default(self, dft: Any) -> Any:
        if isinstance(dft, Decimal):  # written as a YAML number, so shown as one
            return int(dft) if dft == dft.to_integral_value() else float(dft)
        return super().encode_default(dft)


def policy_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a policy file."""
    schema = model.Policy.model_json_schema(by_alias=True, schema_generator=_PolicySchema)
    definitions = schema.get("$defs", {})
    for cls in (model.Gate, model.ActionRule, metrics_spec.Leaf):
        _flatten(definitions, cls.__name__, cls.flattened)
    _prune(schema)
    _groups_need_by(definitions["Kpi"])
    for name, keys in DESCRIPTIONS.items():
        properties = (schema if name == "Policy" else definitions[name])["properties"]
        for key, text in keys.items():
            properties[key]["description"] = text
    return {
        "$schema": DIALECT,
        **schema,
        "title": "cspay pay policy",
        "description": "A cspay pay policy: roles, KPIs, grades, bonus, gates and pay lines.",
    }


def _flatten(definitions: dict[str, Any], name: str, fields: tuple[str, ...]) -> None:
    """Write a model's nested either/or fields inline, as the YAML does: each field's forms' keys become
    the model's own keys, and exactly one form's required keys must be given."""
    definition = definitions[name]
    for field in fields:
        union = definition["properties"].pop(field)
        members = [definitions[ref["$ref"].rsplit("/", 1)[1]] for ref in union.get("oneOf") or union["anyOf"]]
        for member in members:
            definition["properties"].update(member["properties"])
        definition["required"] = [key for key in definition["required"] if key != field]
        definition.setdefault("allOf", []).append({"oneOf": [{"required": member["required"]} for member in members]})


def _groups_need_by(kpi: dict[str, Any]) -> None:
    """`by` and `groups` come together, and a group has a name and a curve."""
    kpi["dependentRequired"] = {"by": ["groups"], "groups": ["by"]}
    groups = kpi["properties"]["groups"]
    groups["minProperties"] = 1
    groups["propertyNames"] = {"pattern": r"\S"}


def _prune(schema: dict[str, Any]) -> None:
    """Drop the definitions nothing refers to any more."""
    definitions = schema["$defs"]
    reached: set[str] = set()
    waiting = [schema["properties"]]
    while waiting:
        text = json.dumps(waiting.pop())
        for name in re.findall(r'"#/\$defs/([^"]+)"', text):
            if name not in reached:
                reached.add(name)
                waiting.append(definitions[name])
    for name in set(definitions) - reached:
        del definitions[name]


def schema_text() -> str:
    """The schema as `cspay schema` prints it and schema/policy.schema.json holds it."""
    return json.dumps(policy_schema(), ensure_ascii=False, indent=2) + "\n"
