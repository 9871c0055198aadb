"""Reading policy YAML safely: exact numbers, text that stays text, and refusals with a location."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from helpers import STANDARD, TINY_POLICY, write_yaml

from cspay.errors import PolicyError
from cspay.policy.loader import MAX_POLICY_BYTES, load_document, load_policy

ROOT = Path(__file__).resolve().parents[1]

MINIMAL = TINY_POLICY.replace("title: Tiny\n", "")  # no title, as a policy may


def _floats(value: Any) -> list[Any]:
    """Every float inside nested dicts, lists and pydantic dumps."""
    if isinstance(value, float):
        return [value]
    if isinstance(value, dict):
        return [f for item in value.values() for f in _floats(item)]
    if isinstance(value, (list, tuple)):
        return [f for item in value for f in _floats(item)]
    return []


def test_numbers_are_decimals_built_from_the_text(tmp_path: Path) -> None:
    """`0.1` is Decimal("0.1") exactly, as written, never a float's approximation."""
    data = load_document(write_yaml(tmp_path, "a: 0.1\nb: 1e-3\nc: -2.50\n")).data
    assert ([Decimal("0.1"), Decimal("0.001"), Decimal("-2.50")], ["0.1", "1e-3", "-2.50"]) == (
        [data["a"], data["b"], data["c"]],
        [str(data["a"]), data["b"].text, str(data["c"])],
    )


def test_no_float_anywhere_in_the_contract_policy() -> None:
    """Neither the parsed document nor the validated policy holds a float."""
    policy = load_policy(STANDARD)
    assert ([], []) == (_floats(load_document(STANDARD).data), _floats(policy.model_dump()))


def test_decimal_rates_keep_their_digits(standard_data: dict[str, Any]) -> None:
    """0.65 and 21.75 are the exact decimals of the file."""
    from helpers import policy_from

    policy = policy_from(standard_data)
    assert (Decimal("0.65"), Decimal("21.75")) == (policy.kpis["fcr"].score.threshold, policy.proration.full)


@pytest.mark.parametrize("word", ["yes", "no", "on", "off", "y", "n", "Yes", "OFF"])
def test_yaml_1_1_booleans_are_text(tmp_path: Path, word: str) -> None:
    """yes/no/on/off are read as the words, not as booleans (Norway keeps its country code)."""
    assert {"a": word} == load_document(write_yaml(tmp_path, f"a: {word}\n")).data


def test_true_and_false_are_booleans(tmp_path: Path) -> None:
    """Only true/false are booleans."""
    assert {"a": True, "b": False} == load_document(write_yaml(tmp_path, "a: true\nb: false\n")).data


def test_grade_named_no_stays_text(tmp_path: Path) -> None:
    """A grade called `no` is the text "no"."""
    text = MINIMAL.replace("grade: D,", "grade: no,")
    assert "no" == load_policy(write_yaml(tmp_path, text)).grades[1].grade


def test_leading_zero_number_is_decimal_ten(tmp_path: Path) -> None:
    """`010` where a number is meant is ten, not octal eight."""
    text = MINIMAL.replace("base_pay: 5000", "base_pay: 010")
    assert Decimal(10) == load_policy(write_yaml(tmp_path, text)).roles["L1"].base_pay


def test_leading_zero_text_keeps_its_zero(tmp_path: Path) -> None:
    """`010` where text is meant is "010", as written."""
    text = MINIMAL.replace('version: "1"', "version: 010").replace("policy: tiny", "policy: 007")
    policy = load_policy(write_yaml(tmp_path, text))
    assert ("007", "010") == (policy.policy, policy.version)


def test_unquoted_version_keeps_its_text(tmp_path: Path) -> None:
    """`version: 2026.10` is the text "2026.10", not the number 2026.1."""
    text = MINIMAL.replace('version: "1"', "version: 2026.10")
    assert "2026.10" == load_policy(write_yaml(tmp_path, text)).version


@pytest.mark.parametrize("special", [".nan", ".NaN", ".inf", "-.inf", "+.Inf"])
def test_nan_and_infinity_are_not_numbers(tmp_path: Path, special: str) -> None:
    """YAML's special floats are refused where a number is meant, at the value's place."""
    text = MINIMAL.replace("base_pay: 5000", f"base_pay: {special}")
    with pytest.raises(PolicyError) as caught:
        load_policy(write_yaml(tmp_path, text))
    assert [
        f"{tmp_path / 'policy.yaml'}:5:18: roles.L1.base_pay: expected a number, got '{special}'"
    ] == caught.value.lines()


