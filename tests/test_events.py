"""Tests for cspay.events: reading raw exports and rosters, the join, and the road to the engine."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from helpers import CALLS, spec_of, write_export

from cspay.errors import MetricsError
from cspay.inputs.exports import DerivedTable, derive
from cspay.inputs.roster import agent_rows, check_sources, join_roster, read_metrics, read_roster
from cspay.policy.loader import load_policy
from cspay.policy.metrics_spec import MetricsSpec

DATA = Path(__file__).parent / "data" / "events"


def month_of(*args: object, **options: object) -> DerivedTable:
    """The derived table of a period that is one month."""
    return derive(*args, **options).months[0]  # type: ignore[arg-type]


def values(table: DerivedTable, metric: str) -> dict[str, Decimal | None]:
    return {agent.agent_id: agent.figures[metric].value for agent in table.agents}


def one(tmp_path: Path, metric: dict, agent: str = "A", text: str = CALLS) -> Decimal | None:
    """The value of a single metric for one agent over the synthetic calls of January 2021."""
    table = month_of(spec_of({"m": metric}), write_export(tmp_path, text), "2021-01")
    return values(table, "m")[agent]


# ---- reading the export ------------------------------------------------------------------------


def test_bad_flag_names_row_and_column(tmp_path: Path) -> None:
    """A flag cell that is not yes/no is reported with its line in the file and its column."""
    path = write_export(tmp_path, CALLS.replace("A,2021-01-05,Y,N", "A,2021-01-05,Y,maybe"))
    with pytest.raises(MetricsError) as error:
        derive(spec_of({"m": {"count": {}}}), path, "2021-01")
    where = f'{path}: row 3, column "resolved"'
    assert [f'{where}: got "maybe", expected Y/N (yes/no, true/false, 1/0, 是/否)'] == error.value.problems


def test_bad_cells_are_capped_at_fifty_then_counted(tmp_path: Path) -> None:
    """Sixty bad ratings give fifty messages and a count of the ten more."""
    path = write_export(tmp_path, CALLS + "A,2021-01-08,Y,Y,good,0:01:00,Tech\n" * 60)
    with pytest.raises(MetricsError) as error:
        derive(spec_of({"m": {"mean": {"column": "rating"}}}), path, "2021-01")
    assert (50, "... and 10 more problems") == (len(error.value.problems), error.value.lines()[-1])


def test_bad_date_names_the_format(tmp_path: Path) -> None:
    """A date that does not fit the declared format is reported with an example of it."""
    path = write_export(tmp_path, CALLS.replace("2021-01-07", "07/01/2021"))
    with pytest.raises(MetricsError) as error:
        derive(spec_of({"m": {"count": {}}}), path, "2021-01")
    expected = f'{path}: row 5, column "date": got "07/01/2021", expected a date like "2021-01-31" (%Y-%m-%d)'
    assert [expected] == error.value.problems


def test_row_numbers_are_file_lines_after_a_multiline_cell(tmp_path: Path) -> None:
    """A quoted cell spanning two lines shifts the reported row to the line the record starts on."""
    text = CALLS.replace("Billing\nA,2021-01-05", '"Bill\ning"\nA,2021-01-05').replace("5,Y,N,3", "5,Y,N,x")
    path = write_export(tmp_path, text)
    with pytest.raises(MetricsError) as error:
        derive(spec_of({"m": {"mean": {"column": "rating"}}}), path, "2021-01")
    assert [f'{path}: row 4, column "rating": got "x", expected a number'] == error.value.problems


def test_missing_columns_are_listed_together(tmp_path: Path) -> None:
    """Every column the spec reads or declares and the header lacks is named in one message."""
    path = write_export(tmp_path, "agent,date,answered\nA,2021-01-04,Y\n")
    message = r"row 1: missing required columns: resolved, talk, rating \(the header has: agent, date,"
    with pytest.raises(MetricsError, match=message):
        derive(spec_of({"m": {"count": {"where": {"column": "resolved", "equals": True}}},
                        "n": {"mean": {"column": "rating"}}}), path, "2021-01")  # fmt: skip


def test_doubled_column_is_reported(tmp_path: Path) -> None:
    """A column the spec reads that appears twice in the header is an error naming both places."""
    path = write_export(tmp_path, CALLS.replace(",topic\n", ",rating\n", 1))
    with pytest.raises(
        MetricsError, match=r"row 1: column 'rating' appears more than once \(columns 5 \('rating'\) and"
    ):
        derive(spec_of({"m": {"mean": {"column": "rating"}}}), path, "2021-01")


def test_empty_agent_id_is_reported(tmp_path: Path) -> None:
    """A call with no agent cannot be attributed, so it is an error naming its row."""
    path = write_export(tmp_path, CALLS.replace("B,2021-01-07", ",2021-01-07"))
    with pytest.raises(MetricsError) as error:
        derive(spec_of({"m": {"count": {}}}), path, "2021-01")
    assert [f'{path}: row 5, column "agent": got "", expected an agent id'] == error.value.problems


def test_short_row_is_reported(tmp_path: Path) -> None:
    """A record with fewer cells than the header is an error naming its line."""
    path = write_export(tmp_path, CALLS + "B,2021-01-08,Y\n")
    with pytest.raises(MetricsError, match=r"row 6: has 3 cells, expected 7 like the header"):
        derive(spec_of({"m": {"count": {}}}), path, "2021-01")


def test_rows_outside_the_period_are_skipped_and_counted(tmp_path: Path) -> None:
    """A February call is left out of January's figures and counted as outside."""
    path = write_export(tmp_path, CALLS + "B,2021-02-01,Y,Y,1,0:01:00,Tech\n")
    derived = derive(spec_of({"m": {"count": {}}}), path, "2021-01")
    assert (5, 1) == (derived.rows_read, derived.rows_outside)
    assert {"A": Decimal(3), "B": Decimal(1)} == values(derived.months[0], "m")


