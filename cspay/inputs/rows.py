"""Turning a metrics file's cells into AgentRows: the columns a policy needs, headers, ids and roles, and a
message for every bad cell with its row and column."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import cast

from cspay.cells import UNIT_PARSERS, CellError, clean, control_character, id_key, is_missing, parse_plain, text_key
from cspay.currencies import EXAMPLES, is_currency
from cspay.engine.types import AgentRow
from cspay.errors import MetricsError, Problems
from cspay.inputs.seen import UNKNOWN_ROW, ExactIds, HashedIds
from cspay.policy.model import Policy

CACHE_LIMIT = 20_000
TOTAL_MARKERS = frozenset({"total", "totals", "sum", "grand total", "合计", "总计", "小计", "汇总"})
ZERO = Decimal(0)


@dataclass
class _Column:
    """A column the policy needs, how its cells are read, where the value goes, and the texts read so far."""

    name: str
    read: Callable[[str], Decimal | None]
    kpi: str | None = None
    unit: str = "plain"  # how cells.plain_column reads a whole column of plain numbers: the KPI's unit
    # Real metrics repeat: each distinct text is read once; bad texts are not kept (they are re-read).
    cache: dict[str, Decimal | None] = field(default_factory=dict)

    def value(self, text: str) -> Decimal | None:
        """The cell's value, or CellError."""
        value = self.cache.get(text, self.cache)
        if value is self.cache:
            value = self.read(text)
            if len(self.cache) < CACHE_LIMIT:
                self.cache[text] = value
        return value  # type: ignore[return-value]


def _kpi_reader(parse: Callable[[str], Decimal], exclude_missing: bool) -> Callable[[str], Decimal | None]:
    def read(text: str) -> Decimal | None:
        if is_missing(text):
            if exclude_missing:
                return None
            raise CellError("a value (the cell has none; the KPI needs one, unless the policy says missing: exclude)")
        return parse(text)

    return read


def _required_number(text: str) -> Decimal:
    if is_missing(text):
        raise CellError("a number (the cell is empty)")
    return parse_plain(text)


def _required_amount(text: str) -> Decimal:
    value = _required_number(text)
    if value < 0:
        raise CellError("a number of at least 0")
    return value


def _number_or_zero(text: str) -> Decimal:
    return ZERO if is_missing(text) else parse_plain(text)


def _amount_or_zero(text: str) -> Decimal:
    return ZERO if is_missing(text) else _required_amount(text)


def needed_columns(policy: Policy) -> list[_Column]:
    """Every metrics column the policy reads, KPI columns first, each once per use."""
    columns = [
        _Column(kpi.column, _kpi_reader(UNIT_PARSERS[kpi.unit], kpi.missing == "exclude"), code, kpi.unit)
        for code, kpi in policy.kpis.items()
    ]
    volumes = [kpi.min_volume.column for kpi in policy.kpis.values() if kpi.min_volume]
    volumes += [kpi.weight_column for kpi in policy.kpis.values() if kpi.weight_column]
    if policy.proration:
        volumes.append(policy.proration.column)
    gates = [gate.column for gate in policy.gates if gate.column and gate.column not in volumes]
    columns += [_Column(name, _required_amount) for name in dict.fromkeys(volumes)]
    columns += [_Column(name, _required_number) for name in dict.fromkeys(gates)]
    plain = volumes + gates
    adjustments = [a.column for a in policy.adjustments.values() if a.column not in plain]
    columns += [_Column(name, _number_or_zero) for name in dict.fromkeys(adjustments)]
    return columns + _deduction_columns(policy, {column.name for column in columns})


def _deduction_columns(policy: Policy, read: set[str]) -> list[_Column]:
    """A monthly policy's deductions read each agent's contribution bases (required) and the month's
    deductions from taxable income (an empty cell is none)."""
    deductions = policy.deductions
    if deductions is None or policy.period != "month":
        return []
    bases = [name for name in dict.fromkeys(deductions.bases.values()) if name not in read]
    others = [deductions.special_deductions, deductions.other_deductions]
    taken = [name for name in dict.fromkeys(others) if name and name not in read and name not in bases]
    return [_Column(name, _required_amount) for name in bases] + [_Column(name, _amount_or_zero) for name in taken]


def kpi_only_columns(policy: Policy) -> frozenset[str]:
    """The columns only the KPIs read: their values, min_volume and weight columns (not a gate's or the
    proration's, which apply to everyone's pay)."""
    kpis = {kpi.column for kpi in policy.kpis.values()}
    volumes = {kpi.min_volume.column for kpi in policy.kpis.values() if kpi.min_volume}
    volumes |= {kpi.weight_column for kpi in policy.kpis.values() if kpi.weight_column}
    others = {gate.column for gate in policy.gates if gate.column} | {a.column for a in policy.adjustments.values()}
    if policy.proration is not None:
        others.add(policy.proration.column)
    return frozenset(kpis | (volumes - others))


