"""Paying agents in several currencies: the policy as it pays each currency, and an engine for each.

A role's amounts are written in its currency (`roles.X.currency`, else the policy's); `currencies.C`
writes a role's, the adjustments' and the floor's amounts in one more currency C, and the agent's
`agents.currency` cell picks it. The engine of currency C is the engine, unchanged, given the policy with
those amounts and C's rounding step, so every pay rule is the one rule, and no amount ever meets an
amount of another currency.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from cspay.engine.compiled import Engine
from cspay.engine.teams import TeamBook
from cspay.engine.types import AgentRow, Payslip, Summaries, Summary
from cspay.errors import PayError, UsageProblem
from cspay.policy.model import Policy, Role


def in_currency(policy: Policy, code: str) -> Policy:
    """The policy as it pays agents in `code`: the roles paid in it with their amounts in it (others left
    out), adjustments and floor in it, lines rounded to its step. A policy of one currency is itself."""
    if policy.paid_currencies == [code]:
        return policy
    terms = policy.currencies.get(code)
    roles: dict[str, Role] = {}
    for name, role in policy.roles.items():
        if policy.role_currency(name) == code:
            roles[name] = role
        elif terms is not None and name in terms.roles:
            amounts = terms.roles[name]
            roles[name] = role.model_copy(
                update={
                    "base_pay": amounts.base_pay,
                    "target_bonus": amounts.target_bonus,
                    "allowances": amounts.allowances,
                    "currency": code,
                }
            )
    update: dict[str, object] = {"currency": code, "roles": roles, "currencies": {}}
    if code != policy.currency:
        update["rounding"] = policy.rounding.model_copy(update={"step": policy.rounding_step(code)})
        given = terms.adjustments if terms is not None else {}
        update["adjustments"] = {
            name: rule.model_copy(update={"per_unit": given[name].per_unit, "limit": given[name].limit})
            for name, rule in policy.adjustments.items()
        }
        if policy.floor is not None and terms is not None and terms.floor is not None:
            update["floor"] = policy.floor.model_copy(update={"gross": terms.floor})
    return policy.model_copy(update=update)


class Engines:
    """The engine of each currency a policy pays, compiled when first needed; a row is paid by the engine of
    the currency its agent is paid in.

    `role_versions` are the roles as a dated policy's values set them in each stretch of the period, in the
    policy's currency: a policy paying several currencies cannot be paid by them (UsageProblem). Team
    results are not money, so every currency's engine pays on the one book of them (`teams`).
    """

    def __init__(self, policy: Policy, role_versions: Sequence[Mapping[str, Role]] = ()) -> None:
        self.policy = policy
        self.currencies = policy.paid_currencies
        self.several = len(self.currencies) > 1
        if self.several and len(role_versions) > 1:
            raise UsageProblem(
                f"the policy {policy.path} pays {', '.join(self.currencies)}, and its role amounts change within "
                f"the period; date the change on the first day of a period",
                "--period",
            )
        self.default = Engine(in_currency(policy, policy.currency), role_versions)
        self._engines = {policy.currency: self.default}
        self._role_currency = {name: policy.role_currency(name) for name in policy.roles}
        self._teams: TeamBook | None = None

    @property
    def teams(self) -> TeamBook | None:
        """The team results every currency's engine pays on."""
        return self._teams

    @teams.setter
    def teams(self, book: TeamBook | None) -> None:
        self._teams = book
        for engine in self._engines.values():
            engine.teams = book

    def engine(self, currency: str) -> Engine:
        """The engine paying in `currency`."""
        engine = self._engines.get(currency)
        if engine is None:
            engine = self._engines[currency] = Engine(in_currency(self.policy, currency))
            engine.teams = self._teams
        return engine

    def currency_of(self, row: AgentRow) -> str:
        """The currency the row's agent is paid in: its `agents.currency` cell, else its role's."""
        return row.currency or self._role_currency[row.role]

    def payslip(self, row: AgentRow) -> Payslip:
        """The row's payslip, in its agent's currency."""
        if not self.several and not row.currency:
            return self.default.payslip(row)
        currency = self.currency_of(row)
        engine = self.engine(currency) if currency in self.currencies else None
        where = f"{row.source}: " if row.source else ""
        for role in dict.fromkeys([row.role, *(part.role for part in row.parts)]):
            if engine is None or role not in engine.policy.roles:
                held = "" if role == row.role else " (held for part of the period)"
                raise PayError(
                    f"{where}row {row.line}: agent {row.agent_id!r}: role {role}{held} has no amounts in "
                    f"{currency}; expected one of {', '.join(self.policy.role_currencies(role))}"
                )
        assert engine is not None  # every role was found in it
        return engine.payslip(row)

    def summary(self) -> Summary:
        """Empty totals for a run of this policy: one currency's, or each currency's."""
        return Summaries(self.currencies) if self.several else Summary(currency=self.policy.currency)