def test_cells_outside_the_period_are_not_checked(tmp_path: Path) -> None:
    """A bad rating on a February call does not stop January from being derived."""
    path = write_export(tmp_path, CALLS + "B,2021-02-01,Y,Y,bad,0:01:00,Tech\n")
    assert Decimal(4) == one(tmp_path, {"mean": {"column": "rating"}}, agent="B", text=path.read_text())


def test_gb18030_file_with_chinese_headers(tmp_path: Path) -> None:
    """A GB18030 export (Chinese Excel) is read without being told its encoding."""
    text = "坐席,日期,已接听\n张三,2021-01-04,是\n张三,2021-01-05,否\n李四,2021-01-05,是\n"
    spec = MetricsSpec.model_validate({
        "source": {"agent": "坐席", "date": {"column": "日期"}, "flags": ["已接听"]},
        "derived": {"接听量": {"count": {"where": {"column": "已接听", "equals": "是"}}}},
    })  # fmt: skip
    table = month_of(spec, write_export(tmp_path, text, encoding="gb18030"), "2021-01")
    assert {"张三": Decimal(1), "李四": Decimal(1)} == values(table, "接听量")


def test_utf8_bom_header_is_found(tmp_path: Path) -> None:
    """A byte-order mark does not stick to the first column's name."""
    table = month_of(spec_of({"m": {"count": {}}}), write_export(tmp_path, CALLS, encoding="utf-8-sig"), "2021-01")
    assert ["A", "B"] == [agent.agent_id for agent in table.agents]


def test_semicolon_export_is_detected(tmp_path: Path) -> None:
    """An export saved with semicolons (European Excel) is split without being told."""
    path = write_export(tmp_path, CALLS.replace(",", ";"))
    assert {"A": Decimal(3), "B": Decimal(1)} == values(month_of(spec_of({"m": {"count": {}}}), path, "2021-01"), "m")


def test_headers_match_ignoring_case_and_width(tmp_path: Path) -> None:
    """A header written AGENT or in full-width letters names the spec's `agent` column."""
    text = CALLS.replace("agent,date,", "AGENT,ｄａｔｅ,", 1)
    assert Decimal(4) == one(tmp_path, {"mean": {"column": "rating"}}, text=text)


def test_utf16_export_is_detected(tmp_path: Path) -> None:
    """A UTF-16 export with its byte-order mark is read without being told its encoding."""
    path = write_export(tmp_path, CALLS, encoding="utf-16")
    assert Decimal(1) == values(month_of(spec_of({"m": {"count": {}}}), path, "2021-01"), "m")["B"]


def test_forced_encoding_reports_the_row_of_bad_bytes(tmp_path: Path) -> None:
    """Bytes that are not text in the forced encoding are reported at the row that holds them."""
    path = write_export(tmp_path, CALLS.replace(",Tech\nA", ",技术\nA"), encoding="gb18030")
    with pytest.raises(MetricsError) as error:
        derive(spec_of({"m": {"count": {}}}), path, "2021-01", encoding="utf-8")
    assert [
        f"{path}: row 3: bytes that are not valid utf-8 text; save the file in one encoding, or pass --encoding"
    ] == (error.value.problems)


def test_unknown_encoding_is_refused(tmp_path: Path) -> None:
    """An encoding name Python does not know is an error naming it."""
    path = write_export(tmp_path, CALLS)
    with pytest.raises(
        MetricsError, match="unknown encoding 'klingon'; expected a text encoding such as utf-8 or gb18030"
    ):
        derive(spec_of({"m": {"count": {}}}), path, "2021-01", encoding="klingon")


