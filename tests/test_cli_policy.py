"""The policy author's commands: validate-policy's warnings, schema and init."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cspay.cli import app

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).parent / "data"
POOR = str(DATA / "policies" / "poor.yaml")
QUIET = str(DATA / "policies" / "quiet.yaml")


def test_warnings_print_with_code_and_exit_0(runner):
    """Warnings are `Warning: file:line:col: CSP1xx: message` lines on stderr; the ok line stays; exit 0."""
    result = runner.invoke(app, ["validate-policy", POOR])
    assert 0 == result.exit_code, result.output
    assert f"{POOR}: ok: poor-plan 1, 1 role, 2 KPIs, 2 grades, 0 gates, 0 adjustments\n" == result.stdout
    lines = result.stderr.splitlines()
    assert 6 == len(lines)
    assert lines[2].startswith(f"Warning: {POOR}:14:5: CSP102: KPI aht carries 60% of the score, more than 40%. ")


def test_strict_exits_1_on_a_warning(runner):
    """--strict turns any warning into exit 1."""
    assert 1 == runner.invoke(app, ["validate-policy", "--strict", POOR]).exit_code


def test_strict_passes_a_policy_without_warnings(runner):
    """--strict exits 0 when nothing is left to warn about."""
    result = runner.invoke(app, ["validate-policy", "--strict", QUIET])
    assert 0 == result.exit_code, result.output
    assert "" == result.stderr


@pytest.mark.parametrize("name", ["standard.yaml", "zh-hotline.yaml"])
def test_shipped_policies_pass_strict(runner, name):
    """The shipped policies have no warning left: what they trigger is justified in lint.ignore."""
    path = str(ROOT / "policies" / name)
    result = runner.invoke(app, ["validate-policy", "--strict", path])
    assert 0 == result.exit_code, result.output
    assert "" == result.stderr


def test_json_lists_warnings_and_silenced_findings(runner):
    """--format json gives each warning's code, file, line, column and message, and silenced ones with reasons."""
    result = runner.invoke(app, ["validate-policy", "--format", "json", POOR, str(ROOT / "policies" / "standard.yaml")])
    poor, standard = json.loads(result.stdout)
    assert {"code": "CSP101", "file": POOR, "line": 9, "column": 5} == {
        key: poor["warnings"][1][key] for key in ("code", "file", "line", "column")
    }
    assert poor["warnings"][1]["message"].startswith("role L1: the target bonus (¥7,000.00) is 70% of target total pay")
    assert [] == standard["warnings"]
    assert {"CSP104"} == {item["code"] for item in standard["silenced"]}
    assert all(item["reason"].startswith("The grade steps and the quality") for item in standard["silenced"])


def test_json_errors_have_a_null_code(runner, tmp_path):
    """Errors keep their location and get `code: null`, beside an empty warnings list."""
    policy = tmp_path / "p.yaml"
    policy.write_text(Path(QUIET).read_text(encoding="utf-8").replace("weight: 40", "weight: lots"), encoding="utf-8")
    result = runner.invoke(app, ["validate-policy", "--format", "json", str(policy)])
    assert 1 == result.exit_code
    (report,) = json.loads(result.stdout)
    assert [
        {
            "code": None,
            "file": str(policy),
            "line": 8,
            "column": 47,
            "message": "kpis.csat.weight: expected a number, got 'lots'",
        }
    ] == report["errors"]
    assert [] == report["warnings"]


def test_strict_json_exits_1_on_a_warning(runner):
    """--strict applies to JSON output too."""
    assert 1 == runner.invoke(app, ["validate-policy", "--strict", "--format", "json", POOR]).exit_code


def test_lang_zh_words_the_warnings_in_chinese(runner):
    """--lang zh prints the prefix and the messages in Chinese; codes and locations stay."""
    result = runner.invoke(app, ["validate-policy", "--lang", "zh", POOR])
    assert result.stderr.splitlines()[2].startswith(f"警告: {POOR}:14:5: CSP102: 指标 aht 占综合得分的 60%，超过 40%。")


def test_bad_lang_is_a_usage_error(runner):
    """An unknown --lang exits 2, even when no policy loads."""
    assert 2 == runner.invoke(app, ["validate-policy", "--lang", "fr", "missing.yaml"]).exit_code


def test_schema_prints_the_schema(runner):
    """`cspay schema` prints the JSON Schema kept in schema/policy.schema.json."""
    result = runner.invoke(app, ["schema"])
    assert 0 == result.exit_code
    assert (ROOT / "schema" / "policy.schema.json").read_text(encoding="utf-8") == result.stdout


def test_init_writes_a_starter_that_passes_strict(runner, tmp_path):
    """The starter policy validates with no warning under --strict."""
    target = tmp_path / "plan.yaml"
    result = runner.invoke(app, ["init", str(target)])
    assert 0 == result.exit_code, result.output
    assert (
        f"Wrote a starter policy to {target}. Edit it, then check it with: cspay validate-policy --strict {target}\n"
    ) == result.stderr
    checked = runner.invoke(app, ["validate-policy", "--strict", str(target)])
    assert 0 == checked.exit_code, checked.output
    assert "" == checked.stderr


