"""Policy test cases: agent rows in YAML with the pay they must give, run through the real parser and engine."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from cspay.engine.rounding import exponent
from cspay.engine.types import Payslip
from cspay.errors import CaseError, CspayError, MetricsError, UsageProblem
from cspay.inputs.metrics import AgentRow, RowParser
from cspay.inputs.resolve import rows_source
from cspay.periods import EXAMPLES, Period, parse_period
from cspay.policy.loader import load_policy
from cspay.policy.model import Policy
from cspay.rollout.case_file import (
    TEXT_FIELDS,
    cell_text,
    column_problems,
    expect_problems,
    layout_problems,
    policy_path,
    read_cases,
    write_cases,
)
from cspay.run.pay import pay

SCORE_PLACES = 4  # what --update writes for a score that had no places of its own, as the table shows it


@dataclass(frozen=True)
class Check:
    """One expected value of a case against what the policy gives."""

    field: str
    expected: Any
    actual: Any
    line: int
    passed: bool
    tolerance: Decimal | None = None


@dataclass
class CaseResult:
    """A case's checks, or the problem that kept it from running."""

    path: Path
    name: str
    line: int
    checks: list[Check] = field(default_factory=list)
    error: str | None = None
    expect: Any = None  # the case's `expect` mapping, for --update

    @property
    def passed(self) -> bool:
        return self.error is None and all(check.passed for check in self.checks)

    @property
    def failures(self) -> list[Check]:
        return [check for check in self.checks if not check.passed]


@dataclass
class CaseFile:
    """A case file's results, or the problems that kept it from running."""

    path: Path
    results: list[CaseResult] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    data: Any = None


def find_case_files(paths: Iterable[Path]) -> list[Path]:
    """The files named, and every *.cases.yaml / *.cases.yml file in the folders named."""
    found = []
    for path in paths:
        if path.is_dir():
            inside = sorted({*path.rglob("*.cases.yaml"), *path.rglob("*.cases.yml")})
            if not inside:
                raise CaseError(f"{path}: no case files (*.cases.yaml) in this folder")
            found += inside
        elif path.exists():
            found.append(path)
        else:
            raise CaseError(f"{path}: no such file or folder")
    return list(dict.fromkeys(found))


def run_cases(paths: Iterable[Path]) -> list[CaseFile]:
    """Run every case of every file; a file that cannot run carries its problems instead."""
    files = []
    for path in find_case_files(paths):
        try:
            files.append(run_case_file(path))
        except UsageProblem:
            raise
        except CspayError as error:
            files.append(CaseFile(path, errors=error.lines()))
    return files


def run_case_file(path: Path) -> CaseFile:
    data = read_cases(path)
    problems = layout_problems(path, data)
    if problems:
        raise CaseError(problems)
    policy = load_policy(policy_path(path, data))
    _check_pays_one_by_one(path, policy)
    period = _period(path, data, policy)
    problems = [problem for case in data["cases"] for problem in expect_problems(path, case, policy)]
    problems += column_problems(path, data, policy)
    if problems:
        raise CaseError(problems)
    defaults = _cells(data.get("defaults"))
    return CaseFile(path, [run_case(path, policy, defaults, case, period) for case in data["cases"]], data=data)


def _period(path: Path, data: Any, policy: Policy) -> Period | None:
    """The file's `period:`, which a policy whose values change on dates needs to pick those in force."""
    text = data.get("period")
    if text is None:
        if policy.versions:
            raise UsageProblem(
                f"{path}: {policy.path} has values that change on dates; give the case file a `period:` "
                f"(like {EXAMPLES[policy.period]}) to say which are in force",
                "CASES",
            )
        return None
    try:
        return parse_period(str(text))
    except ValueError as error:
        line, column = data.lc.value("period")
        raise CaseError(f"{path}:{line + 1}:{column + 1}: {error}") from None


def _check_pays_one_by_one(path: Path, policy: Policy) -> None:
    """A case is one agent paid on its own: a policy whose pay depends on more than that is refused."""
    if policy.budget is not None:
        raise UsageProblem(
            f"{path}: {policy.path} has a bonus budget, which scales every bonus by the whole "
            f"month's demand, so a case of one agent cannot show what it pays; check the month "
            f"with `cspay compute`, or test a copy of the policy without its budget",
            "CASES",
        )
    if policy.pays_teams:
        raise UsageProblem(
            f"{path}: {policy.path} pays on team results, which need every member of a team, so a case of one "
            f"agent cannot show what it pays; check the period with `cspay compute`",
            "CASES",
        )
    if policy.true_up:
        raise UsageProblem(
            f"{path}: {policy.path} pays a true-up against the bonuses the ledger recorded, which "
            f"a case of one agent does not have; check the period with `cspay compute --ledger`",
            "CASES",
        )