# ---- the roster --------------------------------------------------------------------------------

ROSTER = "agent_id,name,role,team,worked_days\nA,Ann,L1,North,21.75\nB,Bo,L2,South,20\n"


def joined_calls(tmp_path: Path, roster: str, *, strict: bool = True, text: str = CALLS):
    table = month_of(spec_of({"calls": {"count": {}}, "csat": {"mean": {"column": "rating"}}}),
                   write_export(tmp_path, text), "2021-01")  # fmt: skip
    return join_roster(table, read_roster(write_export(tmp_path, roster, "roster.csv")), strict=strict)


def test_join_gives_roster_columns_then_metrics(tmp_path: Path) -> None:
    """Each roster line keeps its line number and gains the agent's metrics as plain text."""
    joined = joined_calls(tmp_path, ROSTER)
    assert ["agent_id", "name", "role", "team", "worked_days", "calls", "csat"] == joined.header
    ann, bo = ["A", "Ann", "L1", "North", "21.75", "3", "4"], ["B", "Bo", "L2", "South", "20", "1", "4"]
    assert [(2, ann), (3, bo)] == joined.rows


def test_join_writes_only_the_metrics_it_is_asked_to_read(tmp_path: Path) -> None:
    """A metric outside `read` keeps its column but no cell: the engine never parses what no key reads."""
    table = month_of(spec_of({"calls": {"count": {}}, "csat": {"mean": {"column": "rating"}}}),
                     write_export(tmp_path, CALLS), "2021-01")  # fmt: skip
    joined = join_roster(table, read_roster(write_export(tmp_path, ROSTER, "roster.csv")), read={"csat"})
    assert [["", "4"], ["", "4"]] == [cells[-2:] for _, cells in joined.rows]


def test_export_agent_missing_from_roster_is_an_error(tmp_path: Path) -> None:
    """An agent with calls but no roster line cannot be paid, so the join refuses."""
    message = r'no line for agent "B" in 2021-01, who has 1 row in .*calls\.csv that month'
    with pytest.raises(MetricsError, match=message):
        joined_calls(tmp_path, ROSTER.replace("B,Bo,L2,South,20\n", ""))


def test_export_agent_missing_from_roster_is_listed_when_not_strict(tmp_path: Path) -> None:
    """Without strict, the agent missing from the roster is listed and left out of the rows."""
    joined = joined_calls(tmp_path, ROSTER.replace("B,Bo,L2,South,20\n", ""), strict=False)
    assert (["B"], ["A"]) == (joined.not_in_roster, [cells[0] for _, cells in joined.rows])


def test_roster_agent_without_calls_has_empty_metrics(tmp_path: Path) -> None:
    """A roster agent with no rows in the period comes out with empty metrics and is listed."""
    joined = joined_calls(tmp_path, ROSTER + "C,Cy,L1,North,10\n")
    assert (["C"], (4, ["C", "Cy", "L1", "North", "10", "", ""])) == (joined.without_rows, joined.rows[-1])


def test_joined_values_have_no_exponent(tmp_path: Path) -> None:
    """Decimals are written as plain digits, so 1e3 seconds is 1000, not 1E+3."""
    text = "agent,date,answered,resolved,rating,talk,topic\nA,2021-01-04,Y,Y,1e3,0:00:01,x\n"
    joined = joined_calls(tmp_path, ROSTER.replace("B,Bo,L2,South,20\n", ""), text=text)
    assert ["1", "1000"] == joined.rows[0][1][5:]


def test_duplicate_roster_ids_name_both_lines(tmp_path: Path) -> None:
    """A roster listing an agent twice is an error naming both lines."""
    path = write_export(tmp_path, ROSTER + "A,Ann again,L1,North,1\n", "roster.csv")
    with pytest.raises(MetricsError, match=r'row 4: agent "A" is already on row 2'):
        read_roster(path)


def test_roster_is_keyed_by_the_policy_id_column(tmp_path: Path) -> None:
    """read_roster finds the id column the policy names, ignoring its case."""
    roster = read_roster(write_export(tmp_path, "Staff No,role\nA,L1\n", "roster.csv"), "staff no")
    assert {"A": (2, ["A", "L1"])} == roster.lines


def test_roster_column_named_like_a_metric_is_refused(tmp_path: Path) -> None:
    """A roster column with a derived metric's name would be read twice, so the join refuses it."""
    with pytest.raises(MetricsError, match=r"roster\.csv: row 1: columns csat clash with derived metrics"):
        joined_calls(tmp_path, ROSTER.replace("worked_days", "CSAT"))


# ---- from the join to the engine ---------------------------------------------------------------


@pytest.fixture
def policy():
    return load_policy(DATA / "policy.yaml")