def test_duplicate_key_names_the_key_and_both_lines(tmp_path: Path) -> None:
    """A repeated key is refused at its second place, naming the line of the first."""
    path = write_yaml(tmp_path, "policy: a\nversion: '1'\n\npolicy: b\n")
    with pytest.raises(PolicyError) as caught:
        load_document(path)
    assert [f"{path}:4:1: duplicate key 'policy'; it was first given at line 1"] == caught.value.lines()


def test_every_duplicate_key_is_reported(tmp_path: Path) -> None:
    """Several duplicate keys, at any depth, are reported together."""
    path = write_yaml(tmp_path, "a: 1\nb:\n  c: 1\n  c: 2\na: 3\n")
    with pytest.raises(PolicyError) as caught:
        load_document(path)
    assert [
        f"{path}:4:3: duplicate key 'c'; it was first given at line 3",
        f"{path}:5:1: duplicate key 'a'; it was first given at line 1",
    ] == caught.value.lines()


def test_alias_is_refused(tmp_path: Path) -> None:
    """An alias is refused at its own place, even without an anchor."""
    path = write_yaml(tmp_path, "a: 1\nb: *x\n")
    with pytest.raises(PolicyError) as caught:
        load_document(path)
    assert [f"{path}:2:4: anchors and aliases (&, *) are not allowed in a policy"] == caught.value.lines()


@pytest.mark.parametrize("tag", ["!!python/object/apply:os.system", "!!python/name:os.system", "!!float", "!custom"])
def test_explicit_tags_are_refused(tmp_path: Path, tag: str) -> None:
    """Any explicit tag, !!python ones first of all, is refused: a policy holds only plain data."""
    path = write_yaml(tmp_path, f"a: {tag} '1'\n")
    with pytest.raises(PolicyError) as caught:
        load_document(path)
    assert caught.value.lines()[0].startswith(f"{path}:1:4: the tag ")


def test_file_of_exactly_one_mebibyte_is_read(tmp_path: Path) -> None:
    """The size limit is inclusive: a file of exactly 1 MiB is read."""
    head = "a: 1\n#"
    path = write_yaml(tmp_path, head + "x" * (MAX_POLICY_BYTES - len(head)))
    assert {"a": Decimal(1)} == load_document(path).data


def test_file_over_one_mebibyte_is_refused(tmp_path: Path) -> None:
    """One byte over 1 MiB is refused before it is parsed."""
    head = "a: 1\n#"
    path = write_yaml(tmp_path, head + "x" * (MAX_POLICY_BYTES - len(head) + 1))
    with pytest.raises(PolicyError) as caught:
        load_document(path)
    assert [
        f"{path}: the file is larger than 1,048,576 bytes; expected a policy of at most 1 MiB"
    ] == caught.value.lines()


def test_nesting_of_32_levels_is_read(tmp_path: Path) -> None:
    """The top mapping and 31 nested lists make 32 levels, the most allowed."""
    path = write_yaml(tmp_path, "a: " + "[" * 31 + "]" * 31 + "\n")
    assert "a" in load_document(path).data


def test_nesting_of_33_levels_is_refused(tmp_path: Path) -> None:
    """One level deeper is refused at the node that goes too deep."""
    path = write_yaml(tmp_path, "a: " + "[" * 32 + "]" * 32 + "\n")
    with pytest.raises(PolicyError) as caught:
        load_document(path)
    assert [f"{path}:1:35: nested deeper than 32 levels"] == caught.value.lines()


def test_unknown_key_suggests_the_closest_known_key(tmp_path: Path) -> None:
    """A misspelt key names the key it probably meant, at the key's own place."""
    path = write_yaml(tmp_path, MINIMAL.replace("target_bonus:", "target_bonsu:"))
    with pytest.raises(PolicyError) as caught:
        load_policy(path)
    assert (
        f"{path}:5:24: roles.L1.target_bonsu: unknown key 'target_bonsu'; did you mean 'target_bonus'?"
        in caught.value.lines()
    )


