"""Case files: read and rewritten with ruamel.yaml round-trip (comments, order and layout survive), and their
shape checked before any case runs."""

from __future__ import annotations

import difflib
import itertools
import re
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.constructor import RoundTripConstructor
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.representer import RoundTripRepresenter

from cspay.encodings import read_limited
from cspay.engine.rules import line_codes
from cspay.errors import CaseError
from cspay.policy.loader import refused_node
from cspay.policy.model import Policy

MAX_CASE_BYTES = 1024 * 1024
TOP_KEYS = ("policy", "period", "defaults", "cases")
CASE_KEYS = ("name", "row", "expect")
TEXT_FIELDS = ("grade", "action")
_INTEGER = re.compile(r"[-+]?\d+")


class CaseNumber(Decimal):
    """A number from a case file: a Decimal from the scalar's own text, which it remembers ("007")."""

    text: str

    def __new__(cls, text: str) -> CaseNumber:
        number = super().__new__(cls, text.replace("_", ""))
        number.text = text
        return number


class _Constructor(RoundTripConstructor):
    """Numbers become CaseNumber, never float: money is compared exactly and cells keep their text."""


def _number(constructor: RoundTripConstructor, node: Any) -> CaseNumber | str:
    text = constructor.construct_scalar(node)
    try:
        return CaseNumber(text)
    except ArithmeticError:  # .inf, .nan, 0x1F and the like: keep the text
        return str(text)


_Constructor.add_constructor("tag:yaml.org,2002:int", _number)
_Constructor.add_constructor("tag:yaml.org,2002:float", _number)


class _Representer(RoundTripRepresenter):
    """Decimals are written as plain numbers (7940.00), in the text they were read with."""


def _decimal(representer: RoundTripRepresenter, value: Decimal) -> Any:
    text = getattr(value, "text", None) or str(value)
    tag = "tag:yaml.org,2002:int" if _INTEGER.fullmatch(text) else "tag:yaml.org,2002:float"
    return representer.represent_scalar(tag, text)


def _null(representer: RoundTripRepresenter, value: None) -> Any:
    # ruamel writes an empty value in block style; `null` says "no action" / "no grade" in so many words.
    return representer.represent_scalar("tag:yaml.org,2002:null", "null")


_Representer.add_representer(CaseNumber, _decimal)
_Representer.add_representer(Decimal, _decimal)
_Representer.add_representer(type(None), _null)


def cell_text(value: Any) -> str:
    """A YAML value as the text of a CSV cell: numbers as written, nothing as an empty cell."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value.text if isinstance(value, CaseNumber) else str(value)


def round_trip(layout: tuple[int, int, int] = (2, 4, 2)) -> YAML:
    """A round-trip YAML reader and writer; `layout` is the mapping indent, sequence indent and dash offset."""
    yaml = YAML(typ="rt")
    yaml.Constructor = _Constructor
    yaml.Representer = _Representer
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap a long line
    mapping, sequence, offset = layout
    yaml.indent(mapping=mapping, sequence=sequence, offset=offset)
    return yaml


_DASH = re.compile(r"^(?P<indent>\s*)-\s+")
_OPENING_KEY = re.compile(r"^(?P<lead>\s*(?:-\s+)?)[^\s#-][^:#]*:\s*(?:#.*)?$")


def guess_layout(text: str) -> tuple[int, int, int]:
    """How a file indents mappings and sequences, so a rewrite keeps its layout (default 2, 4, 2)."""
    from ruamel.yaml.util import load_yaml_guess_indent

    lines = [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    steps: Counter[int] = Counter()
    for line, following in itertools.pairwise(lines):
        opening = _OPENING_KEY.match(line)
        nested = len(following) - len(following.lstrip())
        if opening and not following.lstrip().startswith("-") and nested > len(opening["lead"]):
            steps[nested - len(opening["lead"])] += 1
    mapping = steps.most_common(1)[0][0] if steps else 2
    dashes = _dash_offsets(lines)
    if dashes:  # where the file puts a block sequence's dashes and items under their key, as written
        sequence, offset = dashes.most_common(1)[0][0]
        return mapping, sequence, offset
    try:
        _, guessed_sequence, guessed = load_yaml_guess_indent(text)
    except YAMLError:
        guessed_sequence, guessed = None, None
    return mapping, guessed_sequence or 4, guessed if guessed is not None else 2


def _dash_offsets(lines: list[str]) -> Counter[tuple[int, int]]:
    """How far each block sequence's first item and its dash sit right of the key that opens it."""
    found: Counter[tuple[int, int]] = Counter()
    for line, following in itertools.pairwise(lines):
        opening = _OPENING_KEY.match(line)
        item = _DASH.match(following)
        if opening and item:
            lead = len(opening["lead"])
            found[len(item[0]) - lead, len(item["indent"]) - lead] += 1
    return found


