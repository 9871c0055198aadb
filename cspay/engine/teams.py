"""Team results: the score of a team, of a site, or of the teams a leader leads, made from its members as
the policy's `teams.score` says, for the bonus lines paid on it.

A team's result needs every member's period, so a run makes the book before it pays anyone. Results are
worked out when first asked for and remembered; `replaced` gives the book with one agent's figures
changed (what-moves prices an agent's better month with their team's result moved by it too).
"""

from __future__ import annotations

from collections import ChainMap
from collections.abc import Iterable, Mapping, Sequence
from copy import copy
from dataclasses import dataclass, field, replace
from decimal import Decimal
from fractions import Fraction
from typing import Any, Protocol

from cspay.engine.plans import KpiPlan, Scored
from cspay.engine.rules import proration_factor
from cspay.engine.types import ONE, ZERO, AgentRow, KpiResult, Part, times
from cspay.errors import MetricsError, UsageProblem
from cspay.policy.model import Policy

LEADS_SEPARATORS = (";", "；", "、", ",", "，")


class Scoring(Protocol):
    """What a team's result takes from the compiled engine (cspay.engine.compiled.Engine): its scoring."""

    policy: Policy
    kpi_plans: list[KpiPlan]
    _worked_column: str | None
    _full: Decimal

    def scored(
        self, values: Mapping[str, Decimal | None], groups: Mapping[str, str] | None = None
    ) -> list[Scored | KpiResult]: ...

    def score(self, scored: list[Scored | KpiResult], numbers: Mapping[str, Decimal]) -> tuple[int, Decimal, Any]: ...


@dataclass(frozen=True)
class Member:
    """One agent's place in one team: how much they count, and the figures the team's result is made of.

    `share` is the agent's share of the period in this team; `weight` is what they count for: the share,
    times their worked-day share when the policy's membership is prorated.
    """

    agent_id: str
    team: str
    site: str
    share: Fraction
    weight: Decimal
    score: Decimal | None
    kpis: Mapping[str, Decimal | None]
    numbers: Mapping[str, Decimal]
    groups: Mapping[str, str] = field(default_factory=dict)  # the text columns that pick KPIs' group curves

    @property
    def has_value(self) -> bool:
        return any(value is not None for value in self.kpis.values())


@dataclass(frozen=True)
class Group:
    """The result of a team (`kind` team), a site, or the several teams one leader leads (`teams`).

    `members` are those who counted in it (a value to count, and a part of the period in it); `size` adds up
    their weights; `kpis` are the group's KPI values, scored (for member_kpis and team_metrics); `small` says
    the group has fewer members than the policy's min_size.
    """

    kind: str
    name: str
    site: str | None
    members: tuple[Member, ...]
    size: Decimal
    score: Decimal | None
    kpis: tuple[KpiResult, ...]
    small: bool
    teams: tuple[str, ...] = ()  # the teams it is made of (a site's, a leader's)


