"""The policy JSON Schema: generated from the models, kept in the repo, and true to the shipped policies."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from cspay.policy.schema import policy_schema, schema_text

ROOT = Path(__file__).resolve().parents[1]
SCHEMA_FILE = ROOT / "schema" / "policy.schema.json"
SHIPPED = sorted((ROOT / "policies").glob("*.yaml"))
STARTERS = sorted((ROOT / "cspay" / "starters").glob("*.yaml"))


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(policy_schema())


def plain_data(path: Path) -> object:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def errors_of(validator, data) -> list[tuple[list, str]]:
    return sorted((list(error.absolute_path), error.message) for error in validator.iter_errors(data))


def test_schema_file_is_up_to_date():
    """schema/policy.schema.json is exactly what `cspay schema` prints; regenerate it when the models change."""
    assert schema_text() == SCHEMA_FILE.read_text(encoding="utf-8"), "run: cspay schema > schema/policy.schema.json"


def test_schema_is_valid_draft_2020_12():
    """The schema itself is a valid JSON Schema of the dialect it names."""
    jsonschema.Draft202012Validator.check_schema(json.loads(SCHEMA_FILE.read_text(encoding="utf-8")))


@pytest.mark.parametrize("path", [*SHIPPED, *STARTERS], ids=lambda path: f"{path.parent.name}/{path.name}")
def test_shipped_policies_match_the_schema(validator, path):
    """Every shipped policy and the starter, read as plain YAML data, is valid under the schema."""
    assert [] == errors_of(validator, plain_data(path))


@pytest.mark.parametrize("path", SHIPPED, ids=lambda path: path.name)
def test_shipped_policies_name_the_schema_first(path):
    """The YAML language server finds the schema from the first line of each shipped policy."""
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert "# yaml-language-server: $schema=../schema/policy.schema.json" == first
    assert (path.parent / "../schema/policy.schema.json").resolve() == SCHEMA_FILE


def test_schema_knows_shares_and_gate_effects(validator):
    """`30%` shares and `then: forfeit | {multiply: k}` pass; misspellings of them do not."""
    data = plain_data(ROOT / "policies" / "standard.yaml")
    data["roles"]["L1"]["target_bonus"] = "12.5%"
    data["gates"][0]["then"] = {"multiply": 0.5}
    assert [] == errors_of(validator, data)
    data["roles"]["L1"]["target_bonus"] = "30 pct"
    data["gates"][0]["then"] = "forfit"
    data["gates"][1]["then"] = {"multiply": -1}
    assert [["gates", 0, "then"], ["gates", 1, "then"], ["roles", "L1", "target_bonus"]] == [
        path for path, _ in errors_of(validator, data)
    ]


def test_schema_accepts_numbers_written_as_text(validator):
    """A quoted number is still a number to cspay, so the schema accepts it; other text is refused."""
    data = plain_data(ROOT / "policies" / "standard.yaml")
    data["roles"]["L1"]["base_pay"] = "5200"
    assert [] == errors_of(validator, data)
    data["roles"]["L1"]["base_pay"] = "lots"
    assert [["roles", "L1", "base_pay"]] == [path for path, _ in errors_of(validator, data)]


def test_schema_refuses_unknown_keys_and_needs_one_score_form(validator):
    """An unknown key and a score with neither a curve nor bands are refused, as the loader does."""
    data = plain_data(ROOT / "policies" / "standard.yaml")
    data["kpis"]["csat"]["wieght"] = 35
    data["kpis"]["fcr"]["score"] = {"threshold": 0.65}
    assert [["kpis", "csat"], ["kpis", "fcr", "score"]] == [path for path, _ in errors_of(validator, data)]


def test_schema_describes_lint_thresholds_with_their_defaults():
    """The lint section documents its shares as written in a policy."""
    lint = policy_schema()["$defs"]["Lint"]["properties"]
    assert "25%" == lint["cliff"]["default"]
    assert 40 == lint["max_kpi_weight"]["default"]


class _EditorLoader(yaml.SafeLoader):
    """YAML read as an editor's language server reads it: 2026-07-01 is text, not a date."""


_EditorLoader.yaml_implicit_resolvers = {
    first: [pair for pair in pairs if pair[0] != "tag:yaml.org,2002:timestamp"]
    for first, pairs in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
EXAMPLE_POLICIES = sorted(
    [*(ROOT / "examples" / "teams").glob("*.yaml"), *(ROOT / "examples" / "dated").glob("*.yaml")]
)


@pytest.mark.parametrize("path", EXAMPLE_POLICIES, ids=lambda path: f"{path.parent.name}/{path.name}")
def test_team_and_dated_examples_match_the_schema(validator, path):
    """The team and dated example policies, dated entries and all, are valid under the schema."""
    assert [] == errors_of(validator, yaml.load(path.read_text(encoding="utf-8"), Loader=_EditorLoader))


def test_schema_refuses_a_dated_entry_without_a_value(validator):
    """A dated value's entries need `from` and `value`, and nothing else."""
    data = plain_data(ROOT / "policies" / "standard.yaml")
    data["roles"]["L1"]["base_pay"] = [{"from": "2026-01-01", "value": 5200}, {"from": "2026-07-01", "valeu": 5400}]
    assert [["roles", "L1", "base_pay"]] == [path for path, _ in errors_of(validator, data)]


# ---- statutory packs ---------------------------------------------------------------------------------

PACK_SCHEMA_FILE = ROOT / "schema" / "statutory-pack.schema.json"
PACKS = sorted((ROOT / "policies" / "statutory").glob("*.yaml"))


def test_pack_schema_file_is_up_to_date():
    """schema/statutory-pack.schema.json is exactly what `cspay schema --pack` prints."""
    from cspay.policy.schema import pack_schema_text

    assert pack_schema_text() == PACK_SCHEMA_FILE.read_text(encoding="utf-8"), "run: cspay schema --pack > ..."


@pytest.mark.parametrize("path", PACKS, ids=lambda path: path.name)
def test_shipped_packs_match_the_pack_schema(path):
    """Each shipped pack, read as the loader reads it (dates and numbers as their text), is valid under the
    pack schema, and its first line names it for the YAML language server."""
    from cspay.policy.loader import load_document

    validator = jsonschema.Draft202012Validator(json.loads(PACK_SCHEMA_FILE.read_text(encoding="utf-8")))
    assert [] == errors_of(validator, _as_json(load_document(path).data))
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert "# yaml-language-server: $schema=../../schema/statutory-pack.schema.json" == first


def test_the_pack_schema_refuses_a_date_that_is_not_a_months_first_day():
    """A value dated 2025-07-15 does not pass the schema, as it does not pass the loader."""
    validator = jsonschema.Draft202012Validator(json.loads(PACK_SCHEMA_FILE.read_text(encoding="utf-8")))
    data = {"pack": "p", "currency": "CNY", "source": "s", "bases": {"wage": {"floor": {"2025-07-15": 7460}}}}
    assert errors_of(validator, data)


def _as_json(value):
    """Data as an editor sees the YAML: numbers as JSON numbers (whole ones as integers), text as text."""
    from decimal import Decimal

    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {key: _as_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_as_json(item) for item in value]
    return value