def run_case(
    path: Path, policy: Policy, defaults: dict[str, str], case: Any, period: Period | None = None
) -> CaseResult:
    """The case's row read as a CSV row would be, paid as a run of that one agent for the policy's
    period, and each expected value checked."""
    name, row = cell_text(case["name"]), _cells(case.get("row"))
    line = _value_line(case, "row") if "row" in case else case.lc.line + 1
    result = CaseResult(path, name, line, expect=case["expect"])
    try:
        agent = agent_row(path, policy, defaults, row, name, line)
    except CaseError as error:
        result.error = "; ".join(error.lines())
        return result
    slip = next(iter(pay(rows_source(policy, [agent], period), deductions=False).payslips))  # cases check gross pay
    expect = case["expect"]
    tolerance = expect.get("score_tolerance")
    tolerance = None if tolerance is None else Decimal(tolerance)
    for key, expected in expect.items():
        if key != "score_tolerance":
            actual = actual_value(slip, key)
            result.checks.append(
                Check(
                    key,
                    expected,
                    actual,
                    _value_line(expect, key),
                    matches(key, expected, actual, tolerance),
                    tolerance if key == "score" else None,
                )
            )
    return result


def agent_row(
    path: Path, policy: Policy, defaults: dict[str, str], row: dict[str, str], name: str, line: int
) -> AgentRow:
    """The case's cells (the row over the defaults) through the metrics reader's own RowParser."""
    given = {**_identity(policy, name), **defaults, **row}
    header = list(given)
    cells = list(given.values())
    where = f"{path}:{line}: case {name!r}"
    try:
        parser = RowParser(policy, header, str(path))
    except MetricsError as error:
        raise CaseError(
            [
                message.replace(f"{path}: row 1: ", f"{where}: ") + "; give them in `defaults:` or in the case's `row:`"
                for message in error.problems
            ]
        ) from None
    agent = parser.parse(line, cells)
    if agent is None:
        raise CaseError([message.replace(f"{path}: row {line}", where) for message in parser.problems.messages])
    return agent


def _identity(policy: Policy, name: str) -> dict[str, str]:
    """Who the case's agent is, unless the case says: id "case", the case's name, no team, the role's currency."""
    agents = policy.agents
    identity = {agents.id: "case", agents.name: name, agents.team: "", agents.currency: ""}
    return {column: text for column, text in identity.items() if column}


def _cells(mapping: Any) -> dict[str, str]:
    """Column name -> cell text, as a CSV file would hold them."""
    return {cell_text(column): cell_text(value) for column, value in (mapping or {}).items()}


def actual_value(slip: Payslip, key: str) -> Any:
    if key == "gross":
        return slip.gross
    if key in TEXT_FIELDS:
        return getattr(slip, key)
    if key == "score":
        return slip.score
    return slip.amount(key)


def matches(key: str, expected: Any, actual: Any, tolerance: Decimal | None) -> bool:
    """Money exactly; a score within the tolerance, or else at the places the expected value is written to."""
    if key in TEXT_FIELDS:
        return bool((None if expected is None else cell_text(expected)) == actual)
    if key == "score":
        if expected is None or actual is None:
            return expected is None and actual is None
        if tolerance is not None:
            return bool(abs(actual - Decimal(expected)) <= tolerance)
        return bool(cut(actual, places(expected)) == Decimal(expected))
    return bool(Decimal(expected) == actual)


def places(number: Any) -> int:
    return max(-exponent(Decimal(number)), 0)


def cut(score: Decimal, digits: int) -> Decimal:
    """The score cut (not rounded) to `digits` places, as cspay shows scores."""
    return score.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_DOWN)


def shown_actual(check: Check) -> str:
    """The actual value as compared: a score at the expected places (unless a tolerance is given)."""
    if check.actual is None:
        return "null"
    if check.field == "score" and check.tolerance is None and check.expected is not None:
        return str(cut(check.actual, places(check.expected)))
    return str(check.actual)


def shown_expected(check: Check) -> str:
    return "null" if check.expected is None else cell_text(check.expected)


def new_expected(check: Check) -> Any:
    """The value --update writes: the actual value, a score at the places it was written to."""
    if check.field != "score" or check.actual is None:
        return check.actual
    digits = places(check.expected) if check.expected is not None else SCORE_PLACES
    if check.tolerance is None:
        return cut(check.actual, digits)
    digits = max(digits, places(check.tolerance))
    return check.actual.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)


def update_expected(case_file: CaseFile) -> int:
    """Rewrite every failing expected value of the file with the actual one; the number rewritten."""
    changed = 0
    for result in case_file.results:
        for check in result.failures:
            result.expect[check.field] = new_expected(check)
            changed += 1
    if changed:
        write_cases(case_file.path, case_file.data)
    return changed


def _value_line(mapping: Any, key: Any) -> int:
    line: int = mapping.lc.value(key)[0]
    return line + 1