def test_all_problems_of_a_file_are_reported_at_once(tmp_path: Path) -> None:
    """A misspelt key (one line, not also "missing 'weight'"), a bad number and an infinity are all
    reported, each at its own place."""
    text = (
        MINIMAL.replace("weight: 100", "wieght: 100")
        .replace("base_pay: 5000", "base_pay: abc")
        .replace("multiplier: 1.2", "multiplier: .inf")
    )
    path = write_yaml(tmp_path, text)
    with pytest.raises(PolicyError) as caught:
        load_policy(path)
    assert [
        f"{path}:5:18: roles.L1.base_pay: expected a number, got 'abc'",
        f"{path}:7:39: kpis.csat.wieght: unknown key 'wieght'; did you mean 'weight'?",
        f"{path}:9:44: grades[0].multiplier: expected a number, got '.inf'",
    ] == caught.value.lines()


def test_policy_with_utf8_bom_loads(tmp_path: Path) -> None:
    """A policy saved by an editor that writes a BOM is read like any UTF-8 file."""
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + MINIMAL.encode())
    assert "tiny" == load_policy(path).policy


def test_policy_in_gb18030_with_chinese_labels_loads(tmp_path: Path) -> None:
    """A policy saved as GB18030 (Chinese Windows) keeps its Chinese labels."""
    path = tmp_path / "zh.yaml"
    path.write_bytes(MINIMAL.replace("policy: tiny", "policy: 客服").encode("gb18030"))
    assert "客服" == load_policy(path).policy


def test_undecodable_policy_is_refused(tmp_path: Path) -> None:
    """Bytes that are neither UTF-8 nor GB18030 are refused with advice."""
    path = tmp_path / "bad.yaml"
    path.write_bytes(b"policy: \xff\xff\n")
    with pytest.raises(PolicyError) as caught:
        load_document(path)
    assert [f"{path}: the file is neither UTF-8 nor GB18030 text; save it as UTF-8"] == caught.value.lines()


def test_missing_policy_file_is_a_policy_error(tmp_path: Path) -> None:
    """A path that does not exist is reported as unreadable, not as a traceback."""
    path = tmp_path / "nope.yaml"
    with pytest.raises(PolicyError) as caught:
        load_policy(path)
    assert [f"{path}: cannot read the policy: No such file or directory"] == caught.value.lines()


def test_document_remembers_where_values_and_keys_are() -> None:
    """Positions are 1-based line and column, for values and for mapping keys."""
    doc = load_document(STANDARD)
    assert (f"{STANDARD}:68:8", f"{STANDARD}:68:3") == (
        doc.where(("bonus", "cap")),
        doc.where(("bonus", "cap"), key=True),
    )


# ---- the metrics: section, inline or in its own file ---------------------------------------------

EVENTS = Path(__file__).parent / "data" / "events"


