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

from cspay.policy import metrics_spec, model, statutory, values

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
        "teams": "Team results: how a team's score is made, who counts in it, and how teams roll up to sites.",
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
        "base_pay": "Base pay for a full month; or a list of dated entries {from, to, value}.",
        "target_bonus": "The bonus paid in full at multiplier 1.0: an amount, or N% of base_pay.",
        "allowances": "Each allowance becomes its own payslip line allowance.<name>.",
        "team_share": "The share of the bonus paid on the team's result (bonus.team), e.g. 20%; the rest on own.",
        "paid_on": "own, or team / site: a leader, paid on the result of the team(s) or site led.",
        "grades": "A leader's own grades of the team's or site's score (default: the policy's).",
    },
    "Teams": {
        "score": "member_kpis: members' KPI values, weighted; member_scores: members' scores; team_metrics: a file.",
        "site": "The column naming each agent's site: teams roll up to sites.",
        "leads": "The column naming the team(s) a leader leads, separated by ;.",
        "membership": "prorated: a member counts by their share of the period and their worked days; whole: by time.",
        "min_size": "A team counting fewer members pays its members' team part as small_team says.",
        "small_team": "own: on the agent's own result; site: on the site's result.",
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
    "Deductions": {
        "packs": "Statutory pack files (relative to the policy's folder): contribution bases, rates, tax tables.",
        "bases": "Each pack base of: column, and the column holding each agent's declared base.",
        "special_deductions": "The column of each agent's special additional deductions for the month.",
        "other_deductions": "The column of each agent's other deductions from taxable income for the month.",
        "one_time_bonus": "An annual policy's bonus taxed on its own by the pack's one_time_bonus table.",
    },
    "Lint": {
        "bonus_share": "CSP101: the accepted range of target bonus / target total pay, e.g. {min: 10%, max: 40%}.",
        "max_kpi_weight": "CSP102: the largest weight one KPI may carry (of 100).",
        "cliff": "CSP104: the largest bonus change, as a share of target bonus, one small step may cause.",
        "ignore": "Rules this policy silences, each with the reason why it does not apply: {CSP103: ...}.",
    },
}


DATE_KEY = {"pattern": r"^\d{4}-\d{2}-01$"}


class _PolicySchema(GenerateJsonSchema):
    def function_before_schema(self, schema: Any) -> Any:
        function = schema["function"]["function"]
        if function is statutory._dated:  # a value, or values by the first day of the month each holds from
            value = self.generate_inner(schema["schema"]["values_schema"])
            by_date = {"type": "object", "propertyNames": DATE_KEY, "additionalProperties": value, "minProperties": 1}
            return {"anyOf": [value, by_date]}
        known = BEFORE.get(function)
        return copy.deepcopy(known) if known else super().function_before_schema(schema)

    def function_after_schema(self, schema: Any) -> Any:
        known = AFTER.get(schema["function"]["function"])
        return copy.deepcopy(known) if known else super().function_after_schema(schema)

    def default_schema(self, schema: Any) -> Any:
        result = super().default_schema(schema)
        if "default" not in schema:  # a default_factory (a pack's mappings)
            return result
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
    _dated(definitions)
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


PACK_DESCRIPTIONS = {
    "Pack": {
        "pack": "The pack's id, e.g. cn-iit.",
        "currency": "The currency of every amount in the pack; it applies to pay in that currency only.",
        "source": "Where the values come from: the law, notice or table, and its date.",
        "checked": "When the values were last checked against the source.",
        "example": "true: example values to confirm before paying (validate-policy warns, CSP108).",
        "holds_until": "The last day the values are known to hold; a later run is refused.",
        "rounding": "How each deduction is rounded, unless a contribution or tax says otherwise.",
    },
    "ContributionBase": {
        "of": "column: each agent's declared base, a column the policy names; gross: the month's gross pay.",
        "floor": "The lowest base: a lower declared base is raised to it.",
        "cap": "The highest base: a higher declared base is cut to it.",
    },
    "Contribution": {
        "base": "The base (of the pack's bases) the rates apply to.",
        "employee": "The employee's rate, deducted from gross: N%.",
        "employer": "The employer's rate, a cost, never on gross: N%.",
    },
    "IncomeTax": {
        "method": "cumulative: over the tax year, less what was withheld before; monthly: each month on its own.",
        "basic_deduction": "Deducted from income for each month (employed in the year, under cumulative).",
        "brackets": "Rows {up_to, rate, quick_deduction}: tax = taxable × rate − quick deduction.",
        "contributions_deductible": "Whether the employee's contributions reduce taxable income.",
    },
    "OneTimeBonus": {
        "brackets": "The monthly table: bonus ÷ months picks the row; tax = bonus × rate − quick deduction.",
        "until": "The last day of the periods whose bonus may be taxed this way.",
    },
}


def pack_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a statutory pack file."""
    schema = statutory.Pack.model_json_schema(by_alias=True, schema_generator=_PolicySchema)
    for name, keys in PACK_DESCRIPTIONS.items():
        properties = (schema if name == "Pack" else schema["$defs"][name])["properties"]
        for key, text in keys.items():
            properties[key]["description"] = text
    return {
        "$schema": DIALECT,
        **schema,
        "title": "cspay statutory pack",
        "description": "Dated statutory rules from gross to net: contribution bases and rates, income-tax tables.",
    }


def pack_schema_text() -> str:
    """The pack schema as `cspay schema --pack` prints it and schema/statutory-pack.schema.json holds it."""
    return json.dumps(pack_schema(), ensure_ascii=False, indent=2) + "\n"


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


DATE = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$", "examples": ["2026-07-01"]}
# The values a policy may date (cspay.policy.timeline.DATED), by model and field; "*" for a mapping's values.
DATED_FIELDS = {"Role": ["base_pay", "target_bonus", "allowances.*"], "Kpi": ["score"], "Floor": ["gross"]}


def _dated(definitions: dict[str, Any]) -> None:
    """Each value that may change on a date takes a list of entries too: {from, to, value}."""
    for name, fields in DATED_FIELDS.items():
        properties = definitions[name]["properties"]
        for field in fields:
            key, _, each = field.partition(".")
            holder, slot = (properties[key], "additionalProperties") if each else (properties, key)
            value = holder[slot]
            entry = {
                "type": "object",
                "properties": {"from": DATE, "to": DATE, "value": value},
                "required": ["from", "value"],
                "additionalProperties": False,
            }
            holder[slot] = {
                "anyOf": [value, {"type": "array", "minItems": 1, "items": entry}],
                "description": "A value, or a list of dated entries {from: YYYY-MM-DD, to: …, value: …}.",
            }


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
