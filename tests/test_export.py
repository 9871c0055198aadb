"""CSV and JSON exports: golden files, inert text cells, atomic writes."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from helpers import iter_payslips

from cspay.engine.types import Summary
from cspay.errors import OutputError
from cspay.inputs.metrics import read_metrics
from cspay.outputs.export import write_csv, write_json
from cspay.outputs.files import atomic_output
from cspay.outputs.text import inert
from cspay.policy.loader import load_policy

DATA = Path(__file__).parent / "data"
GOLDEN = DATA / "golden"
UPDATE = os.environ.get("CSPAY_UPDATE_GOLDEN") == "1"  # regenerate golden files only when asked


def export(kind: str) -> str:
    policy = load_policy(DATA / "standard.yaml")
    rows = read_metrics(DATA / "month.csv", policy)
    buffer = io.StringIO()
    summary = Summary()
    payslips = list(iter_payslips(policy, rows))
    for slip in payslips:
        summary.add(slip)
    if kind == "csv":
        write_csv(buffer, policy, payslips)
    else:
        write_json(buffer, policy, payslips, summary)
    return buffer.getvalue()


@pytest.mark.parametrize("kind", ["csv", "json"])
def test_export_matches_golden(kind):
    """The export of the fixture month is byte for byte the reviewed golden file."""
    golden = GOLDEN / f"month.{kind}"
    text = export(kind)
    if UPDATE:
        golden.write_text(text, encoding="utf-8", newline="")
    assert golden.read_text(encoding="utf-8") == text


def test_export_is_deterministic():
    """The same input gives the same bytes."""
    assert export("json") == export("json")


@pytest.mark.parametrize("text", ["=1+1", "+86 123", "-Zhao", "@SUM(A1)", "\tx", "\rx"])
def test_formula_looking_text_is_made_inert(text):
    """Cells a spreadsheet would run as formulas get a leading quote."""
    assert "'" + text == inert(text)


def test_plain_text_is_unchanged():
    """Ordinary names are written as they are."""
    assert "李娜" == inert("李娜")


def test_formula_name_in_csv_is_inert():
    """A hostile name in the metrics reaches the CSV quoted, not as a formula."""
    assert '007,"\'=HYPERLINK(""http://x"")",L2,' in export("csv")


def test_atomic_output_keeps_old_file_on_failure(tmp_path):
    """An exception while writing leaves the previous file and no temporary file."""
    target = tmp_path / "pay.csv"
    target.write_text("old\n", encoding="utf-8")
    with pytest.raises(RuntimeError), atomic_output(target, force=True) as handle:
        handle.write("half a fi")
        raise RuntimeError("killed")
    assert "old\n" == target.read_text(encoding="utf-8")
    assert ["pay.csv"] == [p.name for p in tmp_path.iterdir()]


def test_atomic_output_refuses_existing_file(tmp_path):
    """Without force an existing file is an OutputError before anything is written."""
    target = tmp_path / "pay.csv"
    target.write_text("old\n", encoding="utf-8")
    with pytest.raises(OutputError, match="the file exists"), atomic_output(target, force=False):
        pass


def test_atomic_output_refuses_read_only_folder(tmp_path):
    """A folder that cannot be written is refused up front."""
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        if os.access(folder, os.W_OK):
            pytest.skip("running as a user who can write anywhere")
        with pytest.raises(OutputError, match="is not writable"), atomic_output(folder / "x.csv", force=False):
            pass
    finally:
        folder.chmod(0o700)


def test_new_output_of_pay_is_private(tmp_path):
    """A new file of pay data is readable by its owner only, however permissive the umask."""
    target = tmp_path / "pay.csv"
    umask = os.umask(0o000)
    try:
        with atomic_output(target, force=False) as handle:
            handle.write("x\n")
    finally:
        os.umask(umask)
    assert 0o600 == target.stat().st_mode & 0o777


def test_new_configuration_follows_the_umask(tmp_path):
    """A file that is not pay data (a policy, a case file) gets what the umask gives a new file."""
    target = tmp_path / "policy.yaml"
    umask = os.umask(0o022)
    try:
        with atomic_output(target, force=False, private=False) as handle:
            handle.write("x\n")
    finally:
        os.umask(umask)
    assert 0o644 == target.stat().st_mode & 0o777


def test_replaced_output_keeps_its_permissions(tmp_path):
    """Replacing a file keeps the mode its owner gave it."""
    target = tmp_path / "pay.csv"
    target.write_text("old\n", encoding="utf-8")
    target.chmod(0o640)
    with atomic_output(target, force=True) as handle:
        handle.write("new\n")
    assert 0o640 == target.stat().st_mode & 0o777


def test_a_payslips_withholding_is_written_field_by_field_as_asdict_gives_it():
    """The JSON of how deductions were worked out is dataclasses.asdict's, amounts as decimal strings."""
    from dataclasses import asdict
    from datetime import date
    from decimal import Decimal

    from helpers import gross_payslip

    from cspay.engine.statutory import Withholder, YearToDate
    from cspay.outputs.export import fields_data
    from cspay.policy.in_force import BaseInForce, ContributionInForce, RulesInForce, TaxInForce
    from cspay.policy.model import Rounding

    table = ((Decimal(3000), Decimal("0.03"), Decimal(0)), (None, Decimal("0.10"), Decimal(210)))
    rules = RulesInForce(
        date(2026, 1, 1),
        {"wage": BaseInForce("wage", None, "column", "base", Decimal(7460), Decimal(37302))},
        (ContributionInForce("pension", None, "wage", Decimal("0.08"), Decimal("0.16"), Rounding()),),
        TaxInForce(None, "cumulative", Decimal(5000), table, True, Rounding()),
        "special",
        None,
    )
    before = YearToDate(1, Decimal(9000), Decimal(720), Decimal(0), Decimal(0), Decimal(48))
    slip = Withholder(rules, {"A001": before}).withhold(gross_payslip("9000", base="9000", special="1000"))

    def plain(value):
        if isinstance(value, Decimal):
            return str(value)
        if isinstance(value, dict):
            return {key: plain(item) for key, item in value.items()}
        if isinstance(value, (list, tuple)):
            return [plain(item) for item in value]
        return value

    assert plain(asdict(slip.withholding)) == fields_data(slip.withholding)