class TeamBook:
    """Every team's members and, on demand, the result of a team, a site or a leader's teams."""

    def __init__(
        self,
        engine: Scoring,
        members: Iterable[Member],
        team_rows: Mapping[str, AgentRow] | None = None,
        team_source: str = "the team metrics",
    ) -> None:
        teams = engine.policy.teams
        assert teams is not None, "a team book needs the policy's teams section"
        self.engine, self.rule, self.team_rows, self.team_source = engine, teams, team_rows, team_source
        by_team: dict[str, list[Member]] = {}
        for member in members:
            by_team.setdefault(member.team, []).append(member)
        self.by_team: Mapping[str, list[Member]] = by_team
        self.site_of = {team: group[0].site for team, group in by_team.items()}
        sites: dict[str, list[str]] = {}
        for team, site in self.site_of.items():
            sites.setdefault(site, []).append(team)
        self.teams_of = {site: tuple(teams) for site, teams in sites.items()}  # each site's teams, in order
        self._results: dict[tuple[str, tuple[str, ...]], Group] = {}
        self._shared: TeamBook | None = None  # the book this one was made from by `replaced`
        self._changed: frozenset[str] = frozenset()  # the teams it counts afresh

    def team(self, name: str) -> Group:
        """A team's result."""
        return self._group("team", (name,))

    def site(self, name: str) -> Group:
        """A site's result: every member of its teams (team metrics: its teams' rows) counted together."""
        return self._group("site", self.teams_of.get(name, ()), name)

    def led(self, names: Sequence[str]) -> Group:
        """The result of the teams a leader leads: one team's, or several counted together."""
        names = tuple(dict.fromkeys(names))
        return self.team(names[0]) if len(names) == 1 else self._group("teams", names)

    def rollup(self) -> tuple[list[Group], list[Group]]:
        """Every team's result, then every site's, in the order agents first name them."""
        teams = [self.team(name) for name in self.by_team]
        sites = [self.site(name) for name in dict.fromkeys(site for site in self.site_of.values() if site)]
        return teams, sites

    def replaced(self, row: AgentRow) -> TeamBook:
        """The book with one agent's figures as in `row`: the teams they are in counted afresh, the others
        shared with this book (an agent's better month moves their team's result too)."""
        found = {member.team: member for member in members_of(self.engine, row)}
        changed = {
            team: [found[team] if m.agent_id == row.agent_id else m for m in self.by_team.get(team, [])]
            for team in found
        }
        book = copy(self)
        book.by_team = ChainMap(changed, self.by_team)  # type: ignore[arg-type]
        book._results, book._shared, book._changed = {}, self, frozenset(changed)
        return book

    def _group(self, kind: str, teams: tuple[str, ...], name: str | None = None) -> Group:
        if self._shared is not None and self._changed.isdisjoint(teams):
            return self._shared._group(kind, teams, name)  # not moved by the replaced agent
        key = (kind if kind != "site" else f"site:{name}", teams)
        found = self._results.get(key)
        if found is None:
            found = self._results[key] = self._result(kind, name or " + ".join(teams), teams)
        return found

    def _result(self, kind: str, name: str, teams: tuple[str, ...]) -> Group:
        rule, engine = self.rule.score, self.engine
        everyone = [member for team in teams for member in self.by_team.get(team, [])]
        if rule == "member_scores":
            counted = [m for m in everyone if m.score is not None and m.share]
            score = _mean([(m.weight, m.score) for m in counted if m.score is not None])
            kpis: tuple[KpiResult, ...] = ()
        else:
            counted = [m for m in everyone if m.share and (rule == "team_metrics" or m.has_value)]
            if rule == "member_kpis":
                units = [(m.weight, m.share, m.kpis, m.numbers) for m in counted]
                groups = pooled_groups(engine, name, [m.groups for m in counted])
            else:
                units = [(_size(self.by_team.get(team, [])), Fraction(1), *self._team_row(team)) for team in teams]
                groups = pooled_groups(engine, name, [m.groups for m in everyone])  # its rows name no group
            values, numbers = combined(engine, units)
            scored = engine.scored(values, groups)
            mask, total_weight, score = engine.score(scored, numbers)
            kpis = tuple(
                plan.result(entry, mask, total_weight, numbers)
                for plan, entry in zip(engine.kpi_plans, scored, strict=True)
            )
        size = _size(counted)
        site = self.site_of.get(teams[0]) if teams and kind != "site" else (name if kind == "site" else None)
        small = kind != "site" and size < self.rule.min_size
        return Group(kind, name, site, tuple(counted), size, score, kpis, small, teams)

    def _team_row(self, team: str) -> tuple[Mapping[str, Decimal | None], Mapping[str, Decimal]]:
        row = (self.team_rows or {}).get(team)
        if row is None:
            raise MetricsError(f"{self.team_source}: no row for team {team!r}; expected one row per team")
        return row.kpis, row.numbers


def pooled_groups(engine: Scoring, name: str, groups: Sequence[Mapping[str, str]]) -> dict[str, str]:
    """The group texts a group's pooled KPI values are scored by: for each KPI by group, the one curve its
    members' (or teams') groups all pick. UsageProblem when they pick different curves: pooled values have
    one value per KPI, so no one group's targets are theirs."""
    chosen: dict[str, str] = {}
    for plan in engine.kpi_plans:
        if plan.by is None or not groups:
            continue
        curves = {plan.curve(found).group: found.get(plan.by, "") for found in groups}
        if len(curves) > 1:
            named = ", ".join(group or "the KPI's own" for group in curves)
            raise UsageProblem(
                f"{name}: KPI {plan.code} gives targets by {plan.by}, and those it counts are scored on different "
                f"groups' curves ({named}); a result made of pooled KPI values has one curve per KPI: score teams "
                f"on their members' scores (teams.score: member_scores), or keep each team within one {plan.by}",
                "POLICY",
            )
        chosen[plan.by] = next(iter(curves.values()))
    return chosen


def _size(members: Iterable[Member]) -> Decimal:
    return sum((member.weight for member in members), ZERO)


def _mean(pairs: Sequence[tuple[Decimal, Decimal]]) -> Decimal | None:
    """The weighted mean of (weight, value) pairs; the plain mean when every weight is 0; None without any."""
    if not pairs:
        return None
    if len(pairs) == 1:
        return pairs[0][1]  # one value is its own mean, digits and all
    total = sum((weight for weight, _ in pairs), ZERO)
    if not total:
        return sum((value for _, value in pairs), ZERO) / len(pairs)
    return sum((weight * value for weight, value in pairs), ZERO) / total