def find_header(header: list[str], wanted: str) -> list[int]:
    """Indexes of the header cells naming `wanted`, ignoring case, spacing and width: more than one means
    the file is ambiguous (csat and CSAT), even when one of them is spelt exactly as wanted."""
    key = text_key(wanted)
    return [i for i, name in enumerate(header) if name.strip() == wanted or text_key(name) == key]


def doubled_column(source: str, header: list[str], wanted: str, places: list[int]) -> str:
    """The problem of a column named more than once (at `places`, as find_header found them)."""
    shown = " and ".join(f"{i + 1} ({header[i].strip()!r})" for i in places)
    return (
        f"{source}: row 1: column {wanted!r} appears more than once (columns {shown}); headers match ignoring "
        f"case, spacing and width, so rename or remove all but one"
    )


class RowParser:
    """Turns header-matched cells into AgentRows, collecting every problem with its row and column.

    `ids` remembers the agent ids seen: exact by default; a HashedIds when the caller can re-read its
    rows, and then calls `confirm_repeats` with them once every row is parsed.
    """

    def __init__(
        self, policy: Policy, header: list[str], source: str, *, ids: ExactIds | HashedIds | None = None
    ) -> None:
        self.policy = policy
        self.path = source
        self.problems = Problems()
        self.rows_read = 0
        self.blank_rows = 0
        # id key -> later rows (and their ids as written) whose id's hash was seen before
        self.suspects: dict[str, list[tuple[int, str]]] = {}
        self.ids = ids if ids is not None else ExactIds()
        self.known_roles = frozenset(policy.roles)
        # A leader (paid on a team's or site's result) may leave the KPI cells, and their volumes, empty.
        self.leaders = frozenset(name for name, role in policy.roles.items() if role.paid_on != "own")
        self.leader_optional = kpi_only_columns(policy) if self.leaders else frozenset()
        self._plan(header)

    def _plan(self, header: list[str]) -> None:
        if not any(cell.strip() for cell in header):
            raise MetricsError(f"{self.path}: row 1: expected a header row naming the columns, the file is empty")
        agents = self.policy.agents
        identity = [
            ("id", agents.id),
            ("role", agents.role),
            ("name", agents.name),
            ("team", agents.team),
            ("period", agents.period),
            ("currency", agents.currency),
        ]
        columns = needed_columns(self.policy)
        grouped = self.policy.text_columns()
        wanted = [name for _, name in identity if name] + [c.name for c in columns] + grouped
        missing, problems = [], []
        index: dict[str, int] = {}
        for name in dict.fromkeys(wanted):
            found = find_header(header, name)
            if not found:
                missing.append(name)
            elif len(found) > 1:
                problems.append(doubled_column(self.path, header, name, found))
            else:
                index[name] = found[0]
        if missing:
            problems.insert(
                0,
                f"{self.path}: row 1: missing required columns: {', '.join(missing)} "
                f"(the header has: {', '.join(h.strip() for h in header)})",
            )
        if problems:
            raise MetricsError(problems)
        self._identity = {key: index[name] for key, name in identity if name}
        self.id_at, self.role_at = self._identity["id"], self._identity["role"]
        self.name_at, self.team_at = self._identity.get("name"), self._identity.get("team")
        self.period_at = self._identity.get("period")
        self.currency_at = self._identity.get("currency")
        # Per role, the cells a plain row may hold in the currency column: empty, or a currency it is paid in.
        self.currency_cells = {name: {"", *self.policy.role_currencies(name)} for name in self.policy.roles}
        self.group_cells = [(name, index[name]) for name in grouped]
        self.columns = [(index[c.name], c) for c in columns]
        self._kpi_cells = [(c.kpi, i, c.cache) for i, c in self.columns if c.kpi is not None]
        # A plain column's reader never gives None (an empty cell is an error, or 0 for adjustments).
        self.number_cells = [(c.name, i, cast(dict[str, Decimal], c.cache)) for i, c in self.columns if c.kpi is None]
        self.width = len(header)
        self.header = header

    def parse(self, line: int, cells: list[str]) -> AgentRow | None:
        """The row's AgentRow, or None (blank, or bad: the problem is recorded)."""
        if len(cells) == self.width:
            # The usual row, read with as little work as possible: every cell a text already read, a plain
            # id, a known role. Anything else takes the careful way below, which reports what is wrong.
            try:
                kpis = {code: cache[cells[i]] for code, i, cache in self._kpi_cells}
                numbers = {name: cache[cells[i]] for name, i, cache in self.number_cells}
            except KeyError:
                pass
            else:
                currency = cells[self.currency_at].strip() if self.currency_at is not None else ""
                plain = not currency or currency in self.currency_cells.get(cells[self.role_at].strip(), ())
                identity = self.accept(line, cells) if plain else None
                if identity is not None:
                    if not identity:
                        return None
                    period = cells[self.period_at].strip() if self.period_at is not None else ""
                    groups = {name: cells[i].strip() for name, i in self.group_cells}
                    return AgentRow(line, *identity, kpis, numbers, self.path, period, groups, currency)
        return self._parse_slowly(line, cells)

    def accept(self, line: int, cells: list[str]) -> tuple[str, str, str, str] | tuple[()] | None:
        """For a row of the header's width whose cells all read well: (id, role, name, team) when its
        identity is plain, () when it repeats an earlier row (reported), None when it needs `parse`."""
        agent_id, role = cells[self.id_at].strip(), cells[self.role_at].strip()
        name = cells[self.name_at].strip() if self.name_at is not None else ""
        team = cells[self.team_at].strip() if self.team_at is not None else ""
        if not (
            agent_id
            and agent_id.isascii()
            and agent_id.isprintable()
            and role in self.known_roles
            and agent_id.casefold() not in TOTAL_MARKERS
            and (name + team).isprintable()  # else the careful way says which character is not allowed
            and all(cells[i].isprintable() for _, i in self.group_cells)
        ):
            return None
        self.rows_read += 1
        first = self.ids.add(id_key(agent_id), line, agent_id)
        if first is not None and self._repeats(agent_id, line, first):
            return ()
        return agent_id, role, name, team

    def _parse_slowly(self, line: int, cells: list[str]) -> AgentRow | None:
        if not any(cell.strip() for cell in cells):
            self.blank_rows += 1
            return None
        self.rows_read += 1
        cells = self._trimmed(cells)
        if len(cells) != self.width:
            self.problems.add(f"{self.path}: row {line}: has {len(cells)} cells, expected {self.width} like the header")
            return None
        agent_id = cells[self.id_at].strip()
        if _is_total(agent_id):  # its cells are sums, not an agent's: one message says it all
            self.problems.add(
                f"{self.path}: row {line}: looks like a totals row ({agent_id!r}); "
                f"remove it, cspay adds up the totals itself"
            )
            return None
        row = self._identify(line, cells)
        ok = row is not None
        for index, column in self.columns:
            text = cells[index]
            try:
                value = column.value(text)
            except CellError as error:
                if row is not None and self._leaders_own(column, row) and is_missing(text):
                    _set(row, column, None if column.kpi else ZERO)  # a leader is paid on the team's KPIs
                    continue
                self.problems.add(
                    f'{self.path}: row {line}, column "{column.name}": got "{_clip(text)}", expected {error.expected}'
                )
                ok = False
                continue
            if ok and row is not None:
                _set(row, column, value)
        return row if ok else None

    def _leaders_own(self, column: _Column, row: AgentRow) -> bool:
        """Whether the column is one only KPIs read and the row is a leader's (paid on a team or site)."""
        return row.role in self.leaders and column.name in self.leader_optional

    def _trimmed(self, cells: list[str]) -> list[str]:
        if len(cells) > self.width and not any(cell.strip() for cell in cells[self.width :]):
            return cells[: self.width]  # Excel often leaves empty cells after the last column
        return cells

    def _identify(self, line: int, cells: list[str]) -> AgentRow | None:
        ident = {key: cells[i].strip() for key, i in self._identity.items()}
        agent_id, role = ident["id"], ident["role"]
        problem = None
        for index in [*self._identity.values(), *(i for _, i in self.group_cells)]:
            if (character := control_character(cells[index])) is not None:
                self.problems.add(
                    f'{self.path}: row {line}, column "{self.header[index].strip()}": holds the control character '
                    f"{character}; expected text without control characters"
                )
                problem = ""
        if problem is not None:
            return None
        if not agent_id:
            problem = f'column "{self.policy.agents.id}": the agent id is empty'
        elif self._is_repeat(agent_id, line):
            return None
        elif role not in self.policy.roles:
            problem = (
                f'column "{self.policy.agents.role}": unknown role "{_clip(role)}", '
                f"expected one of {', '.join(self.policy.roles)}"
            )
        currency = ""
        if problem is None and self.currency_at is not None:
            currency, problem = self._currency(role, cells[self.currency_at])
        if problem:
            separator = ", " if problem.startswith("column") else ": "
            self.problems.add(f"{self.path}: row {line}{separator}{problem}")
            return None
        return AgentRow(
            line,
            agent_id,
            role,
            ident.get("name", ""),
            ident.get("team", ""),
            source=self.path,
            period=ident.get("period", ""),
            groups={name: cells[i].strip() for name, i in self.group_cells},
            currency=currency,
        )

    def _currency(self, role: str, text: str) -> tuple[str, str | None]:
        """The agent's currency cell as an ISO 4217 code (empty: the role's), or the problem with it."""
        code = clean(text).upper()
        if code in self.currency_cells[role]:
            return code, None
        where = f'column "{self.policy.agents.currency}": got "{_clip(text.strip())}", expected '
        if not is_currency(code):
            return "", where + f"an ISO 4217 currency code like {EXAMPLES}, or nothing for the role's currency"
        paid = ", ".join(self.policy.role_currencies(role))
        return "", where + (
            f"a currency role {role} is paid in ({paid}); give its amounts in {code} under "
            f"currencies.{code}.roles.{role} to pay it in {code}"
        )

    def note(self, line: int, agent_id: str, key: str) -> None:
        """Count a row read only for its id (not parsed), and record the id, so that a repeat is reported."""
        self.rows_read += 1
        first = self.ids.add(key, line, agent_id)
        if first is not None:
            self._repeats(agent_id, line, first)

    def note_all(self, first: int, agent_ids: list[str], keys: list[str]) -> None:
        """`note` for rows on consecutive lines from `first`, with a table of hashes (HashedIds)."""
        assert isinstance(self.ids, HashedIds)
        self.rows_read += len(agent_ids)
        for at in self.ids.add_all(keys):
            self.suspects.setdefault(keys[at], []).append((first + at, agent_ids[at]))

    def _is_repeat(self, agent_id: str, line: int) -> bool:
        """Record the id; True (and the problem recorded) when it is known to repeat an earlier row's."""
        first = self.ids.add(id_key(agent_id), line, agent_id)
        return first is not None and self._repeats(agent_id, line, first)

    def _repeats(self, agent_id: str, line: int, first: int) -> bool:
        """For an id seen before: True (and the problem recorded) when the earlier row is known."""
        if first == UNKNOWN_ROW:  # only a hash was seen before: checked by confirm_repeats
            self.suspects.setdefault(id_key(agent_id), []).append((line, agent_id))
            return False
        spelling = self.ids.spelling(id_key(agent_id)) if isinstance(self.ids, ExactIds) else agent_id
        self.problems.add(_repeat(self.path, agent_id, line, spelling, first))
        return True

    def recorded_id(self, cells: list[str]) -> str | None:
        """The agent id that parsing this (non-blank) row records, if any."""
        cells = self._trimmed(cells)
        if len(cells) != self.width:
            return None
        agent_id = cells[self._identity["id"]].strip()
        return agent_id if agent_id and not _is_total(agent_id) else None

    def confirm_repeats(self, rows: Iterable[tuple[int, list[str]]]) -> None:
        """Read the rows again to find where each suspected id first appeared, and report the repeats."""
        first: dict[str, tuple[int, str]] = {}
        for line, cells in rows:
            agent_id = self.recorded_id(cells) if any(cell.strip() for cell in cells) else None
            if agent_id is not None and (key := id_key(agent_id)) in self.suspects:
                first.setdefault(key, (line, agent_id))
        repeats = sorted(
            (line, agent_id, key)
            for key, seen in self.suspects.items()
            for line, agent_id in seen
            if first.get(key, (line, ""))[0] < line
        )
        for line, agent_id, key in repeats:
            first_line, spelling = first[key]
            self.problems.add(_repeat(self.path, agent_id, line, spelling, first_line))


def _set(row: AgentRow, column: _Column, value: Decimal | None) -> None:
    if column.kpi is None:
        row.numbers[column.name] = cast(Decimal, value)
    else:
        row.kpis[column.kpi] = value


def _is_total(agent_id: str) -> bool:
    return clean(agent_id).casefold() in TOTAL_MARKERS


def _repeat(path: str, agent_id: str, line: int, first_spelling: str, first: int) -> str:
    if first_spelling == agent_id:
        return f"{path}: row {line}: agent {agent_id!r} appears twice, in rows {first} and {line}"
    return (
        f"{path}: row {line}: agent {agent_id!r} is agent {first_spelling!r} of row {first} written another way "
        f"(ids match ignoring case, width, spaces and invisible characters); expected each agent once"
    )


def _clip(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[:limit] + f"… ({len(text)} characters)"
