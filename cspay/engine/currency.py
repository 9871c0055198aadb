"""Paying agents in several currencies: the policy as it pays each currency, and an engine for each.

A role's amounts are written in its currency (`roles.X.currency`, else the policy's); `currencies.C`
writes a role's, the adjustments' and the floor's amounts in one more currency C, and the agent's
`agents.currency` cell picks it. The engine of currency C is the engine, unchanged, given the policy with
those amounts and C's rounding step, so every pay rule is the one rule, and no amount ever meets an
amount of another currency.
"""

from __future__ import annotations

from cspay.engine.compiled import Engine
from cspay.engine.types import AgentRow, Payslip, Summaries, Summary
from cspay.errors import PayError
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
    the currency its agent is paid in."""

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self.currencies = policy.paid_currencies
        self.several = len(self.currencies) > 1
        self.default = Engine(in_currency(policy, policy.currency))
        self._engines = {policy.currency: self.default}
        self._role_currency = {name: policy.role_currency(name) for name in policy.roles}

    def engine(self, currency: str) -> Engine:
        """The engine paying in `currency`."""
        engine = self._engines.get(currency)
        if engine is None:
            engine = self._engines[currency] = Engine(in_currency(self.policy, currency))
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
        if engine is None or row.role not in engine.policy.roles:
            where = f"{row.source}: " if row.source else ""
            raise PayError(
                f"{where}row {row.line}: agent {row.agent_id!r}: role {row.role} has no amounts in {currency}; "
                f"expected one of {', '.join(self.policy.role_currencies(row.role))}"
            )
        return engine.payslip(row)

    def summary(self) -> Summary:
        """Empty totals for a run of this policy: one currency's, or each currency's."""
        return Summaries(self.currencies) if self.several else Summary(currency=self.policy.currency)