Unit = tuple[Decimal, Fraction, Mapping[str, Decimal | None], Mapping[str, Decimal]]


def combined(engine: Scoring, units: Sequence[Unit]) -> tuple[dict[str, Decimal | None], dict[str, Decimal]]:
    """A group's KPI values and volumes from its units (members, or teams' rows), each a (weight, share,
    KPI values, numbers): a KPI with a weight_column is weighted by share × that volume (CSAT by surveys),
    any other by the unit's weight; min_volume and weight columns add up, each unit's times its share."""
    policy = engine.policy
    volumes = [kpi.min_volume.column for kpi in policy.kpis.values() if kpi.min_volume]
    volumes += [kpi.weight_column for kpi in policy.kpis.values() if kpi.weight_column]
    numbers = {
        column: sum((times(share, numbers[column]) for _, share, _, numbers in units), ZERO)
        for column in dict.fromkeys(volumes)
    }
    values: dict[str, Decimal | None] = {}
    for code, kpi in policy.kpis.items():
        column = kpi.weight_column
        pairs = [
            (times(share, numbers[column]) if column else weight, value)
            for weight, share, kpis, numbers in units
            if (value := kpis.get(code)) is not None
        ]
        if column and pairs and not any(weight for weight, _ in pairs):  # no volume at all: count members
            pairs = [(weight, value) for weight, _, kpis, _ in units if (value := kpis.get(code)) is not None]
        values[code] = _mean(pairs)
    return values, numbers


def members_of(engine: Scoring, row: AgentRow) -> list[Member]:
    """The agent's places in teams: one per team they were in during the period, if their role is paid on
    its own result (a leader is not a member of the team they lead)."""
    policy, teams = engine.policy, engine.policy.teams
    assert teams is not None
    parts = row.parts or (Part(row.role, row.team, Fraction(1)),)
    scored = engine.scored(row.kpis, row.groups)
    score = engine.score(scored, row.numbers)[2]
    worked = row.numbers.get(engine._worked_column) if engine._worked_column is not None else None
    days = proration_factor(worked, engine._full) if teams.membership == "prorated" else ONE
    site = row.groups.get(teams.site, "") if teams.site else ""
    found: dict[str, Member] = {}
    for part in parts:
        if not part.team or policy.roles[part.role].paid_on != "own":
            continue
        weight = times(part.share, days)
        member = found.get(part.team)
        if member is None:
            found[part.team] = Member(
                row.agent_id, part.team, site, part.share, weight, score, row.kpis, row.numbers, row.groups
            )
        else:
            found[part.team] = replace(member, share=member.share + part.share, weight=member.weight + weight)
    return list(found.values())


def team_book(
    engine: Scoring,
    rows: Iterable[AgentRow],
    team_rows: Mapping[str, AgentRow] | None = None,
    team_source: str = "the team metrics",
) -> TeamBook:
    """Every agent's places in teams, checked: a team belongs to one site, and with team metrics (read from
    `team_source`) every team has its row."""
    members = [member for row in rows for member in members_of(engine, row)]
    problems: list[str] = []
    sites: dict[str, dict[str, str]] = {}
    for member in members:
        sites.setdefault(member.team, {}).setdefault(member.site, member.agent_id)
    for team, found in sites.items():
        if len(found) > 1:
            shown = " and ".join(f"{site!r} ({agent})" for site, agent in found.items())
            problems.append(f"team {team!r} has agents in sites {shown}; a team belongs to one site")
    if engine.policy.teams is not None and engine.policy.teams.score == "team_metrics":
        missing = [team for team in sites if team not in (team_rows or {})]
        problems += [
            f"{team_source}: no row for team {team!r}, which agents "
            f"{_few(m.agent_id for m in members if m.team == team)} are in; "
            f"expected one row per team"
            for team in missing
        ]
    if problems:
        raise MetricsError(problems)
    return TeamBook(engine, members, team_rows, team_source)


def _few(agents: Iterable[str], shown: int = 3) -> str:
    agents = list(agents)
    more = f" and {len(agents) - shown} more" if len(agents) > shown else ""
    return ", ".join(agents[:shown]) + more


def led_teams(cell: str, own_team: str) -> list[str]:
    """The teams a leader's `leads` cell names (separated by ; or ,), else the leader's own team."""
    names = [cell]
    for separator in LEADS_SEPARATORS:
        names = [piece for name in names for piece in name.split(separator)]
    names = [name.strip() for name in names if name.strip()]
    return names or ([own_team] if own_team else [])
