"""Fuzzing the two doors input comes in by: only cspay's own errors (CspayError) may ever come out."""

from __future__ import annotations

import codecs
import contextlib
from pathlib import Path

from helpers import HEADER, STANDARD, WORKED_CELLS
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_bulk import bulk_way, general_way

from cspay.errors import MetricsError, PolicyError
from cspay.inputs.metrics import read_metrics
from cspay.policy.loader import load_policy

POLICY = load_policy(STANDARD)
STANDARD_TEXT = STANDARD.read_text(encoding="utf-8")
FUZZ = settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

# Scalars that YAML 1.1, floats or spreadsheets read in surprising ways.
ODD_SCALARS = [
    "NO",
    "yes",
    "~",
    "null",
    "010",
    "0x1F",
    "0o17",
    "1_000",
    "10:00",
    "1e3",
    "1e999",
    "-1e-999",
    ".nan",
    ".inf",
    "-.inf",
    "!!python/object/apply:os.system ['true']",
    "&a x",
    "*a",
    "<<: *a",
    "'quoted'",
    '"esc\\u0000"',
    "[1, [2, [3]]]",
    "{a: {b: {c: 1}}}",
    "|\n  block",
    "-5000",
    "30%",
    "300%",
    "-30%",
    "１００",
    "9" * 40,
    "0." + "1" * 40,
    "",
    "?",
    "- - -",
    "%YAML 1.1",
    "---",
    "...",
]
# Cells that exports contain, well formed or not.
ODD_CELLS = [
    "",
    " ",
    "NA",
    "N/A",
    "#N/A",
    "-",
    "nan",
    "null",
    "0",
    "-0",
    "92.5",
    "92.5%",
    "９５％",
    "1,234",
    "¥1,250.50",
    "12,34",
    "1e3",
    "1E+30",
    "-1e30",
    "1e-30",
    "0:05:35",
    "5:60",
    "99:59:59",
    "inf",
    "0x10",
    "1 000",
    "=SUM(A1)",
    "+1",
    "@x",
    "Total",
    "合计",
    "L1",
    "L2",
    "L3",
    "A001",
    "007",
    '"quoted, with comma"',
    '"multi\nline"',
    '"',
    "a\tb",
    "x" * 300,
    "\u0000",
    "\ufeff",
    "\udcff",
]


def written(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def refused_or_loaded(path: Path) -> None:
    """Load a policy; a PolicyError is a fine answer, anything else escaping is the bug."""
    with contextlib.suppress(PolicyError):
        load_policy(path)


@FUZZ
@given(st.binary(max_size=2000))
def test_policy_loader_on_any_bytes(tmp_path: Path, data: bytes) -> None:
    """Arbitrary bytes as a policy file: a policy, or a PolicyError, never another exception."""
    refused_or_loaded(written(tmp_path, "p.yaml", data))


@FUZZ
@given(st.text(max_size=2000))
def test_policy_loader_on_any_text(tmp_path: Path, text: str) -> None:
    """Arbitrary text as a policy file: a policy, or a PolicyError."""
    refused_or_loaded(written(tmp_path, "p.yaml", text.encode("utf-8", "surrogatepass")))


@st.composite
def mutated_policies(draw: st.DrawFn) -> str:
    """The contract policy with some lines' values replaced, lines dropped, doubled or re-indented."""
    lines = STANDARD_TEXT.splitlines()
    for _ in range(draw(st.integers(1, 6))):
        index = draw(st.integers(0, len(lines) - 1))
        line = lines[index]
        change = draw(st.sampled_from(["value", "drop", "double", "indent", "text"]))
        if change == "value" and ":" in line:
            key = line.split(":", 1)[0]
            lines[index] = f"{key}: {draw(st.sampled_from(ODD_SCALARS) | st.text(max_size=20))}"
        elif change == "drop":
            del lines[index]
        elif change == "double":
            lines.insert(index, line)
        elif change == "indent":
            lines[index] = " " * draw(st.integers(0, 6)) + line.lstrip()
        else:
            lines[index] = draw(st.text(max_size=40))
        if not lines:
            break
    return "\n".join(lines) + "\n"


@FUZZ
@given(mutated_policies())
def test_policy_loader_on_mutated_contract_policies(tmp_path: Path, text: str) -> None:
    """Near-valid policies (the contract, damaged here and there): a policy, or a PolicyError."""
    refused_or_loaded(written(tmp_path, "p.yaml", text.encode("utf-8", "surrogatepass")))


def read_or_refused(path: Path) -> None:
    """Read metrics both ways; a MetricsError is a fine answer, and both ways must give the same."""
    with contextlib.suppress(MetricsError):
        read_metrics(path, POLICY)
    assert general_way(POLICY, path) == bulk_way(POLICY, path)


@FUZZ
@given(st.binary(max_size=3000))
def test_metrics_reader_on_any_bytes(tmp_path: Path, data: bytes) -> None:
    """Arbitrary bytes as a metrics file: rows, or a MetricsError; paid the same both ways."""
    read_or_refused(written(tmp_path, "m.csv", data))


@st.composite
def metrics_texts(draw: st.DrawFn) -> tuple[str, str]:
    """A metrics file with the standard header (perhaps reordered, cased or cut) and odd cells."""
    header = list(HEADER)
    if draw(st.booleans()):
        header = draw(st.permutations(header))
    if draw(st.booleans()):
        header = [name.upper() if draw(st.booleans()) else name for name in header]
    if draw(st.integers(0, 9)) == 0:
        header = header[: draw(st.integers(0, len(header)))]
    delimiter = draw(st.sampled_from([",", ";", "\t"]))
    cell = st.sampled_from(ODD_CELLS) | st.text(max_size=12)
    rows = []
    for n in range(draw(st.integers(0, 12))):
        cells = [WORKED_CELLS.get(name.lower(), "") for name in header]
        if cells and "agent_id" in [name.lower() for name in header]:
            cells[[name.lower() for name in header].index("agent_id")] = f"A{n}"
        for _ in range(draw(st.integers(0, 4))):
            if cells:
                cells[draw(st.integers(0, len(cells) - 1))] = draw(cell)
        if draw(st.integers(0, 9)) == 0:
            cells = cells[: draw(st.integers(0, len(cells)))]
        rows.append(delimiter.join(cells))
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "utf-16"]))
    return "\n".join([delimiter.join(header), *rows]) + "\n", encoding


@FUZZ
@given(metrics_texts())
def test_metrics_reader_on_odd_cells(tmp_path: Path, drawn: tuple[str, str]) -> None:
    """Well-formed and damaged metrics files in any of the usual encodings: rows, or a MetricsError."""
    text, encoding = drawn
    data = codecs.encode(text, encoding, "surrogateescape" if encoding.startswith("utf-8") else "replace")
    read_or_refused(written(tmp_path, "m.csv", data))