def read_cases(path: Path) -> Any:
    """The case file's data, comments and positions kept; CaseError with file:line:col when unreadable."""
    try:
        text = read_limited(path, MAX_CASE_BYTES, "a case file of at most 1 MiB").decode("utf-8-sig")
    except OSError as error:
        raise CaseError(f"{path}: cannot read the case file: {error.strerror or error}") from None
    except UnicodeDecodeError:
        raise CaseError(f"{path}: the file is not UTF-8 text; save it as UTF-8") from None
    except ValueError as error:
        raise CaseError(f"{path}: {error}") from None
    try:
        if (refused := refused_node(text, "case file")) is not None:
            raise CaseError(f"{path}:{refused[0]}:{refused[1]}: {refused[2]}")
        return round_trip().load(text)
    except MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        raise CaseError(f"{where}: not valid YAML: {error.problem}") from None
    except YAMLError as error:
        raise CaseError(f"{path}: not valid YAML: {error}") from None


def write_cases(path: Path, data: Any) -> None:
    """Write the data back over the file, atomically."""
    from cspay.outputs.files import atomic_output

    layout = guess_layout(path.read_text(encoding="utf-8-sig"))
    with atomic_output(path, force=True, private=False) as handle:
        round_trip(layout).dump(data, handle)


def _key_at(path: Path, mapping: Any, key: Any) -> str:
    line, column = mapping.lc.key(key)
    return f"{path}:{line + 1}:{column + 1}"


def _node_at(path: Path, node: Any) -> str:
    return f"{path}:{node.lc.line + 1}:{node.lc.col + 1}" if hasattr(node, "lc") else f"{path}:1:1"


def layout_problems(path: Path, data: Any) -> list[str]:
    """Problems with the file's shape: top-level keys, defaults, and each case's name, row and expect."""
    if not isinstance(data, dict):
        return [f"{path}:1:1: expected a mapping with `policy`, `defaults` and `cases`"]
    problems = _unknown_keys(path, data, TOP_KEYS, "")
    if not isinstance(data.get("policy"), str):
        problems.append(f"{_node_at(path, data)}: `policy` must name the policy file, relative to this file")
    problems += _row_problems(path, data, "defaults")
    cases = data.get("cases")
    if not isinstance(cases, list) or not cases:
        return [*problems, f"{_node_at(path, data)}: `cases` must list at least one case"]
    names: dict[str, int] = {}
    for index, case in enumerate(cases):
        if isinstance(case, dict):
            problems += _case_problems(path, case, names)
        else:
            line, column = cases.lc.item(index)  # type: ignore[attr-defined]  # ruamel's round-trip list
            problems.append(f"{path}:{line + 1}:{column + 1}: expected a case (a mapping with name, row and expect)")
    return problems


def policy_path(path: Path, data: Any) -> Path:
    """The policy the cases are for, relative to the case file; CaseError at its line when it is not there."""
    target = path.parent / str(data["policy"])
    if not target.is_file():
        line, column = data.lc.value("policy")
        raise CaseError(
            f"{path}:{line + 1}:{column + 1}: policy: {target}: no such file (the path is relative to the case file)"
        )
    return target


