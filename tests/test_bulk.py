"""The batch CSV and JSON ways (cspay.outputs.batch_run, cspay.engine.columnar) against the general way: the
same bytes, totals and errors."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import re
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from helpers import (
    DATA,
    HEADER,
    QUEUE_HEADER,
    by_queue,
    csv_text,
    distinct_rows,
    iter_payslips,
    policy_from,
    write_yaml,
)
from hypothesis import given
from hypothesis import strategies as st

from cspay.engine import columnar
from cspay.engine.compiled import Engine
from cspay.engine.types import Summary
from cspay.errors import MetricsError
from cspay.inputs import columns as columns_module
from cspay.inputs.columns import TEXTS_LIMIT, ColumnReader
from cspay.inputs.metrics import MetricsReader
from cspay.outputs.export import json_end, json_head, write_csv, write_json
from cspay.outputs.fast_csv import BATCH_ROWS, pay_to_csv, plain_cells
from cspay.outputs.fast_json import pay_to_json
from cspay.outputs.text import inert
from cspay.policy.loader import load_policy
from cspay.policy.model import Policy

Outcome = tuple[str, Summary, list[str], str]


def general_way(policy: Policy, path: Path) -> Outcome:
    """The CSV, totals and problems from MetricsReader, Engine.payslip and export.write_csv, and the JSON
    document export.write_json writes of the same payslips."""
    summary, out, problems = Summary(), io.StringIO(), []

    def counted(payslips: Any, summary: Summary) -> Any:
        for slip in payslips:
            summary.add(slip)
            yield slip

    try:
        write_csv(out, policy, counted(iter_payslips(policy, MetricsReader(path, policy)), summary))
    except MetricsError as error:
        problems = error.lines()
    document, json_summary = io.StringIO(), Summary()
    with contextlib.suppress(MetricsError):  # the same problems: the document stops after the last payslip
        payslips = counted(iter_payslips(policy, MetricsReader(path, policy)), json_summary)
        write_json(document, policy, payslips, json_summary)
    return out.getvalue(), summary, problems, document.getvalue()


def bulk_way(policy: Policy, path: Path) -> Outcome:
    """The CSV, totals and problems from fast_csv.pay_to_csv, as `compute --format csv` makes them, and the
    JSON document from fast_json.pay_to_json, as `compute --format json` makes it."""
    summary, out, problems = Summary(), io.StringIO(), []
    try:
        pay_to_csv(MetricsReader(path, policy), out, summary)
    except MetricsError as error:
        problems = error.lines()
    document, json_summary = io.StringIO(), Summary()
    with contextlib.suppress(MetricsError):
        reader = MetricsReader(path, policy)  # a file without a header is refused before anything is written
        document.write(json_head(policy))
        pay_to_json(reader, document, json_summary)
        document.write(json_end(json_summary))
    return out.getvalue(), summary, problems, document.getvalue()


def varied_rows(count: int) -> list[dict[str, str]]:
    """Agents whose values cycle through realistic spellings, so batches mix texts old and new."""
    csat = ["92.5", "88", "95.5%", "79.9", "100", "N/A", "81.25"]
    fcr = ["0.81", "77%", "0.6", "0.9", "0.705"]
    aht = ["335", "0:06:10", "420", "5:00", "290.5"]
    days = ["21.75", "10", "23", "0", "15.5"]
    return [
        {
            "agent_id": f"A{i:05d}",
            "role": "L2" if i % 4 == 0 else "L1",
            "name": f"Agent {i % 37}",
            "csat": csat[i % 7] if i % 7 != 5 else "90",
            "surveys": str(i % 40),
            "fcr": fcr[i % 5],
            "aht_sec": aht[i % 5],
            "qa_score": str(50 + i % 50),
            "attendance": str(90 + i % 11),
            "worked_days": days[i % 5],
            "valid_complaints": str(i % 6),
            "tickets": str(700 + i % 500),
        }
        for i in range(count)
    ]


def test_worked_example_file_is_paid_alike(standard: Policy) -> None:
    """The test month under the contract policy: the same CSV bytes and totals both ways."""
    path = DATA / "month.csv"
    bulk = bulk_way(standard, path)
    assert general_way(standard, path) == bulk
    assert "" != bulk[0] and [] == bulk[2]


def test_many_batches_of_varied_rows_are_paid_alike(standard: Policy, tmp_path: Path) -> None:
    """Several batches of rows whose texts keep changing give the same bytes and totals both ways."""
    path = tmp_path / "m.csv"
    path.write_text(csv_text(varied_rows(3 * BATCH_ROWS + 17)), encoding="utf-8")
    bulk = bulk_way(standard, path)
    assert general_way(standard, path) == bulk
    assert 3 * BATCH_ROWS + 17 == bulk[1].headcount


def test_rarely_repeating_values_are_paid_alike(standard: Policy, tmp_path: Path) -> None:
    """Metrics with 4-6 decimals, well past what the tables keep, give the same bytes and totals both ways."""
    path = tmp_path / "m.csv"
    path.write_text(csv_text(distinct_rows(TEXTS_LIMIT + 3 * BATCH_ROWS)), encoding="utf-8")
    bulk = bulk_way(standard, path)
    assert general_way(standard, path) == bulk
    assert TEXTS_LIMIT + 3 * BATCH_ROWS == bulk[1].headcount


def test_bad_cells_past_full_tables_are_reported_alike(standard: Policy, tmp_path: Path) -> None:
    """A bad, missing or out-of-range cell among rarely repeating values, after the tables are full, is
    reported at the same row both ways, and the other rows are paid alike."""
    rows = distinct_rows(TEXTS_LIMIT + 2 * BATCH_ROWS)
    rows[TEXTS_LIMIT + 10]["csat"] = "101.0000"
    rows[TEXTS_LIMIT + 600]["fcr"] = "0,784225"
    rows[TEXTS_LIMIT + 700]["aht_sec"] = ""
    rows[TEXTS_LIMIT + 800]["tickets"] = "-5.25"
    path = tmp_path / "m.csv"
    path.write_text(csv_text(rows), encoding="utf-8")
    bulk = bulk_way(standard, path)
    assert general_way(standard, path) == bulk
    assert [TEXTS_LIMIT + 12, TEXTS_LIMIT + 602, TEXTS_LIMIT + 702] == [
        int(re.search(r"row (\d+)", line)[1]) for line in bulk[2]
    ]


def test_missing_values_past_full_tables_are_left_out_alike(standard_data: dict[str, Any], tmp_path: Path) -> None:
    """Under `missing: exclude`, empty cells among rarely repeating values, after the tables are full, leave
    the KPI out for those rows alone, both ways alike."""
    standard_data["kpis"]["csat"]["missing"] = "exclude"
    policy = policy_from(standard_data)
    rows = distinct_rows(TEXTS_LIMIT + 2 * BATCH_ROWS)
    for i in range(TEXTS_LIMIT + 5, TEXTS_LIMIT + 2 * BATCH_ROWS, 97):
        rows[i]["csat"] = ""
    path = tmp_path / "m.csv"
    path.write_text(csv_text(rows), encoding="utf-8")
    bulk = bulk_way(policy, path)
    assert general_way(policy, path) == bulk
    assert TEXTS_LIMIT + 2 * BATCH_ROWS == bulk[1].headcount


def test_full_tables_keep_a_batch_columnar(standard: Policy, tmp_path: Path) -> None:
    """Once a column's table of texts is full, a batch of values never met is still read column by column,
    and the table grows no further."""
    path = tmp_path / "m.csv"
    path.write_text(csv_text(distinct_rows(TEXTS_LIMIT + 3 * BATCH_ROWS)), encoding="utf-8")
    reader = MetricsReader(path, standard)
    columns = ColumnReader(reader.parser, Engine(standard))
    batches = [rows for first, rows in reader.batches(BATCH_ROWS) if first is not None]
    read = [columns.read(rows) for rows in batches]  # type: ignore[arg-type]
    assert [] == [i for i, batch in enumerate(read) if batch is None]
    assert all(len(texts) <= TEXTS_LIMIT for _, _, _, texts, _ in columns.kpi_cells)


def test_full_pay_and_line_tables_keep_paying_alike(
    standard: Policy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With room for one pay and one adjustment line only, batches needing many are still paid alike."""
    monkeypatch.setattr(columnar, "MAX_PAYS", 1)
    monkeypatch.setattr(columnar, "MEMO_LIMIT", 1)
    path = tmp_path / "m.csv"
    path.write_text(csv_text(distinct_rows(2 * BATCH_ROWS)), encoding="utf-8")
    assert general_way(standard, path) == bulk_way(standard, path)