def test_init_starter_has_the_promised_parts(runner, tmp_path):
    """Roles, four KPIs, grades and one gate, with comments."""
    target = tmp_path / "plan.yaml"
    runner.invoke(app, ["init", str(target)])
    result = runner.invoke(app, ["validate-policy", str(target)])
    assert result.stdout.endswith(": ok: my-contact-centre 2026.01, 2 roles, 4 KPIs, 4 grades, 1 gate, 0 adjustments\n")
    assert target.read_text(encoding="utf-8").startswith("# A starter pay policy")


def test_init_starter_computes_a_month(runner, tmp_path):
    """The starter pays agents from a CSV with the columns it names."""
    target = tmp_path / "plan.yaml"
    runner.invoke(app, ["init", str(target)])
    result = runner.invoke(app, ["compute", str(target), str(DATA / "starter-month.csv"), "--format", "json"])
    assert 0 == result.exit_code, result.output
    payslips = json.loads(result.stdout)["payslips"]
    assert ["6600.00", "8525.00"] == [slip["gross"] for slip in payslips]


def test_init_in_chinese_writes_a_chinese_starter_that_passes_strict(runner, tmp_path):
    """--lang zh: Chinese names, columns and comments; it says so in Chinese, passes --strict and pays a
    GB18030 month with Chinese headers."""
    target = tmp_path / "方案.yaml"
    result = runner.invoke(app, ["init", str(target), "--lang", "zh"])
    assert 0 == result.exit_code, result.output
    assert result.stderr.startswith(f"已将入门薪酬方案写入 {target}")
    assert "locale: zh" in target.read_text(encoding="utf-8")
    assert 0 == runner.invoke(app, ["validate-policy", "--strict", str(target)]).exit_code
    month = tmp_path / "月度指标.csv"
    month.write_bytes(
        "工号,姓名,岗位,班组,满意度,评价数,一次解决率,质检得分,平均处理时长,出勤天数\n"
        "S001,田目标,客服专员,一组,90,40,0.78,85,360,21.75\n"
        "S002,石目标,高级客服,二组,90%,40,78%,85,0:06:00,22\n".encode("gb18030")
    )
    paid = runner.invoke(app, ["compute", str(target), str(month), "--format", "json"])
    assert 0 == paid.exit_code, paid.output
    assert ["6600.00", "8525.00"] == [slip["gross"] for slip in json.loads(paid.stdout)["payslips"]]


def test_init_with_an_unknown_language_is_a_usage_error(runner, tmp_path):
    """--lang fr: exit 2, nothing written."""
    result = runner.invoke(app, ["init", str(tmp_path / "plan.yaml"), "--lang", "fr"])
    assert 2 == result.exit_code
    assert [] == list(tmp_path.iterdir())


def test_init_refuses_an_existing_file(runner, tmp_path):
    """An existing file is left as it was and init exits 1."""
    target = tmp_path / "plan.yaml"
    target.write_text("mine\n", encoding="utf-8")
    result = runner.invoke(app, ["init", str(target)])
    assert 1 == result.exit_code
    assert f"Error: {target}: the file exists; pass --force to replace it\n" == result.stderr
    assert "mine\n" == target.read_text(encoding="utf-8")
    assert ["plan.yaml"] == [p.name for p in tmp_path.iterdir()]


def test_init_force_replaces_the_file(runner, tmp_path):
    """--force replaces an existing file with the starter."""
    target = tmp_path / "plan.yaml"
    target.write_text("mine\n", encoding="utf-8")
    assert 0 == runner.invoke(app, ["init", str(target), "--force"]).exit_code
    assert target.read_text(encoding="utf-8").startswith("# A starter pay policy")


def readme_run(command: str) -> list[str]:
    """The lines the README shows under `$ COMMAND`, up to the next command or the end of the block."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split(f"$ {command}\n", 1)[1].split("```", 1)[0]
    return block.split("\n$ ", 1)[0].splitlines()


@pytest.mark.parametrize(
    "command", ["cspay validate-policy tests/data/policies/poor.yaml", "cspay validate-policy --strict policies/*.yaml"]
)
def test_readme_shows_what_validate_policy_prints(runner, command, monkeypatch):
    """The README's validate-policy runs print exactly what it quotes (stdout, then stderr)."""
    monkeypatch.chdir(ROOT)
    arguments = command.split()[1:]
    if arguments[-1] == "policies/*.yaml":
        arguments[-1:] = sorted(str(path.relative_to(ROOT)) for path in (ROOT / "policies").glob("*.yaml"))
    result = runner.invoke(app, arguments)
    assert readme_run(command) == result.stdout.splitlines() + result.stderr.splitlines()