def events_policy(tmp_path: Path, metrics_text: str) -> Path:
    """The events test policy referencing a metrics file with the given text, both in tmp_path."""
    (tmp_path / "metrics.yaml").write_text(metrics_text, encoding="utf-8")
    policy = tmp_path / "policy.yaml"
    policy.write_text((EVENTS / "policy-by-file.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    return policy


def refusal(path: Path) -> list[str]:
    with pytest.raises(PolicyError) as caught:
        load_policy(path)
    return caught.value.lines()


def test_metrics_file_gives_the_same_section_as_inline() -> None:
    """`metrics: {file: metrics.yaml}` loads the section from the file beside the policy."""
    inline, by_file = load_policy(EVENTS / "policy.yaml"), load_policy(EVENTS / "policy-by-file.yaml")
    assert inline.metrics.model_dump() == by_file.metrics.model_dump()


def test_problem_in_metrics_file_is_located_in_that_file(tmp_path: Path) -> None:
    """A bad key in the referenced file is reported at its own file:line:col, with a hint."""
    text = (EVENTS / "metrics.yaml").read_text(encoding="utf-8").replace("among:", "amongst:")
    policy = events_policy(tmp_path, text)
    assert [
        f"{tmp_path / 'metrics.yaml'}:10:57: metrics.derived.fcr.share.amongst: unknown key 'amongst'; "
        f"did you mean 'among'?"
    ] == refusal(policy)


def test_yaml_error_in_metrics_file_is_located_in_that_file(tmp_path: Path) -> None:
    """A syntax error in the referenced file names that file and its line."""
    policy = events_policy(tmp_path, "metrics:\n  source: {agent: agent\n")
    assert [f"{tmp_path / 'metrics.yaml'}:3:1: not valid YAML: expected ',' or '}}', but got '<stream end>'"] == (
        refusal(policy)
    )


def test_missing_metrics_file_is_located_at_the_reference(tmp_path: Path) -> None:
    """A reference to a file that is not there points at the policy's `file:` line."""
    policy = events_policy(tmp_path, "")
    (tmp_path / "metrics.yaml").unlink()
    assert [
        f"{policy}:8:17: metrics.file: no file {tmp_path / 'metrics.yaml'} (the path is relative to the "
        f"policy's folder)"
    ] == refusal(policy)


def test_metrics_file_needs_a_top_level_metrics_key(tmp_path: Path) -> None:
    """The referenced file holds `metrics:` like a policy would, so it reads the same either way."""
    text = (EVENTS / "metrics.yaml").read_text(encoding="utf-8").replace("metrics:\n", "derivation:\n")
    assert [
        f"{tmp_path / 'metrics.yaml'}:2:1: expected one top-level key, metrics:, holding source: and derived:"
    ] == refusal(events_policy(tmp_path, text))


def test_metrics_reference_with_other_keys_is_refused(tmp_path: Path) -> None:
    """`file:` beside the section's own keys is ambiguous, so it is refused."""
    policy = events_policy(tmp_path, (EVENTS / "metrics.yaml").read_text(encoding="utf-8"))
    policy.write_text(
        policy.read_text(encoding="utf-8").replace(
            "metrics: {file: metrics.yaml}", "metrics: {file: metrics.yaml, derived: {}}"
        ),
        encoding="utf-8",
    )
    assert [
        f"{policy}:8:17: metrics.file: expected only `file: a/path.yaml`; the section's keys go in that file"
    ] == refusal(policy)


def test_policy_fingerprint_covers_the_metrics_file(tmp_path: Path) -> None:
    """Changing only the metrics file changes the policy's sha256, so a run records what derived its data."""
    text = (EVENTS / "metrics.yaml").read_text(encoding="utf-8")
    before = load_policy(events_policy(tmp_path, text)).sha256
    after = load_policy(events_policy(tmp_path, text.replace("csat_mean", "csat_avg"))).sha256
    assert before != after


def test_inline_metrics_problem_is_located_in_the_policy(tmp_path: Path) -> None:
    """An inline section's problem is reported like any policy key, at its file:line:col."""
    text = (EVENTS / "policy.yaml").read_text(encoding="utf-8").replace("{count: {where:", "{tally: {where:")
    assert [
        f"{tmp_path / 'policy.yaml'}:15:16: metrics.derived.answered.tally: unknown key 'tally'; expected "
        f"one of count, sum, mean, median, min, max, percentile, share, top_box, ratio"
    ] == (refusal(write_yaml(tmp_path, text)))


def test_a_missing_key_with_no_near_typo_is_still_reported(tmp_path: Path) -> None:
    """Only a key some misspelling stands for is left unsaid; a key simply absent is reported."""
    path = write_yaml(tmp_path, MINIMAL.replace("weight: 100, ", "colour: red, "))
    with pytest.raises(PolicyError) as caught:
        load_policy(path)
    assert f"{path}:7:9: kpis.csat: missing required key 'weight'" in caught.value.lines()


def test_a_misspelt_form_of_an_either_or_is_one_error(tmp_path: Path) -> None:
    """`grade_atleast` in an action rule is one unknown-key line with its did-you-mean, not also a line saying
    the rule names neither grade_at_least nor grade_at_most."""
    text = (ROOT / "policies" / "standard-review.yaml").read_text(encoding="utf-8")
    path = write_yaml(
        tmp_path, text.replace("{grade_at_least: A, consecutive: 3}", "{grade_atleast: A, consecutive: 3}")
    )
    with pytest.raises(PolicyError) as error:
        load_policy(path)
    assert 1 == len(error.value.lines())
    assert "unknown key 'grade_atleast'; did you mean 'grade_at_least'?" in error.value.lines()[0]


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "{kpi: qa, below: 60, then: forfeit",
            "{kpi: qa, column: qa_score, below: 60, then: forfeit",
            "gates[0]: a gate names exactly one of `kpi` or `column`",
        ),
        (
            "{kpi: qa, below: 60, then: forfeit",
            "{kpi: qa, below: 60, above: 90, then: forfeit",
            "gates[0]: a gate has exactly one condition of below, above, at_least, at_most; got 2",
        ),
        (
            "{kpi: qa, below: 60, then: forfeit",
            "{kpi: qa, belw: 60, then: forfeit",
            "gates[0].belw: unknown key 'belw'; did you mean 'below'?",
        ),
        (
            "{kpi: qa, below: 60, then: forfeit",
            "{kpi: qa, below: 60, then: halve",
            "gates[0].then: expected \"forfeit\" or {multiply: k}, got 'halve'",
        ),
    ],
)
def test_either_or_parts_of_a_gate_say_what_is_wrong(tmp_path: Path, old: str, new: str, message: str) -> None:
    """A gate's subject, condition and effect are either/or: mixing or misspelling them names the gate."""
    text = (ROOT / "policies" / "standard.yaml").read_text(encoding="utf-8")
    assert old in text
    with pytest.raises(PolicyError) as error:
        load_policy(write_yaml(tmp_path, text.replace(old, new)))
    assert 1 == len(error.value.lines()), error.value.lines()
    assert message in error.value.lines()[0]