def _case_problems(path: Path, case: Any, names: dict[str, int]) -> list[str]:
    problems = _unknown_keys(path, case, CASE_KEYS, "case ")
    name = case.get("name")
    name = cell_text(name) if isinstance(name, CaseNumber) else name  # an id like 010238, as written
    if not isinstance(name, str) or not name.strip():
        problems.append(f"{_node_at(path, case)}: every case needs a `name`")
    elif name in names:
        problems.append(
            f"{_key_at(path, case, 'name')}: case {name!r} is also at line {names[name]}; each case needs its own name"
        )
    else:
        names[name] = case.lc.line + 1
    problems += _row_problems(path, case, "row")
    if not isinstance(case.get("expect"), dict) or not case["expect"]:
        problems.append(f"{_node_at(path, case)}: case {name!r}: `expect` must give at least one value")
    return problems


def _row_problems(path: Path, parent: Any, key: str) -> list[str]:
    row = parent.get(key)
    if row is None:
        return []
    if not isinstance(row, dict):
        return [f"{_key_at(path, parent, key)}: `{key}` must map column names to cell values"]
    return [
        f"{_key_at(path, row, column)}: {key}.{column}: expected the text of one cell, got a "
        f"{'list' if isinstance(value, list) else 'mapping'}"
        for column, value in row.items()
        if isinstance(value, (dict, list))
    ]


def _unknown_keys(path: Path, mapping: Any, known: tuple[str, ...], what: str) -> list[str]:
    return [
        f"{_key_at(path, mapping, key)}: unknown {what}key {key!r}; expected one of {', '.join(known)}"
        for key in mapping
        if key not in known
    ]


def expect_problems(path: Path, case: Any, policy: Policy) -> list[str]:
    """Expected fields the policy cannot produce, and values of the wrong kind."""
    expect, name = case["expect"], cell_text(case["name"])
    codes = [code for code, _ in line_codes(policy)]
    known = ["gross", *TEXT_FIELDS, "score", "score_tolerance", *codes]
    problems = []
    for key, value in expect.items():
        where = f"{_key_at(path, expect, key)}: case {name!r}: expect.{key}"
        if key not in known:
            close = difflib.get_close_matches(str(key), known, n=1)
            hint = f"did you mean {close[0]!r}?" if close else f"expected one of {', '.join(known)}"
            problems.append(f"{where}: unknown field; {hint}")
        elif key in TEXT_FIELDS and isinstance(value, (dict, list, bool)):
            problems.append(f"{where}: expected the {key} as text, or null for none")
        elif key not in TEXT_FIELDS and not _is_number(value) and not (key == "score" and value is None):
            problems.append(
                f"{where}: expected a number like {'1.1416' if key.startswith('score') else '7940.00'}, got {value!r}"
            )
    tolerance = expect.get("score_tolerance")
    if _is_number(tolerance) and Decimal(tolerance) < 0:
        problems.append(
            f"{_key_at(path, expect, 'score_tolerance')}: case {name!r}: score_tolerance must be "
            f"at least 0, got {cell_text(tolerance)}"
        )
    if "score_tolerance" in expect and "score" not in expect:
        problems.append(f"{_key_at(path, expect, 'score_tolerance')}: case {name!r}: score_tolerance needs a score")
    return problems


def _is_number(value: Any) -> bool:
    if isinstance(value, CaseNumber):
        return True
    try:
        return isinstance(value, str) and Decimal(value).is_finite()
    except ArithmeticError:
        return False


def column_problems(path: Path, data: Any, policy: Policy) -> list[str]:
    """Columns in `defaults` or a case's `row` that the policy does not read: a misspelt column would
    otherwise be ignored, and the case pass on the value it meant to change."""
    from cspay.inputs.rows import find_header, needed_columns

    agents = policy.agents
    read = {name for name in (agents.id, agents.role, agents.name, agents.team, agents.period, agents.currency) if name}
    read |= {column.name for column in needed_columns(policy)} | set(policy.text_columns())
    known = sorted(str(name) for name in read)
    problems = []
    for parent, key in [(data, "defaults"), *((case, "row") for case in data["cases"])]:
        cells = parent.get(key)
        for column in cells or ():
            if not any(find_header([cell_text(column)], name) for name in read):
                close = difflib.get_close_matches(cell_text(column), known, n=1)
                hint = f"did you mean {close[0]!r}?" if close else f"it reads {', '.join(known)}"
                problems.append(
                    f"{_key_at(path, cells, column)}: {key}.{column}: the policy {policy.path} reads "
                    f"no column {cell_text(column)!r}; {hint}"
                )
    return problems