def test_bad_rows_among_many_are_reported_alike(standard: Policy, tmp_path: Path) -> None:
    """Blank, short, totals, bad-cell, unknown-role, undecodable, repeated and multi-line rows in big
    batches give the same problems, at the same rows, and the same CSV both ways."""
    rows = varied_rows(2 * BATCH_ROWS)
    rows[3]["csat"] = "high"
    rows[700]["role"] = "L9"
    rows[701]["agent_id"] = "Total"
    rows[900]["agent_id"] = rows[10]["agent_id"]
    rows[901]["name"] = "Ada\nLin"
    rows[950]["agent_id"] = "A 1=1"
    text = csv_text(rows).replace("A00600,", "A00600,,", 1) + "\n,,,\nA99999,Short\n"
    data = text.encode().replace(b"Agent 5,", b"Agent \xff5,", 1)
    path = tmp_path / "m.csv"
    path.write_bytes(data)
    bulk = bulk_way(standard, path)
    assert general_way(standard, path) == bulk
    assert [5, 7, 602, 702, 703, 903, 1029, 902] == [int(re.search(r"row (\d+)", line)[1]) for line in bulk[2]]


def test_score_basis_policy_is_paid_alike(standard_data: dict[str, Any], tmp_path: Path) -> None:
    """Under `basis: score` and half_even rounding (paid row by row) both ways still agree."""
    standard_data["bonus"]["basis"] = "score"
    standard_data["rounding"] = {"step": Decimal("0.05"), "mode": "half_even"}
    policy = policy_from(standard_data)
    path = tmp_path / "m.csv"
    path.write_text(csv_text(varied_rows(BATCH_ROWS + 3)), encoding="utf-8")
    assert general_way(policy, path) == bulk_way(policy, path)