def january(policy) -> DerivedTable:
    return month_of(policy.metrics, DATA / "calls.csv", "2021-01")


def test_policy_columns_covered_by_roster_and_metrics_pass(policy) -> None:
    """The test policy reads fcr, aht_sec and csat_mean derived, worked_days from the roster."""
    assert None is check_sources(policy, read_roster(DATA / "roster.csv"), january(policy).metrics)


def test_column_neither_derived_nor_in_roster_is_named(tmp_path: Path, policy) -> None:
    """A column the policy reads that neither side gives is reported with the keys that read it."""
    roster = read_roster(write_export(tmp_path, "agent_id,name,role,team\nA1,Ann,L1,North\n", "roster.csv"))
    with pytest.raises(MetricsError) as error:
        check_sources(policy, roster, january(policy).metrics)
    assert [f'{policy.path}: proration reads column "worked_days", which is neither a derived metric '
            f"(answered, fcr, csat_mean, aht_sec) nor a column of {roster.source} (agent_id, name, role, team)"
            ] == error.value.problems  # fmt: skip


def test_agent_columns_must_be_in_the_roster(tmp_path: Path, policy) -> None:
    """The agent's id, role, name and team come from the roster; a missing one is named."""
    roster = read_roster(write_export(tmp_path, "agent_id,name,role,worked_days\nA1,Ann,L1,20\n", "r.csv"))
    with pytest.raises(MetricsError) as error:
        check_sources(policy, roster, january(policy).metrics)
    assert [
        f'{policy.path}: agents.team reads column "team", which is not a column of {roster.source} '
        f"(agent_id, name, role, worked_days)"
    ] == error.value.problems


def test_a_kpi_by_column_must_be_in_the_roster(tmp_path: Path, policy) -> None:
    """The column a KPI is scored by is text the roster gives; a roster without it is named."""
    fcr = policy.kpis["fcr"]
    by_queue = fcr.model_copy(update={"by": "queue", "groups": {"complaints": fcr.score}})
    grouped = policy.model_copy(update={"kpis": {**policy.kpis, "fcr": by_queue}})
    roster = read_roster(DATA / "roster.csv")
    with pytest.raises(MetricsError) as error:
        check_sources(grouped, roster, january(policy).metrics)
    assert [
        f'{policy.path}: kpis.fcr.by reads column "queue", which is not a column of {roster.source} '
        f"({', '.join(roster.header)})"
    ] == error.value.problems


def test_read_metrics_are_the_derived_metrics_some_key_reads(policy) -> None:
    """KPI, gate and volume columns are read; a derived metric no key names (answered) is not."""
    assert {"fcr", "aht_sec", "csat_mean"} == read_metrics(policy, january(policy).metrics)


def test_joined_rows_are_read_like_a_metrics_file(policy) -> None:
    """Each joined row becomes an AgentRow: KPI values by code, other columns as numbers."""
    joined = join_roster(january(policy), read_roster(DATA / "roster.csv"))
    rows = list(agent_rows(policy, joined, "roster.csv"))
    assert [("A1", 2, Decimal("0.5"), Decimal(120), Decimal(20)), ("A2", 3, Decimal(1), Decimal(180), Decimal(10))] == [
        (row.agent_id, row.line, row.kpis["fcr"], row.kpis["aht"], row.numbers["worked_days"]) for row in rows
    ]


def test_agent_without_rows_fails_a_required_kpi_at_the_roster_row(tmp_path: Path, policy) -> None:
    """An agent with no calls has empty metrics, reported at their roster line like an empty cell."""
    path = write_export(tmp_path, (DATA / "roster.csv").read_text() + "A3,Cy,L1,East,20\n", "roster.csv")
    joined = join_roster(january(policy), read_roster(path))
    with pytest.raises(MetricsError) as error:
        list(agent_rows(policy, joined, str(path)))
    expected = "expected a value (the cell has none; the KPI needs one, unless the policy says missing: exclude)"
    assert [f'{path}: row 4, column "fcr": got "", {expected}', f'{path}: row 4, column "aht_sec": got "", {expected}',
            f'{path}: row 4, column "csat_mean": got "", expected a number (the cell is empty)'
            ] == error.value.problems  # fmt: skip


@pytest.mark.parametrize("spelling", ["a", "Ａ", "A\u200b", "A\ufeff"])
def test_roster_ids_a_person_reads_as_the_same_are_refused(tmp_path: Path, spelling: str) -> None:
    """A roster listing one agent under two spellings names both rows and the first spelling."""
    path = write_export(tmp_path, ROSTER + f"{spelling},Ann again,L1,North,1\n", "roster.csv")
    with pytest.raises(MetricsError, match=r'row 4: agent ".*" is already on row 2 \(as "A": ids match ignoring'):
        read_roster(path)