@pytest.mark.parametrize("rows", ["repeating", "distinct"])
@pytest.mark.parametrize("basis", ["grade", "score"])
def test_payslip_json_text_is_what_json_dumps_gives(standard_data, tmp_path, rows, basis):
    """Each payslip's JSON text, made from the shared parts' remembered text, is byte for byte json.dumps of
    its payslip_data (with the keys a run adds after its own), on values that repeat and values that do not."""
    import json

    from helpers import csv_text, distinct_rows, policy_from

    from cspay.outputs.export import PayslipTexts, payslip_data

    standard_data["bonus"]["basis"] = basis
    policy = policy_from(standard_data)
    path = tmp_path / "m.csv"
    month = distinct_rows(300)
    if rows == "repeating":
        month = [{**row, "csat": f"{80 + i % 7}.5", "fcr": "0.8", "aht_sec": "0:05:35"} for i, row in enumerate(month)]
    path.write_text(csv_text(month), encoding="utf-8")
    texts = PayslipTexts(several=False)
    slips = list(iter_payslips(policy, read_metrics(path, policy)))
    extra = {"triggered_actions": ["coaching"]}
    assert [json.dumps(payslip_data(s) | extra, ensure_ascii=False) for s in slips] == [
        texts.text(s, extra) for s in slips
    ]
    assert len(texts.texts) <= PayslipTexts.LIMIT


def test_payslip_json_text_names_each_agents_own_group(tmp_path):
    """Agents whose queues fall back to the same curve share its KPI results, yet each payslip's JSON text
    names the agent's own queue, as json.dumps of its payslip_data does."""
    import json

    from helpers import DATA

    from cspay.outputs.export import PayslipTexts, payslip_data
    from cspay.policy.loader import load_policy

    policy = load_policy(DATA / "queues.yaml")
    header, *rows = (DATA / "queue-month.csv").read_text(encoding="utf-8").splitlines()
    first = rows[2].rsplit(",", 1)[0]  # A003, whose queue has no curve of its own
    month = [header, *(f"{first.replace('A003', f'Q{i}', 1)},{queue}" for i, queue in enumerate(["retail", "", "x"]))]
    path = tmp_path / "m.csv"
    path.write_text("\n".join(month) + "\n", encoding="utf-8")
    slips = list(iter_payslips(policy, read_metrics(path, policy)))
    texts = PayslipTexts(several=False)
    made = [texts.text(slip) for slip in slips]
    assert [json.dumps(payslip_data(slip), ensure_ascii=False) for slip in slips] == made
    assert ["retail", "", "x"] == [json.loads(text)["kpis"][0]["group"] for text in made]