def queued_rows(count: int) -> list[dict[str, str]]:
    """varied_rows in queues spelt as exports spell them: listed, in another case, not listed, empty."""
    queues = ["complaints", "sales", "Complaints ", "retail", "", "N/A", "SALES"]
    return [row | {"queue": queues[i % 7]} for i, row in enumerate(varied_rows(count))]


def test_kpis_by_queue_are_paid_alike(standard_data: dict[str, Any], tmp_path: Path) -> None:
    """Satisfaction and handle time scored by queue, over several batches of mixed queues: the same bytes
    and totals both ways."""
    by_queue(standard_data)
    aht = {"complaints": {"threshold": Decimal(540), "target": Decimal(460), "stretch": Decimal(400)}}
    standard_data["kpis"]["aht"] |= {"by": "queue", "groups": aht}
    policy = policy_from(standard_data)
    path = tmp_path / "m.csv"
    path.write_text(csv_text(queued_rows(3 * BATCH_ROWS + 17), header=QUEUE_HEADER), encoding="utf-8")
    bulk = bulk_way(policy, path)
    assert general_way(policy, path) == bulk
    assert [] == bulk[2]


@pytest.mark.parametrize("room", [TEXTS_LIMIT, 5], ids=["room", "full"])
@pytest.mark.parametrize("rows", [varied_rows, distinct_rows], ids=["repeating", "distinct"])
def test_a_kpi_by_group_in_many_groups_is_paid_alike_column_by_column(
    standard_data: dict[str, Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    rows: Callable[[int], list[dict[str, str]]],
    room: int,
) -> None:
    """A KPI by group over many queues (spelt as exports spell them), on values that repeat and values that
    do not, with room for the pairs met or with the table full: every plain batch is paid column by column,
    with the general way's bytes and totals."""
    monkeypatch.setattr(columns_module, "TEXTS_LIMIT", room)
    policy = policy_from(by_queue(standard_data))
    queues = ["complaints", "sales", "Complaints ", "", *(f"q{i}" for i in range(40))]
    month = [row | {"queue": queues[i % len(queues)]} for i, row in enumerate(rows(2 * BATCH_ROWS))]
    path = tmp_path / "m.csv"
    path.write_text(csv_text(month, header=QUEUE_HEADER), encoding="utf-8")
    assert general_way(policy, path) == bulk_way(policy, path)
    if rows is distinct_rows:  # every cell plain: no batch is left to the general way
        reader, engine = MetricsReader(path, policy), Engine(policy)
        columns, paying = ColumnReader(reader.parser, engine), columnar.Columnar(engine)
        batches = [columns.read(rows) for first, rows in reader.batches(BATCH_ROWS) if first is not None]  # type: ignore[arg-type]
        assert [True, True] == [batch is not None and paying.pay(batch) for batch in batches]


@pytest.mark.parametrize("rows", [varied_rows, distinct_rows], ids=["repeating", "distinct"])
def test_score_basis_is_paid_alike_on_values_that_repeat_or_not(
    standard_data: dict[str, Any], tmp_path: Path, rows: Callable[[int], list[dict[str, str]]]
) -> None:
    """Under `basis: score` (a bonus of its own for nearly every agent, cut by gates and the cap, prorated)
    the batch path gives the general path's bytes and totals, on values that repeat and values that do not."""
    standard_data["bonus"]["basis"] = "score"
    policy = policy_from(standard_data)
    path = tmp_path / "m.csv"
    path.write_text(csv_text(rows(3 * BATCH_ROWS + 11)), encoding="utf-8")
    assert general_way(policy, path) == bulk_way(policy, path)


def test_score_basis_batches_are_paid_column_by_column(standard_data: dict[str, Any], tmp_path: Path) -> None:
    """Under `basis: score` every plain batch is paid by the columnar path, none left to row by row."""
    standard_data["bonus"]["basis"] = "score"
    policy = policy_from(standard_data)
    path = tmp_path / "m.csv"
    path.write_text(csv_text(distinct_rows(2 * BATCH_ROWS)), encoding="utf-8")
    reader, engine = MetricsReader(path, policy), Engine(policy)
    columns, paying = ColumnReader(reader.parser, engine), columnar.Columnar(engine)
    batches = [columns.read(rows) for first, rows in reader.batches(BATCH_ROWS) if first is not None]  # type: ignore[arg-type]
    assert [True, True] == [batch is not None and paying.pay(batch) for batch in batches]


@pytest.mark.parametrize("name", ["=HYPERLINK(1)", "Lin, Ada", 'Ada "A" Lin', "+86 555", "  "])
def test_text_needing_care_is_written_alike(standard: Policy, tmp_path: Path, name: str) -> None:
    """Names that csv.writer must quote or that look like formulas are written the same both ways."""
    rows = varied_rows(BATCH_ROWS + 5)
    rows[BATCH_ROWS + 2]["name"] = name
    path = tmp_path / "m.csv"
    path.write_text(csv_text(rows), encoding="utf-8")
    assert general_way(standard, path) == bulk_way(standard, path)


def test_floor_top_ups_are_paid_alike(standard_data: dict[str, Any], tmp_path: Path) -> None:
    """A high floor tops up many agents: the floor column and its total agree both ways."""
    standard_data["floor"]["gross"] = Decimal("7000")
    policy = policy_from(standard_data)
    path = tmp_path / "m.csv"
    path.write_text(csv_text(varied_rows(BATCH_ROWS + 40)), encoding="utf-8")
    bulk = bulk_way(policy, path)
    assert general_way(policy, path) == bulk
    assert Decimal(0) < bulk[1].lines["floor"]


def test_chinese_headers_in_gb18030_are_paid_alike(tmp_path: Path, write_policy: Callable[..., Policy]) -> None:
    """A GB18030 file with Chinese headers and ids like 0042 is paid the same both ways."""
    policy = write_policy(CHINESE_POLICY)
    lines = ["工号,姓名,岗位,组别,满意度,一次解决率,有效投诉"]
    lines += [
        f"{i:04d},王芳{i % 9},{'初级' if i % 3 else '高级'},一组,{80 + i % 20}%,0.{60 + i % 39},{i % 3}"
        for i in range(BATCH_ROWS + 9)
    ]
    path = tmp_path / "m.csv"
    path.write_bytes(("\n".join(lines) + "\n").encode("gb18030"))
    bulk = bulk_way(policy, path)
    assert general_way(policy, path) == bulk
    assert [] == bulk[2]


CHINESE_POLICY = """\
policy: 客服-简版
version: "1"
agents: {id: 工号, name: 姓名, role: 岗位, team: 组别}
roles:
  初级: {base_pay: 4000, target_bonus: 20%, allowances: {餐补: 300}}
  高级: {base_pay: 5000, target_bonus: 1200, allowances: {交通: 200, 餐补: 300}}
kpis:
  满意度: {column: 满意度, unit: percent, weight: 60, score: {threshold: 80, target: 90, stretch: 96}}
  一次解决率: {column: 一次解决率, unit: ratio, weight: 40, score: {threshold: 0.65, target: 0.78, stretch: 0.88}}
grades:
  - {grade: 甲, min_score: 1.0, multiplier: 1.2, action: 表扬}
  - {grade: 乙, min_score: 0, multiplier: 0.5, action: 辅导}
gates:
  - {kpi: 满意度, below: 82, then: {multiply: 0.5}}
adjustments:
  投诉: {column: 有效投诉, per_unit: -100}
floor: {gross: 4300}
"""


@pytest.fixture
def write_policy(tmp_path: Path) -> Callable[..., Policy]:
    """Load a policy from YAML text written into tmp_path."""

    def write(text: str) -> Policy:
        return load_policy(write_yaml(tmp_path, text))

    return write


@pytest.mark.parametrize(("currency", "step"), [("JPY", None), ("KWD", None), ("CHF", "0.05")])
def test_each_currencys_rounding_is_paid_alike(
    standard_data: dict[str, Any], tmp_path: Path, currency: str, step: str | None
) -> None:
    """A policy paying whole yen, fils or francs to 0.05: the batch path rounds every line as the general
    path does, to the currency's step."""
    rounding: dict[str, Any] = {"mode": "half_up"} | ({"step": Decimal(step)} if step else {})
    policy = policy_from({**standard_data, "currency": currency, "rounding": rounding})
    path = tmp_path / "m.csv"
    path.write_text(csv_text(varied_rows(2 * BATCH_ROWS + 5)), encoding="utf-8")
    bulk = bulk_way(policy, path)
    assert general_way(policy, path) == bulk
    unit = {"JPY": Decimal(1), "KWD": Decimal("0.001"), "CHF": Decimal("0.05")}[currency]
    rows = [line.split(",") for line in bulk[0].splitlines()[1:]]
    assert all(Decimal(cell) % unit == 0 for row in rows for cell in row[7:])
    assert 2 * BATCH_ROWS + 5 == bulk[1].headcount


@given(st.lists(st.text(alphabet='ab,"\r\n=+-@\t 中', max_size=4), min_size=1, max_size=5))
def test_a_column_is_plain_only_when_each_cell_is_written_as_it_is(column: list[str]) -> None:
    """A column of text cells goes into a batch's lines as it is exactly when csv.writer would write each cell
    unquoted and inert() would leave it alone."""
    line = io.StringIO()
    csv.writer(line).writerow([*column, "x"])
    as_written = line.getvalue() == ",".join([*column, "x"]) + "\r\n" and all(inert(cell) == cell for cell in column)
    assert as_written == plain_cells(column)


@pytest.mark.parametrize("text", ['Ada "A" Lin', "C:\\queue\\2", '\\"', "王芳", "tab\there", "line\u2028end", "x\x7f"])
@pytest.mark.parametrize("column", ["agent_id", "name", "team", "queue"])
@pytest.mark.parametrize("rows", [varied_rows, distinct_rows], ids=["repeating", "distinct"])
def test_text_needing_json_escapes_is_written_alike(
    standard_data: dict[str, Any], tmp_path: Path, rows: Callable[[int], list[dict[str, str]]], column: str, text: str
) -> None:
    """Quotes, backslashes, control characters and Chinese in an id, a name, a team or the group cell of a
    KPI by group, in a batch of plain rows: the JSON (and CSV) bytes, totals and problems are the general
    way's -- the text escaped as json.dumps escapes it, or, where a cell may not hold it, the row refused."""
    policy = policy_from(by_queue(standard_data))
    month = [row | {"team": "North", "queue": "complaints"} for row in rows(2 * BATCH_ROWS)]
    for i in (3, BATCH_ROWS + 7, BATCH_ROWS + 8):
        month[i][column] = f"{text}{i}" if column == "agent_id" else text
    path = tmp_path / "m.csv"
    path.write_text(csv_text(month, header=QUEUE_HEADER), encoding="utf-8")
    bulk = bulk_way(policy, path)
    assert general_way(policy, path) == bulk
    written = json.dumps(text, ensure_ascii=False)[1:-1] in bulk[3]
    assert (written, written) == (text.isprintable(), [] == bulk[2])


def test_a_row_counting_only_kpis_of_no_weight_is_written_alike(standard_data: dict[str, Any], tmp_path: Path) -> None:
    """A row whose counted KPIs weigh nothing (the others left out) has no score and no contribution: both
    ways write the same JSON and CSV, its KPI results without a contribution."""
    standard_data["kpis"]["csat"]["missing"] = "exclude"
    weights = {code: kpi["weight"] for code, kpi in standard_data["kpis"].items()}
    for code in weights:
        standard_data["kpis"][code]["weight"] = 0
    standard_data["kpis"]["csat"]["weight"] = 100
    policy = policy_from(standard_data)
    rows = distinct_rows(2 * BATCH_ROWS)
    rows[BATCH_ROWS + 3]["csat"] = ""
    path = tmp_path / "m.csv"
    path.write_text(csv_text(rows), encoding="utf-8")
    bulk = bulk_way(policy, path)
    assert general_way(policy, path) == bulk
    slip = json.loads(bulk[3])["payslips"][BATCH_ROWS + 3]
    assert (None, [None] * len(weights)) == (slip["score"], [kpi["contribution"] for kpi in slip["kpis"]])


@pytest.mark.parametrize("rows", [varied_rows, distinct_rows], ids=["repeating", "distinct"])
def test_kpis_left_out_by_a_column_needing_json_escapes_are_written_alike(
    standard_data: dict[str, Any], tmp_path: Path, rows: Callable[[int], list[dict[str, str]]]
) -> None:
    """A KPI left out for too few surveys, counted in a column whose Chinese name holds a quote and a
    backslash: the JSON says why as the general way does, the name escaped as json.dumps escapes it."""
    column = '调查\\"份数"'
    standard_data["kpis"]["csat"]["min_volume"]["column"] = column
    policy = policy_from(standard_data)
    month = [
        {(column if name == "surveys" else name): cell for name, cell in row.items()} for row in rows(2 * BATCH_ROWS)
    ]
    path = tmp_path / "m.csv"
    header = [column if name == "surveys" else name for name in HEADER]
    path.write_text(csv_text(month, header=header), encoding="utf-8")
    bulk = bulk_way(policy, path)
    assert general_way(policy, path) == bulk
    assert json.dumps(f"{column} 3 is below the minimum 20", ensure_ascii=False) in bulk[3]