# ---- files that are not what they seem ------------------------------------------------------------


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_a_device_as_the_policy_is_read_no_further_than_the_limit(device: str) -> None:
    """A device never ends: at most the limit is read, then it is refused like a large file."""
    with pytest.raises(PolicyError, match="larger than 1,048,576 bytes; expected a policy of at most 1 MiB"):
        load_policy(device)


@pytest.mark.parametrize("name", ["Müller", "François", "Ångström", "Piñata"])
def test_a_latin1_policy_is_not_read_as_gb18030(tmp_path: Path, name: str) -> None:
    """A Windows-1252 file is refused at the line that would be garbled, not read as Chinese."""
    path = tmp_path / "policy.yaml"
    path.write_bytes(TINY_POLICY.replace("title: Tiny", f"title: {name}").encode("cp1252"))
    with pytest.raises(PolicyError) as caught:
        load_policy(path)
    (line,) = caught.value.lines()
    assert line.startswith(f"{path}:2:1: as GB18030 it reads") and line.endswith("misread; save the file as UTF-8")


def test_a_gb18030_policy_in_chinese_loads(tmp_path: Path) -> None:
    """A policy saved as GB18030 by a Chinese editor reads its names as written."""
    path = tmp_path / "policy.yaml"
    path.write_bytes(TINY_POLICY.replace("title: Tiny", "title: 客服薪酬方案").encode("gb18030"))
    assert "客服薪酬方案" == load_policy(path).title


def test_a_value_with_more_digits_than_decimal_keeps_is_refused(tmp_path: Path) -> None:
    """29 significant digits would be rounded unseen by the first product: refused at the value."""
    path = write_yaml(tmp_path, TINY_POLICY.replace("base_pay: 5000", "base_pay: 5000.0000000000000000000000001"))
    with pytest.raises(PolicyError, match=r":6:18: roles\.L1\.base_pay: expected a number of at most 28 significant"):
        load_policy(path)


def test_a_value_of_28_digits_is_read_exactly(tmp_path: Path) -> None:
    """The most digits Decimal keeps are read as written."""
    path = write_yaml(tmp_path, TINY_POLICY.replace("base_pay: 5000", "base_pay: 5000.000000000000000000000001"))
    assert Decimal("5000.000000000000000000000001") == load_policy(path).roles["L1"].base_pay


@pytest.mark.parametrize("step", ["0.0000001", "1E-30", "0.00000000000000000000000001", "0.0100000"])
def test_a_rounding_step_of_more_than_six_places_is_refused(tmp_path: Path, step: str) -> None:
    """Amounts are written with the step's places: more than six is refused where it is written."""
    path = write_yaml(tmp_path, TINY_POLICY + f"rounding: {{step: {step}}}\n")
    with pytest.raises(PolicyError, match=r"rounding\.step: expected a step of at most 6 decimal places"):
        load_policy(path)


@pytest.mark.parametrize("step", ["0.000001", "0.05", "1", "100"])
def test_rounding_steps_of_six_places_or_fewer_are_read(tmp_path: Path, step: str) -> None:
    """A millionth, cash rounding, whole units and hundreds are all steps."""
    path = write_yaml(tmp_path, TINY_POLICY + f"rounding: {{step: {step}}}\n")
    assert Decimal(step) == load_policy(path).rounding.step
